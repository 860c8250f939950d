import { apdu, type Apdu } from './apdu';
import { decodeStatusInfo, encodeStatusInfo, type StatusInfo } from './status-info';
import { decodeTlv, decodeTlvLength, encodeTlv, encodeTlvLength, findTlv, type TlvNode } from './tlv';
import { decodeVar, encodeVar } from './llvar';
import { concatBytes, copyBytes, fromLatin1, latin1 } from './hex';
import { protocolError } from './errors';

/**
 * Messages the payment terminal (PT) sends to the ECR, plus the acknowledgements both sides use.
 *
 * - `80 00 00` positive acknowledgement; `84 xx 00` negative, `xx` = result code.
 * - `04 FF` intermediate status: status code, [timeout], [06 TLV] (the TLV requires the timeout byte before it).
 * - `04 0F` status information: BMPs.
 * - `06 0F` completion: BMPs; after a status enquiry it starts with the software version (LLLVAR, no BMP tag)
 *   and the terminal status byte — recognised by three length digits `F0`–`F9` at the start.
 * - `06 1E` abort: result code, then BMPs.
 * - `06 D1` print line: attribute byte, text.
 */
export type TerminalMessage =
  | { kind: 'ack' }
  | { kind: 'nack'; code: number }
  | { kind: 'intermediate'; code: number; timeout?: number; tlv?: TlvNode[] }
  | { kind: 'status-info'; info: StatusInfo }
  | { kind: 'completion'; swVersion?: string; terminalStatus?: number; info: StatusInfo }
  | { kind: 'abort'; resultCode: number; info: StatusInfo }
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
      return apdu(0x84, m.code);
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
      parts.push(encodeStatusInfo(m.info));
      return apdu(0x06, 0x0f, concatBytes(parts));
    }
    case 'abort':
      return apdu(0x06, 0x1e, concatBytes([[m.resultCode], encodeStatusInfo(m.info)]));
    case 'print-line':
      return apdu(0x06, 0xd1, concatBytes([[m.attribute], fromLatin1(m.text)]));
    case 'other':
      return apdu(m.cls, m.instr, m.data);
  }
}

const isLengthDigit = (b: number | undefined) => b !== undefined && b >= 0xf0 && b <= 0xf9;

/** Decodes a PT → ECR message. Throws PROTOCOL when a known message is malformed; unknown ones are `other`. */
export function decodeTerminalMessage(a: Apdu): TerminalMessage {
  const { cls, instr, data } = a;
  if (cls === 0x80 && instr === 0x00) return { kind: 'ack' };
  if (cls === 0x84) return { kind: 'nack', code: instr };
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
    return { kind: 'completion', info: decodeStatusInfo(data) };
  }
  if (cls === 0x06 && instr === 0x1e) {
    if (data.length < 1) return { kind: 'abort', resultCode: 0xff, info: {} };
    return { kind: 'abort', resultCode: data[0], info: decodeStatusInfo(data, 1) };
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
