import type { PaymentTerminal, TerminalPrompt, TerminalResult } from '../../drivers/contract';
import type { PaymentReference } from '../orders/events';
import { failpoint } from '../../kernel/failpoints';
import type { AttemptContext } from '../orders/events';
import type {
  LookupRequest,
  LookupResult,
  PaymentProvider,
  PaymentRequest,
  PaymentResult,
  RefundLookupRequest,
  RefundLookupResult,
  RefundOutcome,
  RefundRequest,
} from './provider';

/** What the order keeps of a terminal result: references for receipts and reconciliation, never a full PAN. */
export function terminalReference(r: TerminalResult): PaymentReference {
  const ref: PaymentReference = {};
  if (r.traceNumber !== undefined) ref.traceNumber = r.traceNumber;
  if (r.receiptNumber !== undefined) ref.receiptNumber = r.receiptNumber;
  if (r.cardType) ref.cardType = r.cardType;
  if (r.maskedPan) ref.maskedPan = r.maskedPan;
  if (r.authCode) ref.authCode = r.authCode;
  if (r.terminalId) ref.terminalId = r.terminalId;
  ref.resultCode = r.resultCode;
  return ref;
}

/**
 * Card payments through the lane's terminal. `pay` authorizes once; a timeout or a dropped line rejects (outcome
 * unknown) and the runtime then calls `lookup`, which asks the terminal for its last transaction instead of ever
 * authorizing again.
 *
 * Telling our transaction apart after a crash: ZVT lets the terminal, not the ECR, number transactions, so
 * `prepare` records the trace number of the terminal's last transaction the kiosk knows of (`lastTraceNumber`,
 * read from the database by the composition root: payments, refunds, reversals and end-of-day alike). On lookup
 * the terminal's last transaction (status enquiry + repeat receipt asking for its status information) is ours
 * only if its trace number moved past that baseline, it is no reversal (no BMP 37 original trace number) and its
 * amount is ours; if the trace number has not moved, the authorization never ran on the terminal (declined,
 * nothing charged); when the terminal explicitly has no transaction stored and the kiosk knew of none either, ours
 * never ran; anything else — above all a terminal that does not say (no status information) — is left unknown
 * (recovery retries, then the attendant decides). Never "declined" on silence.
 *
 * Refunds (06 31) and reversals (06 30) are recorded the same way before they are sent (`prepareRefund`) and, when
 * their outcome is lost, settled by `lookupRefund` on the same rules. While a card refund is in doubt its trace
 * number is not known, so a payment started meanwhile carries `refundInDoubt` in its context and its lookup never
 * takes a newer transaction for it (unknown, unless the trace did not move at all).
 */
export class CardTerminalProvider implements PaymentProvider {
  readonly method = 'card';
  /** The trace number of the last terminal transaction seen in this process. */
  private lastSeenTrace: number | null = null;

  constructor(
    private readonly terminal: PaymentTerminal,
    private readonly opts: {
      /** The terminal's prompts while a payment runs, as prompt codes (the driver maps its protocol's numbers). */
      onPrompt?: (prompt: TerminalPrompt) => void;
      /** The last trace number the kiosk has on record (e.g. from its payment attempts). */
      lastTraceNumber?: () => Promise<number | null>;
      /**
       * Before a payment: settles the card refunds left in doubt (asking the terminal) and answers how many are
       * still in doubt afterwards (runtime/payments/refunds.ts `settleCardInDoubt`).
       */
      refundsInDoubt?: () => Promise<number>;
    } = {},
  ) {}

  async prepare(): Promise<AttemptContext> {
    // first: a refund in doubt settled now is journaled with its trace number, so the baseline below includes it
    const doubt = this.opts.refundsInDoubt ? await this.opts.refundsInDoubt().catch(() => 1) : 0; // could not tell: in doubt
    const recorded = this.lastSeenTrace ?? (await this.opts.lastTraceNumber?.()) ?? null;
    return doubt > 0 ? { lastTraceNumber: recorded, refundInDoubt: doubt } : { lastTraceNumber: recorded };
  }

  /** The baseline of a refund or reversal: the trace number of the terminal's last transaction the kiosk knows of. */
  async prepareRefund(): Promise<AttemptContext> {
    return { lastTraceNumber: this.lastSeenTrace ?? (await this.opts.lastTraceNumber?.()) ?? null };
  }

  async pay(req: PaymentRequest, signal: AbortSignal): Promise<PaymentResult> {
    let prompted = false;
    const listener = (p: TerminalPrompt) => {
      if (!prompted) {
        prompted = true;
        failpoint('payment.after-send'); // the terminal has the authorization and is talking to the shopper
      }
      this.opts.onPrompt?.(p);
    };
    this.terminal.on('prompt', listener);
    try {
      const r = await this.terminal.authorize(req.amount, { signal });
      if (r.traceNumber !== undefined) this.lastSeenTrace = r.traceNumber;
      if (r.approved) return { outcome: 'approved', amount: r.amount ?? req.amount, reference: terminalReference(r) };
      return { outcome: 'declined', reason: r.text ?? `declined (result code ${r.resultCode})` };
    } finally {
      this.terminal.off('prompt', listener);
    }
  }

