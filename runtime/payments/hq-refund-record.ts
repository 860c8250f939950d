/**
 * A refund HQ made itself at a wallet channel (hq/refunds/hq-refund.ts: `hq refund`, the order page's "Refund at the
 * channel"), recorded on the kiosk when HQ's signed `hq_refund` command arrives (runtime/hq-control/command-handlers.ts).
 *
 * Without it the kiosk's limit (runtime/payments/refunds.ts `Refunds.amountOf`: paid − refunded, lines refunded before)
 * knows only its own refunds, and a lane return of a line HQ already paid back would pay it again (the channel accepts
 * it: still within the payment). So:
 * - journaled as the order event `hq_refund_recorded` (the engine's one transaction: order row, journal entry, outbox),
 *   with one allocation on the wallet payment attempt HQ refunded (`via: 'refund'`, reference: channel, HQ's refund
 *   number, the channel's refund id) — the order's `refunded` grows, its lines count as refunded;
 * - no provider call: the money already went back at the channel;
 * - at most once per HQ refund id: the same command twice (or two commands for one refund) records it once — checked
 *   in the transition itself (guard `hqRefundNew`), so two copies at once cannot both record it;
 * - member points are NOT taken back (no points effect for this event): HQ's ledger took them when it refunded;
 * - serialized with the lane's refunds of the same order (`Refunds.exclusive`): a lane refund running now finishes
 *   (and commits) before this reads the order, and one starting now reads the order with this recorded.
 * A line the lane refunded too (the two at the same moment) is recorded anyway — the money did go back twice — and
 * named in the result (`alsoRefundedAtLane`) for HQ to see. An amount beyond what the kiosk has left is refused
 * (GUARD_REJECTED): the command fails with the reason, visible at HQ.
 */
import { GuardRejectedError, isKioskError, KioskError } from '../../kernel/errors';
import type { Minor } from '../../kernel/money';
import type { OrderEngine } from '../orders/engine';
import type { TransitionEffect } from '../orders/effects';
import type { Order } from '../orders/order';

/** What HQ's `hq_refund` command says (protocol/control/commands.ts). */
export interface HqRefundNotice {
  orderId: string;
  refundId: string;
  /** Fen. */
  amount: Minor;
  channel: string;
  /** The payment attempt HQ refunded (the kiosk's own attempt id, from its journal). */
  attemptId: string;
  /** HQ's refund number at the channel (hq/refunds/refund-no.ts). */
  channelRefundNo: string;
  /** The channel's own refund id, when it gave one. */
  channelRefundId?: string | null;
  lineIds?: string[];
  reason: string;
  requestedBy: string;
}

export interface HqRefundRecordResult {
  orderId: string;
  refundId: string;
  amount: Minor;
  /** false: this refund id was recorded before; nothing new was journaled. */
  recorded: boolean;
  order: { state: Order['state']; paid: Minor; refunded: Minor };
  /** Lines of this refund the lane had refunded already (a lane return and HQ's refund of one line at the same time). */
  alsoRefundedAtLane?: string[];
  /** Line ids the order does not have (not marked; the amount is recorded). */
  unknownLines?: string[];
}

type Exclusive = <T>(orderId: string, fn: () => Promise<T>) => Promise<T>;

export class HqRefundRecorder {
  constructor(
    private readonly engine: Pick<OrderEngine, 'get' | 'dispatch'>,
    /** The lane's refunds (`Refunds`): HQ's record waits for a lane refund of the same order and vice versa. */
    private readonly refunds?: { exclusive: Exclusive },
  ) {}

  record(n: HqRefundNotice): Promise<HqRefundRecordResult> {
    return this.refunds ? this.refunds.exclusive(n.orderId, () => this.recordNow(n)) : this.recordNow(n);
  }

