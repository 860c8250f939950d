import fc from 'fast-check';
import { KioskError, isKioskError } from '../../kernel/errors';
import { encodeHidPosReports } from '../../simulators/scanner/hid-reports';
import { HidPosDecoder, resolveHidPosFormat, type HidDecodeResult, type HidPosReportFormat } from './hid-pos';

const raws = (out: HidDecodeResult[]) => out.map((o) => (o instanceof KioskError ? `ERR:${o.code}` : o.raw));
const pushAll = (d: HidPosDecoder, reports: Buffer[]) => reports.flatMap((r) => d.push(r));

/** A 64-byte Honeywell HID POS report written byte by byte (independent of the simulator's encoder). */
function honeywellReport(aim: string, data: string, more: boolean): Buffer {
  const r = Buffer.alloc(64);
  r[0] = 0x02; // report id: scanned data
  r[1] = data.length; // data bytes in this report
  for (let i = 0; i < 3; i++) r[2 + i] = aim.charCodeAt(i) || 0; // AIM id incl. ']'
  for (let i = 0; i < data.length; i++) r[5 + i] = data.charCodeAt(i);
  r[61] = 0x3f; // Honeywell code id (ignored)
  r[63] = more ? 0x01 : 0x00;
  return r;
}

describe('HidPosDecoder: the Honeywell/Zebra 64-byte layout', () => {
  it('decodes one report: AIM id in bytes 2–4 goes in front of the data', () => {
    const out = new HidPosDecoder().push(honeywellReport(']E0', '4006381333931', false));
    expect(out).toEqual([{ raw: ']E04006381333931', aim: ']E0' }]);
  });

  it('concatenates a multi-report read until the report without the "more" flag', () => {
    const url = 'https://example.com/product/4006381333931?batch=A1B2C3&expiry=2027-12-31&serial=000123';
    expect(url.length).toBeGreaterThan(56);
    const d = new HidPosDecoder();
    expect(d.push(honeywellReport(']Q1', url.slice(0, 56), true))).toEqual([]);
    expect(d.buffered).toBe(56);
    expect(d.push(honeywellReport(']Q1', url.slice(56), false))).toEqual([{ raw: `]Q1${url}`, aim: ']Q1' }]);
  });

  it('decodes UTF-8 once per read, so a character split across reports survives', () => {
    const text = 'x'.repeat(55) + 'é!';
    const bytes = Buffer.from(text, 'utf8'); // é = c3 a9 straddles bytes 55/56
    const r1 = honeywellReport(']Q1', '', true);
    r1[1] = 56;
    bytes.copy(r1, 5, 0, 56);
    const r2 = honeywellReport(']Q1', '', false);
    r2[1] = bytes.length - 56;
    bytes.copy(r2, 5, 56);
    expect(raws(pushAll(new HidPosDecoder({ encoding: 'utf8' }), [r1, r2]))).toEqual([`]Q1${text}`]);
  });

  it('handles reads without AIM id, 2-character ids without "]", and includeAim: false', () => {
    expect(raws(new HidPosDecoder().push(honeywellReport('', '12345', false)))).toEqual(['12345']);
    const noBracket = honeywellReport('\0E0', '12345', false);
    expect(new HidPosDecoder().push(noBracket)).toEqual([{ raw: ']E012345', aim: ']E0' }]);
    expect(new HidPosDecoder({ includeAim: false }).push(honeywellReport(']E0', '12345', false))).toEqual([{ raw: '12345', aim: ']E0' }]);
  });

  it('ignores reports with another report id (status, feature replies)', () => {
    const d = new HidPosDecoder();
    const other = honeywellReport(']E0', '999', false);
    other[0] = 0x04;
    expect(d.push(other)).toEqual([]);
    expect(d.ignoredReports).toBe(1);
    expect(raws(d.push(honeywellReport(']E0', '123', false)))).toEqual([']E0123']);
  });

  it('a length byte beyond the data area is a PROTOCOL error; the rest of that read is discarded', () => {
    const d = new HidPosDecoder();
    const bad = honeywellReport(']C1', 'abc', true);
    bad[1] = 200;
    expect(raws(d.push(bad))).toEqual(['ERR:PROTOCOL']);
    expect(d.push(honeywellReport(']C1', 'continuation', true))).toEqual([]);
    expect(d.push(honeywellReport(']C1', 'end of the broken read', false))).toEqual([]);
    expect(raws(d.push(honeywellReport(']E0', '4006381333931', false)))).toEqual([']E04006381333931']);
  });

  it('a symbology change inside a multi-report read is a PROTOCOL error', () => {
    const d = new HidPosDecoder();
    d.push(honeywellReport(']Q1', 'a'.repeat(56), true));
    expect(raws(d.push(honeywellReport(']E0', 'b', true)))).toEqual(['ERR:PROTOCOL']);
    expect(d.push(honeywellReport(']E0', 'c', false))).toEqual([]);
    expect(raws(d.push(honeywellReport(']E0', '1', false)))).toEqual([']E01']);
  });

  it('a truncated report is a PROTOCOL error; the next read decodes', () => {
    const d = new HidPosDecoder();
    expect(raws(d.push(Buffer.from([0x02, 0x05, 0x5d])))).toEqual(['ERR:PROTOCOL']);
    expect(raws(d.push(honeywellReport(']E0', '1', false)))).toEqual([']E01']);
  });

  it('reads with control characters are dropped; GS is allowed', () => {
    const d = new HidPosDecoder();
    expect(raws(d.push(honeywellReport(']C1', '0109501101020917\x1d10ABC', false)))).toEqual([']C10109501101020917\x1d10ABC']);
    expect(raws(d.push(honeywellReport(']C1', 'ab\x00c', false)))).toEqual(['ERR:PROTOCOL']);
  });

  it('no unbounded buffering: 1 MB of "more" reports yields one error and holds at most maxLength bytes', () => {
    const d = new HidPosDecoder({ maxLength: 4096 });
    const more = honeywellReport(']Q1', 'z'.repeat(56), true);
    let errors = 0;
    let maxBuffered = 0;
    for (let i = 0; i < Math.ceil((1024 * 1024) / 56); i++) {
      errors += d.push(more).length;
      maxBuffered = Math.max(maxBuffered, d.buffered);
    }
    expect(errors).toBe(1);
    expect(maxBuffered).toBeLessThanOrEqual(4096);
    expect(d.push(honeywellReport(']Q1', 'end', false))).toEqual([]);
    expect(raws(d.push(honeywellReport(']E0', '1', false)))).toEqual([']E01']);
  });

  it('rejects impossible formats with CONFIG_INVALID', () => {
    expect(() => resolveHidPosFormat({ flagsOffset: 10 })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => resolveHidPosFormat({ maxDataPerReport: 300, reportSize: 400 })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => resolveHidPosFormat({ moreFlag: 0 })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});

describe('HidPosDecoder: other layouts and properties', () => {
  const compact: Partial<HidPosReportFormat> = {
    reportId: null,
    lengthOffset: 0,
    aimOffset: 1,
    dataOffset: 4,
    maxDataPerReport: 27,
    flagsOffset: 31,
    moreFlag: 0x80,
    reportSize: 32,
  };
  const data = fc.array(fc.integer({ min: 0x20, max: 0xff }), { minLength: 1, maxLength: 300 }).map((a) => Buffer.from(a).toString('latin1'));
  const printableLatin1 = data.filter((s) => ![...s].some((c) => c.charCodeAt(0) >= 0x7f && c.charCodeAt(0) <= 0x9f));
  const aim = fc.option(fc.constantFrom(']E0', ']C1', ']Q3', ']d2'), { nil: undefined });

  for (const [name, format] of [
    ['Honeywell 64-byte', {}],
    ['compact 32-byte without report id', compact],
  ] as const) {
    it(`round-trips random reads of any length (${name})`, () => {
      fc.assert(
        fc.property(fc.array(fc.tuple(aim, printableLatin1), { minLength: 1, maxLength: 5 }), (reads) => {
          // Latin-1 text sent as Latin-1: the default `auto` would read a run that is also valid UTF-8 ("Â\u00a0") as UTF-8
          const d = new HidPosDecoder({ format, encoding: 'latin1' });
          const out = reads.flatMap(([a, text]) => pushAll(d, encodeHidPosReports(text, { aim: a, format })));
          expect(raws(out)).toEqual(reads.map(([a, text]) => (a ?? '') + text));
        }),
      );
    });
  }

  it('random garbage reports yield only PROTOCOL errors, and after a report without "more" the next read arrives', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 0, maxLength: 70 }), { maxLength: 10 }), fc.boolean(), (garbage, withId) => {
        const d = new HidPosDecoder();
        const out = garbage.flatMap((g) => {
          const r = Buffer.from(g);
          if (withId && r.length) r[0] = 0x02;
          return d.push(r);
        });
        for (const o of out) if (o instanceof Error) expect(isKioskError(o, 'PROTOCOL')).toBe(true);
        d.push(honeywellReport('', '', false)); // end of whatever was going on
        expect(raws(d.push(honeywellReport(']E0', '4006381333931', false)))).toEqual([']E04006381333931']);
      }),
    );
  });

  it('resolves defaults to the documented layout', () => {
    expect(resolveHidPosFormat()).toEqual({
      reportId: 2,
      lengthOffset: 1,
      aimOffset: 2,
      dataOffset: 5,
      maxDataPerReport: 56,
      flagsOffset: -1,
      moreFlag: 1,
      reportSize: 64,
    });
  });
});
