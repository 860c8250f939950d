import type { KioskDb } from '../kernel/sqlite/database';
import { KioskError } from '../kernel/errors';
import type { Minor } from '../kernel/money';
import { refundsInDoubtList } from '../runtime/payments/refund-attempts';
import type { RefundDecision, RefundDecisionResult, Refunds } from '../runtime/payments/refunds';

/** One refund in doubt as `kiosk refunds list-in-doubt` shows it (no card data: neither reference nor request). */
export interface RefundInDoubtView {
  refundAttemptId: string;
  orderId: string;
  receiptNo: number | null;
  method: string;
  amount: Minor;
  state: string;
  returnId: string | null;
  requestNo: string;
  /** Who started the refund (journaled with it). */
  attendantId: string;
  /** Why it is in doubt (the provider's error). */
  reason: string | null;
  createdAt: number;
}

/** The refunds in doubt, oldest first, with their order's receipt number. */
export async function listRefundsInDoubt(db: KioskDb): Promise<RefundInDoubtView[]> {
  const rows = await refundsInDoubtList(db);
  const out: RefundInDoubtView[] = [];
  for (const r of rows) {
    const o = await db.read.get<{ receipt_no: number | null }>('SELECT receipt_no FROM orders WHERE id = ?', [r.orderId]);
    out.push({
      refundAttemptId: r.id,
      orderId: r.orderId,
      receiptNo: o?.receipt_no ?? null,
      method: r.method,
      amount: r.amount,
      state: r.state,
      returnId: r.returnId,
      requestNo: r.requestNo,
      attendantId: r.input.attendantId,
      reason: r.reason,
      createdAt: r.createdAt,
    });
  }
  return out;
}

/** The body of the control route POST /refunds/decide, checked: `{ refundAttemptId, outcome, attendantId }`. */
export function decideBody(b: Record<string, unknown>): { refundAttemptId: string; outcome: RefundDecision; attendantId: string } {
  if (typeof b.refundAttemptId !== 'string' || b.refundAttemptId.length === 0) throw new KioskError('PROTOCOL', 'body.refundAttemptId: expected the refund attempt id');
  if (b.outcome !== 'refunded' && b.outcome !== 'not_refunded') throw new KioskError('PROTOCOL', 'body.outcome: expected "refunded" or "not_refunded"');
  if (typeof b.attendantId !== 'string' || b.attendantId.trim().length === 0) throw new KioskError('PROTOCOL', 'body.attendantId: expected the attendant id');
  return { refundAttemptId: b.refundAttemptId, outcome: b.outcome, attendantId: b.attendantId };
}

/** The running kiosk's side of `kiosk refunds …` (control routes GET /refunds/in-doubt, POST /refunds/decide). */
export function refundsControl(deps: { db: KioskDb; refunds: Refunds }): {
  list(): Promise<RefundInDoubtView[]>;
  decide(b: Record<string, unknown>): Promise<RefundDecisionResult>;
} {
  return {
    list: () => listRefundsInDoubt(deps.db),
    decide: (b) => {
      const d = decideBody(b);
      return deps.refunds.decide(d.refundAttemptId, d.outcome, d.attendantId);
    },
  };
}
