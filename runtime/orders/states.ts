import type { OrderState } from '../../protocol/orders/order-states';

/** The state names are the wire's (kiosk, HQ and browser share them); re-exported for the order engine's own files. */
export { ORDER_STATES, type OrderState } from '../../protocol/orders/order-states';

/** States from which nothing but refunds can happen; a lane may start a new order. */
export const CLOSED_STATES: readonly OrderState[] = ['completed', 'cancelled', 'partially_refunded', 'refunded'];
export const isOpen = (s: OrderState) => !CLOSED_STATES.includes(s);
