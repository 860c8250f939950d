import { decodeVar, encodeVar } from './llvar';
import { decodeTlvLength, encodeTlvLength } from './tlv';
import { copyBytes, concatBytes } from './hex';
import { protocolError } from './errors';

/**
 * Bitmaps (BMPs): a one-byte tag followed by a value whose length the tag defines. The table is the ZVT BMP list;
 * a tag that is not in it cannot be skipped (its length is unknown) and is a PROTOCOL error.
 */
export type BmpFormat = { kind: 'fixed'; length: number } | { kind: 'llvar' } | { kind: 'lllvar' } | { kind: 'tlv' };

const fixed = (length: number): BmpFormat => ({ kind: 'fixed', length });
const LLVAR: BmpFormat = { kind: 'llvar' };
const LLLVAR: BmpFormat = { kind: 'lllvar' };

export const BMP_TABLE: ReadonlyMap<number, { format: BmpFormat; name: string }> = new Map<number, { format: BmpFormat; name: string }>([
  [0x01, { format: fixed(1), name: 'timeout' }],
  [0x02, { format: fixed(1), name: 'max status infos' }],
  [0x03, { format: fixed(1), name: 'service byte' }],
  [0x04, { format: fixed(6), name: 'amount (BCD)' }],
  [0x05, { format: fixed(1), name: 'pump number' }],
  [0x06, { format: { kind: 'tlv' }, name: 'TLV container' }],
  [0x0b, { format: fixed(3), name: 'trace number (BCD)' }],
  [0x0c, { format: fixed(3), name: 'time hhmmss (BCD)' }],
  [0x0d, { format: fixed(2), name: 'date MMDD (BCD)' }],
  [0x0e, { format: fixed(2), name: 'expiry date YYMM (BCD)' }],
  [0x17, { format: fixed(2), name: 'card sequence number (BCD)' }],
  [0x19, { format: fixed(1), name: 'payment type / status byte' }],
  [0x22, { format: LLVAR, name: 'PAN / EF_ID (masked)' }],
  [0x23, { format: LLVAR, name: 'track 2 data' }],
  [0x24, { format: LLLVAR, name: 'track 3 data' }],
  [0x27, { format: fixed(1), name: 'result code' }],
  [0x29, { format: fixed(4), name: 'terminal id (BCD)' }],
  [0x2a, { format: fixed(15), name: 'VU number (ASCII)' }],
  [0x2d, { format: LLVAR, name: 'track 1 data' }],
  [0x2e, { format: LLLVAR, name: 'synchronous chip data' }],
  [0x37, { format: fixed(3), name: 'original trace number (BCD)' }],
  [0x3a, { format: fixed(2), name: 'CVV' }],
  [0x3b, { format: fixed(8), name: 'AID / authorisation attribute' }],
  [0x3c, { format: LLLVAR, name: 'additional text' }],
  [0x3d, { format: fixed(3), name: 'password (BCD)' }],
  [0x49, { format: fixed(2), name: 'currency code (BCD)' }],
  [0x60, { format: LLLVAR, name: 'individual totals' }],
  [0x87, { format: fixed(2), name: 'receipt number (BCD)' }],
  [0x88, { format: fixed(3), name: 'turnover record number (BCD)' }],
  [0x8a, { format: fixed(1), name: 'card type' }],
  [0x8b, { format: LLVAR, name: 'card name' }],
  [0x8c, { format: fixed(1), name: 'card type id of the network operator' }],
  [0x92, { format: LLLVAR, name: 'additional data ec-cash chip offline' }],
  [0x9a, { format: LLLVAR, name: 'Geldkarte records' }],
  [0xa0, { format: fixed(1), name: 'result code AS' }],
  [0xa7, { format: LLVAR, name: 'chip data EF_ID' }],
  [0xaa, { format: fixed(3), name: 'date YYMMDD (BCD)' }],
  [0xaf, { format: LLLVAR, name: 'EF_Info' }],
  [0xba, { format: fixed(5), name: 'AID parameter' }],
  [0xd0, { format: fixed(1), name: 'algorithm key' }],
  [0xd1, { format: LLVAR, name: 'card offset / PIN data' }],
  [0xd2, { format: fixed(1), name: 'direction' }],
  [0xd3, { format: fixed(1), name: 'key position' }],
  [0xe0, { format: fixed(1), name: 'min input length' }],
  ...[0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8].map((t, i) => [t, { format: LLVAR, name: `text2 line ${i + 1}` }] as const),
  [0xe9, { format: fixed(1), name: 'max input length' }],
  [0xea, { format: fixed(1), name: 'input echo' }],
  [0xeb, { format: fixed(8), name: 'MAC' }],
  [0xf0, { format: fixed(1), name: 'display duration' }],
  ...[0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8].map((t, i) => [t, { format: LLVAR, name: `text1 line ${i + 1}` }] as const),
  [0xf9, { format: fixed(1), name: 'number of beeps' }],
  [0xfa, { format: fixed(1), name: 'status' }],
  [0xfb, { format: fixed(1), name: 'OK required' }],
  [0xfc, { format: fixed(1), name: 'dialog control' }],
]);

/** One BMP: the tag and its value (without the LLVAR/LLLVAR/TLV length prefix). */
export interface Bmp {
  tag: number;
  value: Uint8Array;
}

export function bmpFormat(tag: number): BmpFormat | undefined {
  return BMP_TABLE.get(tag)?.format;
}

export function encodeBmp(b: Bmp): Uint8Array {
  const format = bmpFormat(b.tag);
  if (!format) throw new RangeError(`unknown BMP 0x${b.tag.toString(16)}`);
  switch (format.kind) {
    case 'fixed':
      if (b.value.length !== format.length) throw new RangeError(`BMP 0x${b.tag.toString(16)} takes ${format.length} bytes, got ${b.value.length}`);
      return concatBytes([[b.tag], b.value]);
    case 'llvar':
      return concatBytes([[b.tag], encodeVar(b.value, 2)]);
    case 'lllvar':
      return concatBytes([[b.tag], encodeVar(b.value, 3)]);
    case 'tlv':
      return concatBytes([[b.tag], encodeTlvLength(b.value.length), b.value]);
  }
}

export function encodeBmps(bmps: Bmp[]): Uint8Array {
  return concatBytes(bmps.map(encodeBmp));
}

/** Splits `data` from `offset` into BMPs. Throws PROTOCOL on an unknown tag or a truncated value. */
export function decodeBmps(data: Uint8Array, offset = 0): Bmp[] {
  const out: Bmp[] = [];
  let i = offset;
  while (i < data.length) {
    const tag = data[i];
    const format = bmpFormat(tag);
    if (!format) throw protocolError(`unknown BMP 0x${tag.toString(16).padStart(2, '0')} (length unknown, cannot skip)`, undefined, { tag, offset: i });
    i++;
    switch (format.kind) {
      case 'fixed':
        if (i + format.length > data.length) throw protocolError(`BMP 0x${tag.toString(16)} truncated`, undefined, { tag });
        out.push({ tag, value: copyBytes(data, i, i + format.length) });
        i += format.length;
        break;
      case 'llvar':
      case 'lllvar': {
        const { value, next } = decodeVar(data, i, format.kind === 'llvar' ? 2 : 3);
        out.push({ tag, value });
        i = next;
        break;
      }
      case 'tlv': {
        const { length, next } = decodeTlvLength(data, i);
        if (next + length > data.length) throw protocolError('TLV container truncated', undefined, { tag });
        out.push({ tag, value: copyBytes(data, next, next + length) });
        i = next + length;
        break;
      }
    }
  }
  return out;
}
