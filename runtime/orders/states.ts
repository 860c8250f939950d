/** Every state an order can be in. An order that is not in this list does not exist. */
export const ORDER_STATES = [
  'idle',
  'shopping',
  'needs_attendant',
  'idle_prompt',
  'awaiting_payment',
  'payment_pending',
  'payment_unknown',
  'paid',
  'completed',
  'cancelled',
  'partially_refunded',
  'refunded',
] as const;
export type OrderState = (typeof ORDER_STATES)[number];

/** States from which nothing but refunds can happen; a lane may start a new order. */
export const CLOSED_STATES: readonly OrderState[] = ['completed', 'cancelled', 'partially_refunded', 'refunded'];
export const isOpen = (s: OrderState) => !CLOSED_STATES.includes(s);
