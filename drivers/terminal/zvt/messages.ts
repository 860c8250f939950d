import { apdu, type Apdu } from './apdu';
import { decodeStatusInfo, encodeStatusInfo, type StatusInfo } from './status-info';
import { decodeTlv, decodeTlvLength, encodeTlv, encodeTlvLength, findTlv, type TlvNode } from './tlv';
import { decodeVar, encodeVar } from './llvar';
import { bmpFormat } from './bmp';
import { decodeBcdNumber, encodeBcd } from './bcd';
import { concatBytes, copyBytes, fromLatin1, latin1 } from './hex';
import { protocolError } from './errors';

/**
 * Messages the payment terminal (PT) sends to the ECR, plus the acknowledgements both sides use.
 *
 * - `80 00 00` positive acknowledgement; `84 xx 00` negative, `xx` = result code. A negative acknowledgement may
 *   carry data: its own result code, then the bare currency code (2 bytes BCD, no tag), then BMPs — e.g. a
 *   registration refused for the wrong currency, `84 1E 03 6F 09 78` (6F "wrong currency", the PT runs 0978).
 * - `04 FF` intermediate status: status code, [timeout], [06 TLV] (the TLV requires the timeout byte before it).
 * - `04 0F` status information: BMPs.
 * - `06 0F` completion: BMPs; after a status enquiry it starts with [the software version (LLLVAR, no BMP tag,
 *   recognised by three length digits `F0`–`F9`)] and the terminal status byte (`06 0F 01 DC`: status only).
 * - `06 1E` abort: result code, [bare currency code, as above], then BMPs (`06 1E 03 6F 09 78`).
 * - `06 D1` print line: attribute byte, text.
 */
export type TerminalMessage =
  | { kind: 'ack' }
  | { kind: 'nack'; code: number; resultCode?: number; currency?: number; info?: StatusInfo }
  | { kind: 'intermediate'; code: number; timeout?: number; tlv?: TlvNode[] }
  | { kind: 'status-info'; info: StatusInfo }
  | { kind: 'completion'; swVersion?: string; terminalStatus?: number; info: StatusInfo }
  | { kind: 'abort'; resultCode: number; currency?: number; info: StatusInfo }
  | { kind: 'print-line'; attribute: number; text: string }
  | { kind: 'other'; cls: number; instr: number; data: Uint8Array };

export const ACK_APDU: Apdu = apdu(0x80, 0x00);

export function nackApdu(code: number): Apdu {
  return apdu(0x84, code);
}

export function encodeTerminalMessage(m: TerminalMessage): Apdu {
  switch (m.kind) {
    case 'ack':
      return apdu(0x80, 0x00);
    case 'nack':
      if (m.resultCode === undefined) return apdu(0x84, m.code);
      return apdu(0x84, m.code, concatBytes([[m.resultCode], encodeResultData(m.currency, m.info ?? {})]));
    case 'intermediate': {
      const parts: ArrayLike<number>[] = [[m.code]];
      if (m.timeout !== undefined || m.tlv) parts.push([m.timeout ?? 0]);
      if (m.tlv) {
        const t = encodeTlv(m.tlv);
        parts.push([0x06], encodeTlvLength(t.length), t);
      }
      return apdu(0x04, 0xff, concatBytes(parts));
    }
    case 'status-info':
      return apdu(0x04, 0x0f, encodeStatusInfo(m.info));
    case 'completion': {
      const parts: ArrayLike<number>[] = [];
      if (m.swVersion !== undefined) parts.push(encodeVar(fromLatin1(m.swVersion), 3), [m.terminalStatus ?? 0]);
      else if (m.terminalStatus !== undefined) parts.push([m.terminalStatus]);
      parts.push(encodeStatusInfo(m.info));
      return apdu(0x06, 0x0f, concatBytes(parts));
    }
    case 'abort':
      return apdu(0x06, 0x1e, concatBytes([[m.resultCode], encodeResultData(m.currency, m.info)]));
    case 'print-line':
      return apdu(0x06, 0xd1, concatBytes([[m.attribute], fromLatin1(m.text)]));
    case 'other':
      return apdu(m.cls, m.instr, m.data);
  }
}

const isLengthDigit = (b: number | undefined) => b !== undefined && b >= 0xf0 && b <= 0xf9;

const isBcdByte = (b: number) => (b >> 4) <= 9 && (b & 0x0f) <= 9;

