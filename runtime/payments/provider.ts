import type { Minor } from '../money';
import type { PaymentReference } from '../orders/events';

export interface PaymentRequest {
  attemptId: string;
  orderId: string;
  amount: Minor;
  currency: string;
}

export type PaymentResult =
  | { outcome: 'approved'; amount: Minor; reference?: PaymentReference }
  | { outcome: 'declined'; reason: string };

/** What a provider can say about an earlier attempt when its outcome was lost. */
export type LookupResult =
  | { outcome: 'approved'; amount: Minor; reference?: PaymentReference }
  | { outcome: 'declined'; reason: string }
  /** The provider cannot tell; only a person can decide. */
  | { outcome: 'unknown' };

/**
 * One way to take money (card terminal, QR gateway, cash at the attendant).
 *
 * Rules: `pay` may be called once per attemptId; the attempt is already committed when it is called. It resolves
 * with the outcome, or rejects / outlasts the timeout when the outcome is unknown — the runtime then asks
 * `lookup(attemptId)` and never calls `pay` again for that attempt. A rejection with a `KioskError` of code
 * `DEVICE_BUSY`, `DEVICE_STATE` or `DEVICE_OFFLINE` whose `details.unknownOutcome` is not `true` means the request
 * was refused before anything was sent (the attempt is then declined, not in doubt); every other rejection, and
 * any error with `details.unknownOutcome: true`, leaves the outcome unknown.
 */
export interface PaymentProvider {
  readonly method: string;
  pay(req: PaymentRequest, signal: AbortSignal): Promise<PaymentResult>;
  lookup(attemptId: string): Promise<LookupResult>;
}
