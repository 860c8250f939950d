import type { KioskDb } from '../../kernel/sqlite/database';
import { KioskError } from '../../kernel/errors';
import type { Minor } from '../../kernel/money';
import type { OrderEngine } from '../orders/engine';
import type { RefundAllocation } from '../orders/events';
import type { Order } from '../orders/order';
import { attemptsOf } from './attempts';
import type { PaymentProvider } from './provider';

export interface RefundInput {
  attendantId: string;
  /** Refund these lines (their net amounts); or `amount`; or, with neither, everything not yet refunded. */
  lineIds?: string[];
  amount?: Minor;
  /** A return's reason id and idempotency id, journaled with the refund (set by {@link Returns}). */
  reason?: string;
  returnId?: string;
}

/**
 * Refunds by an attendant, full or partial, paid back through the methods the order was paid with — the newest
 * payment first: a card payment the terminal has not settled yet is reversed whole, otherwise refunded; QR through
 * the gateway (idempotent request number, so a retry never refunds twice); cash by the attendant. What was paid
 * back is committed as one `refund_issued` (with one allocation per payment); if a provider refuses part way, the
 * part already paid back is still committed and the error says what is left.
 */
export class Refunds {
  private readonly providers = new Map<string, PaymentProvider>();
  /** The refund running per order: refunds of one order run one after the other (see {@link exclusive}). */
  private readonly running = new Map<string, Promise<unknown>>();

  constructor(
    private readonly engine: OrderEngine,
    private readonly db: KioskDb,
    providers: PaymentProvider[],
  ) {
    for (const p of providers) this.providers.set(p.method, p);
  }

  /** How much a refund of these lines / this amount is, checked against what is left to refund. */
  static amountOf(order: Order, input: Omit<RefundInput, 'attendantId'>): Minor {
    const left = order.paid - order.refunded;
    if (input.lineIds && input.amount !== undefined) throw new KioskError('GUARD_REJECTED', 'give either lines or an amount, not both');
    let amount = input.amount ?? left;
    if (input.lineIds) {
      const already = new Set(order.refunds.flatMap((r) => r.lineIds ?? []));
      amount = 0;
      for (const id of input.lineIds) {
        const line = order.priced.lines.find((l) => l.lineId === id);
        if (!line) throw new KioskError('GUARD_REJECTED', `order ${order.id} has no line ${id}`);
        if (already.has(id)) throw new KioskError('GUARD_REJECTED', `line ${id} was refunded before`);
        amount += line.net;
      }
    }
    if (!Number.isSafeInteger(amount) || amount <= 0 || amount > left) throw new KioskError('GUARD_REJECTED', `refund must be 1..${left}, got ${amount}`);
    return amount;
  }

  /**
   * Runs `fn` when no other refund of this order runs in this process. Two refunds of one order at once (a double
   * tap, the lane and an HQ command together) would both read the same amount left and could pay back more than
   * was paid, or the same return twice: each one reads the order only once the one before it has committed.
   */
  async exclusive<T>(orderId: string, fn: () => Promise<T>): Promise<T> {
    const before = this.running.get(orderId) ?? Promise.resolve();
    const mine = before.then(fn, fn);
    const tail = mine.catch(() => undefined);
    this.running.set(orderId, tail);
    try {
      return await mine;
    } finally {
      if (this.running.get(orderId) === tail) this.running.delete(orderId);
    }
  }

  /** Pays back (see the class comment); one refund of an order at a time. */
  refund(orderId: string, input: RefundInput): Promise<Order> {
    return this.exclusive(orderId, () => this.refundNow(orderId, input));
  }

  /** The refund itself; the caller holds {@link exclusive} for the order. */
  async refundNow(orderId: string, input: RefundInput): Promise<Order> {
    const order = await this.engine.get(orderId);
    if (order.state !== 'completed' && order.state !== 'partially_refunded') {
      throw new KioskError('EVENT_NOT_ALLOWED', `order ${orderId} cannot be refunded in state ${order.state}`, { state: order.state });
    }
    const total = Refunds.amountOf(order, input);
    const attempts = (await attemptsOf(this.db, orderId)).filter((a) => ['approved', 'captured', 'partially_refunded'].includes(a.state)).reverse();
    const done: RefundAllocation[] = [];
    let left = total;
    let failure: string | null = null;
    for (const a of attempts) {
      if (left === 0) break;
      const room = a.approvedAmount - a.refundedAmount;
      if (room <= 0) continue;
      const amount = Math.min(room, left);
      const provider = this.providers.get(a.method);
      if (!provider?.refund) {
        failure = `${a.method} cannot be refunded here (no ${a.method} provider on this lane)`;
        break;
      }
      const n = order.refunds.length + 1;
      let r;
      try {
        r = await provider.refund({
          attemptId: a.id,
          orderId,
          approvedAmount: a.approvedAmount,
          refundedBefore: a.refundedAmount,
          amount,
          reference: a.reference,
          captured: a.state === 'captured',
          requestNo: `${a.id}-refund-${n}`,
        });
      } catch (e) {
        failure = `${a.method} refund failed: ${e instanceof Error ? e.message : String(e)}`;
        break;
      }
      if (r.outcome !== 'refunded') {
        failure = `${a.method} refund declined: ${r.reason}`;
        break;
      }
      done.push({ attemptId: a.id, method: a.method, amount, via: r.via, ...(r.reference ? { reference: r.reference } : {}) });
      left -= amount;
    }
    const refunded = total - left;
    let after = order;
    if (refunded > 0) {
      after = await this.engine.dispatch(orderId, {
        type: 'refund_issued',
        amount: refunded,
        attendantId: input.attendantId,
        allocations: done,
        ...(input.lineIds && left === 0 ? { lineIds: input.lineIds } : {}),
        ...(input.reason !== undefined ? { reason: input.reason } : {}),
        ...(input.returnId !== undefined ? { returnId: input.returnId } : {}),
      });
    }
    if (left > 0) {
      throw new KioskError('PAYMENT_DECLINED', `${failure ?? 'nothing to refund against'}; refunded ${refunded} of ${total}`, { refunded, left });
    }
    return after;
  }
}
