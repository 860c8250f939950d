import { bcd, maskedPanBytes } from './bcd';
import { bmp } from './bmp';
import { concat } from './bytes';

/**
 * BMPs of a status information (04 0F) about one transaction, in the order PA00P015 lists them for
 * Authorization: 27 result, 04 amount, 0B trace, 0C time, 0D date, 0E expiry, 17 card sequence no., 19 payment
 * type, 22 PAN (masked), 29 TID, 3B authorisation attribute, 37 original trace (reversals), 49 currency,
 * 87 receipt no., 8A card type, 8B card name, 60 individual totals (end-of-day).
 */
export interface InfoFields {
  resultCode: number;
  amount?: number;
  traceNumber?: number;
  /** Clock ms: gives 0C time (HHMMSS) and 0D date (MMDD), UTC. */
  at?: number;
  expiry?: string;
  cardSequenceNumber?: number;
  paymentType?: number;
  maskedPan?: string;
  terminalId?: string;
  authCode?: string;
  originalTraceNumber?: number;
  currency?: number;
  receiptNumber?: number;
  cardType?: number;
  cardName?: string;
  individualTotals?: Uint8Array;
}

/** ASCII; with `len`, cut or NUL-padded to it (as in `3B 36 31 31 38 30 34 00 00`, Portalum StatusInformationParserTest). */
const ascii = (s: string, len?: number): Uint8Array => {
  const padded = len === undefined ? s : s.slice(0, len).padEnd(len, '\0');
  return Uint8Array.from(padded, (c) => c.charCodeAt(0) & 0x7f);
};

const two = (n: number) => n.toString().padStart(2, '0');

export function statusInfoBmps(f: InfoFields): Uint8Array[] {
  const out: Uint8Array[] = [bmp(0x27, Uint8Array.of(f.resultCode))];
  if (f.amount !== undefined) out.push(bmp(0x04, bcd(f.amount, 6)));
  if (f.traceNumber !== undefined) out.push(bmp(0x0b, bcd(f.traceNumber, 3)));
  if (f.at !== undefined) {
    const d = new Date(f.at);
    out.push(bmp(0x0c, bcd(two(d.getUTCHours()) + two(d.getUTCMinutes()) + two(d.getUTCSeconds()), 3)));
    out.push(bmp(0x0d, bcd(two(d.getUTCMonth() + 1) + two(d.getUTCDate()), 2)));
  }
  if (f.expiry !== undefined) out.push(bmp(0x0e, bcd(f.expiry, 2)));
  if (f.cardSequenceNumber !== undefined) out.push(bmp(0x17, bcd(f.cardSequenceNumber, 2)));
  if (f.paymentType !== undefined) out.push(bmp(0x19, Uint8Array.of(f.paymentType)));
  if (f.maskedPan !== undefined) out.push(bmp(0x22, maskedPanBytes(f.maskedPan)));
  if (f.terminalId !== undefined) out.push(bmp(0x29, bcd(f.terminalId, 4)));
  if (f.authCode !== undefined) out.push(bmp(0x3b, ascii(f.authCode, 8)));
  if (f.originalTraceNumber !== undefined) out.push(bmp(0x37, bcd(f.originalTraceNumber, 3)));
  if (f.currency !== undefined) out.push(bmp(0x49, bcd(f.currency, 2)));
  if (f.receiptNumber !== undefined) out.push(bmp(0x87, bcd(f.receiptNumber, 2)));
  if (f.cardType !== undefined) out.push(bmp(0x8a, Uint8Array.of(f.cardType)));
  if (f.cardName !== undefined) out.push(bmp(0x8b, ascii(f.cardName)));
  if (f.individualTotals !== undefined) out.push(bmp(0x60, f.individualTotals));
  return out;
}

/**
 * BMP 60 "individual totals" of an end-of-day (PA00P015 BMP 60): <receipt-no start 2 BCD> <receipt-no end 2 BCD>
 * then, for girocard, JCB, Eurocard, Amex, VISA, Diners and "remaining", <count 1 byte binary> <turnover 6 BCD>.
 * The simulator books every card as girocard.
 */
export function individualTotals(t: { firstReceipt: number; lastReceipt: number; count: number; total: number }): Uint8Array {
  const groups: ArrayLike<number>[] = [];
  for (let i = 0; i < 7; i++) {
    groups.push([i === 0 ? Math.min(t.count, 255) : 0]);
    groups.push(bcd(i === 0 ? t.total : 0, 6));
  }
  return concat([bcd(t.firstReceipt, 2), bcd(t.lastReceipt, 2), ...groups]);
}
