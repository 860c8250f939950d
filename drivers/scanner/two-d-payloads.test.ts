import fc from 'fast-check';
import type { ScanData } from '../contract/scanner';
import { KioskError } from '../../kernel/errors';
import { SimulatedClock } from '../../kernel/clock';
import { MAX_SCAN_LENGTH } from '../../runtime/barcodes/parse-scan';
import { inProcessCable } from '../../simulators/cables';
import { HidScannerSimulator } from '../../simulators/scanner/hid-scanner-sim';
import { encodeHidPosReports, encodeKeyboardReports } from '../../simulators/scanner/hid-reports';
import { SerialScannerSimulator } from '../../simulators/scanner/serial-scanner-sim';
import { HidPosDecoder, type HidDecodeResult } from './hid-pos';
import { HidScanner } from './hid-scanner';
import { KeyboardWedgeDecoder } from './keyboard-wedge';
import { MAX_READ_LENGTH } from './read-text';
import { DEFAULT_MAX_READ_LENGTH, SerialReadDecoder, type FramedRead, type SerialSuffix } from './serial-framer';
import { SerialScanner } from './serial-scanner';

/**
 * 2-D payloads through every scanner transport, untouched: GS1 DataMatrix / GS1 QR element strings with GS
 * separators, AIM identifiers of 2-D symbologies, GS1 Digital Link URLs, an ISO/IEC 15434 envelope, UTF-8 text,
 * and long reads up to the parser's MAX_SCAN_LENGTH.
 */
const GS = '\x1d';
const VECTORS: Record<string, string> = {
  // GS1 DataMatrix (]d2): GTIN, expiry, lot (variable: GS ends it), serial
  'GS1 DataMatrix': `]d2010950600013435217261231${'10ABC123'}${GS}21XYZ789`,
  // GS1 QR (]Q3): GTIN, net weight in kg (3103), price (3922), lot last
  'GS1 QR': `]Q30109506000134352310300125039220599${GS}10LOT-7`,
  // GS1 Digital Link URI in a plain QR (]Q1), the example of issue 16
  'Digital Link': ']Q1https://id.gs1.org/01/09506000134352/10/ABC?17=261231',
  'Digital Link, custom domain, query AIs': ']Q1https://example.com/shop/01/09506000134352/21/S%2F1?3103=000189&3922=0299&17=271231',
  // ISO/IEC 15434 envelope ([)> RS 06 GS … RS EOT) in a Data Matrix (]d1: ECC 200, no FNC1)
  'ISO/IEC 15434 envelope': `]d1[)>\x1e06${GS}1P4006381333931${GS}S12345\x1e\x04`,
  // UTF-8 text in a QR: its bytes include 0x80–0x9F, which Latin-1 would read as C1 controls
  'UTF-8 text (Chinese)': ']Q1商品：有机绿茶 500克；产地：浙江杭州；批号：A7',
};
const longPayload = (total: number) => ']Q1' + Array.from({ length: total - 3 }, (_, i) => String.fromCharCode(0x21 + ((i * 7) % 94))).join('');
const LONG: Record<string, string> = {
  '2 KB': longPayload(2048),
  '4 KB': longPayload(4096),
  'MAX_SCAN_LENGTH': longPayload(MAX_SCAN_LENGTH),
};
const ALL = { ...VECTORS, ...LONG };

/** A code point a scanner read may hold without being line noise (no C0, DEL or C1 control). */
const isText = (cp: number) => cp >= 0x20 && !(cp >= 0x7f && cp <= 0x9f);
/** Each character of `s` that `keep` refuses replaced by `by`. */
const scrub = (s: string, keep: (ch: string) => boolean, by: string) => [...s].map((c) => (keep(c) ? c : by)).join('');
const isPrintableAscii = (ch: string) => ch >= ' ' && ch <= '~';
const SEPARATORS = [GS, '\x1e', '\x04'];
const serialRaws = (out: Array<FramedRead | KioskError>) => out.map((o) => (o instanceof KioskError ? `ERR:${o.code}` : o.raw));
const hidRaws = (out: HidDecodeResult[]) => out.map((o) => (o instanceof KioskError ? `ERR:${o.code}` : o.raw));

