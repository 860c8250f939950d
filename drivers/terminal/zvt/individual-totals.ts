import type { CardSchemeTotal, CardScheme } from '../../contract/terminal';
import { decodeBcd, encodeBcd } from './bcd';
import { protocolError } from './errors';
import { KioskError } from '../../../kernel/errors';

/**
 * BMP 60 "individual totals" (Einzelsummen), LLLVAR, sent in the status information (04 0F) of an end-of-day
 * (06 50). ZVT protocol (PA00P015) 13.x, BMP table, BMP 60:
 *
 *   receipt-no start   2 bytes BCD
 *   receipt-no end     2 bytes BCD
 *   then for each card group, in this order — girocard (EC-card), JCB, Eurocard (Mastercard), Amex, VISA, Diners,
 *   remaining cards:
 *     number           1 byte binary
 *     turnover         6 bytes BCD (minor units)
 *
 * 4 + 7 × 7 = 53 bytes — the same layout as the independent `zvt` Rust crate (Qwello, zvt/src/packets.rs:
 * `SingleAmounts { receipt_no_start, receipt_no_end, girocard, jcb, eurocard, amex, visa, diners, others }` of
 * `NumAndTotal { num: u8, total: 6 BCD }`, StatusInformation BMP 0x60 Lllv). Example (tested in individual-totals.test.ts): receipts 0001–0003, girocard 2 × 17.34,
 * VISA 1 × 0.99 →
 *   60 F0 F5 F3  00 01 00 03  02 00 00 00 00 17 34  00 00 00 00 00 00 00  00 00 00 00 00 00 00
 *   00 00 00 00 00 00 00  01 00 00 00 00 00 99  00 00 00 00 00 00 00  00 00 00 00 00 00 00
 * The value is a fixed layout: anything but 53 bytes, or a non-BCD digit, is reported (a PROTOCOL KioskError),
 * never thrown past the caller.
 */
export const INDIVIDUAL_TOTALS_BYTES = 53;

export const CARD_GROUPS: readonly CardScheme[] = ['girocard', 'jcb', 'mastercard', 'amex', 'visa', 'diners', 'other'];

export interface IndividualTotals {
  receiptStart: number;
  receiptEnd: number;
  /** One per card group, in the BMP's order. */
  totals: CardSchemeTotal[];
}

/** Decodes a BMP 60 value (without its LLL length). Throws a PROTOCOL KioskError on anything malformed. */
export function decodeIndividualTotals(value: Uint8Array): IndividualTotals {
  if (value.length !== INDIVIDUAL_TOTALS_BYTES) {
    throw protocolError(`BMP 60 (individual totals) has ${value.length} bytes, expected ${INDIVIDUAL_TOTALS_BYTES}`, undefined, { length: value.length });
  }
  const receiptStart = Number(decodeBcd(value.subarray(0, 2)));
  const receiptEnd = Number(decodeBcd(value.subarray(2, 4)));
  const totals: CardSchemeTotal[] = CARD_GROUPS.map((scheme, i) => {
    const at = 4 + i * 7;
    return { scheme, count: value[at], amount: Number(decodeBcd(value.subarray(at + 1, at + 7))) };
  });
  return { receiptStart, receiptEnd, totals };
}

/** Decodes, or says why not: the result of a malformed BMP 60 is an error value, never an exception. */
export function tryDecodeIndividualTotals(value: Uint8Array): { ok: true; value: IndividualTotals } | { ok: false; error: string } {
  try {
    return { ok: true, value: decodeIndividualTotals(value) };
  } catch (e) {
    return { ok: false, error: e instanceof KioskError ? e.message : `ZVT: BMP 60 could not be read: ${String(e)}` };
  }
}

/** The BMP 60 value for these totals (the driver's own encoder, for its round-trip tests). */
export function encodeIndividualTotals(t: IndividualTotals): Uint8Array {
  const out = new Uint8Array(INDIVIDUAL_TOTALS_BYTES);
  out.set(encodeBcd(t.receiptStart, 2), 0);
  out.set(encodeBcd(t.receiptEnd, 2), 2);
  CARD_GROUPS.forEach((scheme, i) => {
    const g = t.totals.find((x) => x.scheme === scheme) ?? { count: 0, amount: 0 };
    if (!Number.isInteger(g.count) || g.count < 0 || g.count > 255) throw new RangeError(`count must be 0..255, got ${g.count}`);
    out[4 + i * 7] = g.count;
    out.set(encodeBcd(g.amount, 6), 5 + i * 7);
  });
  return out;
}
