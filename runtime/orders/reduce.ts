import { assert } from '../../kernel/errors';
import type { Minor } from '../../kernel/money';
import type { CustomerType } from '../../protocol/members/customer-type';
import { pointsToTakeBack } from '../../protocol/members/points-taken-back';
import type { PointsBasis } from '../members/loyalty';
import { capRedemption, type RedeemRate } from '../members/redemption';
import type { CartLine, PricedCart } from '../pricing/types';
import type { EventOf, OrderEvent } from './events';
import type { Order, OrderLine } from './order';
import type { OrderState } from './states';

/** What pricing needs of the order besides its lines (runtime/pricing/types.ts PricingContext). */
export interface PriceExtras {
  customerType: CustomerType;
  /** Minor units off for redeemed points (0 when none). */
  pointsDiscount: Minor;
}

export interface ReduceContext {
  now: number;
  /** Prices the cart (lines, promotions, tax) for the order's member status, customer type and points discount. */
  price: (lines: CartLine[], memberAttached: boolean, extras: PriceExtras) => PricedCart;
  /** Given by the engine inside the completing transaction: the fiscal series, or the training series for a training order. */
  receiptNo?: number;
  /**
   * Loyalty points for a paid total, by the order's customer type; `basis` (the priced lines and the completion time)
   * for the `points` promotions of its lines (runtime/members/loyalty.ts earnedPointsForOrder).
   */
  points: (paid: number, customerType: CustomerType, basis: PointsBasis) => number;
  /** `loyalty.redeem` in force (null: redemption off). */
  redeem?: RedeemRate | null;
  /**
   * Read by the engine inside the transition for `member_attached` (the member then attached) and `points_redeemed`
   * (the order's member): its type from HQ's snapshot and its redeemable balance estimate.
   */
  member?: { customerType: CustomerType; redeemable: number };
}

/**
 * Prices the approved lines for the order's member and customer type. Points already used are capped again at the
 * new total (a voided line may leave less to take them off); `available` (only when points are being redeemed now)
 * caps them at the member's balance too.
 */
function reprice(o: Order, ctx: ReduceContext, available?: number): Order {
  const billable = o.lines.filter((l) => l.approved);
  const member = o.memberId !== null;
  const customerType = o.customerType ?? 'personal';
  const base = ctx.price(billable, member, { customerType, pointsDiscount: 0 });
  const wanted = o.pointsRedeemed ?? 0;
  const r = wanted > 0 && ctx.redeem ? capRedemption(wanted, available ?? wanted, base.subtotal - base.discountTotal, ctx.redeem) : { points: 0, discount: 0 };
  if (r.points === 0) return { ...o, pointsRedeemed: 0, pointsDiscount: 0, priced: base };
  return { ...o, pointsRedeemed: r.points, pointsDiscount: r.discount, priced: ctx.price(billable, member, { customerType, pointsDiscount: r.discount }) };
}

function addLine(o: Order, e: EventOf<'item_added'>): Order {
  const l = e.line;
  const needsCheck = l.ageLimit !== null && l.ageLimit > o.ageVerified;
  const mergeable = l.weightGrams === null && l.embeddedPrice === null && !needsCheck;
  const same = mergeable
    ? o.lines.find((x) => x.sku === l.sku && x.weightGrams === null && x.embeddedPrice == null && x.approved && x.unitPrice === l.unitPrice)
    : undefined;
  if (same) {
    return { ...o, lines: o.lines.map((x) => (x === same ? { ...x, quantity: x.quantity + l.quantity } : x)) };
  }
  const lineId = `L${o.nextLineNo}`;
  const line: OrderLine = {
    lineId,
    sku: l.sku,
    names: l.names,
    barcode: l.barcode,
    quantity: l.weightGrams === null ? l.quantity : 1,
    weightGrams: l.weightGrams,
    unitPrice: l.unitPrice,
    embeddedPrice: l.embeddedPrice,
    taxClass: l.taxClass,
    ...(l.typePrices ? { typePrices: l.typePrices } : {}),
    ageLimit: l.ageLimit,
    approved: !needsCheck,
  };
  return {
    ...o,
    lines: [...o.lines, line],
    nextLineNo: o.nextLineNo + 1,
    pending: needsCheck ? [...o.pending, { kind: 'age_check', lineId, ageLimit: l.ageLimit ?? 0 }] : o.pending,
  };
}

function approve(o: Order): Order {
  let lines = o.lines;
  let ageVerified = o.ageVerified;
  // a line removed in the same approval proves nothing about the shopper's age
  const voided = new Set(o.pending.flatMap((p) => (p.kind === 'void' && p.lineId ? [p.lineId] : [])));
  for (const p of o.pending) {
    if (p.kind === 'age_check' && !voided.has(p.lineId)) {
      ageVerified = Math.max(ageVerified, p.ageLimit);
      lines = lines.map((l) => (l.lineId === p.lineId ? { ...l, approved: true } : l));
    } else if (p.kind === 'void') {
      lines = lines.filter((l) => l.lineId !== p.lineId);
    }
  }
  return { ...o, lines, ageVerified, pending: [] };
}

function reject(o: Order): Order {
  const refused = new Set(o.pending.flatMap((p) => (p.kind === 'age_check' ? [p.lineId] : [])));
  return { ...o, lines: o.lines.filter((l) => !refused.has(l.lineId)), pending: [] };
}

function settle(o: Order, attemptId: string, outcome: 'approved' | 'declined' | 'unknown', amount: number | undefined, extra: object): Order {
  const a = o.payments.find((p) => p.attemptId === attemptId);
  assert(a, `payment attempt ${attemptId} exists`);
  const approvedAmount = outcome === 'approved' ? (amount ?? a.amount) : 0;
  return {
    ...o,
    paid: o.paid + approvedAmount,
    payments: o.payments.map((p) => (p === a ? { ...p, status: outcome, approvedAmount, ...extra } : p)),
  };
}