describe('2-D payloads: the defaults fit every 2-D symbol', () => {
  it('every transport accepts reads up to the parser limit by default', () => {
    expect(MAX_READ_LENGTH).toBe(MAX_SCAN_LENGTH);
    expect(DEFAULT_MAX_READ_LENGTH).toBe(MAX_SCAN_LENGTH);
    expect(new HidPosDecoder().maxLength).toBe(MAX_SCAN_LENGTH);
    expect(new KeyboardWedgeDecoder().maxLength).toBe(MAX_SCAN_LENGTH);
  });

  it('the Chinese vector really has bytes in 0x80–0x9F (the case Latin-1 decoding used to drop)', () => {
    expect([...Buffer.from(VECTORS['UTF-8 text (Chinese)'], 'utf8')].some((b) => b >= 0x80 && b <= 0x9f)).toBe(true);
  });
});

describe('2-D payloads: serial framer', () => {
  for (const [name, payload] of Object.entries(ALL)) {
    it(`${name}: passes through whole, bytes and text, with suffix CR, CR LF and auto`, () => {
      const bytes = Buffer.from(payload, 'utf8');
      for (const [mode, suffix] of [
        ['\r', '\r'],
        ['\r\n', '\r\n'],
        ['auto', '\r\n'],
      ] as const) {
        const out = new SerialReadDecoder({ suffix: mode }).feed(Buffer.concat([bytes, Buffer.from(suffix)]));
        expect(out).toHaveLength(1);
        const read = out[0] as FramedRead;
        expect(read.raw).toBe(payload);
        expect(read.bytes.equals(bytes)).toBe(true);
        expect(read.aim).toBe(payload.slice(0, 3));
      }
    });
  }

  it('short vectors: the same read however the bytes are split — at every position, also inside a UTF-8 character', () => {
    for (const payload of Object.values(VECTORS)) {
      const stream = Buffer.from(payload + '\r\n', 'utf8');
      for (let i = 0; i <= stream.length; i++) {
        const d = new SerialReadDecoder({ suffix: '\r\n' });
        expect(serialRaws([...d.feed(stream.subarray(0, i)), ...d.feed(stream.subarray(i))])).toEqual([payload]);
      }
    }
  });

  it('a read at the limit split into 1-byte chunks, then one byte more is a PROTOCOL error and the next read arrives', () => {
    const at = Buffer.from(LONG.MAX_SCAN_LENGTH + '\r');
    const d = new SerialReadDecoder();
    const out: Array<FramedRead | KioskError> = [];
    for (let i = 0; i < at.length; i++) out.push(...d.feed(at.subarray(i, i + 1)));
    expect(serialRaws(out)).toEqual([LONG.MAX_SCAN_LENGTH]);
    const over = d.feed(Buffer.from(LONG.MAX_SCAN_LENGTH + 'x\r]Q1next\r'));
    expect(serialRaws(over)).toEqual(['ERR:PROTOCOL', ']Q1next']);
    expect(d.buffered).toBe(0);
  });

  it('an endless read without a suffix holds at most maxLength bytes and says so once', () => {
    const d = new SerialReadDecoder();
    let errors = 0;
    for (let i = 0; i < 64; i++) {
      errors += d.feed(Buffer.alloc(4096, 0x41)).length;
      expect(d.buffered).toBeLessThanOrEqual(MAX_SCAN_LENGTH);
    }
    expect(errors).toBe(1);
  });

  it('property: random 2-D reads (GS, RS, EOT, UTF-8, lone CR / LF) split at random positions come out untouched (suffix CR LF)', () => {
    const unit = fc.oneof(
      { weight: 6, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
      { weight: 2, arbitrary: fc.constantFrom(GS, '\x1e', '\x04', '\t') },
      { weight: 1, arbitrary: fc.constantFrom('\r', '\n') },
    );
    // a payload never ends with CR (its CR would pair with the suffix's LF) and never holds CR LF itself
    const payload = fc
      .array(unit, { minLength: 1, maxLength: 200 })
      .map((a) => a.join(''))
      .filter((p) => !p.includes('\r\n') && !p.endsWith('\r') && [...p].every((c) => isText(c.codePointAt(0)!) || '\x1d\x1e\x04\t\r\n'.includes(c)));
    const aim = fc.constantFrom(']d2', ']Q3', ']Q1', ']e0', ']d1');
    fc.assert(
      fc.property(fc.array(fc.tuple(aim, payload), { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 30 }), (reads, cuts) => {
        const texts = reads.map(([a, p]) => a + p);
        const stream = Buffer.from(texts.map((t) => t + '\r\n').join(''), 'utf8');
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const d = new SerialReadDecoder({ suffix: '\r\n' });
        const out: Array<FramedRead | KioskError> = [];
        let from = 0;
        for (const p of [...points, stream.length]) {
          out.push(...d.feed(stream.subarray(from, p)));
          from = p;
        }
        expect(serialRaws(out)).toEqual(texts);
        expect(out.map((o) => (o as FramedRead).bytes.toString('utf8'))).toEqual(texts);
      }),
      { numRuns: 300 },
    );
  });

  it('encoding auto (default): UTF-8 when the read is valid UTF-8, Latin-1 otherwise; explicit latin1 still reads bytes as Latin-1', () => {
    const d = new SerialReadDecoder();
    expect(serialRaws(d.feed(Buffer.concat([Buffer.from(']Q1绿茶\r', 'utf8'), Buffer.from([0x43, 0x61, 0x66, 0xe9, 0x0d])])))).toEqual([']Q1绿茶', 'Café']);
    expect(serialRaws(new SerialReadDecoder({ encoding: 'latin1' }).feed(Buffer.from('Ã©\r', 'latin1')))).toEqual(['Ã©']);
    // the price of auto: Latin-1 text that is also valid UTF-8 (a capital from Â–ß right before a symbol from nbsp–¿) reads as UTF-8
    expect(serialRaws(d.feed(Buffer.from('Ã©\r', 'latin1')))).toEqual(['é']);
    // 绿 is e7 bb bf, 茶 is e8 8c b6: as Latin-1, 0x8c is a C1 control and the read is refused as line noise
    expect(serialRaws(new SerialReadDecoder({ encoding: 'latin1' }).feed(Buffer.from(']Q1绿茶\r', 'utf8')))).toEqual(['ERR:PROTOCOL']);
  });
});

describe('2-D payloads: serial framer without a suffix (idle-gap framing)', () => {
  it('CR and LF are data; end() completes the read; at is when its last bytes came', () => {
    let t = 1000;
    const d = new SerialReadDecoder({ suffix: 'none', now: () => t });
    const text = ']Q1BEGIN:VCARD\r\nFN:李雷\r\nEND:VCARD\r\n';
    expect(d.feed(Buffer.from(text.slice(0, 10), 'utf8'))).toEqual([]);
    t = 1003;
    expect(d.feed(Buffer.from(text.slice(10), 'utf8'))).toEqual([]);
    t = 1053;
    expect(d.end()).toMatchObject([{ raw: text, aim: ']Q1', at: 1003 }]);
    expect(d.end()).toEqual([]);
  });

  it('an endless stream without an idle gap is capped; the read after the next gap arrives', () => {
    const d = new SerialReadDecoder({ suffix: 'none', maxLength: 100 });
    const out = [...d.feed(Buffer.alloc(1000, 0x41))];
    expect(d.buffered).toBeLessThanOrEqual(100);
    out.push(...d.end(), ...d.feed(Buffer.from(']d2ok')), ...d.end());
    expect(serialRaws(out)).toEqual(['ERR:PROTOCOL', ']d2ok']);
    expect((out[0] as KioskError).message).toMatch(/idle gap/);
  });

  it('end() does nothing when a suffix is configured (a read without its suffix is not complete)', () => {
    const d = new SerialReadDecoder({ suffix: '\r' });
    d.feed(Buffer.from('half'));
    expect(d.end()).toEqual([]);
    expect(serialRaws(d.feed(Buffer.from('\r')))).toEqual(['half']);
  });

  it('property: any split of one read gives that read at the idle gap', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 300 }), fc.array(fc.nat(), { maxLength: 10 }), (s, cuts) => {
        const text = ']Q1' + scrub(s, (c) => isText(c.codePointAt(0)!), '\r');
        const bytes = Buffer.from(text, 'utf8');
        const d = new SerialReadDecoder({ suffix: 'none' });
        const out: Array<FramedRead | KioskError> = [];
        let from = 0;
        for (const p of [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)) {
          out.push(...d.feed(bytes.subarray(from, p)));
          from = p;
        }
        out.push(...d.feed(bytes.subarray(from)), ...d.end());
        expect(serialRaws(out)).toEqual([text]);
      }),
    );
  });
});

