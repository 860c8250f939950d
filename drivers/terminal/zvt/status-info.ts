import { decodeBmps, encodeBmps, type Bmp } from './bmp';
import { decodeBcd, decodeBcdNumber, encodeAmount, encodeBcd } from './bcd';
import { decodeMaskedPan, encodeMaskedPan } from './pan';
import { decodeTlv, encodeTlv, type TlvNode } from './tlv';
import { fromLatin1, latin1 } from './hex';
import { protocolError } from './errors';

/**
 * What the terminal reports about a transaction (04 0F status information, and the BMPs of 06 0F / 06 1E).
 * Text fields are kept byte-exact (latin1, trailing NULs and spaces included); callers trim for display.
 */
export interface StatusInfo {
  /** 27: 0 = approved / successful. */
  resultCode?: number;
  /** 04: minor units. */
  amount?: number;
  /** 49: ISO 4217 numeric. */
  currency?: number;
  /** 0C: "hhmmss". */
  time?: string;
  /** 0D: "MMDD". */
  date?: string;
  /** 22: digits with `*` for masked ones. */
  maskedPan?: string;
  /** 17: card sequence number. */
  cardSequenceNumber?: number;
  /** 87 */
  receiptNumber?: number;
  /** 3B: authorisation attribute / approval code, trailing NULs stripped. */
  authCode?: string;
  /** 0B */
  traceNumber?: number;
  /** 37: trace number of the original transaction (reversals). */
  originalTraceNumber?: number;
  /** 88 */
  turnoverNumber?: number;
  /** 19: payment type / status byte. */
  paymentType?: number;
  /** 29: 8 digits. */
  terminalId?: string;
  /** 0E: "YYMM". */
  expiry?: string;
  /** 8A: ZVT card type. */
  cardType?: number;
  /** 8C: card type id of the network operator. */
  cardTypeId?: number;
  /** 8B: card name as sent (e.g. "girocard", "VISA\0"). */
  cardName?: string;
  /** 2A: VU number (merchant id), 15 characters. */
  vuNumber?: string;
  /** 3C: additional text. */
  additionalText?: string;
  /** A0: result code of the authorisation system. */
  resultCodeAs?: number;
  /** AA: "YYMMDD". */
  fullDate?: string;
  /** 06 */
  tlv?: TlvNode[];
  /** Known BMPs this model does not name, kept in order. */
  other?: Bmp[];
}

type Field = {
  [K in keyof StatusInfo]-?: { key: K; tag: number; enc: (v: NonNullable<StatusInfo[K]>) => Uint8Array; dec: (b: Uint8Array) => NonNullable<StatusInfo[K]> };
}[Exclude<keyof StatusInfo, 'other'>];

const byte = { enc: (v: number) => Uint8Array.of(v), dec: (b: Uint8Array) => b[0] };
const bcdNum = (n: number) => ({ enc: (v: number) => encodeBcd(v, n), dec: (b: Uint8Array) => decodeBcdNumber(b) });
const bcdStr = (n: number) => ({
  enc: (v: string) => {
    if (v.length !== n * 2) throw new RangeError(`expected ${n * 2} digits, got "${v}"`);
    return encodeBcd(v, n);
  },
  dec: (b: Uint8Array) => decodeBcd(b),
});
const text = { enc: fromLatin1, dec: latin1 };
const fixedText = (n: number) => ({
  enc: (v: string) => {
    const b = fromLatin1(v);
    if (b.length > n) throw new RangeError(`text longer than ${n} bytes`);
    const out = new Uint8Array(n);
    out.set(b);
    return out;
  },
  dec: (b: Uint8Array) => latin1(b).replace(/\0+$/, ''),
});

/** Canonical order: the order terminals send them in (matches the published ecrterm captures byte for byte). */
const FIELDS: Field[] = [
  { key: 'resultCode', tag: 0x27, ...byte },
  { key: 'amount', tag: 0x04, enc: encodeAmount, dec: (b) => decodeBcdNumber(b) },
  { key: 'currency', tag: 0x49, ...bcdNum(2) },
  { key: 'time', tag: 0x0c, ...bcdStr(3) },
  { key: 'date', tag: 0x0d, ...bcdStr(2) },
  { key: 'maskedPan', tag: 0x22, enc: encodeMaskedPan, dec: decodeMaskedPan },
  { key: 'cardSequenceNumber', tag: 0x17, ...bcdNum(2) },
  { key: 'receiptNumber', tag: 0x87, ...bcdNum(2) },
  { key: 'authCode', tag: 0x3b, ...fixedText(8) },
  { key: 'traceNumber', tag: 0x0b, ...bcdNum(3) },
  { key: 'originalTraceNumber', tag: 0x37, ...bcdNum(3) },
  { key: 'turnoverNumber', tag: 0x88, ...bcdNum(3) },
  { key: 'paymentType', tag: 0x19, ...byte },
  { key: 'terminalId', tag: 0x29, ...bcdStr(4) },
  { key: 'expiry', tag: 0x0e, ...bcdStr(2) },
  { key: 'cardType', tag: 0x8a, ...byte },
  { key: 'cardTypeId', tag: 0x8c, ...byte },
  { key: 'cardName', tag: 0x8b, ...text },
  { key: 'vuNumber', tag: 0x2a, ...fixedText(15) },
  { key: 'additionalText', tag: 0x3c, ...text },
  { key: 'resultCodeAs', tag: 0xa0, ...byte },
  { key: 'fullDate', tag: 0xaa, ...bcdStr(3) },
  { key: 'tlv', tag: 0x06, enc: encodeTlv, dec: (b) => decodeTlv(b) },
] as Field[];

const BY_TAG = new Map(FIELDS.map((f) => [f.tag, f]));

export function statusInfoToBmps(info: StatusInfo): Bmp[] {
  const out: Bmp[] = [];
  for (const f of FIELDS) {
    const v = info[f.key];
    if (v === undefined) continue;
    out.push({ tag: f.tag, value: (f.enc as (x: unknown) => Uint8Array)(v) });
  }
  for (const b of info.other ?? []) {
    if (BY_TAG.has(b.tag)) throw new RangeError(`BMP 0x${b.tag.toString(16)} has a named field; do not put it in other`);
    out.push(b);
  }
  return out;
}

export function statusInfoFromBmps(bmps: Bmp[]): StatusInfo {
  const info: Record<string, unknown> = {};
  const other: Bmp[] = [];
  for (const b of bmps) {
    const f = BY_TAG.get(b.tag);
    if (!f) {
      other.push(b);
      continue;
    }
    if (info[f.key] !== undefined) throw protocolError(`BMP 0x${b.tag.toString(16)} appears twice`, undefined, { tag: b.tag });
    info[f.key] = f.dec(b.value);
  }
  if (other.length) info.other = other;
  return info as StatusInfo;
}

export function encodeStatusInfo(info: StatusInfo): Uint8Array {
  return encodeBmps(statusInfoToBmps(info));
}

export function decodeStatusInfo(data: Uint8Array, offset = 0): StatusInfo {
  return statusInfoFromBmps(decodeBmps(data, offset));
}
