import { apdu, type Apdu } from './apdu';
import { decodeBmps, encodeBmps, type Bmp } from './bmp';
import { decodeBcd, decodeBcdNumber, encodeAmount, encodeBcd } from './bcd';
import { decodeStatusInfo, encodeStatusInfo, type StatusInfo } from './status-info';
import { decodeTlv, decodeTlvLength, encodeTlv, encodeTlvLength, type TlvNode } from './tlv';
import { concatBytes, copyBytes } from './hex';
import { protocolError } from './errors';

/**
 * Commands the ECR sends to the payment terminal, plus the acknowledgements.
 *
 * - Registration `06 00`: password (3 bytes BCD), config byte, [currency (2 bytes BCD, no tag)], [03 service
 *   byte], [06 TLV]. A currency code is told apart from BMP 03/06 by its first byte, so codes whose first BCD byte
 *   is 03 or 06 (e.g. 0352, 0643) cannot be sent in a registration; encode refuses them.
 * - Authorization `06 01`: [02 max status infos] 04 amount [19 payment type] [49 currency].
 * - Reversal `06 30`: password, [04 amount] [87 receipt number] [49 currency] [06 TLV]. Refund `06 31`: password,
 *   04 amount, [49 currency].
 * - End-of-day `06 50`: password, [06 TLV]. Repeat receipt `06 20`: password, [03 service byte] (bit 0: send the
 *   status information of the last transaction). Abort `06 B0`: no data.
 * - Status enquiry `05 01`: password, [03 service byte].
 * - `84 xx` negative acknowledgement from the ECR, with optional BMPs (`84 9D 07 04 …`: the amount changed).
 */
export type EcrCommand =
  | { kind: 'registration'; password: string; config: number; currency?: number; serviceByte?: number; tlv?: TlvNode[] }
  | { kind: 'authorization'; amount: number; currency?: number; paymentType?: number; maxStatusInfos?: number }
  | { kind: 'reversal'; password: string; receiptNumber?: number; amount?: number; currency?: number; tlv?: TlvNode[] }
  | { kind: 'refund'; password: string; amount: number; currency?: number }
  | { kind: 'end-of-day'; password: string; tlv?: TlvNode[] }
  | { kind: 'repeat-receipt'; password: string; serviceByte?: number }
  | { kind: 'abort' }
  | { kind: 'status-enquiry'; password: string; serviceByte?: number }
  | { kind: 'ack' }
  | { kind: 'nack'; code: number; info?: StatusInfo }
  | { kind: 'other'; cls: number; instr: number; data: Uint8Array };

/** Repeat receipt service byte (BMP 03) bit 0: the PT sends the status information (04 0F) of the last transaction. */
export const REPEAT_RECEIPT_SEND_STATUS_INFO = 0x01;

function pwd(password: string): Uint8Array {
  if (!/^\d{6}$/.test(password)) throw new RangeError('the terminal password is 6 digits');
  return encodeBcd(password, 3);
}

function currencyBytes(code: number): Uint8Array {
  if (!Number.isInteger(code) || code < 0 || code > 999) throw new RangeError(`currency must be an ISO 4217 numeric code, got ${code}`);
  return encodeBcd(code, 2);
}

function optional(tag: number, value: Uint8Array | undefined): Bmp[] {
  return value === undefined ? [] : [{ tag, value }];
}

export function encodeEcrCommand(c: EcrCommand): Apdu {
  switch (c.kind) {
    case 'registration': {
      const parts: ArrayLike<number>[] = [pwd(c.password), [c.config]];
      if (c.currency !== undefined) {
        const cc = currencyBytes(c.currency);
        if (cc[0] === 0x03 || cc[0] === 0x06) throw new RangeError(`currency ${c.currency} cannot be told apart from a BMP in a registration`);
        parts.push(cc);
      }
      if (c.serviceByte !== undefined) parts.push([0x03, c.serviceByte]);
      if (c.tlv) {
        const t = encodeTlv(c.tlv);
        parts.push([0x06], encodeTlvLength(t.length), t);
      }
      return apdu(0x06, 0x00, concatBytes(parts));
    }
    case 'authorization':
      return apdu(
        0x06,
        0x01,
        encodeBmps([
          ...optional(0x02, c.maxStatusInfos === undefined ? undefined : Uint8Array.of(c.maxStatusInfos)),
          { tag: 0x04, value: encodeAmount(c.amount) },
          ...optional(0x19, c.paymentType === undefined ? undefined : Uint8Array.of(c.paymentType)),
          ...optional(0x49, c.currency === undefined ? undefined : currencyBytes(c.currency)),
        ]),
      );
    case 'reversal':
      return apdu(
        0x06,
        0x30,
        concatBytes([
          pwd(c.password),
          encodeBmps([
            ...optional(0x04, c.amount === undefined ? undefined : encodeAmount(c.amount)),
            ...optional(0x87, c.receiptNumber === undefined ? undefined : encodeBcd(c.receiptNumber, 2)),
            ...optional(0x49, c.currency === undefined ? undefined : currencyBytes(c.currency)),
            ...optional(0x06, c.tlv === undefined ? undefined : encodeTlv(c.tlv)),
          ]),
        ]),
      );
    case 'refund':
      return apdu(
        0x06,
        0x31,
        concatBytes([
          pwd(c.password),
          encodeBmps([{ tag: 0x04, value: encodeAmount(c.amount) }, ...optional(0x49, c.currency === undefined ? undefined : currencyBytes(c.currency))]),
        ]),
      );
    case 'end-of-day':
      return apdu(0x06, 0x50, concatBytes([pwd(c.password), encodeBmps(optional(0x06, c.tlv === undefined ? undefined : encodeTlv(c.tlv)))]));
    case 'repeat-receipt':
      return apdu(0x06, 0x20, concatBytes([pwd(c.password), encodeBmps(optional(0x03, c.serviceByte === undefined ? undefined : Uint8Array.of(c.serviceByte)))]));
    case 'abort':
      return apdu(0x06, 0xb0);
    case 'status-enquiry':
      return apdu(0x05, 0x01, concatBytes([pwd(c.password), encodeBmps(optional(0x03, c.serviceByte === undefined ? undefined : Uint8Array.of(c.serviceByte)))]));
    case 'ack':
      return apdu(0x80, 0x00);
    case 'nack':
      return apdu(0x84, c.code, c.info ? encodeStatusInfo(c.info) : []);
    case 'other':
      return apdu(c.cls, c.instr, c.data);
  }
}

