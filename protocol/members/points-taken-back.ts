/**
 * Points a refund takes back (members contract, shared by the kiosk and HQ): the points earned on an order follow the
 * money that stays paid. After refunds totalling `R` of the `paid` amount the points were earned on, the order keeps
 * `earned − floor(earned · R / paid)`; each refund takes back the difference it makes to that floor:
 *
 *     take = floor(earned · R1 / paid) − floor(earned · R0 / paid)      (R0, R1: refunded before / after it)
 *
 * So the takes of a series of refunds telescope to `floor(earned · R / paid)`: never more than `earned` (R ≤ paid),
 * exactly `earned` once everything is refunded, never negative. Points the member redeemed on the order stay spent.
 * The products are computed in BigInt (points × minor units may pass 2^53).
 */
export function pointsToTakeBack(earned: number, paid: number, refundedBefore: number, refundedAfter: number): number {
  if (![earned, paid, refundedBefore, refundedAfter].every(Number.isSafeInteger) || earned <= 0 || paid <= 0) return 0;
  const r0 = Math.min(Math.max(refundedBefore, 0), paid);
  const r1 = Math.min(Math.max(refundedAfter, r0), paid);
  const e = BigInt(earned);
  const p = BigInt(paid);
  return Number((e * BigInt(r1)) / p - (e * BigInt(r0)) / p);
}
