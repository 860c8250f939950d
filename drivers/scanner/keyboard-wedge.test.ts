import fc from 'fast-check';
import { KioskError } from '../../kernel/errors';
import { encodeKeyboardReports } from '../../simulators/scanner/hid-reports';
import { ALT_CODE_MAX_DIGITS, KeyboardWedgeDecoder, type KeyboardWedgeOptions } from './keyboard-wedge';
import { LAYOUTS, MOD, keystrokesFor, resolveLayout, type LayoutName } from './keyboard-layouts';
import type { HidDecodeResult } from './hid-pos';

const SHIFT = MOD.LSHIFT;
const ALTGR = MOD.RALT;
const ENTER = 0x28;

/** An 8-byte boot report: modifiers, reserved, up to 6 usages. */
const rep = (modifiers: number, ...keys: number[]) => {
  const r = Buffer.alloc(8);
  r[0] = modifiers;
  keys.forEach((k, i) => (r[2 + i] = k));
  return r;
};
const UP = rep(0);
/** Press and release each [modifiers, usage], then Enter. */
const typed = (...strokes: Array<[number, number]>) => [...strokes.flatMap(([m, u]) => [rep(m, u), UP]), rep(0, ENTER), UP];
const decode = (reports: Buffer[], opts: KeyboardWedgeOptions = {}) => {
  const d = new KeyboardWedgeDecoder(opts);
  return reports.flatMap((r) => d.push(r));
};
const raws = (out: HidDecodeResult[]) => out.map((o) => (o instanceof KioskError ? `ERR:${o.code}` : o.raw));

// usages of the digit row 1…9, 0
const DIGIT: Record<string, number> = { '1': 0x1e, '2': 0x1f, '3': 0x20, '4': 0x21, '5': 0x22, '6': 0x23, '7': 0x24, '8': 0x25, '9': 0x26, '0': 0x27 };

describe('keyboard layouts: worked examples', () => {
  it('us', () => {
    // A b 1 ! - ? ] @
    const out = decode(typed([SHIFT, 0x04], [0, 0x05], [0, 0x1e], [SHIFT, 0x1e], [0, 0x2d], [SHIFT, 0x38], [0, 0x30], [SHIFT, 0x1f]), { layout: 'us' });
    expect(raws(out)).toEqual(['Ab1!-?]@']);
  });

  it('de (QWERTZ): Y/Z swapped, Shift+2 is ", AltGr+Q is @, umlauts and ß on their own keys', () => {
    const out = decode(
      typed([0, 0x1c], [0, 0x1d], [SHIFT, 0x1f], [0, 0x2d], [SHIFT, 0x24], [ALTGR, 0x14], [0, 0x33], [SHIFT, 0x34], [0, 0x38], [ALTGR, 0x08], [0, 0x64]),
      { layout: 'de' },
    );
    expect(raws(out)).toEqual(['zy"ß/@öÄ-€<']);
  });

  it('be (AZERTY): digits need Shift, A/Q and Z/W swapped, M right of L', () => {
    const out = decode(
      typed([SHIFT, 0x27], [SHIFT, 0x1e], [0, 0x14], [0, 0x04], [0, 0x1a], [0, 0x1d], [0, 0x33], [0, 0x1f], [ALTGR, 0x1f], [0, 0x10], [SHIFT, 0x37]),
      { layout: 'be' },
    );
    expect(raws(out)).toEqual(['01aqzwmé@,/']);
  });

  it('keypad digits are digits on every layout (Num Lock on); keypad Enter ends the read', () => {
    for (const layout of ['us', 'de', 'be'] as const) {
      const reports = [rep(0, 0x62), UP, rep(0, 0x59), UP, rep(0, 0x61), UP, rep(0, 0x58), UP];
      expect(raws(decode(reports, { layout }))).toEqual(['019']);
    }
  });
});

describe('the Belgian keyboard-layout case from the field notes', () => {
  const code = '0013748911';
  /** A scanner configured for US types digits on the unshifted digit row. */
  const usScanner = typed(...[...code].map((c): [number, number] => [0, DIGIT[c]]));
  /** A scanner configured for Belgian AZERTY holds Shift for every digit. */
  const beScanner = typed(...[...code].map((c): [number, number] => [SHIFT, DIGIT[c]]));

  it('a Belgian-layout scanner read with the be layout gives the digits', () => {
    expect(raws(decode(beScanner, { layout: 'be' }))).toEqual([code]);
  });

  it('the same Belgian-layout scanner read with the us layout gives garbage', () => {
    expect(raws(decode(beScanner, { layout: 'us' }))).toEqual(['))!#&$*(!!']);
  });

  it('a US-layout scanner read with the be layout gives exactly the garbage the field saw', () => {
    expect(raws(decode(usScanner, { layout: 'be' }))).toEqual(['àà&"è\'!ç&&']);
    expect(raws(decode(usScanner, { layout: 'us' }))).toEqual([code]);
  });

  it("the simulator's encoder types the digits the way each layout needs", () => {
    expect(encodeKeyboardReports(code, 'be')).toEqual(beScanner);
    expect(encodeKeyboardReports(code, 'us')).toEqual(usScanner);
  });
});