describe('2-D payloads: HID POS (simulator reports → decoder)', () => {
  for (const [name, payload] of Object.entries(ALL)) {
    it(`${name}: one or many Scanned Data Reports give the read whole`, () => {
      const aim = payload.slice(0, 3);
      const data = payload.slice(3);
      const reports = encodeHidPosReports(data, { aim, encoding: 'utf8', codeId: 0x3f });
      expect(reports.length).toBe(Math.max(1, Math.ceil(Buffer.byteLength(data, 'utf8') / 56)));
      const d = new HidPosDecoder();
      const out = reports.flatMap((r) => d.push(r));
      expect(out).toEqual([{ raw: payload, aim }]);
      expect(d.buffered).toBe(0);
    });
  }

  it('property: random UTF-8 2-D reads with GS separators survive any number of reports', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }), fc.constant(GS)), { minLength: 1, maxLength: 400 }), (parts) => {
        const data = scrub(parts.join(''), (c) => c === GS || isText(c.codePointAt(0)!), '.');
        const d = new HidPosDecoder();
        expect(hidRaws(encodeHidPosReports(data, { aim: ']d2', encoding: 'utf8' }).flatMap((r) => d.push(r)))).toEqual([`]d2${data}`]);
      }),
    );
  });

  it('a read one byte over the limit is one PROTOCOL error, and the next read arrives', () => {
    const d = new HidPosDecoder();
    const over = encodeHidPosReports('x'.repeat(MAX_SCAN_LENGTH + 1), { aim: ']Q1' });
    const out = [...over.flatMap((r) => d.push(r)), ...encodeHidPosReports('ok', { aim: ']Q1' }).flatMap((r) => d.push(r))];
    expect(hidRaws(out)).toEqual(['ERR:PROTOCOL', ']Q1ok']);
    expect(d.buffered).toBe(0);
  });
});

