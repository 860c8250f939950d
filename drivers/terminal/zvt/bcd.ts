import { copyBytes } from './hex';
import { protocolError } from './errors';

/** Packs decimal digits two per byte, left-padded with zeros to `byteLength` bytes. */
export function encodeBcd(value: string | number | bigint, byteLength: number): Uint8Array {
  let digits: string;
  if (typeof value === 'string') digits = value;
  else {
    if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new RangeError(`BCD value must be an integer, got ${value}`);
    digits = value.toString();
  }
  if (!/^\d*$/.test(digits)) throw new RangeError(`BCD value must be decimal digits, got "${digits}"`);
  if (digits.length > byteLength * 2) throw new RangeError(`${digits} does not fit in ${byteLength} BCD bytes`);
  digits = digits.padStart(byteLength * 2, '0');
  const out = new Uint8Array(byteLength);
  for (let i = 0; i < byteLength; i++) out[i] = (digits.charCodeAt(2 * i) - 48) * 16 + (digits.charCodeAt(2 * i + 1) - 48);
  return out;
}

/** All digits, leading zeros kept. Throws PROTOCOL on a nibble above 9. */
export function decodeBcd(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) {
    const hi = b >> 4;
    const lo = b & 0x0f;
    if (hi > 9 || lo > 9) throw protocolError('invalid BCD digit', copyBytes(bytes));
    s += String.fromCharCode(48 + hi, 48 + lo);
  }
  return s;
}

export function decodeBcdNumber(bytes: Uint8Array): number {
  const n = Number(decodeBcd(bytes));
  return n;
}

/** Largest amount ZVT can carry: 12 BCD digits of minor units. */
export const MAX_AMOUNT = 999_999_999_999;

/** Amount in minor units as BMP 04 carries it: 6 bytes BCD. */
export function encodeAmount(minor: number): Uint8Array {
  if (!Number.isSafeInteger(minor) || minor < 0 || minor > MAX_AMOUNT) throw new RangeError(`amount must be 0..${MAX_AMOUNT} minor units, got ${minor}`);
  return encodeBcd(minor, 6);
}
