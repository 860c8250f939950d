import type { Minor } from '../../kernel/money';
import type { PaymentPrompt } from '../../protocol/screen';
import type { Device, DeviceEvents } from './device';

/**
 * What the terminal asks of the shopper while a transaction runs ("insert card", "enter PIN"): a prompt code the
 * screen translates (the driver maps its protocol's status numbers to it) and the terminal's own text, for logs only.
 */
export type TerminalPrompt = PaymentPrompt;

/** The card groups a ZVT end-of-day totals (BMP 60): girocard/EC, JCB, Eurocard/Mastercard, Amex, Visa, Diners, remaining cards. */
export type CardScheme = 'girocard' | 'jcb' | 'mastercard' | 'amex' | 'visa' | 'diners' | 'other';

/** One card group's share of an end-of-day: how many transactions and their turnover in minor units. */
export interface CardSchemeTotal {
  scheme: CardScheme;
  count: number;
  amount: Minor;
}

/** The terminal's final word on a transaction. Only what receipts and reconciliation need: never a full PAN. */
export interface TerminalResult {
  /** 0 = approved (ZVT result code 00). */
  resultCode: number;
  approved: boolean;
  amount?: Minor;
  traceNumber?: number;
  /** Trace number of the transaction this one reverses (ZVT BMP 37): set on a reversal, never on a payment. */
  originalTraceNumber?: number;
  receiptNumber?: number;
  /** e.g. "girocard", "Mastercard". */
  cardType?: string;
  /** Masked as the terminal sent it, e.g. "6799********0016". */
  maskedPan?: string;
  authCode?: string;
  /** Terminal id / date / time as reported. */
  terminalId?: string;
  /** Human-readable reason for a decline or abort. */
  text?: string;
  /**
   * statusEnquiry() only — what the terminal holds: `found` (its record of the last transaction, described by the
   * fields above), `none` (it says it has no transaction stored), `unknown` (it did not say).
   */
  lastTransaction?: 'found' | 'none' | 'unknown';
  /**
   * endOfDay() only — the terminal's totals per card group since the previous end-of-day (ZVT BMP 60, "individual
   * totals"), one entry per group in the terminal's order; absent when the terminal sent none (the BMP is optional)
   * or sent one that could not be read (then `totalsError` says why).
   */
  totals?: CardSchemeTotal[];
  /** endOfDay() only — the terminal sent per-card-group totals that were malformed; the totals are left out. */
  totalsError?: string;
}

export type TerminalEvents = DeviceEvents & {
  prompt: [TerminalPrompt];
  /** A receipt line the terminal asks the ECR to print (06 D1). */
  printLine: [string];
};

/**
 * A card payment terminal. Rules: one transaction at a time (`DEVICE_BUSY` otherwise); `authorize` resolves with
 * the outcome (a decline is a result with `approved: false`, not a rejection) and rejects with `TIMEOUT` or
 * `DEVICE_OFFLINE` only when the outcome is unknown — the caller must then ask `statusEnquiry`/repeat-receipt,
 * never authorize again.
 */
export interface PaymentTerminal extends Device<TerminalEvents> {
  register(): Promise<void>;
  authorize(amount: Minor, opts?: { signal?: AbortSignal }): Promise<TerminalResult>;
  reverse(receiptNumber: number): Promise<TerminalResult>;
  refund(amount: Minor): Promise<TerminalResult>;
  endOfDay(): Promise<TerminalResult>;
  abort(): Promise<void>;
  statusEnquiry(): Promise<TerminalResult>;
}
