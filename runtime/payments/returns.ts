import type { Clock } from '../../kernel/clock';
import { KioskError } from '../../kernel/errors';
import type { Minor } from '../../kernel/money';
import type { KioskDb } from '../../kernel/sqlite/database';
import type { ReturnsPolicy } from '../../config/returns-policy';
import type { OrderEngine } from '../orders/engine';
import type { Order, RefundRecord } from '../orders/order';
import type { Refunds } from './refunds';

const DAY_MS = 24 * 60 * 60 * 1000;

/** A return id: 1-128 letters, digits, `.`, `_`, `:`, `-` (the same alphabet as HQ command ids). */
export const RETURN_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface ReturnInput {
  /** Idempotency: the same id again answers the first return's result; nothing is paid back twice. */
  returnId: string;
  reason: string;
  /** The attendant who approves at the lane, or `hq:<user>` for a return HQ started. */
  attendantId: string;
  /** `lane`: an attendant at the kiosk; `hq`: a signed HQ command (the console user approved it). */
  by: 'lane' | 'hq';
  lineIds?: string[];
  amount?: Minor;
}

export interface ReturnResult {
  orderId: string;
  returnId: string;
  /** true: this return id was done before; this is its recorded result, nothing new was paid back. */
  replayed: boolean;
  state: Order['state'];
  refund: RefundRecord;
}

export type ReturnRule = 'window' | 'reason' | 'approval' | 'return_id';

function refused(rule: ReturnRule, en: string, zh: string, details: Record<string, unknown> = {}): KioskError {
  return new KioskError('RETURN_REFUSED', en, { rule, text: { 'zh-CN': zh, en }, ...details });
}

/** Checks a return against the store's policy; throws `RETURN_REFUSED` with the rule that refuses it. */
export function checkReturnPolicy(policy: ReturnsPolicy, r: { reason: string; attendantId: string; by: 'lane' | 'hq'; completedAt: number; now: number }): void {
  if (!policy.reasons.some((x) => x.id === r.reason)) {
    throw refused('reason', `return reason "${r.reason}" is not one of ${policy.reasons.map((x) => x.id).join(', ')}`, `退货原因"${r.reason}"不在允许的列表中`, { reason: r.reason });
  }
  if (r.now - r.completedAt > policy.days * DAY_MS) {
    throw refused('window', `the ${policy.days}-day return window has passed`, `已超过 ${policy.days} 天退货期限`, { days: policy.days, completedAt: r.completedAt });
  }
  if (policy.approval === 'hq' && r.by !== 'hq') throw refused('approval', 'returns are approved by HQ only in this store', '本店退货须由总部批准');
  if (policy.approval === 'supervisor' && r.by === 'lane' && !policy.supervisors.includes(r.attendantId)) {
    throw refused('approval', `attendant ${r.attendantId} is not a supervisor`, `店员 ${r.attendantId} 不是主管，无权批准退货`, { attendantId: r.attendantId });
  }
}

/**
 * Returns (售后) under the store's policy: checked (window from the order's completion by the injected clock, reason,
 * approver), paid back through {@link Refunds} (the original methods), journaled as `refund_issued` with `reason`
 * and `returnId`. Idempotent on the return id: it is looked up in the order's own refunds (the journal), so a retry —
 * also after a restart — answers the first result and pays nothing again. A return whose refund outcome was lost
 * (a card refund that timed out) is in doubt: its retry asks the terminal first (Refunds.settleOrder) and never
 * sends the refund again while it cannot tell.
 */
export class Returns {
  constructor(
    private readonly deps: { engine: OrderEngine; db: KioskDb; refunds: Refunds; clock: Clock; policy: () => ReturnsPolicy },
  ) {}

  async run(orderId: string, input: ReturnInput): Promise<ReturnResult> {
    if (!RETURN_ID.test(input.returnId)) throw refused('return_id', 'a return id is 1-128 letters, digits, . _ : -', '退货单号格式无效');
    // the look-up of the return id and the refund are one step: the same return sent twice at once pays back once
    return this.deps.refunds.exclusive(orderId, () => this.runNow(orderId, input));
  }

  private async runNow(orderId: string, input: ReturnInput): Promise<ReturnResult> {
    // a refund of this order in doubt (e.g. this very return, timed out) is settled first by asking — never sent
    // again; found done, it is journaled and this return id then answers it (replayed); still in doubt, it throws
    await this.deps.refunds.settleOrder(orderId);
    const order = await this.deps.engine.get(orderId);
    const done = order.refunds.find((r) => r.returnId === input.returnId);
    if (done) return { orderId, returnId: input.returnId, replayed: true, state: order.state, refund: done };
    const row = await this.deps.db.read.get<{ ts: number }>("SELECT ts FROM journal WHERE order_id = ? AND type = 'order_completed' ORDER BY seq LIMIT 1", [orderId]);
    if (!row) throw new KioskError('EVENT_NOT_ALLOWED', `order ${orderId} was never completed: nothing to return`, { state: order.state });
    checkReturnPolicy(this.deps.policy(), { reason: input.reason, attendantId: input.attendantId, by: input.by, completedAt: row.ts, now: this.deps.clock.now() });
    const after = await this.deps.refunds.refundNow(orderId, {
      attendantId: input.attendantId,
      reason: input.reason,
      returnId: input.returnId,
      ...(input.lineIds ? { lineIds: input.lineIds } : {}),
      ...(input.amount !== undefined ? { amount: input.amount } : {}),
    });
    const refund = after.refunds[after.refunds.length - 1];
    return { orderId, returnId: input.returnId, replayed: false, state: after.state, refund };
  }
}
