import type { Minor } from '../../kernel/money';

/** `loyalty.redeem`: `points` points are worth `value` minor units. */
export interface RedeemRate {
  points: number;
  value: Minor;
}

/**
 * How many of `wanted` points an order may use, in whole steps of `rate.points`, and what they take off: capped at
 * what the member may redeem (`available`) and at the order's total before points (`total`) — less one minor unit:
 * an order is settled by a payment, so points never take it to zero. Pure; never negative.
 */
export function capRedemption(wanted: number, available: number, total: Minor, rate: RedeemRate): { points: number; discount: Minor } {
  const steps = Math.max(0, Math.min(Math.floor(wanted / rate.points), Math.floor(Math.max(0, available) / rate.points), Math.floor(Math.max(0, total - 1) / rate.value)));
  return { points: steps * rate.points, discount: steps * rate.value };
}
