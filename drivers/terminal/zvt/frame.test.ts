import fc from 'fast-check';
import { encodeFrame, FrameDecoder, type FrameEvent } from './frame';
import { ApduDecoder, type ApduStreamEvent } from './apdu-stream';
import { encodeApdu } from './apdu';
import { concatBytes, fromHex } from './hex';
import { KioskError } from '../../../kernel/errors';

/** APDU-ish payloads rich in DLE (0x10) bytes, the byte that needs stuffing. */
const payload = fc.array(fc.oneof(fc.constant(0x10), fc.constant(0x03), fc.constant(0x02), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 120 }).map((a) => Uint8Array.from(a));

type Token = { kind: 'frame'; apdu: Uint8Array } | { kind: 'ack' } | { kind: 'nak' };
const token: fc.Arbitrary<Token> = fc.oneof(
  { weight: 4, arbitrary: payload.map((apdu) => ({ kind: 'frame' as const, apdu })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'ack' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'nak' as const }) },
);
const tokenBytes = (t: Token) => (t.kind === 'frame' ? encodeFrame(t.apdu) : Uint8Array.of(t.kind === 'ack' ? 0x06 : 0x15));
const expected = (ts: Token[]): FrameEvent[] => ts.map((t) => (t.kind === 'frame' ? { type: 'frame', apdu: t.apdu } : { type: t.kind }));

/** Stray bytes that are not protocol tokens (DLE, ACK, NAK), so resynchronisation is deterministic. */
const garbage = fc.uint8Array({ minLength: 1, maxLength: 40 }).map((g) => g.filter((b) => b !== 0x10 && b !== 0x06 && b !== 0x15)).filter((g) => g.length > 0);

function feedChunks(dec: FrameDecoder, stream: Uint8Array, cuts: number[]): FrameEvent[] {
  const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
  const out: FrameEvent[] = [];
  let prev = 0;
  for (const p of [...points, stream.length]) {
    out.push(...dec.push(stream.subarray(prev, p)));
    prev = p;
  }
  return out;
}

describe('serial framing', () => {
  it('every 0x10 in the APDU is doubled; DLE ETX and CRC close the frame', () => {
    expect(encodeFrame(fromHex('10 10 00'))).toEqual(fromHex(`10 02 10 10 10 10 00 10 03 ${crcHex(fromHex('10 10 00'))}`));
  });

  it('encode → decode round-trips any APDU, DLE-heavy payloads included', () => {
    fc.assert(
      fc.property(payload, (apdu) => {
        expect(new FrameDecoder().push(encodeFrame(apdu))).toEqual([{ type: 'frame', apdu }]);
      }),
      { numRuns: 500 },
    );
  });

  it('a stream split at every single byte boundary yields the same frames', () => {
    const tokens: Token[] = [
      { kind: 'frame', apdu: fromHex('06 01 0A 04 00 00 00 01 10 00 49 09 78') },
      { kind: 'ack' },
      { kind: 'frame', apdu: fromHex('10 10 10 03 10 02') },
      { kind: 'nak' },
      { kind: 'frame', apdu: fromHex('80 00 00') },
    ];
    const stream = concatBytes(tokens.map(tokenBytes));
    const whole = new FrameDecoder().push(stream);
    expect(whole).toEqual(expected(tokens));
    for (let i = 0; i <= stream.length; i++) {
      const dec = new FrameDecoder();
      expect([...dec.push(stream.subarray(0, i)), ...dec.push(stream.subarray(i))]).toEqual(whole);
    }
    const dec = new FrameDecoder();
    expect(Array.from(stream).flatMap((b) => dec.push(Uint8Array.of(b)))).toEqual(whole);
  });

  it('any chunking of any token stream yields the same events', () => {
    fc.assert(
      fc.property(fc.array(token, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 12 }), (tokens, cuts) => {
        const stream = concatBytes(tokens.map(tokenBytes));
        expect(feedChunks(new FrameDecoder(), stream, cuts)).toEqual(expected(tokens));
      }),
      { numRuns: 300 },
    );
  });

  it('garbage before and between frames yields PROTOCOL errors and every frame still arrives, however the bytes are split', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.option(garbage, { nil: undefined }), token), { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 10 }), (items, cuts) => {
        const stream = concatBytes(items.flatMap(([g, t]) => (g ? [g, tokenBytes(t)] : [tokenBytes(t)])));
        const events = feedChunks(new FrameDecoder(), stream, cuts);
        const good = events.filter((e) => e.type !== 'error');
        const errors = events.filter((e) => e.type === 'error');
        expect(good).toEqual(expected(items.map(([, t]) => t)));
        expect(errors).toHaveLength(items.filter(([g]) => g).length);
        for (const e of errors) {
          if (e.type !== 'error') continue;
          expect(e.error).toBeInstanceOf(KioskError);
          expect(e.error.code).toBe('PROTOCOL');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a trailing stray run is reported on flush()', () => {
    const dec = new FrameDecoder();
    expect(dec.push(fromHex('AA BB'))).toEqual([]);
    const flushed = dec.flush();
    expect(flushed).toHaveLength(1);
    expect(flushed[0]).toMatchObject({ type: 'error', error: { code: 'PROTOCOL', details: { count: 2, bytes: 'AA BB' } } });
  });

  it('a bad checksum yields crc-error (the receiver NAKs), and the next frame decodes', () => {
    const dec = new FrameDecoder();
    const ev = dec.push(concatBytes([encodeFrame(fromHex('04 0F 02 27 00'), { corruptCrc: true }), encodeFrame(fromHex('80 00 00'))]));
    expect(ev[0]).toMatchObject({ type: 'crc-error', error: { code: 'PROTOCOL' } });
    expect(ev[1]).toEqual({ type: 'frame', apdu: fromHex('80 00 00') });
  });

  it('a DLE STX inside a frame restarts the frame (resynchronises on a new frame start)', () => {
    const ev = new FrameDecoder().push(concatBytes([fromHex('10 02 06 01 05'), encodeFrame(fromHex('80 00 00'))]));
    expect(ev).toEqual([expect.objectContaining({ type: 'error' }), { type: 'frame', apdu: fromHex('80 00 00') }]);
  });

  it('an invalid DLE sequence drops the frame and resynchronises', () => {
    const ev = new FrameDecoder().push(concatBytes([fromHex('10 02 06 01 10 41'), encodeFrame(fromHex('80 00 00'))]));
    expect(ev[0]).toMatchObject({ type: 'error', error: { code: 'PROTOCOL' } });
    expect(ev.filter((e) => e.type === 'frame')).toEqual([{ type: 'frame', apdu: fromHex('80 00 00') }]);
  });

  it('never buffers without bound: oversized frames are dropped, long stray runs reported in slices', () => {
    const dec = new FrameDecoder({ maxFrameBytes: 64, maxGarbageRun: 256 });
    const huge = new Uint8Array(10_000).fill(0x41);
    const ev = dec.push(concatBytes([fromHex('10 02'), huge, encodeFrame(fromHex('80 00 00'))]));
    expect(ev[0]).toMatchObject({ type: 'error', error: { code: 'PROTOCOL', details: { max: 64 } } });
    expect(ev.filter((e) => e.type === 'frame')).toEqual([{ type: 'frame', apdu: fromHex('80 00 00') }]);
    // after the drop, the rest of the oversized frame is stray bytes, reported every 256
    expect(ev.filter((e) => e.type === 'error').length).toBeGreaterThan(30);
    expect(dec.midFrame).toBe(false);
  });
});

