import type { LookupResult, PaymentProvider, PaymentRequest, PaymentResult, RefundOutcome } from './provider';

/**
 * Cash taken by the attendant: `confirm` is the attendant saying "received" (or not). It keeps no ledger of its
 * own, so after a crash the outcome can only be decided by the attendant (lookup says unknown).
 */
export class AttendantCashProvider implements PaymentProvider {
  readonly method = 'cash';
  constructor(private readonly confirm: (req: PaymentRequest) => Promise<boolean>) {}

  async pay(req: PaymentRequest, signal: AbortSignal): Promise<PaymentResult> {
    const ok = await this.confirm(req);
    if (signal.aborted) throw new Error('aborted');
    return ok ? { outcome: 'approved', amount: req.amount, reference: { tender: 'cash' } } : { outcome: 'declined', reason: 'cash not received' };
  }

  /** The attendant hands the cash back. */
  async refund(): Promise<RefundOutcome> {
    return { outcome: 'refunded', via: 'cash' };
  }

  async lookup(): Promise<LookupResult> {
    return { outcome: 'unknown' };
  }
}