  private async recordNow(n: HqRefundNotice): Promise<HqRefundRecordResult> {
    const order = await this.engine.get(n.orderId);
    const known = order.refunds.find((r) => r.hqRefundId === n.refundId);
    if (known) return this.replayed(order, n, known.amount);
    const payment = order.payments.find((p) => p.attemptId === n.attemptId && p.status === 'approved');
    if (!payment) throw new KioskError('GUARD_REJECTED', `order ${n.orderId} has no approved payment attempt ${n.attemptId}`, { rule: 'attempt', orderId: n.orderId });
    const lineIds = n.lineIds ? [...new Set(n.lineIds)] : undefined;
    const has = new Set(order.priced.lines.map((l) => l.lineId));
    const before = new Set(order.refunds.flatMap((r) => r.lineIds ?? []));
    const unknownLines = (lineIds ?? []).filter((id) => !has.has(id));
    const alsoRefunded = (lineIds ?? []).filter((id) => before.has(id));
    const marked = (lineIds ?? []).filter((id) => has.has(id) && !before.has(id));
    let after: Order;
    try {
      after = await this.engine.dispatch(n.orderId, {
        type: 'hq_refund_recorded',
        refundId: n.refundId,
        amount: n.amount,
        allocations: [
          {
            attemptId: payment.attemptId,
            method: payment.method,
            amount: n.amount,
            via: 'refund',
            reference: { channel: n.channel, hqRefundId: n.refundId, channelRefundNo: n.channelRefundNo, ...(n.channelRefundId ? { channelRefundId: n.channelRefundId } : {}) },
          },
        ],
        ...(marked.length ? { lineIds: marked } : {}),
        reason: n.reason,
        requestedBy: n.requestedBy,
      });
    } catch (e) {
      // a copy recorded meanwhile (another process): the same refund, not an error
      if (e instanceof GuardRejectedError && /recorded already/.test(e.message)) return this.replayed(await this.engine.get(n.orderId), n, n.amount);
      if (isKioskError(e)) {
        const left = order.paid - order.refunded;
        throw new KioskError('GUARD_REJECTED', `HQ refund ${n.refundId} of ${n.amount} not recorded on order ${n.orderId} (${order.state}, ${left} left to refund here): ${e.message}`, {
          rule: 'amount',
          remaining: Math.max(0, left),
        });
      }
      throw e;
    }
    return {
      orderId: n.orderId,
      refundId: n.refundId,
      amount: n.amount,
      recorded: true,
      order: { state: after.state, paid: after.paid, refunded: after.refunded },
      ...(alsoRefunded.length ? { alsoRefundedAtLane: alsoRefunded } : {}),
      ...(unknownLines.length ? { unknownLines } : {}),
    };
  }

  private replayed(order: Order, n: HqRefundNotice, amount: Minor): HqRefundRecordResult {
    if (amount !== n.amount) throw new KioskError('GUARD_REJECTED', `HQ refund ${n.refundId} was recorded with ${amount}, not ${n.amount}`, { rule: 'refund_id' });
    return { orderId: n.orderId, refundId: n.refundId, amount, recorded: false, order: { state: order.state, paid: order.paid, refunded: order.refunded } };
  }
}

/**
 * Keeps `payment_attempts` in step with an HQ refund (as runtime/payments/attempts.ts does for `refund_issued`): the
 * attempt's refunded amount grows, so the lane's next refund sees only what is left of that payment.
 */
export const trackHqRefunds: TransitionEffect = async (tx, { event, entry, now }) => {
  if (event.type !== 'hq_refund_recorded') return;
  for (const a of event.allocations) {
    await tx.run(
      `UPDATE payment_attempts SET refunded_amount = refunded_amount + ?,
         state = CASE WHEN refunded_amount + ? >= approved_amount THEN 'refunded' ELSE 'partially_refunded' END,
         updated_at = ?, seq = ? WHERE id = ?`,
      [a.amount, a.amount, now, entry.seq, a.attemptId],
    );
  }
};
