/**
 * BER-TLV length of a ZVT TLV container (BMP 06, PA00P015 chapter "TLV-container"): below 0x80 one byte;
 * 81 xx up to 255; 82 xx xx (big endian) up to 65535. The simulator reads containers only to skip them.
 */

export function berLength(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new RangeError(`TLV length ${n}`);
  if (n < 0x80) return Uint8Array.of(n);
  if (n <= 0xff) return Uint8Array.of(0x81, n);
  return Uint8Array.of(0x82, n >> 8, n & 0xff);
}

export function readBerLength(data: Uint8Array, offset: number): { length: number; next: number } {
  if (offset >= data.length) throw new RangeError('truncated TLV length');
  const first = data[offset];
  if (first < 0x80) return { length: first, next: offset + 1 };
  if (first === 0x81) {
    if (offset + 1 >= data.length) throw new RangeError('truncated TLV length');
    return { length: data[offset + 1], next: offset + 2 };
  }
  if (first === 0x82) {
    if (offset + 2 >= data.length) throw new RangeError('truncated TLV length');
    return { length: (data[offset + 1] << 8) | data[offset + 2], next: offset + 3 };
  }
  throw new RangeError(`unsupported TLV length byte 0x${first.toString(16)}`);
}

/** One TLV object with a one- or two-byte tag (e.g. 1F 07), primitive value. */
export function tlvObject(tag: number, value: Uint8Array): Uint8Array {
  const tagBytes = tag > 0xff ? [tag >> 8, tag & 0xff] : [tag];
  const len = berLength(value.length);
  const out = new Uint8Array(tagBytes.length + len.length + value.length);
  out.set(tagBytes, 0);
  out.set(len, tagBytes.length);
  out.set(value, tagBytes.length + len.length);
  return out;
}

/** The top-level tags of a TLV container, as numbers (1F 04 → 0x1f04). Throws RangeError when malformed. */
export function topLevelTags(data: Uint8Array): number[] {
  const tags: number[] = [];
  let i = 0;
  while (i < data.length) {
    let tag = data[i++];
    if ((tag & 0x1f) === 0x1f) {
      let more = true;
      for (let n = 0; more; n++) {
        if (i >= data.length || n > 2) throw new RangeError('TLV tag truncated or too long');
        const b = data[i++];
        tag = (tag << 8) | b;
        more = (b & 0x80) !== 0;
      }
    }
    const l = readBerLength(data, i);
    if (l.next + l.length > data.length) throw new RangeError('TLV value truncated');
    tags.push(tag);
    i = l.next + l.length;
  }
  return tags;
}
