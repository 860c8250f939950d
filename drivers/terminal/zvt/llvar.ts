import { copyBytes } from './hex';
import { protocolError } from './errors';

/**
 * Variable-length fields: LLVAR (2 length digits, ≤ 99 bytes) and LLLVAR (3 digits, ≤ 999 bytes). Each length
 * digit travels in its own byte as `F0`–`F9`, e.g. 11 bytes → `F1 F1`.
 */
export type VarDigits = 2 | 3;

export function maxVarLength(digits: VarDigits): number {
  return digits === 2 ? 99 : 999;
}

export function encodeVarLength(n: number, digits: VarDigits): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > maxVarLength(digits)) throw new RangeError(`${digits === 2 ? 'LL' : 'LLL'}VAR length must be 0..${maxVarLength(digits)}, got ${n}`);
  const s = n.toString().padStart(digits, '0');
  return Uint8Array.from(s, (c) => 0xf0 | (c.charCodeAt(0) - 48));
}

export function encodeVar(value: Uint8Array, digits: VarDigits): Uint8Array {
  const len = encodeVarLength(value.length, digits);
  const out = new Uint8Array(len.length + value.length);
  out.set(len);
  out.set(value, len.length);
  return out;
}

/** Reads a length-prefixed value at `offset`; throws PROTOCOL on bad length digits or truncation. */
export function decodeVar(bytes: Uint8Array, offset: number, digits: VarDigits): { value: Uint8Array; next: number } {
  if (offset + digits > bytes.length) throw protocolError('truncated LLVAR/LLLVAR length');
  let n = 0;
  for (let i = 0; i < digits; i++) {
    const b = bytes[offset + i];
    if (b >> 4 !== 0x0f || (b & 0x0f) > 9) throw protocolError(`invalid ${digits === 2 ? 'LL' : 'LLL'}VAR length digit 0x${b.toString(16)}`);
    n = n * 10 + (b & 0x0f);
  }
  const start = offset + digits;
  if (start + n > bytes.length) throw protocolError(`${digits === 2 ? 'LL' : 'LLL'}VAR says ${n} bytes, only ${bytes.length - start} left`);
  return { value: copyBytes(bytes, start, start + n), next: start + n };
}
