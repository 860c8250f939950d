import { decodeApduLength, encodeApduLength } from './length';
import { copyBytes, hex } from './hex';
import { protocolError } from './errors';

/** One application protocol data unit: CLASS, INSTR, data (the length field is derived). */
export interface Apdu {
  cls: number;
  instr: number;
  data: Uint8Array;
}

export function apdu(cls: number, instr: number, data: ArrayLike<number> = []): Apdu {
  return { cls, instr, data: Uint8Array.from(data) };
}

export function encodeApdu(a: Apdu): Uint8Array {
  const len = encodeApduLength(a.data.length);
  const out = new Uint8Array(2 + len.length + a.data.length);
  out[0] = a.cls;
  out[1] = a.instr;
  out.set(len, 2);
  out.set(a.data, 2 + len.length);
  return out;
}

/** Total byte count of the APDU starting at `offset`, or null when the header is still incomplete. */
export function apduTotalLength(bytes: Uint8Array, offset = 0): number | null {
  const len = decodeApduLength(bytes, offset + 2);
  if (!len) return null;
  return 2 + len.fieldBytes + len.length;
}

/** Decodes exactly one APDU; the length field must match the byte count. Throws PROTOCOL otherwise. */
export function decodeApdu(bytes: Uint8Array): Apdu {
  const total = apduTotalLength(bytes);
  if (total === null) throw protocolError('APDU shorter than its header', bytes);
  if (total !== bytes.length) throw protocolError(`APDU length field says ${total} bytes, got ${bytes.length}`, bytes);
  const start = bytes[2] === 0xff ? 5 : 3;
  return { cls: bytes[0], instr: bytes[1], data: copyBytes(bytes, start) };
}

/** "06 01" — the control field, safe to log (no data). */
export function apduName(a: Pick<Apdu, 'cls' | 'instr'>): string {
  return hex(Uint8Array.of(a.cls, a.instr));
}
