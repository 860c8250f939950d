/** Byte helpers of the simulator's own ZVT code (nothing here comes from drivers/). */

/** "06 00 03 00 00 00" (spaces, dashes or nothing between bytes) → bytes. */
export function hex(s: string): Uint8Array {
  const clean = s.replace(/[\s-]/g, '');
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) throw new RangeError(`not hex: ${s}`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Bytes → "06 0F 00" (upper case, one space between bytes). */
export function toHex(b: ArrayLike<number>): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0').toUpperCase()).join(' ');
}

export function concat(parts: ArrayLike<number>[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let i = 0;
  for (const p of parts) {
    out.set(p, i);
    i += p.length;
  }
  return out;
}

/** A copy of `b[from, to)` that never aliases the input buffer. */
export function slice(b: Uint8Array, from: number, to = b.length): Uint8Array {
  return Uint8Array.from(b.subarray(from, to));
}
