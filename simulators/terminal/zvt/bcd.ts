/**
 * Packed BCD as ZVT uses it (PA00P015 chapter "Data formats"): two decimal digits per byte, high nibble first;
 * numbers are right-aligned and padded with 0. LLVAR / LLLVAR lengths are written as `Fx Fy (Fz)`: each length
 * digit in the low nibble of a byte whose high nibble is F (e.g. 13 bytes → F1 F3).
 */

export function bcd(value: number | string, bytes: number): Uint8Array {
  const digits = typeof value === 'number' ? String(value) : value;
  if (!/^\d*$/.test(digits) || (typeof value === 'number' && (!Number.isSafeInteger(value) || value < 0))) throw new RangeError(`not BCD-encodable: ${value}`);
  if (digits.length > bytes * 2) throw new RangeError(`${value} does not fit in ${bytes} BCD bytes`);
  const padded = digits.padStart(bytes * 2, '0');
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) out[i] = (Number(padded[i * 2]) << 4) | Number(padded[i * 2 + 1]);
  return out;
}

/** BCD bytes → digit string. Throws RangeError on a nibble above 9. */
export function bcdDigits(b: Uint8Array): string {
  let s = '';
  for (const x of b) {
    const hi = x >> 4;
    const lo = x & 0x0f;
    if (hi > 9 || lo > 9) throw new RangeError(`not BCD: 0x${x.toString(16)}`);
    s += String(hi) + String(lo);
  }
  return s;
}

export function bcdNumber(b: Uint8Array): number {
  return Number(bcdDigits(b));
}

/** Length prefix of an LLVAR (digits = 2) or LLLVAR (digits = 3) field. */
export function varLength(length: number, digits: 2 | 3): Uint8Array {
  const max = digits === 2 ? 99 : 999;
  if (!Number.isInteger(length) || length < 0 || length > max) throw new RangeError(`length ${length} does not fit a ${digits}-digit length`);
  const s = String(length).padStart(digits, '0');
  return Uint8Array.from(s, (d) => 0xf0 | Number(d));
}

/** Reads an `Fx Fy (Fz)` length at `offset`; throws RangeError when it is not one. */
export function readVarLength(data: Uint8Array, offset: number, digits: 2 | 3): number {
  if (offset + digits > data.length) throw new RangeError('truncated length');
  let n = 0;
  for (let i = 0; i < digits; i++) {
    const x = data[offset + i];
    if (x >> 4 !== 0x0f || (x & 0x0f) > 9) throw new RangeError(`bad length byte 0x${x.toString(16)}`);
    n = n * 10 + (x & 0x0f);
  }
  return n;
}

/**
 * A masked card number as BMP 22 carries it: BCD digits, E for a masked digit, F padding an odd count
 * (PA00P015 BMP 22 "PAN / EF_ID"). The simulator only ever has masked numbers.
 */
export function maskedPanBytes(masked: string): Uint8Array {
  if (!/^[0-9*]+$/.test(masked)) throw new RangeError('a masked PAN holds digits and * only');
  const nibbles = Array.from(masked, (c) => (c === '*' ? 0x0e : Number(c)));
  if (nibbles.length % 2 === 1) nibbles.push(0x0f);
  const out = new Uint8Array(nibbles.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = (nibbles[i * 2] << 4) | nibbles[i * 2 + 1];
  return out;
}
