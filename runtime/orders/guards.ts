import type { EventOf, OrderEvent, OrderEventType } from './events';
import { amountDue, type Order } from './order';

/** A guard returns null when the transition may happen, or the reason it may not. */
export type Guard = (order: Order, event: OrderEvent) => string | null;

const attempt = (o: Order, id: string) => o.payments.find((p) => p.attemptId === id);
const as = <T extends OrderEventType>(e: OrderEvent) => e as EventOf<T>;
/** A refund of either kind: the lane's own (`refund_issued`) or one HQ made at the channel (`hq_refund_recorded`). */
const asRefund = (e: OrderEvent) => e as EventOf<'refund_issued'> | EventOf<'hq_refund_recorded'>;

export const GUARDS = {
  needsAgeCheck: (o, e) => {
    const line = as<'item_added'>(e).line;
    return line.ageLimit !== null && line.ageLimit > o.ageVerified ? null : 'no age check needed';
  },
  validLine: (_o, e) => {
    const l = as<'item_added'>(e).line;
    if (!Number.isSafeInteger(l.unitPrice) || l.unitPrice < 0) return 'unit price must be a non-negative integer';
    if (l.weightGrams !== null) return Number.isSafeInteger(l.weightGrams) && l.weightGrams > 0 ? null : 'weight must be positive grams';
    return Number.isSafeInteger(l.quantity) && l.quantity > 0 && l.quantity <= 999 ? null : 'quantity must be 1..999';
  },
  memberPresent: (o) => (o.memberId !== null ? null : 'no member is attached'),
  validPoints: (_o, e) => {
    const p = as<'points_redeemed'>(e).points;
    return Number.isSafeInteger(p) && p >= 0 && p <= 1e12 ? null : 'points must be a non-negative integer';
  },
  lineExists: (o, e) => (o.lines.some((l) => l.lineId === as<'void_requested'>(e).lineId) ? null : 'no such line'),
  cartNotEmpty: (o) => (o.lines.length > 0 ? null : 'the cart is empty'),
  nothingPending: (o) => (o.pending.length === 0 ? null : 'requests are waiting for the attendant'),
  somethingPending: (o) => (o.pending.length > 0 ? null : 'nothing is waiting for the attendant'),
  nothingPaid: (o) => (o.paid === 0 ? null : 'part of the order is already paid'),
  amountPayable: (o, e) => {
    const amount = as<'payment_started'>(e).amount;
    return Number.isSafeInteger(amount) && amount > 0 && amount <= amountDue(o) ? null : `amount must be 1..${amountDue(o)}`;
  },
  pendingAttempt: (o, e) => (attempt(o, (e as { attemptId: string }).attemptId)?.status === 'pending' ? null : 'not the pending payment attempt'),
  notSentYet: (o, e) => (attempt(o, (e as { attemptId: string }).attemptId)?.sent ? 'the attempt was already sent' : null),
  unknownAttempt: (o, e) => (attempt(o, (e as { attemptId: string }).attemptId)?.status === 'unknown' ? null : 'not the unresolved payment attempt'),
  approvalValid: (o, e) => {
    const ev = e as EventOf<'payment_approved'>;
    const a = attempt(o, ev.attemptId);
    return a && Number.isSafeInteger(ev.amount) && ev.amount > 0 && ev.amount <= a.amount ? null : 'approved amount must be 1..requested';
  },
  /** After this approval the order is fully paid. */
  settlesOrder: (o, e) => {
    const ev = e as EventOf<'payment_approved'> | EventOf<'payment_resolved'>;
    if (ev.type === 'payment_resolved' && ev.outcome !== 'approved') return 'declined';
    const amount = ev.amount ?? attempt(o, ev.attemptId)?.amount ?? 0;
    return o.paid + amount >= o.priced.total ? null : 'partially paid';
  },
  attendantDecides: (_o, e) => {
    const ev = as<'payment_resolved'>(e);
    return ev.by === 'system' || (ev.by === 'attendant' && !!ev.attendantId) ? null : 'an attendant decision needs the attendant id';
  },
  refundable: (o, e) => {
    const amount = asRefund(e).amount;
    const left = o.paid - o.refunded;
    return Number.isSafeInteger(amount) && amount > 0 && amount <= left ? null : `refund must be 1..${left}`;
  },
  allocationsAddUp: (o, e) => {
    const ev = asRefund(e);
    if (!ev.allocations) return null;
    const sum = ev.allocations.reduce((s, a) => s + a.amount, 0);
    if (sum !== ev.amount) return `allocations add up to ${sum}, not ${ev.amount}`;
    for (const a of ev.allocations) {
      const p = o.payments.find((x) => x.attemptId === a.attemptId);
      if (!p || p.status !== 'approved') return `attempt ${a.attemptId} is not an approved payment of this order`;
      if (!Number.isSafeInteger(a.amount) || a.amount <= 0) return 'each allocation must be a positive amount';
      const before = o.refunds.flatMap((r) => r.allocations ?? []).filter((x) => x.attemptId === a.attemptId).reduce((s, x) => s + x.amount, 0);
      if (before + a.amount > p.approvedAmount) return `attempt ${a.attemptId} would be refunded beyond what it paid`;
    }
    return null;
  },
  refundsAll: (o, e) => (o.refunded + asRefund(e).amount >= o.paid ? null : 'partial refund'),
  hqRefundNew: (o, e) => {
    const id = as<'hq_refund_recorded'>(e).refundId;
    return o.refunds.some((r) => r.hqRefundId === id) ? `HQ refund ${id} is recorded already` : null;
  },
} satisfies Record<string, Guard>;

export type GuardName = keyof typeof GUARDS;