  /**
   * A whole payment not yet settled by the terminal's end-of-day is reversed (06 30, by its receipt number: no
   * money moves at all); anything else is a refund (06 31) of the amount.
   */
  async refund(req: RefundRequest): Promise<RefundOutcome> {
    const receiptNumber = req.reference?.receiptNumber;
    if (req.refundedBefore === 0 && req.amount === req.approvedAmount && typeof receiptNumber === 'number' && req.captured !== true) {
      const r = await this.terminal.reverse(receiptNumber);
      if (r.traceNumber !== undefined) this.lastSeenTrace = r.traceNumber;
      if (r.approved) return { outcome: 'refunded', via: 'reversal', reference: terminalReference(r) };
      // already settled (end-of-day ran) or unknown to the terminal: fall back to a refund
    }
    const r = await this.terminal.refund(req.amount);
    if (r.traceNumber !== undefined) this.lastSeenTrace = r.traceNumber;
    return r.approved
      ? { outcome: 'refunded', via: 'refund', reference: terminalReference(r) }
      : { outcome: 'declined', reason: r.text ?? `refund declined (result code ${r.resultCode})` };
  }

  /**
   * The terminal's last transaction against a baseline (the trace number the kiosk knew before it sent something,
   * null: the terminal had none): `unknown` when the terminal does not answer or gives no status information, or has
   * no transaction though the baseline was not "none"; `none` when it has none and had none before; `unmoved` when
   * its last trace is the baseline (what was sent never ran); else `moved`, with the transaction.
   */
  private async sinceBaseline(context: { lastTraceNumber?: unknown } | null | undefined): Promise<
    { kind: 'unknown' } | { kind: 'none' } | { kind: 'unmoved' } | { kind: 'moved'; last: TerminalResult; hasBaseline: boolean }
  > {
    let last: TerminalResult;
    try {
      last = await this.terminal.statusEnquiry();
    } catch {
      return { kind: 'unknown' };
    }
    const baseline = context?.lastTraceNumber;
    const hasBaseline = typeof baseline === 'number' || baseline === null;
    // the terminal did not say what it last did (e.g. a completion without status information): in doubt
    if (last.lastTransaction !== 'found' && last.lastTransaction !== 'none') return { kind: 'unknown' };
    if (last.lastTransaction === 'none' || last.traceNumber === undefined) {
      // no transaction at all: nothing of ours ran, if we knew the terminal had none before either
      return last.lastTransaction === 'none' && hasBaseline && baseline === null ? { kind: 'none' } : { kind: 'unknown' };
    }
    this.lastSeenTrace = last.traceNumber;
    if (hasBaseline && last.traceNumber === baseline) return { kind: 'unmoved' };
    return { kind: 'moved', last, hasBaseline };
  }

  async lookup(attempt: LookupRequest): Promise<LookupResult> {
    const since = await this.sinceBaseline(attempt.context);
    if (since.kind === 'unknown') return { outcome: 'unknown' };
    if (since.kind === 'none') return { outcome: 'declined', reason: 'the terminal has no record of the payment' };
    if (since.kind === 'unmoved') return { outcome: 'declined', reason: 'the payment never reached the terminal (its last transaction is older)' };
    const { last } = since;
    // a card refund was in doubt when this payment started: the newer transaction may be that refund
    if (attempt.context?.refundInDoubt) return { outcome: 'unknown' };
    // a reversal (it names the transaction it reverses) is never our payment, whatever its amount
    if (last.originalTraceNumber !== undefined) return { outcome: 'unknown' };
    if (last.amount !== attempt.amount) return { outcome: 'unknown' };
    return last.approved
      ? { outcome: 'approved', amount: attempt.amount, reference: terminalReference(last) }
      : { outcome: 'declined', reason: last.text ?? `declined (result code ${last.resultCode})` };
  }

  /**
   * What became of a refund or reversal whose outcome was lost, from the terminal's last transaction (status
   * enquiry + repeat receipt, as `lookup`): its trace number did not move past the baseline → it never ran
   * (`not_done`: a retry may send it); it moved, the kiosk sent the terminal nothing after it, and it is a reversal
   * of this payment's trace number or a transaction of our amount (no reversal) → approved: `refunded`, declined:
   * `not_done`; anything else — no status information, another amount, something sent after it — stays `unknown`.
   */
  async lookupRefund(req: RefundLookupRequest): Promise<RefundLookupResult> {
    const since = await this.sinceBaseline(req.context);
    if (since.kind === 'unknown') return { outcome: 'unknown' };
    if (since.kind === 'none') return req.laterTraffic ? { outcome: 'unknown' } : { outcome: 'not_done', reason: 'the terminal has no record of any transaction' };
    if (since.kind === 'unmoved') return { outcome: 'not_done', reason: 'the refund never reached the terminal (its last transaction is older)' };
    const { last, hasBaseline } = since;
    if (!hasBaseline || req.laterTraffic) return { outcome: 'unknown' };
    if (last.originalTraceNumber !== undefined) {
      // a reversal: ours only if it names this payment's trace number
      const paymentTrace = req.paymentReference?.traceNumber;
      if (paymentTrace === undefined || Number(paymentTrace) !== last.originalTraceNumber) return { outcome: 'unknown' };
      return last.approved
        ? { outcome: 'refunded', via: 'reversal', reference: terminalReference(last) }
        : { outcome: 'not_done', reason: last.text ?? `reversal declined (result code ${last.resultCode})` };
    }
    if (last.amount !== req.amount) return { outcome: 'unknown' };
    return last.approved
      ? { outcome: 'refunded', via: 'refund', reference: terminalReference(last) }
      : { outcome: 'not_done', reason: last.text ?? `refund declined (result code ${last.resultCode})` };
  }
}
