import type { Apdu } from './apdu';
import { bcdDigits, bcdNumber } from './bcd';
import { BmpError, readBmps } from './bmp';
import { readBerLength } from './tlv';

/**
 * What the ECR sends, as the terminal reads it (PA00P015 chapter 2 "ECR → PT commands"):
 * - Registration `06 00`: <password 3 BCD> <config-byte> [<CC 2 BCD, no tag>] [03 <service-byte>] [06 <TLV>]
 * - Authorization `06 01`: BMPs, 04 <amount> mandatory, [49 <CC>] [19 <payment type>] [02 <max status infos>] ...
 * - Log-off `06 02`: no data. Repeat receipt `06 20`: <password> [03 <service-byte>] [06 <TLV>]
 * - Reversal `06 30`: <password> [87 <receipt no>] [04 <amount>] [49 <CC>] ... Refund `06 31`: <password> 04 <amount> [49 <CC>] ...
 * - End-of-day `06 50`: <password> [06 <TLV>]. Abort `06 B0`: no data.
 * - Status enquiry `05 01`: [<password> [03 <service-byte>] [06 <TLV>]]
 * The shapes match the fields a driver would fill in; unknown commands are `other` (log-off included, as
 * `other` 06 02, so the event type stays a subset of what an ECR-side codec describes).
 */
export type SimCommand =
  | { kind: 'registration'; password: string; config: number; currency?: number; serviceByte?: number; tlvContainer?: Uint8Array }
  | { kind: 'authorization'; amount: number; currency?: number; paymentType?: number; maxStatusInfos?: number }
  | { kind: 'reversal'; password: string; receiptNumber?: number; amount?: number; currency?: number }
  | { kind: 'refund'; password: string; amount: number; currency?: number }
  | { kind: 'end-of-day'; password: string; tlvContainer?: Uint8Array }
  | { kind: 'repeat-receipt'; password: string; serviceByte?: number }
  | { kind: 'abort' }
  | { kind: 'status-enquiry'; password: string; serviceByte?: number }
  | { kind: 'other'; cls: number; instr: number; data: Uint8Array };

export type Incoming = { type: 'ack' } | { type: 'nack'; code: number } | { type: 'command'; command: SimCommand };

export class MalformedCommand extends Error {}

export const isLogOff = (c: SimCommand): boolean => c.kind === 'other' && c.cls === 0x06 && c.instr === 0x02;

/** Reads one APDU from the ECR. Throws MalformedCommand for a known command whose data is wrong. */
export function readIncoming(a: Apdu): Incoming {
  if (a.cls === 0x80 && a.instr === 0x00) return { type: 'ack' };
  if (a.cls === 0x84) return { type: 'nack', code: a.instr };
  try {
    return { type: 'command', command: readCommand(a) };
  } catch (e) {
    if (e instanceof MalformedCommand) throw e;
    throw new MalformedCommand(`${name(a)}: ${(e as Error).message}`);
  }
}

function name(a: Apdu): string {
  return `${a.cls.toString(16).padStart(2, '0')} ${a.instr.toString(16).padStart(2, '0')}`;
}

function password(d: Uint8Array, what: string): string {
  if (d.length < 3) throw new MalformedCommand(`${what} without password`);
  return bcdDigits(d.subarray(0, 3));
}

function fields(d: Uint8Array, offset: number, allowed: number[], what: string): Map<number, Uint8Array> {
  let list: { tag: number; value: Uint8Array }[];
  try {
    list = readBmps(d, offset);
  } catch (e) {
    throw new MalformedCommand(`${what}: ${(e as BmpError).message}`);
  }
  const m = new Map<number, Uint8Array>();
  for (const { tag, value } of list) {
    if (!allowed.includes(tag)) throw new MalformedCommand(`${what}: BMP 0x${tag.toString(16)} not expected`);
    m.set(tag, value);
  }
  return m;
}

const num = (v: Uint8Array | undefined): number | undefined => (v === undefined ? undefined : bcdNumber(v));

function defined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

function readCommand(a: Apdu): SimCommand {
  const d = a.data;
  switch ((a.cls << 8) | a.instr) {
    case 0x0600: {
      if (d.length < 4) throw new MalformedCommand('registration shorter than password + config byte');
      const c: SimCommand = { kind: 'registration', password: password(d, 'registration'), config: d[3] };
      let i = 4;
      // the currency code has no tag: it is there when the next byte is not the tag 03 or 06
      if (i + 2 <= d.length && d[i] !== 0x03 && d[i] !== 0x06) {
        c.currency = bcdNumber(d.subarray(i, i + 2));
        i += 2;
      }
      if (d[i] === 0x03) {
        if (i + 2 > d.length) throw new MalformedCommand('registration: service byte missing');
        c.serviceByte = d[i + 1];
        i += 2;
      }
      if (d[i] === 0x06) {
        const l = readBerLength(d, i + 1);
        if (l.next + l.length > d.length) throw new MalformedCommand('registration: TLV container truncated');
        c.tlvContainer = Uint8Array.from(d.subarray(l.next, l.next + l.length));
        i = l.next + l.length;
      }
      if (i !== d.length) throw new MalformedCommand('registration: trailing bytes');
      return c;
    }
    case 0x0601: {
      const m = fields(d, 0, [0x01, 0x02, 0x04, 0x05, 0x06, 0x19, 0x49, 0x8a, 0x3c], 'authorization');
      const amount = m.get(0x04);
      if (!amount) throw new MalformedCommand('authorization without amount (BMP 04)');
      return defined({ kind: 'authorization' as const, amount: bcdNumber(amount), currency: num(m.get(0x49)), paymentType: m.get(0x19)?.[0], maxStatusInfos: m.get(0x02)?.[0] });
    }
    case 0x0620: {
      const m = fields(d, 3, [0x03, 0x06], 'repeat receipt');
      return defined({ kind: 'repeat-receipt' as const, password: password(d, 'repeat receipt'), serviceByte: m.get(0x03)?.[0] });
    }
    case 0x0630: {
      const m = fields(d, 3, [0x87, 0x04, 0x49, 0x19, 0x06, 0x8a], 'reversal');
      return defined({ kind: 'reversal' as const, password: password(d, 'reversal'), receiptNumber: num(m.get(0x87)), amount: num(m.get(0x04)), currency: num(m.get(0x49)) });
    }
    case 0x0631: {
      const m = fields(d, 3, [0x04, 0x49, 0x19, 0x06, 0x8a], 'refund');
      const amount = m.get(0x04);
      if (!amount) throw new MalformedCommand('refund without amount (BMP 04)');
      return defined({ kind: 'refund' as const, password: password(d, 'refund'), amount: bcdNumber(amount), currency: num(m.get(0x49)) });
    }
    case 0x0650: {
      const m = fields(d, 3, [0x06], 'end-of-day');
      return defined({ kind: 'end-of-day' as const, password: password(d, 'end-of-day'), tlvContainer: m.get(0x06) });
    }
    case 0x06b0:
      return { kind: 'abort' };
    case 0x0501: {
      if (d.length === 0) return { kind: 'status-enquiry', password: '000000' };
      const m = fields(d, 3, [0x03, 0x06], 'status enquiry');
      return defined({ kind: 'status-enquiry' as const, password: password(d, 'status enquiry'), serviceByte: m.get(0x03)?.[0] });
    }
    default:
      return { kind: 'other', cls: a.cls, instr: a.instr, data: Uint8Array.from(d) };
  }
}
