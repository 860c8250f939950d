import { EventNotAllowedError, GuardRejectedError } from '../../kernel/errors';
import type { OrderEvent, OrderEventType } from './events';
import { GUARDS, type GuardName } from './guards';
import type { Order } from './order';
import type { OrderState } from './states';

/** `@return` goes back to the state the idle prompt interrupted. */
export type Target = OrderState | '@return';

export interface Transition {
  from: readonly OrderState[];
  event: OrderEventType;
  /** All must pass. Rows for the same (state, event) are tried top to bottom; the first whose guards pass wins. */
  guards?: readonly GuardName[];
  to: Target;
}

const PRE_PAYMENT: OrderState[] = ['idle', 'shopping', 'needs_attendant', 'idle_prompt', 'awaiting_payment'];

/** The order lifecycle, in one table. Anything not listed here is refused. */
export const TRANSITIONS: readonly Transition[] = [
  // scanning
  { from: ['idle', 'shopping'], event: 'item_added', guards: ['validLine', 'needsAgeCheck'], to: 'needs_attendant' },
  { from: ['idle', 'shopping'], event: 'item_added', guards: ['validLine'], to: 'shopping' },
  { from: ['idle', 'shopping'], event: 'member_attached', to: 'shopping' },
  { from: ['awaiting_payment'], event: 'member_attached', guards: ['nothingPaid'], to: 'awaiting_payment' },
  // member points: while nothing is paid (0 takes them back)
  { from: ['shopping'], event: 'points_redeemed', guards: ['memberPresent', 'validPoints'], to: 'shopping' },
  { from: ['awaiting_payment'], event: 'points_redeemed', guards: ['memberPresent', 'validPoints', 'nothingPaid'], to: 'awaiting_payment' },
  // attendant
  { from: ['idle', 'shopping', 'needs_attendant'], event: 'help_requested', to: 'needs_attendant' },
  { from: ['awaiting_payment'], event: 'help_requested', guards: ['nothingPaid'], to: 'needs_attendant' },
  { from: ['shopping', 'needs_attendant'], event: 'void_requested', guards: ['lineExists'], to: 'needs_attendant' },
  { from: ['needs_attendant'], event: 'attendant_approved', guards: ['somethingPending'], to: 'shopping' },
  { from: ['needs_attendant'], event: 'attendant_rejected', guards: ['somethingPending'], to: 'shopping' },
  // checkout and payment
  { from: ['shopping'], event: 'checkout_started', guards: ['cartNotEmpty', 'nothingPending'], to: 'awaiting_payment' },
  { from: ['awaiting_payment'], event: 'shopping_resumed', guards: ['nothingPaid'], to: 'shopping' },
  { from: ['awaiting_payment'], event: 'payment_started', guards: ['amountPayable'], to: 'payment_pending' },
  { from: ['payment_pending'], event: 'payment_sent', guards: ['pendingAttempt', 'notSentYet'], to: 'payment_pending' },
  { from: ['payment_pending'], event: 'payment_approved', guards: ['pendingAttempt', 'approvalValid', 'settlesOrder'], to: 'paid' },
  { from: ['payment_pending'], event: 'payment_approved', guards: ['pendingAttempt', 'approvalValid'], to: 'awaiting_payment' },
  { from: ['payment_pending'], event: 'payment_declined', guards: ['pendingAttempt'], to: 'awaiting_payment' },
  { from: ['payment_pending'], event: 'payment_timed_out', guards: ['pendingAttempt'], to: 'payment_unknown' },
  { from: ['payment_unknown'], event: 'payment_resolved', guards: ['unknownAttempt', 'attendantDecides', 'settlesOrder'], to: 'paid' },
  { from: ['payment_unknown'], event: 'payment_resolved', guards: ['unknownAttempt', 'attendantDecides'], to: 'awaiting_payment' },
  { from: ['paid'], event: 'order_completed', to: 'completed' },
  // leaving
  { from: PRE_PAYMENT, event: 'order_cancelled', guards: ['nothingPaid'], to: 'cancelled' },
  { from: ['shopping', 'awaiting_payment'], event: 'idle_timeout', guards: ['nothingPaid'], to: 'idle_prompt' },
  { from: ['idle_prompt'], event: 'shopper_active', to: '@return' },
  { from: ['idle_prompt'], event: 'idle_prompt_expired', to: 'cancelled' },
  // after the sale
  { from: ['completed', 'partially_refunded'], event: 'refund_issued', guards: ['refundable', 'allocationsAddUp', 'refundsAll'], to: 'refunded' },
  { from: ['completed', 'partially_refunded'], event: 'refund_issued', guards: ['refundable', 'allocationsAddUp'], to: 'partially_refunded' },
  // a refund HQ made at the channel, recorded once (its refund id)
  { from: ['completed', 'partially_refunded'], event: 'hq_refund_recorded', guards: ['hqRefundNew', 'refundable', 'allocationsAddUp', 'refundsAll'], to: 'refunded' },
  { from: ['completed', 'partially_refunded'], event: 'hq_refund_recorded', guards: ['hqRefundNew', 'refundable', 'allocationsAddUp'], to: 'partially_refunded' },
];

/** Events a state accepts at all (guards aside): what a screen may offer. */
export function allowedEvents(state: OrderState): OrderEventType[] {
  return [...new Set(TRANSITIONS.filter((t) => t.from.includes(state)).map((t) => t.event))];
}

/**
 * Picks the transition for `event` in the order's state, or throws: EventNotAllowedError when the state does not
 * accept the event at all, GuardRejectedError (with the first failing guard's reason) when every row is guarded off.
 */
export function resolveTransition(order: Order, event: OrderEvent): { to: OrderState; transition: Transition } {
  const rows = TRANSITIONS.filter((t) => t.event === event.type && t.from.includes(order.state));
  if (rows.length === 0) throw new EventNotAllowedError(order.state, event.type, order.id);
  let reason = '';
  for (const row of rows) {
    const failed = (row.guards ?? []).map((g) => GUARDS[g](order, event)).find((r) => r !== null);
    if (failed === undefined) {
      const to = row.to === '@return' ? (order.promptedFrom ?? 'shopping') : row.to;
      return { to, transition: row };
    }
    reason ||= failed;
  }
  throw new GuardRejectedError(order.state, event.type, reason);
}
