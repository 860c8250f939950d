import type { Minor } from '../../kernel/money';
import type { AttemptContext, PaymentReference } from '../orders/events';

export interface PaymentRequest {
  attemptId: string;
  orderId: string;
  amount: Minor;
  currency: string;
}

export type PaymentResult =
  | { outcome: 'approved'; amount: Minor; reference?: PaymentReference }
  | { outcome: 'declined'; reason: string };

/** An attempt whose outcome was lost, as recorded before it was sent. */
export interface LookupRequest {
  attemptId: string;
  orderId: string;
  amount: Minor;
  /** What `prepare` returned for it (null if the provider has no `prepare`). */
  context: AttemptContext | null;
}

/** Paying back (part of) an approved attempt. `requestNo` is the same on a retry, so providers that can be idempotent are. */
export interface RefundRequest {
  attemptId: string;
  orderId: string;
  /** What the attempt paid, and how much of it was refunded before. */
  approvedAmount: Minor;
  refundedBefore: Minor;
  amount: Minor;
  reference: PaymentReference | null;
  /** The terminal's end-of-day has settled the payment (it can no longer be reversed). */
  captured: boolean;
  requestNo: string;
}

export type RefundOutcome =
  | { outcome: 'refunded'; via: 'reversal' | 'refund' | 'cash'; reference?: PaymentReference }
  | { outcome: 'declined'; reason: string };

/** A refund whose outcome was lost (timeout, dropped line, crash), as recorded before it was sent. */
export interface RefundLookupRequest {
  refundAttemptId: string;
  /** The payment attempt it pays back, and that payment's reference (a reversal names its trace number). */
  attemptId: string;
  paymentReference: PaymentReference | null;
  amount: Minor;
  /** What `prepareRefund` returned for it. */
  context: AttemptContext | null;
  /** The kiosk sent the provider something else after this refund (a payment, another refund, an end-of-day). */
  laterTraffic: boolean;
}

/** What a provider can say about a refund whose outcome was lost: done, not done (a retry may send it), or not known. */
export type RefundLookupResult =
  | { outcome: 'refunded'; via: 'reversal' | 'refund'; reference?: PaymentReference }
  | { outcome: 'not_done'; reason: string }
  | { outcome: 'unknown' };

/** What a provider can say about an earlier attempt when its outcome was lost. */
export type LookupResult =
  | { outcome: 'approved'; amount: Minor; reference?: PaymentReference }
  | { outcome: 'declined'; reason: string }
  /** The provider cannot tell; only a person can decide. */
  | { outcome: 'unknown' };

/**
 * One way to take money (card terminal, QR gateway, cash at the attendant).
 *
 * Rules: `prepare` (optional) is called once per attempt before anything is sent; what it returns is committed with
 * the attempt (state `sent`) and handed back to `lookup` — possibly in a later process, after a crash — so the
 * provider can recognise its own transaction. An attempt that never reached `sent` was never sent: the runtime
 * declines it without asking. `pay` may be called once per attemptId; the attempt is already committed when it is called. It resolves
 * with the outcome, or rejects / outlasts the timeout when the outcome is unknown — the runtime then asks
 * `lookup(attempt)` and never calls `pay` again for that attempt. A rejection with a `KioskError` of code
 * `DEVICE_BUSY`, `DEVICE_STATE` or `DEVICE_OFFLINE` whose `details.unknownOutcome` is not `true` means the request
 * was refused before anything was sent (the attempt is then declined, not in doubt); every other rejection, and
 * any error with `details.unknownOutcome: true`, leaves the outcome unknown.
 */
export interface PaymentProvider {
  readonly method: string;
  pay(req: PaymentRequest, signal: AbortSignal): Promise<PaymentResult>;
  /**
   * May wait for the shopper (e.g. the QR router waits for the payment code, so the channel it picks is committed
   * before anything is sent); `signal` aborts when the shopper cancels. A rejection declines the attempt as not sent.
   */
  prepare?(req: PaymentRequest, signal: AbortSignal): Promise<AttemptContext>;
  /**
   * Settles an attempt whose outcome was lost. A provider that finds the attempt still open (e.g. a QR trade still
   * waiting for the shopper) cancels it and answers declined; it never takes money in `lookup`.
   */
  lookup(attempt: LookupRequest): Promise<LookupResult>;
  /** Pays money back; absent when the method cannot (the attendant then refunds another way). */
  refund?(req: RefundRequest): Promise<RefundOutcome>;
  /**
   * Like `prepare`, for a refund: what the provider needs to recognise it later, committed with the refund attempt
   * before `refund` is called (card: the terminal's last trace number the kiosk knows of).
   */
  prepareRefund?(req: RefundRequest): Promise<AttemptContext>;
  /**
   * Settles a refund whose outcome was lost by asking, never by refunding again. Providers without it are
   * idempotent on `requestNo` instead (the wallets): the same request is sent again under the same number.
   */
  lookupRefund?(req: RefundLookupRequest): Promise<RefundLookupResult>;
}
