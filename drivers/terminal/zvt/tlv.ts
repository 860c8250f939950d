import { copyBytes, concatBytes } from './hex';
import { protocolError } from './errors';

/**
 * The TLV container inside BMP 06 (BER-TLV as ZVT uses it). Tags are kept as the number their bytes spell
 * big-endian (`1F 10` → 0x1F10). A tag whose first byte has bit 0x20 set is constructed and holds children.
 */
export type TlvNode = { tag: number; value: Uint8Array } | { tag: number; children: TlvNode[] };

export function tagBytes(tag: number): Uint8Array {
  if (!Number.isInteger(tag) || tag <= 0 || tag > 0xffffff) throw new RangeError(`invalid TLV tag ${tag}`);
  const out: number[] = [];
  let t = tag;
  while (t > 0) {
    out.unshift(t & 0xff);
    t = Math.floor(t / 256);
  }
  // well-formed: a multi-byte tag starts with xxx11111, continuation bytes have bit 8 set except the last
  const multi = (out[0] & 0x1f) === 0x1f;
  if (multi !== out.length > 1) throw new RangeError(`malformed TLV tag 0x${tag.toString(16)}`);
  for (let i = 1; i < out.length; i++) {
    const last = i === out.length - 1;
    if (((out[i] & 0x80) === 0) !== last) throw new RangeError(`malformed TLV tag 0x${tag.toString(16)}`);
  }
  return Uint8Array.from(out);
}

export function isConstructedTag(tag: number): boolean {
  return (tagBytes(tag)[0] & 0x20) !== 0;
}

export function encodeTlvLength(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new RangeError(`TLV length must be 0..65535, got ${n}`);
  if (n < 0x80) return Uint8Array.of(n);
  if (n <= 0xff) return Uint8Array.of(0x81, n);
  return Uint8Array.of(0x82, n >> 8, n & 0xff);
}

/** BER length at `offset`: short form, `81 xx` or `82 xx xx`. */
export function decodeTlvLength(bytes: Uint8Array, offset: number): { length: number; next: number } {
  if (offset >= bytes.length) throw protocolError('truncated TLV length');
  const b = bytes[offset];
  if (b < 0x80) return { length: b, next: offset + 1 };
  const n = b & 0x7f;
  if (n < 1 || n > 2) throw protocolError(`unsupported TLV length form 0x${b.toString(16)}`);
  if (offset + 1 + n > bytes.length) throw protocolError('truncated TLV length');
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + bytes[offset + 1 + i];
  return { length: len, next: offset + 1 + n };
}

export function encodeTlv(nodes: TlvNode[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const node of nodes) {
    const constructed = isConstructedTag(node.tag);
    if (constructed !== 'children' in node) throw new RangeError(`TLV tag 0x${node.tag.toString(16)} is ${constructed ? '' : 'not '}constructed`);
    const value = 'children' in node ? encodeTlv(node.children) : node.value;
    parts.push(tagBytes(node.tag), encodeTlvLength(value.length), value);
  }
  return concatBytes(parts);
}

/** Decodes a TLV list (recursively into constructed tags). Throws PROTOCOL on malformed input. */
export function decodeTlv(bytes: Uint8Array, depth = 0): TlvNode[] {
  if (depth > 8) throw protocolError('TLV nested too deeply');
  const nodes: TlvNode[] = [];
  let i = 0;
  while (i < bytes.length) {
    const first = bytes[i];
    if (first === 0x00) throw protocolError('TLV tag 00');
    let tag = first;
    i++;
    if ((first & 0x1f) === 0x1f) {
      for (;;) {
        if (i >= bytes.length) throw protocolError('truncated TLV tag');
        const b = bytes[i++];
        tag = tag * 256 + b;
        if ((b & 0x80) === 0) break;
        if (tag > 0xffff) throw protocolError('TLV tag longer than 3 bytes');
      }
    }
    const { length, next } = decodeTlvLength(bytes, i);
    if (next + length > bytes.length) throw protocolError(`TLV tag 0x${tag.toString(16)} says ${length} bytes, only ${bytes.length - next} left`);
    const value = copyBytes(bytes, next, next + length);
    i = next + length;
    nodes.push((first & 0x20) !== 0 ? { tag, children: decodeTlv(value, depth + 1) } : { tag, value });
  }
  return nodes;
}

/** Follows a path of tags (`[0x24, 0x07]`) and returns every node at its end. */
export function findTlv(nodes: TlvNode[], path: number[]): TlvNode[] {
  if (path.length === 0) return [];
  const here = nodes.filter((n) => n.tag === path[0]);
  if (path.length === 1) return here;
  return here.flatMap((n) => ('children' in n ? findTlv(n.children, path.slice(1)) : []));
}
