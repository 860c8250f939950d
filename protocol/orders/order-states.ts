/**
 * Every state an order can be in: the kiosk's order machine (runtime/orders/machine.ts) moves between them, each
 * journal entry names the one it moved to (`to`), and HQ searches and labels orders by them. An order that is not in
 * this list does not exist. `idle` is the lane before an order opens: the machine starts there, no order rests in it.
 */
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
