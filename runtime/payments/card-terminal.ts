import type { PaymentTerminal, TerminalResult } from '../../drivers/contract';
import type { PaymentReference } from '../orders/events';
import type { LookupResult, PaymentProvider, PaymentRequest, PaymentResult } from './provider';

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
 */
export class CardTerminalProvider implements PaymentProvider {
  readonly method = 'card';
  /** attemptId → amount, so a lookup can recognise its own transaction in the terminal's answer. */
  private readonly amounts = new Map<string, number>();

  constructor(
    private readonly terminal: PaymentTerminal,
    private readonly onPrompt?: (text: string) => void,
  ) {}

  async pay(req: PaymentRequest, signal: AbortSignal): Promise<PaymentResult> {
    this.amounts.set(req.attemptId, req.amount);
    const listener = (p: { text: string }) => this.onPrompt?.(p.text);
    this.terminal.on('prompt', listener);
    try {
      const r = await this.terminal.authorize(req.amount, { signal });
      if (r.approved) return { outcome: 'approved', amount: r.amount ?? req.amount, reference: terminalReference(r) };
      return { outcome: 'declined', reason: r.text ?? `declined (result code ${r.resultCode})` };
    } finally {
      this.terminal.off('prompt', listener);
    }
  }

  async lookup(attemptId: string): Promise<LookupResult> {
    const amount = this.amounts.get(attemptId);
    let last: TerminalResult;
    try {
      last = await this.terminal.statusEnquiry();
    } catch {
      return { outcome: 'unknown' };
    }
    if (amount === undefined || last.amount !== amount) return { outcome: 'unknown' };
    return last.approved
      ? { outcome: 'approved', amount, reference: terminalReference(last) }
      : { outcome: 'declined', reason: last.text ?? `declined (result code ${last.resultCode})` };
  }
}
