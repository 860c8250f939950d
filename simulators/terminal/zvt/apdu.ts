/**
 * ZVT APDU (PA00P015 chapter "APDU"): CCRC/class, APRC/instruction, length, data. The length is one byte for
 * 0..254; otherwise FF followed by two bytes, low byte first ("extended length").
 */

export interface Apdu {
  cls: number;
  instr: number;
  data: Uint8Array;
}

/** The largest APDU the simulator accepts from an ECR (bytes after the length field). */
export const MAX_APDU_DATA = 4096;

export function encodeApdu(cls: number, instr: number, data: ArrayLike<number> = []): Uint8Array {
  const n = data.length;
  if (n > 0xffff) throw new RangeError('APDU data longer than 65535 bytes');
  const head = n < 0xff ? [cls, instr, n] : [cls, instr, 0xff, n & 0xff, n >> 8];
  const out = new Uint8Array(head.length + n);
  out.set(head, 0);
  out.set(data, head.length);
  return out;
}

/** Parses one complete APDU; throws RangeError when the length field disagrees with the bytes. */
export function decodeApdu(bytes: Uint8Array): Apdu {
  const h = headerOf(bytes);
  if (!h) throw new RangeError('APDU shorter than its header');
  if (h.headerLength + h.dataLength !== bytes.length) throw new RangeError(`APDU length ${h.dataLength} does not match ${bytes.length - h.headerLength} data bytes`);
  return { cls: bytes[0], instr: bytes[1], data: Uint8Array.from(bytes.subarray(h.headerLength)) };
}

function headerOf(b: Uint8Array): { headerLength: number; dataLength: number } | null {
  if (b.length < 3) return null;
  if (b[2] !== 0xff) return { headerLength: 3, dataLength: b[2] };
  if (b.length < 5) return null;
  return { headerLength: 5, dataLength: b[3] | (b[4] << 8) };
}

/** Cuts a TCP byte stream into APDUs (ZVT over TCP/IP has no framing beyond the APDU length). */
export class ApduReader {
  private buf = new Uint8Array(0);

  /** Returns the complete APDUs; throws RangeError on an APDU longer than MAX_APDU_DATA (the stream is then unusable). */
  push(chunk: Uint8Array): Uint8Array[] {
    const joined = new Uint8Array(this.buf.length + chunk.length);
    joined.set(this.buf, 0);
    joined.set(chunk, this.buf.length);
    this.buf = joined;
    const out: Uint8Array[] = [];
    for (;;) {
      const h = headerOf(this.buf);
      if (!h) break;
      if (h.dataLength > MAX_APDU_DATA) {
        this.buf = new Uint8Array(0);
        throw new RangeError(`APDU of ${h.dataLength} bytes is over the limit`);
      }
      const total = h.headerLength + h.dataLength;
      if (this.buf.length < total) break;
      out.push(Uint8Array.from(this.buf.subarray(0, total)));
      this.buf = Uint8Array.from(this.buf.subarray(total));
    }
    return out;
  }
}
