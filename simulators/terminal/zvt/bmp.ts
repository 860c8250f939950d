import { readVarLength, varLength } from './bcd';
import { berLength, readBerLength } from './tlv';

/**
 * BMPs ("bitmaps": a one-byte tag, then a value whose length the tag defines) — PA00P015 chapter "Summary of
 * utilised BMPs". Only the tags a payment ECR and this simulator use are listed; an unknown tag cannot be
 * skipped (its length is not on the wire), so reading stops with an error there.
 */
export type BmpFormat = { kind: 'fixed'; length: number } | { kind: 'llvar' } | { kind: 'lllvar' } | { kind: 'tlv' };

const fixed = (length: number): BmpFormat => ({ kind: 'fixed', length });
const LL: BmpFormat = { kind: 'llvar' };
const LLL: BmpFormat = { kind: 'lllvar' };

export const BMP_FORMATS: ReadonlyMap<number, BmpFormat> = new Map<number, BmpFormat>([
  [0x01, fixed(1)], // timeout
  [0x02, fixed(1)], // max. status infos
  [0x03, fixed(1)], // service byte
  [0x04, fixed(6)], // amount, 12 BCD digits
  [0x05, fixed(1)], // pump number
  [0x06, { kind: 'tlv' }], // TLV container
  [0x0b, fixed(3)], // trace number
  [0x0c, fixed(3)], // time HHMMSS
  [0x0d, fixed(2)], // date MMDD
  [0x0e, fixed(2)], // expiry YYMM
  [0x17, fixed(2)], // card sequence number
  [0x19, fixed(1)], // payment type / status byte
  [0x22, LL], // PAN / EF_ID
  [0x23, LL], // track 2
  [0x24, LLL], // track 3
  [0x27, fixed(1)], // result code
  [0x29, fixed(4)], // terminal id
  [0x2a, fixed(15)], // VU number
  [0x2d, LL], // track 1
  [0x2e, LLL], // synchronous chip data
  [0x37, fixed(3)], // original trace number (reversal)
  [0x3a, fixed(2)], // CVV/CVC
  [0x3b, fixed(8)], // AID / authorisation attribute
  [0x3c, LLL], // additional data / additional text
  [0x3d, fixed(3)], // password
  [0x49, fixed(2)], // currency code
  [0x4c, LL], // blocked goods groups
  [0x60, LLL], // individual totals (end-of-day)
  [0x87, fixed(2)], // receipt number
  [0x88, fixed(3)], // turnover record number
  [0x8a, fixed(1)], // card type
  [0x8b, LL], // card name
  [0x8c, fixed(1)], // card type id of the network operator
  [0x92, LLL], // additional data ec-Cash with chip
  [0x9a, LLL], // Geldkarte payments / failed payment record
  [0xa0, fixed(1)], // result code AS
  [0xa7, LL], // chip data EF_ID
  [0xaa, fixed(3)], // date YYMMDD
  [0xaf, LLL], // EF_Info
  [0xba, fixed(5)], // AID parameter
]);

export class BmpError extends Error {}

/** Encodes one BMP: tag, its length prefix when the format has one, value. */
export function bmp(tag: number, value: Uint8Array): Uint8Array {
  const f = BMP_FORMATS.get(tag);
  if (!f) throw new RangeError(`unknown BMP 0x${tag.toString(16)}`);
  let prefix: Uint8Array;
  switch (f.kind) {
    case 'fixed':
      if (value.length !== f.length) throw new RangeError(`BMP 0x${tag.toString(16)} takes ${f.length} bytes, got ${value.length}`);
      prefix = new Uint8Array(0);
      break;
    case 'llvar':
      prefix = varLength(value.length, 2);
      break;
    case 'lllvar':
      prefix = varLength(value.length, 3);
      break;
    case 'tlv':
      prefix = berLength(value.length);
      break;
  }
  const out = new Uint8Array(1 + prefix.length + value.length);
  out[0] = tag;
  out.set(prefix, 1);
  out.set(value, 1 + prefix.length);
  return out;
}

/** Reads BMPs from `offset` to the end. Throws BmpError on an unknown tag, a bad length or truncation. */
export function readBmps(data: Uint8Array, offset = 0): { tag: number; value: Uint8Array }[] {
  const out: { tag: number; value: Uint8Array }[] = [];
  let i = offset;
  while (i < data.length) {
    const tag = data[i];
    const f = BMP_FORMATS.get(tag);
    if (!f) throw new BmpError(`unknown BMP 0x${tag.toString(16)} at byte ${i}`);
    let start: number;
    let length: number;
    try {
      switch (f.kind) {
        case 'fixed':
          start = i + 1;
          length = f.length;
          break;
        case 'llvar':
          length = readVarLength(data, i + 1, 2);
          start = i + 3;
          break;
        case 'lllvar':
          length = readVarLength(data, i + 1, 3);
          start = i + 4;
          break;
        case 'tlv': {
          const l = readBerLength(data, i + 1);
          length = l.length;
          start = l.next;
          break;
        }
      }
    } catch (e) {
      throw new BmpError(`BMP 0x${tag.toString(16)}: ${(e as Error).message}`);
    }
    if (start + length > data.length) throw new BmpError(`BMP 0x${tag.toString(16)} truncated`);
    out.push({ tag, value: Uint8Array.from(data.subarray(start, start + length)) });
    i = start + length;
  }
  return out;
}