describe('TCP APDU stream (bare APDUs, no framing)', () => {
  const apduBytes = fc
    .tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 600 }))
    .map(([cls, instr, data]) => encodeApdu({ cls, instr, data }));

  it('any chunking yields the same APDUs, extended lengths included', () => {
    fc.assert(
      fc.property(fc.array(apduBytes, { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 12 }), (apdus, cuts) => {
        const stream = concatBytes(apdus);
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const dec = new ApduDecoder();
        const out: ApduStreamEvent[] = [];
        let prev = 0;
        for (const p of [...points, stream.length]) {
          out.push(...dec.push(stream.subarray(prev, p)));
          prev = p;
        }
        expect(out).toEqual(apdus.map((apdu) => ({ type: 'apdu', apdu })));
        expect(dec.buffered).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it('split at every byte boundary', () => {
    const stream = concatBytes([fromHex('80 00 00'), encodeApdu({ cls: 4, instr: 0x0f, data: new Uint8Array(300).fill(7) }), fromHex('06 0F 00')]);
    const whole = new ApduDecoder().push(stream);
    expect(whole).toHaveLength(3);
    for (let i = 0; i <= stream.length; i++) {
      const dec = new ApduDecoder();
      expect([...dec.push(stream.subarray(0, i)), ...dec.push(stream.subarray(i))]).toEqual(whole);
    }
  });

  it('an APDU over the cap is a PROTOCOL error and the buffer is dropped', () => {
    const dec = new ApduDecoder({ maxApduBytes: 100 });
    const ev = dec.push(fromHex('04 0F FF 00 10'));
    expect(ev).toEqual([expect.objectContaining({ type: 'error', error: expect.objectContaining({ code: 'PROTOCOL' }) })]);
    expect(dec.buffered).toBe(0);
  });
});

function crcHex(apdu: Uint8Array): string {
  const f = encodeFrame(apdu);
  return `${f[f.length - 2].toString(16).padStart(2, '0')} ${f[f.length - 1].toString(16).padStart(2, '0')}`;
}
