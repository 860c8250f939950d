/**
 * Fuzz target (issue 11): the barcode scanner's input decoders (drivers/scanner) — serial framing (CR/LF, AIM,
 * line noise), HID POS reports and the keyboard wedge (boot keyboard reports through a layout, dead keys,
 * Alt+keypad). Inputs: reads the simulator would send (simulators/scanner/hid-reports.ts, AIM-prefixed serial
 * lines), mutated, glued, split at arbitrary points; plus random bytes / reports.
 * Asserted: never throws; every error is KioskError PROTOCOL with a bounded message; every read is at most
 * `maxLength`; the serial framer gives the same reads however the bytes are split and holds at most `maxLength`.
 */
import fc from 'fast-check';
import { HidPosDecoder, type HidDecodeResult } from '../../drivers/scanner/hid-pos';
import { KeyboardWedgeDecoder } from '../../drivers/scanner/keyboard-wedge';
import { SerialReadDecoder, type FramedRead, type SerialSuffix } from '../../drivers/scanner/serial-framer';
import { KioskError } from '../../kernel/errors';
import { encodeHidPosReports, encodeKeyboardReports } from '../../simulators/scanner/hid-reports';
import { bytesFrom, cuts, MAX_MESSAGE, params, splitAt } from '../support/fuzz';

const GS = String.fromCharCode(0x1d);
const MAX = 40; // small, so overflows happen within short inputs
const SCANS = ['6901000000059', ']E06901000000059', ']C1\u001d0109501101530003', 'ATT0001', 'https://example.com/p?x=1', '条码123', '2800123004505'];

const serialSamples = SCANS.flatMap((s) => [Buffer.from(`${s}\r\n`, 'latin1'), Buffer.from(`${s}\r`, 'utf8'), Buffer.from(`${s}\n`)]);

type Out = FramedRead | KioskError;
const plain = (out: Out[]) => out.map((o) => (o instanceof KioskError ? { error: o.code, message: o.message } : { raw: o.raw, aim: o.aim, bytes: [...o.bytes] }));

function checkOutputs(out: Array<Out | HidDecodeResult>, max: number): void {
  for (const o of out) {
    if (o instanceof KioskError) {
      expect(o.code).toBe('PROTOCOL');
      expect(o.message.length).toBeLessThanOrEqual(MAX_MESSAGE);
    } else {
      expect(typeof o.raw).toBe('string');
      expect(o.raw.length).toBeLessThanOrEqual(max + 3); // + the AIM prefix a HID POS decoder puts in front
    }
  }
}

describe('fuzz: scanner decoders', () => {
  it.each(['auto', '\r', '\n', '\r\n'] as SerialSuffix[])('serial framer (suffix %j): never throws, split-invariant, bounded', (suffix) => {
    fc.assert(
      fc.property(bytesFrom(serialSamples, 200), cuts, fc.constantFrom('latin1', 'utf8'), (bytes, at, encoding) => {
        const whole = new SerialReadDecoder({ suffix, maxLength: MAX, encoding, now: () => 0 });
        const once = whole.feed(bytes);
        // + 1: with a CR LF suffix, a CR right after a full-length read is held until the next byte says whether it ends it
        const held = MAX + (suffix === '\r\n' ? 1 : 0);
        expect(whole.buffered).toBeLessThanOrEqual(held);
        const split = new SerialReadDecoder({ suffix, maxLength: MAX, encoding, now: () => 0 });
        const pieces = splitAt(bytes, at).flatMap((p) => {
          const r = split.feed(p);
          expect(split.buffered).toBeLessThanOrEqual(held);
          return r;
        });
        expect(plain(pieces)).toEqual(plain(once));
        checkOutputs(once, MAX);
        for (const o of once) if (!(o instanceof KioskError)) expect(o.bytes.length).toBeLessThanOrEqual(MAX);
      }),
      params,
    );
  });

  it('HID POS: any sequence of reports, valid, mutated or random: reads or PROTOCOL, bounded', () => {
    const reports = SCANS.flatMap((s) => encodeHidPosReports(s.repeat(3), { aim: ']E0', encoding: 'utf8' }));
    fc.assert(
      fc.property(fc.array(bytesFrom(reports, 80), { maxLength: 12 }), (seq) => {
        const d = new HidPosDecoder({ maxLength: MAX, encoding: 'utf8' });
        const out = seq.flatMap((r) => d.push(r));
        checkOutputs(out, MAX);
        expect(d.buffered).toBeLessThanOrEqual(MAX);
      }),
      params,
    );
  });

  it.each(['us', 'de', 'be'] as const)('keyboard wedge (%s): any report sequence: reads of at most maxLength or PROTOCOL', (layout) => {
    // Alt + keypad digits (Windows Alt codes), as a scanner set to "emulate keypad" types
    const alt = (digits: string) => [
      ...digits.split('').flatMap((d) => [Buffer.from([0x04, 0, d === '0' ? 0x62 : 0x58 + Number(d), 0, 0, 0, 0, 0]), Buffer.from([0x04, 0, 0, 0, 0, 0, 0, 0])]),
      Buffer.alloc(8),
    ];
    const printable = (s: string) => [...s].every((c) => c >= ' ' && c <= '~');
    const typed = SCANS.map((s) => s.split(GS).join('')).filter(printable).flatMap((s) => encodeKeyboardReports(s, layout, { rollover: s.length % 2 === 0 }));
    const samples = [...typed, ...alt('65'), ...alt('0233'), ...alt('1'.repeat(MAX * 3))];
    fc.assert(
      fc.property(fc.array(fc.oneof(bytesFrom(samples, 10), fc.constantFrom(...samples)), { maxLength: 3 * MAX }), (seq) => {
        const d = new KeyboardWedgeDecoder({ layout, maxLength: MAX });
        const out = seq.flatMap((r) => {
          const o = d.push(r);
          expect(d.buffered).toBeLessThanOrEqual(MAX); // an Alt+keypad code included
          return o;
        });
        checkOutputs(out, MAX);
      }),
      params,
    );
  });
});