describe('2-D payloads: HID keyboard wedge', () => {
  const ascii = Object.entries(ALL).filter(([, p]) => [...p].every((c) => isPrintableAscii(c) || SEPARATORS.includes(c)));

  for (const layout of ['us', 'de', 'be'] as const) {
    it(`${layout}: Digital Link URLs and long reads type through the layout untouched`, () => {
      for (const [, payload] of ascii.filter(([, p]) => [...p].every(isPrintableAscii))) {
        const d = new KeyboardWedgeDecoder({ layout });
        expect(hidRaws(encodeKeyboardReports(payload, layout, { rollover: true }).flatMap((r) => d.push(r)))).toEqual([payload]);
      }
    });
  }

  it('us: GS, RS and EOT arrive as Ctrl + key ("Control + ASCII" mode), so GS1 element strings keep their separators', () => {
    for (const [, payload] of ascii.filter(([, p]) => SEPARATORS.some((c) => p.includes(c)))) {
      const d = new KeyboardWedgeDecoder({ layout: 'us' });
      expect(hidRaws(encodeKeyboardReports(payload, 'us').flatMap((r) => d.push(r)))).toEqual([payload]);
    }
  });

  it('de / be (no plain key for "]"): GS as Alt + keypad 0029 arrives as GS', () => {
    // Alt + keypad 0, 0, 2, 9 then Alt released: what scanners send for control characters in "Alt mode"
    const kp = (digit: number) => (digit === 0 ? 0x62 : 0x58 + digit);
    const report = (modifiers: number, key = 0) => Buffer.from([modifiers, 0, key, 0, 0, 0, 0, 0]);
    const ALT = 0x04;
    const altGs = [0, 0, 2, 9].flatMap((digit) => [report(ALT, kp(digit)), report(ALT)]).concat([report(0)]);
    for (const layout of ['de', 'be'] as const) {
      const [before, after] = VECTORS['GS1 DataMatrix'].split(GS);
      const reports = [...encodeKeyboardReports(before, layout, { enter: false }), ...altGs, ...encodeKeyboardReports(after, layout)];
      const d = new KeyboardWedgeDecoder({ layout });
      expect(hidRaws(reports.flatMap((r) => d.push(r)))).toEqual([VECTORS['GS1 DataMatrix']]);
    }
  });
});

