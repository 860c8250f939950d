import { Readable } from 'node:stream';
import fc from 'fast-check';
import { KioskError, isKioskError } from '../../kernel/errors';
import { SerialFramer, SerialReadDecoder, type FramedRead, type SerialSuffix } from './serial-framer';

const raws = (out: Array<FramedRead | KioskError>) => out.map((o) => (o instanceof KioskError ? `ERR:${o.code}` : o.raw));
const feedAll = (d: SerialReadDecoder, ...chunks: (string | Buffer)[]) =>
  chunks.flatMap((c) => d.feed(typeof c === 'string' ? Buffer.from(c, 'latin1') : c));

/** Printable ASCII data as a scanner sends it (never a line break). */
const code = fc.array(fc.integer({ min: 0x20, max: 0x7e }), { minLength: 1, maxLength: 48 }).map((a) => String.fromCharCode(...a));
const aim = fc.option(fc.constantFrom(']E0', ']C1', ']Q3', ']d2', ']e0', ']A0'), { nil: undefined });
const suffixFor = (mode: SerialSuffix) => (mode === 'auto' ? fc.constantFrom('\r', '\n', '\r\n') : fc.constant(mode));

describe('SerialReadDecoder: framing', () => {
  it('ends reads at CR, LF and CR LF in auto mode, ignoring empty reads', () => {
    const d = new SerialReadDecoder();
    expect(raws(feedAll(d, 'one\rtwo\nthree\r\n\r\n\n\rfour\r'))).toEqual(['one', 'two', 'three', 'four']);
  });

  it('keeps the AIM prefix in raw and names it', () => {
    const [read] = new SerialReadDecoder().feed(Buffer.from(']E04006381333931\r'));
    expect(read).toMatchObject({ raw: ']E04006381333931', aim: ']E0' });
    const [plain] = new SerialReadDecoder().feed(Buffer.from('4006381333931\r'));
    expect((plain as FramedRead).aim).toBeUndefined();
  });

  it('with suffix CR LF, lone CR and LF are data (2-D codes with line breaks)', () => {
    const d = new SerialReadDecoder({ suffix: '\r\n' });
    expect(raws(feedAll(d, ']Q1line1\nline2\rline3\r\n'))).toEqual([']Q1line1\nline2\rline3']);
  });

  it('with suffix CR, an LF inside a read is a control character: the read is an error, the next read arrives', () => {
    const d = new SerialReadDecoder({ suffix: '\r' });
    expect(raws(feedAll(d, 'abc\r\n', 'def\r'))).toEqual(['abc', 'ERR:PROTOCOL']);
    expect(raws(feedAll(d, 'ghi\r'))).toEqual(['ghi']);
    const lf = new SerialReadDecoder({ suffix: '\n' });
    expect(raws(feedAll(lf, 'abc\ndef\n'))).toEqual(['abc', 'def']);
  });

  it('stamps each read with the injected clock when its suffix arrives', () => {
    let t = 1000;
    const d = new SerialReadDecoder({ now: () => t });
    expect(d.feed(Buffer.from('12'))).toEqual([]);
    t = 1050;
    expect(d.feed(Buffer.from('34\r'))).toMatchObject([{ raw: '1234', at: 1050 }]);
  });

  it('decodes latin1 by default and UTF-8 when configured; invalid UTF-8 is a PROTOCOL error', () => {
    expect(raws(new SerialReadDecoder().feed(Buffer.from([0x43, 0x61, 0x66, 0xe9, 0x0d])))).toEqual(['Café']);
    const u = new SerialReadDecoder({ encoding: 'utf8' });
    expect(raws(u.feed(Buffer.from('Grüße 中\r', 'utf8')))).toEqual(['Grüße 中']);
    expect(raws(u.feed(Buffer.from([0x61, 0xc3, 0x28, 0x0d, 0x6f, 0x6b, 0x0d])))).toEqual(['ERR:PROTOCOL', 'ok']);
    // a multi-byte sequence split across chunks is one character
    const bytes = Buffer.from('ü\r', 'utf8');
    expect(raws([...u.feed(bytes.subarray(0, 1)), ...u.feed(bytes.subarray(1))])).toEqual(['ü']);
  });

  it('keeps GS (FNC1 separator of GS1 data) and drops reads with NUL, DEL or C1 controls', () => {
    const d = new SerialReadDecoder();
    expect(raws(feedAll(d, ']C101095011010209171719050810ABCD1234\x1d2110\r'))).toEqual([']C101095011010209171719050810ABCD1234\x1d2110']);
    expect(raws(feedAll(d, 'a\x00b\r', 'c\x7f\r', Buffer.from([0x64, 0x85, 0x0d]), 'good\r'))).toEqual([
      'ERR:PROTOCOL',
      'ERR:PROTOCOL',
      'ERR:PROTOCOL',
      'good',
    ]);
  });

  it('drops an over-long read once, resynchronises at the next suffix', () => {
    const d = new SerialReadDecoder({ maxLength: 10 });
    expect(raws(feedAll(d, '0123456789\r'))).toEqual(['0123456789']);
    const out = feedAll(d, '0123456789A', 'BCDEFGHIJKLMNOPQRSTUV', 'WXYZ\r', 'next\r');
    expect(raws(out)).toEqual(['ERR:PROTOCOL', 'next']);
    expect((out[0] as KioskError).message).toMatch(/longer than 10 bytes/);
  });

  it('CR LF mode: exactly maxLength bytes plus CR LF is a read, one more byte is not', () => {
    const d = new SerialReadDecoder({ maxLength: 4, suffix: '\r\n' });
    expect(raws(feedAll(d, 'abcd\r', '\n'))).toEqual(['abcd']);
    expect(raws(feedAll(d, 'abcd\rx\r\n', 'ok\r\n'))).toEqual(['ERR:PROTOCOL', 'ok']);
    expect(raws(feedAll(d, 'abcde\r\n', 'ok\r\n'))).toEqual(['ERR:PROTOCOL', 'ok']);
  });

  it('reset() forgets half a read (a disconnect never glues two halves together)', () => {
    const d = new SerialReadDecoder();
    d.feed(Buffer.from('40063813'));
    expect(d.reset()).toBe(8);
    expect(raws(d.feed(Buffer.from('5000000\r')))).toEqual(['5000000']);
  });

  it('rejects invalid configuration with CONFIG_INVALID', () => {
    expect(() => new SerialReadDecoder({ suffix: '\t' as SerialSuffix })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => new SerialReadDecoder({ maxLength: 0 })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => new SerialReadDecoder({ encoding: 'klingon' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});

describe('SerialReadDecoder: properties', () => {
  for (const mode of ['auto', '\r', '\n', '\r\n'] as const) {
    const reads = fc.array(fc.tuple(aim, code, suffixFor(mode)), { minLength: 1, maxLength: 12 });

    it(`round-trips random reads (suffix ${JSON.stringify(mode)})`, () => {
      fc.assert(
        fc.property(reads, (rs) => {
          const bytes = Buffer.from(rs.map(([a, c, s]) => (a ?? '') + c + s).join(''), 'latin1');
          const out = new SerialReadDecoder({ suffix: mode }).feed(bytes);
          expect(raws(out)).toEqual(rs.map(([a, c]) => (a ?? '') + c));
        }),
      );
    });

    it(`gives the same reads however the stream is chunked (suffix ${JSON.stringify(mode)})`, () => {
      fc.assert(
        fc.property(reads, fc.array(fc.nat(), { maxLength: 20 }), (rs, cuts) => {
          const bytes = Buffer.from(rs.map(([a, c, s]) => (a ?? '') + c + s).join(''), 'latin1');
          const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
          const d = new SerialReadDecoder({ suffix: mode });
          const out: Array<FramedRead | KioskError> = [];
          let from = 0;
          for (const p of [...points, bytes.length]) {
            out.push(...d.feed(bytes.subarray(from, p)));
            from = p;
          }
          expect(raws(out)).toEqual(rs.map(([a, c]) => (a ?? '') + c));
        }),
      );
    });
  }

  it('splitting a fixed stream at EVERY position gives the same reads', () => {
    const stream = Buffer.from(']E04006381333931\r\n]C1010950110102091717190508\x1d10ABC\r4006381333931\nx\r', 'latin1');
    const expected = raws(new SerialReadDecoder().feed(stream));
    expect(expected).toHaveLength(4);
    for (let i = 0; i <= stream.length; i++) {
      const d = new SerialReadDecoder();
      expect(raws([...d.feed(stream.subarray(0, i)), ...d.feed(stream.subarray(i))])).toEqual(expected);
    }
    for (const mode of ['\r\n', '\r', '\n'] as const) {
      const s = Buffer.from(`]E0123${mode}abc${mode}${mode}def${mode}`, 'latin1');
      for (let i = 0; i <= s.length; i++) {
        const d = new SerialReadDecoder({ suffix: mode });
        expect(raws([...d.feed(s.subarray(0, i)), ...d.feed(s.subarray(i))])).toEqual([']E0123', 'abc', 'def']);
      }
    }
  });

  it('random garbage yields typed PROTOCOL errors and the next good read still arrives', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), code, fc.constantFrom<SerialSuffix>('auto', '\r', '\r\n'), (garbage, good, mode) => {
        const d = new SerialReadDecoder({ suffix: mode, maxLength: 64 });
        const suffix = mode === 'auto' ? '\r' : mode;
        const out = [...d.feed(garbage), ...d.feed(Buffer.from(suffix + good + suffix, 'latin1'))];
        const last = out[out.length - 1];
        expect(last).not.toBeInstanceOf(KioskError);
        expect((last as FramedRead).raw).toBe(good);
        for (const o of out) if (o instanceof Error) expect(isKioskError(o, 'PROTOCOL')).toBe(true);
      }),
    );
  });

  it('garbage containing an impossible byte always yields at least one error', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0x20, max: 0x7e }), { maxLength: 40 }), fc.nat(), fc.constantFrom(0x00, 0x07, 0x7f, 0x90, 0x1b), (printable, at, bad) => {
        const bytes = [...printable];
        bytes.splice(at % (bytes.length + 1), 0, bad);
        const out = new SerialReadDecoder().feed(Buffer.from([...bytes, 0x0d, 0x6f, 0x6b, 0x0d]));
        expect(raws(out)).toEqual(['ERR:PROTOCOL', 'ok']);
      }),
    );
  });

  it('1 MB without a suffix: buffering stays bounded, one error, then reads flow again', () => {
    const d = new SerialReadDecoder({ maxLength: 4096 });
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    const heapBefore = process.memoryUsage().heapUsed;
    let errors = 0;
    let maxBuffered = 0;
    for (let i = 0; i < 16; i++) {
      errors += d.feed(chunk).length;
      maxBuffered = Math.max(maxBuffered, d.buffered);
    }
    expect(errors).toBe(1);
    expect(maxBuffered).toBeLessThanOrEqual(4096);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(16 * 1024 * 1024);
    expect(raws(d.feed(Buffer.from('\r4006381333931\r')))).toEqual(['4006381333931']);
  });
});

describe('SerialFramer (Transform stream)', () => {
  it('pipes bytes in, emits FramedRead objects and protocolError events, and never errors the stream', async () => {
    const framer = new SerialFramer({ maxLength: 8 });
    const errors: KioskError[] = [];
    framer.on('protocolError', (e) => errors.push(e));
    const reads: string[] = [];
    framer.on('data', (r: FramedRead) => reads.push(r.raw));
    const done = new Promise((resolve) => framer.on('end', resolve));
    Readable.from([Buffer.from(']E0123'), Buffer.from('\r0123456789012\rok\r'), Buffer.from('tail')]).pipe(framer);
    await done;
    expect(reads).toEqual([']E0123', 'ok']);
    expect(errors.map((e) => e.code)).toEqual(['PROTOCOL', 'PROTOCOL']);
    expect(errors[1].message).toMatch(/stream ended inside a read/);
  });

  it('reset() drops the partial read', () => {
    const framer = new SerialFramer();
    framer.write(Buffer.from('half'));
    expect(framer.buffered).toBe(4);
    expect(framer.reset()).toBe(4);
    expect(framer.buffered).toBe(0);
  });
});