/** The bare currency code some results carry before their BMPs; refused when its first byte reads as a BMP tag. */
function encodeResultData(currency: number | undefined, info: StatusInfo): Uint8Array {
  const parts: ArrayLike<number>[] = [];
  if (currency !== undefined) {
    const cc = encodeBcd(currency, 2);
    if (bmpFormat(cc[0]) !== undefined) throw new RangeError(`currency ${currency} cannot be told apart from a BMP`);
    parts.push(cc);
  }
  parts.push(encodeStatusInfo(info));
  return concatBytes(parts);
}

/**
 * What follows a result code (after `06 1E` or in the data of `84 xx`): [currency code, 2 bytes BCD without a tag,
 * recognised because its first byte is no BMP tag], then BMPs.
 */
function decodeResultData(data: Uint8Array, offset: number): { currency?: number; info: StatusInfo } {
  let i = offset;
  let currency: number | undefined;
  if (i + 2 <= data.length && bmpFormat(data[i]) === undefined && isBcdByte(data[i]) && isBcdByte(data[i + 1])) {
    currency = decodeBcdNumber(copyBytes(data, i, i + 2));
    i += 2;
  }
  const info = decodeStatusInfo(data, i);
  return currency === undefined ? { info } : { currency, info };
}

/** Decodes a PT → ECR message. Throws PROTOCOL when a known message is malformed; unknown ones are `other`. */
export function decodeTerminalMessage(a: Apdu): TerminalMessage {
  const { cls, instr, data } = a;
  if (cls === 0x80 && instr === 0x00) return { kind: 'ack' };
  if (cls === 0x84) {
    if (data.length === 0) return { kind: 'nack', code: instr };
    const { currency, info } = decodeResultData(data, 1);
    const m: TerminalMessage = { kind: 'nack', code: instr, resultCode: data[0] };
    if (currency !== undefined) m.currency = currency;
    if (Object.keys(info).length > 0) m.info = info;
    return m;
  }
  if (cls === 0x04 && instr === 0xff) {
    if (data.length < 1) throw protocolError('intermediate status without status code');
    const m: TerminalMessage = { kind: 'intermediate', code: data[0] };
    if (data.length >= 2) m.timeout = data[1];
    if (data.length > 2) {
      if (data[2] !== 0x06) throw protocolError('intermediate status: expected TLV container after timeout', copyBytes(data, 0, 3));
      const { length, next } = decodeTlvLength(data, 3);
      if (next + length !== data.length) throw protocolError('intermediate status: TLV length mismatch');
      m.tlv = decodeTlv(copyBytes(data, next));
    }
    return m;
  }
  if (cls === 0x04 && instr === 0x0f) return { kind: 'status-info', info: decodeStatusInfo(data) };
  if (cls === 0x06 && instr === 0x0f) {
    if (data.length >= 3 && isLengthDigit(data[0]) && isLengthDigit(data[1]) && isLengthDigit(data[2])) {
      const { value, next } = decodeVar(data, 0, 3);
      if (next >= data.length) throw protocolError('status enquiry completion without terminal status byte');
      return { kind: 'completion', swVersion: latin1(value), terminalStatus: data[next], info: decodeStatusInfo(data, next + 1) };
    }
    // the terminal status alone (status enquiry without software version): a first byte that is no BMP tag
    if (data.length === 1 || (data.length > 1 && bmpFormat(data[0]) === undefined)) {
      return { kind: 'completion', terminalStatus: data[0], info: decodeStatusInfo(data, 1) };
    }
    return { kind: 'completion', info: decodeStatusInfo(data) };
  }
  if (cls === 0x06 && instr === 0x1e) {
    if (data.length < 1) return { kind: 'abort', resultCode: 0xff, info: {} };
    const { currency, info } = decodeResultData(data, 1);
    return currency === undefined ? { kind: 'abort', resultCode: data[0], info } : { kind: 'abort', resultCode: data[0], currency, info };
  }
  if (cls === 0x06 && instr === 0xd1) {
    if (data.length < 1) throw protocolError('print line without attribute byte');
    return { kind: 'print-line', attribute: data[0], text: latin1(copyBytes(data, 1)) };
  }
  return { kind: 'other', cls, instr, data: copyBytes(data) };
}

/** The text lines a terminal puts in an intermediate status TLV (tag 24 → 07), if any. */
export function intermediateDisplayLines(tlv: TlvNode[] | undefined): string[] {
  if (!tlv) return [];
  return findTlv(tlv, [0x24, 0x07]).flatMap((n) => ('value' in n ? [latin1(n.value)] : []));
}
