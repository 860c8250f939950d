import { ApduReader, encodeApdu, MAX_APDU_DATA } from './apdu';
import { bcd, maskedPanBytes, readVarLength, varLength } from './bcd';
import { bmp, readBmps } from './bmp';
import { MalformedCommand, readIncoming } from './ecr-commands';
import { crc16, encodeFrame, FrameReader, MAX_FRAME_DATA } from './framing';

/** mulberry32: reproducible noise. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("the simulator's own ZVT codec", () => {
  it('APDU length: one byte below FF, else FF + two bytes low first (PA00P015 APDU chapter)', () => {
    expect(Array.from(encodeApdu(0x06, 0x0f, new Uint8Array(3)))).toEqual([0x06, 0x0f, 0x03, 0, 0, 0]);
    const long = encodeApdu(0x06, 0xd3, new Uint8Array(0x0123));
    expect(Array.from(long.subarray(0, 5))).toEqual([0x06, 0xd3, 0xff, 0x23, 0x01]);
    const r = new ApduReader();
    expect(r.push(long.subarray(0, 100))).toEqual([]);
    expect(r.push(long.subarray(100))).toEqual([long]);
  });

  it('an APDU announcing more than the limit is refused, not buffered', () => {
    const r = new ApduReader();
    const n = MAX_APDU_DATA + 1;
    expect(() => r.push(Uint8Array.of(0x06, 0x01, 0xff, n & 0xff, n >> 8))).toThrow(RangeError);
  });

  it('serial frames: DLE doubled inside, CRC over data + ETX, low byte first; a flipped bit is a bad CRC', () => {
    const apdu = Uint8Array.of(0x06, 0x01, 0x07, 0x04, 0x00, 0x00, 0x00, 0x10, 0x10, 0x00);
    const frame = encodeFrame(apdu);
    const crc = crc16(apdu);
    expect(Array.from(frame.subarray(frame.length - 2))).toEqual([crc & 0xff, crc >> 8]);
    expect(frame.subarray(0, -2).filter((b) => b === 0x10).length).toBe(1 + 4 + 1); // DLE STX, two doubled DLEs, DLE ETX
    expect(new FrameReader().push(frame)).toEqual([{ type: 'frame', apdu }]);
    const bad = Uint8Array.from(frame);
    bad[4] ^= 0x01;
    expect(new FrameReader().push(bad)[0].type).toBe('bad-crc');
  });

  it('serial frames arrive byte by byte, between noise, ACKs and NAKs', () => {
    const apdu = Uint8Array.of(0x80, 0x00, 0x00);
    const stream = Uint8Array.from([0xaa, 0x06, ...encodeFrame(apdu), 0x15, 0x41, 0x42]);
    const r = new FrameReader();
    const events = [];
    for (const b of stream) events.push(...r.push(Uint8Array.of(b)));
    expect(events).toEqual([{ type: 'noise', count: 1 }, { type: 'ack' }, { type: 'frame', apdu }, { type: 'nak' }, { type: 'noise', count: 1 }, { type: 'noise', count: 1 }]);
  });

  it('a frame that never ends is dropped at the size bound', () => {
    const r = new FrameReader();
    const events = r.push(Uint8Array.from([0x10, 0x02, ...new Uint8Array(MAX_FRAME_DATA + 10).fill(0x41)]));
    expect(events.some((e) => e.type === 'noise')).toBe(true);
    expect(events.some((e) => e.type === 'frame')).toBe(false);
  });

  it('BCD, LLVAR/LLLVAR lengths and masked PANs', () => {
    expect(Array.from(bcd(1234, 6))).toEqual([0, 0, 0, 0, 0x12, 0x34]);
    expect(() => bcd(1234567, 3)).toThrow(RangeError);
    expect(Array.from(varLength(13, 2))).toEqual([0xf1, 0xf3]);
    expect(Array.from(varLength(53, 3))).toEqual([0xf0, 0xf5, 0xf3]);
    expect(readVarLength(Uint8Array.of(0xf0, 0xf0, 0xf7), 0, 3)).toBe(7);
    expect(() => readVarLength(Uint8Array.of(0xf0, 0x17), 0, 2)).toThrow(RangeError);
    expect(Array.from(maskedPanBytes('6799*****0016'))).toEqual([0x67, 0x99, 0xee, 0xee, 0xe0, 0x01, 0x6f]);
    expect(readBmps(Uint8Array.from([...bmp(0x8b, Uint8Array.from(Buffer.from('VISA'))), ...bmp(0x27, Uint8Array.of(0))]))).toEqual([
      { tag: 0x8b, value: Uint8Array.from(Buffer.from('VISA')) },
      { tag: 0x27, value: Uint8Array.of(0) },
    ]);
  });

  it('random ECR bytes never throw anything but MalformedCommand (seeded, 5000 APDUs)', () => {
    const rnd = seeded(20261206);
    const instrs = [0x00, 0x01, 0x02, 0x20, 0x30, 0x31, 0x50, 0xb0];
    for (let i = 0; i < 5000; i++) {
      const data = Uint8Array.from({ length: Math.floor(rnd() * 24) }, () => Math.floor(rnd() * 256));
      const cls = rnd() < 0.9 ? 0x06 : 0x05;
      const instr = cls === 0x05 ? 0x01 : instrs[Math.floor(rnd() * instrs.length)];
      try {
        readIncoming({ cls, instr, data });
      } catch (e) {
        expect(e).toBeInstanceOf(MalformedCommand);
      }
    }
    const r = new FrameReader();
    for (let i = 0; i < 200; i++) r.push(Uint8Array.from({ length: 64 }, () => Math.floor(rnd() * 256)));
  });
});
