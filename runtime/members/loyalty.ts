import type { KioskConfig } from '../../config/schema';
import type { CustomerType } from '../../protocol/members/customer-type';
import { isPromotionApplicable } from '../pricing/promotion-search';
import type { PricedLine, Promotion } from '../pricing/types';
import type { RedeemRate } from './redemption';

type Loyalty = KioskConfig['loyalty'];

/** Points a member of `type` earns for `paid` minor units: `loyalty.byType[type]` if set, else `points` per `per`. */
export function earnedPoints(l: Loyalty, paid: number, type: CustomerType): number {
  if (!l.enabled) return 0;
  const rule = (type === 'business' || type === 'group' ? l.byType?.[type] : undefined) ?? { points: l.points, per: l.per };
  return Math.floor(Math.max(0, paid) / rule.per) * rule.points;
}

/** What the points of a completed order are computed from besides the paid total and the customer type. */
export interface PointsBasis {
  /** The order's priced lines (net after every discount, redeemed points included). */
  lines: readonly Pick<PricedLine, 'sku' | 'net'>[];
  /** The completion time (ms): which `points` promotions are in force. */
  at: number;
}

/**
 * The points multiplier of each line (indexed like `lines`): the highest `multiplier` of the `points` promotions in
 * force for a member of `type` at `at` (validFrom/validTo, memberOnly, customerTypes as for every promotion) that
 * list the line's SKU; 1 when none does. Promotions of other kinds are ignored.
 */
export function lineMultipliers(promotions: readonly Promotion[], lines: readonly Pick<PricedLine, 'sku'>[], type: CustomerType, at: number): number[] {
  const ctx = { now: at, memberAttached: true, customerType: type };
  const best = new Map<string, number>();
  for (const p of promotions) {
    if (p.kind !== 'points' || !isPromotionApplicable(p, ctx)) continue;
    for (const sku of p.skus) best.set(sku, Math.max(best.get(sku) ?? 0, p.multiplier));
  }
  return lines.map((l) => best.get(l.sku) ?? 1);
}

/**
 * The paid amount the earn rule is applied to: `paid` when every line's multiplier is 1 (or there are no lines), else
 * floor(paid × Σ(net_i × m_i) / Σ net_i), 0 when Σ net_i = 0 — each line's share of what was paid, in proportion to
 * its net, counted `m_i` times. Exact integer arithmetic (bigint); never negative. (paid > 0 with Σ net_i = 0 is no
 * real order: paid is the lines' net, plus the tax on it when prices are exclusive.)
 */
export function weightedPaid(paid: number, lines: readonly Pick<PricedLine, 'net'>[], multipliers: readonly number[]): number {
  const p = Math.max(0, paid);
  if (multipliers.every((m) => m === 1)) return p;
  let sum = 0n;
  let weighted = 0n;
  lines.forEach((l, i) => {
    const net = BigInt(Math.max(0, l.net));
    sum += net;
    weighted += net * BigInt(multipliers[i]);
  });
  if (sum === 0n) return 0;
  return Number((BigInt(p) * weighted) / sum);
}

/**
 * Points a member of `type` earns for an order: the member's earn rule ({@link earnedPoints}) on the paid total
 * weighted by the `points` promotions of its lines ({@link lineMultipliers}, {@link weightedPaid}). With no points
 * promotion in force this is exactly `earnedPoints(l, paid, type)`.
 */
export function earnedPointsForOrder(l: Loyalty, promotions: readonly Promotion[], paid: number, type: CustomerType, basis: PointsBasis): number {
  if (!l.enabled) return 0;
  return earnedPoints(l, weightedPaid(paid, basis.lines, lineMultipliers(promotions, basis.lines, type, basis.at)), type);
}

/** `loyalty.redeem` when loyalty is on, else null (redemption off). */
export const redeemRate = (l: Loyalty): RedeemRate | null => (l.enabled && l.redeem ? l.redeem : null);
