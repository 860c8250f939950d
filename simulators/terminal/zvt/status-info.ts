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
 * BMP 60 "individual totals" (Einzelsummen) of an end-of-day, PA00P015 BMP table: <receipt-no start 2 BCD>
 * <receipt-no end 2 BCD>, then for each card group — girocard (EC), JCB, Eurocard, Amex, VISA, Diners, remaining
 * cards, in this order — <number 1 byte binary> <turnover 6 BCD>: 53 bytes. `groups` holds the seven groups in that
 * order; a number above 255 cannot be said in one byte and is sent as 255.
 */
export const TOTALS_GROUPS = ['girocard', 'jcb', 'eurocard', 'amex', 'visa', 'diners', 'remaining'] as const;
export type TotalsGroup = (typeof TOTALS_GROUPS)[number];

export function individualTotals(t: { firstReceipt: number; lastReceipt: number; groups: Record<TotalsGroup, { count: number; total: number }> }): Uint8Array {
  const parts: ArrayLike<number>[] = [bcd(t.firstReceipt, 2), bcd(t.lastReceipt, 2)];
  for (const g of TOTALS_GROUPS) {
    parts.push([Math.min(t.groups[g].count, 255)]);
    parts.push(bcd(t.groups[g].total, 6));
  }
  return concat(parts);
}

/**
 * The BMP 60 group of a ZVT card type (BMP 8A numbers, PA00P015 card-type list): 5 girocard (2 the old ec-card),
 * 14 JCB, 6 Mastercard (Eurocard), 8 American Express, 10 Visa / 11 VISA electron / 13 V PAY, 12 Diners; every
 * other card type is "remaining".
 */
export function totalsGroupOf(cardType: number | undefined, cardName?: string): TotalsGroup {
  const byType: Record<number, TotalsGroup> = { 2: 'girocard', 5: 'girocard', 14: 'jcb', 6: 'eurocard', 8: 'amex', 10: 'visa', 11: 'visa', 13: 'visa', 12: 'diners' };
  if (cardType !== undefined) return byType[cardType] ?? 'remaining';
  const name = (cardName ?? '').toLowerCase();
  if (name.includes('giro') || name.startsWith('ec')) return 'girocard';
  if (name.includes('jcb')) return 'jcb';
  if (name.includes('master') || name.includes('eurocard')) return 'eurocard';
  if (name.includes('amex') || name.includes('american')) return 'amex';
  if (name.includes('visa') || name.includes('v pay')) return 'visa';
  if (name.includes('diners')) return 'diners';
  return 'remaining';
}