function readPassword(data: Uint8Array, what: string): string {
  if (data.length < 3) throw protocolError(`${what} without password`);
  return decodeBcd(copyBytes(data, 0, 3));
}

function bmpMap(bmps: Bmp[], allowed: number[], what: string): Map<number, Uint8Array> {
  const m = new Map<number, Uint8Array>();
  for (const b of bmps) {
    if (!allowed.includes(b.tag)) throw protocolError(`${what}: unexpected BMP 0x${b.tag.toString(16)}`);
    m.set(b.tag, b.value);
  }
  return m;
}

const num = (v: Uint8Array | undefined) => (v === undefined ? undefined : decodeBcdNumber(v));

function withDefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

/** Decodes an ECR → PT message (the simulator's side). Throws PROTOCOL on a malformed known command. */
export function decodeEcrCommand(a: Apdu): EcrCommand {
  const { cls, instr, data } = a;
  const key = (cls << 8) | instr;
  if (cls === 0x80 && instr === 0x00) return { kind: 'ack' };
  if (cls === 0x84) {
    if (data.length === 0) return { kind: 'nack', code: instr };
    return { kind: 'nack', code: instr, info: decodeStatusInfo(data) };
  }
  switch (key) {
    case 0x0600: {
      if (data.length < 4) throw protocolError('registration shorter than password + config byte');
      const c: EcrCommand = { kind: 'registration', password: readPassword(data, 'registration'), config: data[3] };
      let i = 4;
      if (data.length >= i + 2 && data[i] !== 0x03 && data[i] !== 0x06) {
        c.currency = decodeBcdNumber(copyBytes(data, i, i + 2));
        i += 2;
      }
      if (data[i] === 0x03) {
        if (i + 1 >= data.length) throw protocolError('registration: truncated service byte');
        c.serviceByte = data[i + 1];
        i += 2;
      }
      if (data[i] === 0x06) {
        const { length, next } = decodeTlvLength(data, i + 1);
        if (next + length > data.length) throw protocolError('registration: truncated TLV');
        c.tlv = decodeTlv(copyBytes(data, next, next + length));
        i = next + length;
      }
      if (i !== data.length) throw protocolError('registration: trailing bytes');
      return c;
    }
    case 0x0601: {
      const m = bmpMap(decodeBmps(data), [0x02, 0x04, 0x19, 0x49], 'authorization');
      const amount = m.get(0x04);
      if (!amount) throw protocolError('authorization without amount (BMP 04)');
      return withDefined({
        kind: 'authorization' as const,
        amount: decodeBcdNumber(amount),
        currency: num(m.get(0x49)),
        paymentType: m.get(0x19)?.[0],
        maxStatusInfos: m.get(0x02)?.[0],
      });
    }
    case 0x0630: {
      const password = readPassword(data, 'reversal');
      const m = bmpMap(decodeBmps(data, 3), [0x04, 0x87, 0x49, 0x06], 'reversal');
      const tlv = m.get(0x06);
      return withDefined({
        kind: 'reversal' as const,
        password,
        receiptNumber: num(m.get(0x87)),
        amount: num(m.get(0x04)),
        currency: num(m.get(0x49)),
        tlv: tlv === undefined ? undefined : decodeTlv(tlv),
      });
    }
    case 0x0631: {
      const password = readPassword(data, 'refund');
      const m = bmpMap(decodeBmps(data, 3), [0x04, 0x49], 'refund');
      const amount = m.get(0x04);
      if (!amount) throw protocolError('refund without amount (BMP 04)');
      return withDefined({ kind: 'refund' as const, password, amount: decodeBcdNumber(amount), currency: num(m.get(0x49)) });
    }
    case 0x0650: {
      const password = readPassword(data, 'end-of-day');
      const tlv = bmpMap(decodeBmps(data, 3), [0x06], 'end-of-day').get(0x06);
      return withDefined({ kind: 'end-of-day' as const, password, tlv: tlv === undefined ? undefined : decodeTlv(tlv) });
    }
    case 0x0620: {
      const password = readPassword(data, 'repeat receipt');
      const m = bmpMap(decodeBmps(data, 3), [0x03], 'repeat receipt');
      return withDefined({ kind: 'repeat-receipt' as const, password, serviceByte: m.get(0x03)?.[0] });
    }
    case 0x06b0:
      return { kind: 'abort' };
    case 0x0501: {
      const password = readPassword(data, 'status enquiry');
      const m = bmpMap(decodeBmps(data, 3), [0x03], 'status enquiry');
      return withDefined({ kind: 'status-enquiry' as const, password, serviceByte: m.get(0x03)?.[0] });
    }
    default:
      return { kind: 'other', cls, instr, data: copyBytes(data) };
  }
}