describe('KeyboardWedgeDecoder: key state', () => {
  it('a key held across several reports types once (no auto-repeat)', () => {
    expect(raws(decode([rep(0, 0x04), rep(0, 0x04), rep(0, 0x04), UP, rep(0, ENTER), UP]))).toEqual(['a']);
  });

  it('a doubled character needs a release in between', () => {
    expect(raws(decode([rep(0, 0x27), UP, rep(0, 0x27), UP, rep(0, ENTER), UP]))).toEqual(['00']);
  });

  it('rollover: the next key goes down before the previous is released', () => {
    const reports = [rep(0, 0x04), rep(0, 0x04, 0x05), rep(0, 0x05), rep(SHIFT, 0x05, 0x06), rep(SHIFT, 0x06), rep(0, 0x06, ENTER), UP];
    expect(raws(decode(reports))).toEqual(['abC']);
  });

  it('two keys appearing in the same report type in slot order', () => {
    expect(raws(decode([rep(0, 0x06, 0x04), UP, rep(0, ENTER), UP]))).toEqual(['ca']);
  });

  it('error-rollover reports (phantom state) are skipped without losing the held keys', () => {
    const phantom = rep(0, 1, 1, 1, 1, 1, 1);
    expect(raws(decode([rep(0, 0x04), phantom, rep(0, 0x04), UP, rep(0, ENTER), UP]))).toEqual(['a']);
  });

  it('dead keys compose with the next character; dead key + space is the accent', () => {
    // de: ^ is the dead key left of 1; ´ is right of ß
    const de = decode(typed([0, 0x35], [0, 0x08], [0, 0x35], [0, 0x2c], [0, 0x2e], [SHIFT, 0x04], [0, 0x35], [0, 0x1b]), { layout: 'de' });
    expect(raws(de)).toEqual(['ê^Á^x']);
    // be: ^ and ¨ share the key right of P
    const be = decode(typed([0, 0x2f], [0, 0x08], [SHIFT, 0x2f], [0, 0x0c]), { layout: 'be' });
    expect(raws(be)).toEqual(['êï']);
  });

  it('Ctrl + key types control characters (GS for GS1 data)', () => {
    const out = decode([rep(0, 0x1e), UP, rep(MOD.LCTRL, 0x30), UP, rep(0, 0x1f), UP, rep(0, ENTER), UP]);
    expect(raws(out)).toEqual(['1\x1d2']);
  });

  it('Alt + keypad code types the character on release of Alt (leading 0: Windows-1252, else CP437)', () => {
    const alt = MOD.LALT;
    const kp = (d: number) => (d === 0 ? 0x62 : 0x58 + d);
    const seq = (digits: number[]) => [...digits.flatMap((d) => [rep(alt, kp(d)), rep(alt)]), UP];
    const out = decode([...seq([0, 2, 3, 3]), ...seq([1, 3, 0]), rep(0, ENTER), UP]);
    expect(raws(out)).toEqual(['éé']);
  });

  it('an endless Alt + keypad code is capped: one PROTOCOL error, nothing held beyond the cap, the next read decodes', () => {
    const alt = MOD.LALT;
    const d = new KeyboardWedgeDecoder({ maxLength: 100 });
    const out: HidDecodeResult[] = [];
    let most = 0;
    out.push(...d.push(rep(0, 0x04)), ...d.push(UP)); // "a", then Alt held down for 100 000 keypad digits
    for (let i = 0; i < 100_000; i++) {
      out.push(...d.push(rep(alt, 0x59 + (i % 9))), ...d.push(rep(alt)));
      most = Math.max(most, d.buffered);
    }
    out.push(...d.push(UP), ...d.push(rep(0, ENTER)), ...d.push(UP));
    expect(raws(out)).toEqual(['ERR:PROTOCOL']);
    expect((out[0] as KioskError).message).toMatch(/Alt\+keypad code longer than 8 digits/);
    expect(most).toBeLessThanOrEqual(ALT_CODE_MAX_DIGITS + 1);
    expect(raws(typed([0, 0x05]).flatMap((r) => d.push(r)))).toEqual(['b']);
    // a short maxLength caps the code too
    const tiny = new KeyboardWedgeDecoder({ maxLength: 2 });
    const digits = [1, 2, 3].flatMap((n) => [rep(alt, 0x58 + n), rep(alt)]);
    expect(raws([...digits, UP, rep(0, ENTER), UP].flatMap((r) => tiny.push(r)))).toEqual(['ERR:PROTOCOL']);
  });

  it('keys the layout does not map are ignored and counted', () => {
    const d = new KeyboardWedgeDecoder();
    const out = [rep(0, 0x3a), UP, rep(0, 0x04), UP, rep(0, ENTER), UP].flatMap((r) => d.push(r));
    expect(raws(out)).toEqual(['a']);
    expect(d.unmappedKeys).toBe(1);
  });

  it('configurable terminators (Tab) and report ids', () => {
    expect(raws(decode([rep(0, 0x04), UP, rep(0, 0x2b), UP], { terminators: [0x2b] }))).toEqual(['a']);
    const withId = (id: number, r: Buffer) => Buffer.concat([Buffer.from([id]), r]);
    const reports = [withId(1, rep(0, 0x04)), withId(1, UP), withId(3, rep(0, 0x05)), withId(3, UP), withId(1, rep(0, ENTER)), withId(1, UP)];
    expect(raws(decode(reports, { reportId: 1 }))).toEqual(['a']);
  });

  it('a short report is a PROTOCOL error; the broken read is discarded up to Enter and the next one arrives', () => {
    const out = decode([rep(0, 0x04), UP, Buffer.from([0, 0, 5]), rep(0, 0x05), UP, rep(0, ENTER), UP, ...typed([0, 0x06])]);
    expect(raws(out)).toEqual(['ERR:PROTOCOL', 'c']);
  });

  it('an over-long read is dropped with one error and bounded memory', () => {
    const d = new KeyboardWedgeDecoder({ maxLength: 100 });
    let errors = 0;
    for (let i = 0; i < 20_000; i++) errors += d.push(rep(0, 0x04)).length + d.push(UP).length;
    expect(errors).toBe(1);
    expect(raws([...d.push(rep(0, ENTER)), ...d.push(UP), ...typed([0, 0x05]).flatMap((r) => d.push(r))])).toEqual(['b']);
  });

  it('reset() forgets key state and a partial read', () => {
    const d = new KeyboardWedgeDecoder();
    d.push(rep(0, 0x04));
    expect(d.reset()).toBe(true);
    expect(raws([rep(0, 0x04), UP, rep(0, ENTER)].flatMap((r) => d.push(r)))).toEqual(['a']);
  });

  it('unknown layouts are a CONFIG_INVALID error; keystrokesFor refuses what a layout cannot type', () => {
    expect(() => resolveLayout('fr' as LayoutName)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => keystrokesFor(LAYOUTS.us, 'ß')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});

describe('KeyboardWedgeDecoder: round trips through every layout', () => {
  const printable = Array.from({ length: 0x5f }, (_, i) => String.fromCharCode(0x20 + i));
  const extra: Record<LayoutName, string[]> = { us: [], de: ['ä', 'ö', 'ü', 'Ä', 'ß', '§', '€', 'é', 'ê', 'ñ'], be: ['é', 'è', 'à', 'ç', 'ù', 'µ', '£', '€', 'ê', 'ï', 'ñ'] };
  for (const name of ['us', 'de', 'be'] as const) {
    const layout = LAYOUTS[name];
    const typable = [...printable, ...extra[name]].filter((c) => {
      try {
        keystrokesFor(layout, c);
        return true;
      } catch {
        return false;
      }
    });

    it(`${name}: every printable ASCII character can be typed`, () => {
      expect(typable.filter((c) => c < '\x7f')).toHaveLength(printable.length);
    });

    it(`${name}: random text → key reports (with rollover and held keys) → the same text`, () => {
      const text = fc.array(fc.constantFrom(...typable), { minLength: 1, maxLength: 40 }).map((a) => a.join(''));
      fc.assert(
        fc.property(fc.array(text, { minLength: 1, maxLength: 4 }), fc.boolean(), fc.integer({ min: 1, max: 3 }), (texts, rollover, holdReports) => {
          const d = new KeyboardWedgeDecoder({ layout: name });
          const out = texts.flatMap((t) => encodeKeyboardReports(t, name, { rollover, holdReports }).flatMap((r) => d.push(r)));
          expect(raws(out)).toEqual(texts);
        }),
      );
    });
  }
});