describe('2-D payloads: end to end through the drivers', () => {
  const collect = (scanner: { on(e: 'data', f: (d: ScanData) => void): unknown }) => {
    const reads: ScanData[] = [];
    scanner.on('data', (d) => reads.push(d));
    return reads;
  };
  async function until(cond: () => boolean, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  for (const cable of ['pty', 'in-process'] as const) {
    it(`serial scanner over ${cable === 'pty' ? 'a real pseudo-terminal' : 'the in-process link'}: every vector arrives as sent (suffix CR LF, UTF-8)`, async () => {
      const sim = await SerialScannerSimulator.create({ suffix: '\r\n', encoding: 'utf8', ...(cable === 'in-process' && { cable: inProcessCable }) });
      const scanner = new SerialScanner({ path: sim.hostPath, ...(cable === 'in-process' && { serial: sim.hostAccess }), baudRate: 115200, framer: { suffix: '\r\n' } });
      const errors: KioskError[] = [];
      scanner.on('error', (e) => errors.push(e));
      const reads = collect(scanner);
      try {
        await scanner.open();
        await scanner.claim();
        await scanner.enable();
        const payloads = Object.values(ALL);
        for (const p of payloads) await sim.scan(p);
        await until(() => reads.length >= payloads.length);
        expect(reads.map((r) => r.raw)).toEqual(payloads);
        expect(reads.every((r) => r.source === 'serial')).toBe(true);
        expect(errors).toEqual([]);
      } finally {
        await scanner.close();
        await sim.close();
      }
    }, 30_000);
  }

  it('serial scanner without a suffix (idle-gap framing) on a pty: reads with line breaks end when the line goes quiet', async () => {
    const clock = new SimulatedClock(Date.UTC(2026, 11, 7));
    const sim = await SerialScannerSimulator.create({ encoding: 'utf8' });
    const scanner = new SerialScanner({ path: sim.hostPath, clock, framer: { suffix: 'none' }, idleMs: 50 });
    const reads = collect(scanner);
    try {
      await scanner.open();
      await scanner.claim();
      await scanner.enable();
      const vcard = ']Q1BEGIN:VCARD\r\nN:韩;梅梅\r\nEND:VCARD\r\n';
      await sim.write(Buffer.from(vcard, 'utf8'));
      await until(() => scanner.bytesReceived >= sim.bytesWritten);
      clock.advance(49);
      expect(reads).toEqual([]);
      clock.advance(1);
      expect(reads.map((r) => r.raw)).toEqual([vcard]);
      await sim.write(Buffer.from(VECTORS['GS1 DataMatrix'], 'utf8'));
      await until(() => scanner.bytesReceived >= sim.bytesWritten);
      clock.advance(50);
      expect(reads.map((r) => r.raw)).toEqual([vcard, VECTORS['GS1 DataMatrix']]);
      expect(await scanner.checkHealth('internal')).toMatchObject({ ok: true });
    } finally {
      await scanner.close();
      await sim.close();
    }
  }, 30_000);

  it('HID POS scanner: every vector arrives whole (multi-report reads)', async () => {
    const sim = new HidScannerSimulator({ serialNumber: 'SN-2D' });
    const scanner = new HidScanner({ mode: 'pos', device: { serialNumber: 'SN-2D' }, transport: sim.transport });
    const reads = collect(scanner);
    try {
      await scanner.open();
      await scanner.claim();
      await scanner.enable();
      for (const p of Object.values(ALL)) sim.scan(p.slice(3), { aim: p.slice(0, 3), encoding: 'utf8' });
      await until(() => reads.length >= Object.keys(ALL).length);
      expect(reads.map((r) => r.raw)).toEqual(Object.values(ALL));
    } finally {
      await scanner.close();
    }
  });

  it('an unknown suffix or a bad idleMs is CONFIG_INVALID', () => {
    expect(() => new SerialReadDecoder({ suffix: 'idle' as SerialSuffix })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => new SerialScanner({ path: '/dev/null', framer: { suffix: 'none' }, idleMs: 0 })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
