/**
 * APDU length field: one byte 0x00–0xFE, or the extended form `FF LL HH` (little-endian) for 255 bytes and more.
 */
export const MAX_APDU_DATA = 0xffff;

export function encodeApduLength(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > MAX_APDU_DATA) throw new RangeError(`APDU data length must be 0..${MAX_APDU_DATA}, got ${n}`);
  if (n < 0xff) return Uint8Array.of(n);
  return Uint8Array.of(0xff, n & 0xff, n >> 8);
}

/**
 * Reads the length field at `offset` (just after CLASS and INSTR). Returns null when more bytes are needed.
 */
export function decodeApduLength(bytes: Uint8Array, offset: number): { length: number; fieldBytes: 1 | 3 } | null {
  if (bytes.length <= offset) return null;
  const first = bytes[offset];
  if (first !== 0xff) return { length: first, fieldBytes: 1 };
  if (bytes.length < offset + 3) return null;
  return { length: bytes[offset + 1] | (bytes[offset + 2] << 8), fieldBytes: 3 };
}