/**
 * The member points a refund of `amount` takes back (protocol/members/points-taken-back.ts: in proportion to the money
 * refunded of what was paid, the takes of all refunds summing to at most `pointsEarned`, exactly it once all is
 * refunded), or null for an order that earned none (no member, training, loyalty off). Points redeemed stay spent.
 */
function takenBack(o: Order, amount: number): number | null {
  if (!o.memberId || o.training || o.pointsEarned <= 0) return null;
  const take = pointsToTakeBack(o.pointsEarned, o.paid, o.refunded, o.refunded + amount);
  // the formula telescopes to at most pointsEarned; bound it by what is left anyway (an order refunded before this rule)
  const before = o.refunds.reduce((s, r) => s + (r.pointsTakenBack ?? 0), 0);
  return Math.max(0, Math.min(take, o.pointsEarned - before));
}

/** What each event does to the order's data; the state itself comes from the transition table. */
export function reduce(order: Order, event: OrderEvent, to: OrderState, ctx: ReduceContext): Order {
  let o: Order = { ...order, state: to, version: order.version + 1, updatedAt: ctx.now };
  switch (event.type) {
    case 'item_added':
      o = reprice(addLine(o, event), ctx);
      break;
    case 'member_attached': {
      // another member's card: the points used so far were the previous member's
      const same = o.memberId === event.memberId;
      o = reprice({ ...o, memberId: event.memberId, customerType: ctx.member?.customerType ?? 'personal', ...(same ? {} : { pointsRedeemed: 0 }) }, ctx);
      break;
    }
    case 'points_redeemed':
      o = reprice({ ...o, pointsRedeemed: event.points }, ctx, ctx.member?.redeemable ?? 0);
      break;
    case 'help_requested':
      if (!o.pending.some((p) => p.kind === 'help')) o = { ...o, pending: [...o.pending, { kind: 'help' }] };
      break;
    case 'void_requested':
      if (!o.pending.some((p) => p.kind === 'void' && p.lineId === event.lineId))
        o = { ...o, pending: [...o.pending, { kind: 'void', lineId: event.lineId }] };
      break;
    case 'attendant_approved':
      o = reprice(approve(o), ctx);
      break;
    case 'attendant_rejected':
      o = reprice(reject(o), ctx);
      break;
    case 'payment_started':
      o = { ...o, payments: [...o.payments, { attemptId: event.attemptId, method: event.method, amount: event.amount, status: 'pending', sent: false, approvedAmount: 0 }] };
      break;
    case 'payment_sent':
      o = {
        ...o,
        payments: o.payments.map((p) => (p.attemptId === event.attemptId ? { ...p, sent: true, ...(event.context ? { context: event.context } : {}) } : p)),
      };
      break;
    case 'payment_approved':
      o = settle(o, event.attemptId, 'approved', event.amount, event.reference ? { reference: event.reference } : {});
      break;
    case 'payment_declined':
      o = settle(o, event.attemptId, 'declined', 0, { reason: event.reason });
      break;
    case 'payment_timed_out':
      o = settle(o, event.attemptId, 'unknown', 0, {});
      break;
    case 'payment_resolved':
      o = settle(o, event.attemptId, event.outcome, event.amount, event.reference ? { reference: event.reference } : {});
      break;
    case 'order_completed':
      assert(ctx.receiptNo !== undefined, 'completion has a receipt number');
      // a training order takes no fiscal receipt number (gap-free series) and earns no points
      o = o.training
        ? { ...o, trainingNo: ctx.receiptNo, pointsEarned: 0 }
        : {
            ...o,
            receiptNo: ctx.receiptNo,
            pointsEarned: o.memberId ? ctx.points(o.paid, o.customerType ?? 'personal', { lines: o.priced.lines, at: ctx.now }) : 0,
          };
      break;
    case 'order_cancelled':
      o = { ...o, cancelReason: event.reason, pending: [] };
      break;
    case 'idle_timeout':
      o = { ...o, promptedFrom: order.state };
      break;
    case 'idle_prompt_expired':
      o = { ...o, cancelReason: 'idle timeout', promptedFrom: null, pending: [] };
      break;
    case 'shopper_active':
      o = { ...o, promptedFrom: null };
      break;
    case 'refund_issued': {
      const taken = takenBack(o, event.amount);
      o = {
        ...o,
        refunded: o.refunded + event.amount,
        refunds: [
          ...o.refunds,
          {
            amount: event.amount,
            attendantId: event.attendantId,
            lineIds: event.lineIds,
            reference: event.reference,
            allocations: event.allocations,
            ...(event.reason !== undefined ? { reason: event.reason } : {}),
            ...(event.returnId !== undefined ? { returnId: event.returnId } : {}),
            ...(taken !== null ? { pointsTakenBack: taken } : {}),
            at: ctx.now,
          },
        ],
      };
      break;
    }
    case 'hq_refund_recorded':
      // paid back by HQ at the channel: counts in what is refunded (and its lines), takes no points (HQ's ledger did)
      o = {
        ...o,
        refunded: o.refunded + event.amount,
        refunds: [
          ...o.refunds,
          {
            amount: event.amount,
            attendantId: `hq:${event.requestedBy}`,
            ...(event.lineIds ? { lineIds: event.lineIds } : {}),
            allocations: event.allocations,
            reason: event.reason,
            hqRefundId: event.refundId,
            at: ctx.now,
          },
        ],
      };
      break;
    case 'checkout_started':
    case 'shopping_resumed':
      break;
  }
  return o;
}
