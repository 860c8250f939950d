/**
 * The HID scanner simulator and the driver are two implementations of the same specifications (HID Usage Tables
 * §10 with the xkb layouts; HID POS Bar Code Scanner page). They share no code, so here each decodes what the
 * other's counterpart encodes: a disagreement in either table shows up as a wrong character.
 */
import { KioskError } from '../../kernel/errors';
import { HidPosDecoder, type HidDecodeResult } from '../../drivers/scanner/hid-pos';
import { KeyboardWedgeDecoder } from '../../drivers/scanner/keyboard-wedge';
import { encodeHidPosReports, encodeKeyboardReports } from '../../simulators/scanner/hid-reports';

const PRINTABLE_ASCII = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i));
/** Non-ASCII characters each layout has a key or a dead-key sequence for. */
const EXTRA = {
  us: [],
  de: ['ä', 'ö', 'ü', 'Ä', 'Ö', 'Ü', 'ß', '§', '°', '€', 'µ', '²', '³', 'é', 'è', 'ê', 'â', 'û'],
  be: ['é', 'è', 'à', 'ç', 'ù', 'µ', '£', '€', '§', '°', '²', '³', 'ê', 'ï', 'ñ', 'ë'],
} as const;

const raws = (out: HidDecodeResult[]) => out.map((o) => (o instanceof KioskError ? `ERR:${o.code}:${o.message}` : o.raw));

describe('keyboard wedge: the driver reads what the simulator types', () => {
  for (const layout of ['us', 'de', 'be'] as const) {
    it(`${layout}: every printable ASCII character, one read each`, () => {
      const d = new KeyboardWedgeDecoder({ layout });
      const out = PRINTABLE_ASCII.flatMap((ch) => encodeKeyboardReports(`<${ch}>`, layout).flatMap((r) => d.push(r)));
      expect(raws(out)).toEqual(PRINTABLE_ASCII.map((ch) => `<${ch}>`));
    });

    it(`${layout}: the layout's own letters and dead-key compositions`, () => {
      const d = new KeyboardWedgeDecoder({ layout });
      const out = EXTRA[layout].flatMap((ch: string) => encodeKeyboardReports(ch, layout).flatMap((r) => d.push(r)));
      expect(raws(out)).toEqual([...EXTRA[layout]]);
    });

    it(`${layout}: all printable ASCII in one read, with n-key rollover`, () => {
      const d = new KeyboardWedgeDecoder({ layout });
      const text = PRINTABLE_ASCII.join('');
      expect(raws(encodeKeyboardReports(text, layout, { rollover: true }).flatMap((r) => d.push(r)))).toEqual([text]);
    });
  }
});

describe('HID POS: the driver reads the Scanned Data Reports the simulator sends', () => {
  it('every printable ASCII character, with and without an AIM identifier', () => {
    const d = new HidPosDecoder();
    const out = PRINTABLE_ASCII.flatMap((ch, i) => encodeHidPosReports(ch, { aim: i % 2 ? ']E0' : undefined }).flatMap((r) => d.push(r)));
    expect(raws(out)).toEqual(PRINTABLE_ASCII.map((ch, i) => (i % 2 ? ']E0' : '') + ch));
  });

  it('a read spanning several reports (Decode Data Continued), in latin1 and utf8', () => {
    const text = PRINTABLE_ASCII.join('').repeat(3) + 'äöü';
    const latin1 = new HidPosDecoder();
    const utf8 = new HidPosDecoder({ encoding: 'utf8' });
    const reports = encodeHidPosReports(text, { aim: ']Q1', codeId: 0x3f });
    expect(reports.length).toBeGreaterThan(3);
    expect(raws(reports.flatMap((r) => latin1.push(r)))).toEqual([`]Q1${text}`]);
    expect(raws(encodeHidPosReports(text, { aim: ']Q1', encoding: 'utf8' }).flatMap((r) => utf8.push(r)))).toEqual([`]Q1${text}`]);
  });
});
