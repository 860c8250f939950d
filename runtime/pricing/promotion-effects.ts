import { assert } from '../../kernel/errors';
import { allocate, type Minor, mulDiv } from '../../kernel/money';
import { type LineKind, weighedAmount } from './line-amounts';
import type { Promotion } from './types';
import { compareIds, percentToHundredths } from './validate';

/**
 * What one promotion does to the units that are still free. Pure functions over a small internal model; the
 * search (promotion-search.ts) decides in which order promotions get to claim units.
 */

/** A validated cart line as the promotion engine sees it. */
export interface PromoLine {
  readonly lineId: string;
  readonly sku: string;
  readonly kind: LineKind;
  /** Units a promotion can claim: quantity for counted lines, 1 (the whole line) otherwise. */
  readonly units: number;
  readonly unitPrice: Minor;
  readonly grams: number | null;
  readonly quantity: number;
  readonly gross: Minor;
}

/** Units still free per line, indexed like the PromoLine array. */
export type FreeUnits = readonly number[];

export interface LineEffect {
  /** Index into the PromoLine array. */
  readonly line: number;
  /** Units this promotion claims on the line (they take part in no other promotion). */
  readonly consumed: number;
  readonly discount: Minor;
}

export interface PromotionEffect {
  readonly amount: Minor;
  /** Lines whose units the promotion claims, in line-array order; discounts sum to `amount`. */
  readonly lines: readonly LineEffect[];
}

const NO_EFFECT: PromotionEffect = { amount: 0, lines: [] };

/** Whether a promotion of this kind can apply to a line of this kind at all. */
export function kindApplies(promotion: Promotion['kind'], line: LineKind): boolean {
  switch (promotion) {
    case 'percent_off':
    case 'amount_off':
      return true;
    case 'member_price':
      return line !== 'labelled';
    case 'buy_x_pay_y':
    case 'x_for_price':
      return line === 'counted';
    case 'points':
      return false;
  }
}

/** Value of the still-free part of a line: free × unitPrice for counted lines, the whole gross otherwise. */
function freeValue(line: PromoLine, free: number): Minor {
  return line.kind === 'counted' ? free * line.unitPrice : line.gross;
}

/** Discount a per-line promotion (percent_off, amount_off, member_price) gives on the free part of one line. */
function perLineDiscount(p: Promotion, line: PromoLine, free: number): Minor {
  switch (p.kind) {
    case 'percent_off':
      return mulDiv(freeValue(line, free), percentToHundredths(p.percent), 10_000);
    case 'amount_off':
      if (line.kind === 'counted') return Math.min(p.amount, line.unitPrice) * free;
      if (line.grams !== null) return Math.min(line.gross, weighedAmount(p.amount, line.grams));
      // labelled counted line: amount per unit, capped at the label price (bigint: amount × quantity may be huge)
      return Number(minBig(BigInt(p.amount) * BigInt(line.quantity), BigInt(line.gross)));
    case 'member_price':
      if (line.kind === 'counted') return Math.max(0, line.unitPrice - p.price) * free;
      return Math.max(0, line.gross - weighedAmount(p.price, line.grams as number));
    default:
      assert(false, `not a per-line promotion: ${p.kind}`);
  }
}

function minBig(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

/** A run of equally priced free units of one line inside a multi-buy pool. */
interface Run {
  line: number;
  price: Minor;
  count: number;
}

/** Free counted units of the eligible lines, most expensive first; equal prices by lineId (input-order independent). */
function pool(lines: readonly PromoLine[], eligible: readonly number[], free: FreeUnits): Run[] {
  return eligible
    .filter((i) => free[i] > 0)
    .map((i) => ({ line: i, price: lines[i].unitPrice, count: free[i] }))
    .sort((a, b) => b.price - a.price || compareIds(lines[a.line].lineId, lines[b.line].lineId));
}

/** Sum of the prices of pool positions [0, x). */
function prefixSum(runs: readonly Run[], x: number): number {
  let sum = 0;
  let left = x;
  for (const r of runs) {
    if (left <= 0) break;
    const take = Math.min(left, r.count);
    sum += take * r.price;
    left -= take;
  }
  return sum;
}

/**
 * The first `claimed` pool positions are claimed; the discount is spread over the claiming lines in proportion to
 * the value they put into the deal (largest remainder, `allocate`), lines taken in line-array order.
 */
function claimPrefix(runs: readonly Run[], claimed: number, amount: Minor): PromotionEffect {
  if (claimed === 0) return NO_EFFECT;
  const parts: { line: number; consumed: number; value: number }[] = [];
  let left = claimed;
  for (const r of runs) {
    if (left === 0) break;
    const take = Math.min(left, r.count);
    parts.push({ line: r.line, consumed: take, value: take * r.price });
    left -= take;
  }
  parts.sort((a, b) => a.line - b.line);
  const shares = allocate(amount, parts.map((p) => p.value));
  return { amount, lines: parts.map((p, k) => ({ line: p.line, consumed: p.consumed, discount: shares[k] })) };
}

/**
 * "buy X pay Y": pool sorted by price descending, consecutive groups of `buy`; in each full group the last
 * (cheapest) `buy − pay` positions are free. Positions in full groups are claimed, the remainder stays free.
 */
function buyXPayY(runs: readonly Run[], buy: number, pay: number): PromotionEffect {
  const total = runs.reduce((n, r) => n + r.count, 0);
  const claimed = Math.floor(total / buy) * buy;
  // number of free positions in [0, x): full groups contribute buy − pay each, a partial one max(0, x mod buy − pay)
  const freeBefore = (x: number): number => Math.floor(x / buy) * (buy - pay) + Math.max(0, (x % buy) - pay);
  let amount = 0;
  let start = 0;
  for (const r of runs) {
    const end = Math.min(start + r.count, claimed);
    if (end > start) amount += (freeBefore(end) - freeBefore(start)) * r.price;
    start += r.count;
  }
  return claimPrefix(runs, claimed, amount);
}

/**
 * "X for price": pool sorted by price descending, consecutive groups of `quantity` cost `price` together. Group sums
 * never increase along the pool, so the groups worth forming (sum > price) are a prefix; binary search its length.
 */
function xForPrice(runs: readonly Run[], quantity: number, price: Minor): PromotionEffect {
  const total = runs.reduce((n, r) => n + r.count, 0);
  const groupSum = (k: number): number => prefixSum(runs, (k + 1) * quantity) - prefixSum(runs, k * quantity);
  let lo = 0; // groups [0, lo) are worth forming
  let hi = Math.floor(total / quantity);
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (groupSum(mid) > price) lo = mid + 1;
    else hi = mid;
  }
  const claimed = lo * quantity;
  return claimPrefix(runs, claimed, prefixSum(runs, claimed) - lo * price);
}

/**
 * What `promotion` would do to the free units of its `eligible` lines (indices into `lines`, ascending).
 * Per-line kinds claim a line's free units only where they give a positive discount there.
 */
export function evaluatePromotion(
  promotion: Promotion,
  lines: readonly PromoLine[],
  eligible: readonly number[],
  free: FreeUnits,
): PromotionEffect {
  switch (promotion.kind) {
    case 'buy_x_pay_y':
      return buyXPayY(pool(lines, eligible, free), promotion.buy, promotion.pay);
    case 'x_for_price':
      return xForPrice(pool(lines, eligible, free), promotion.quantity, promotion.price);
    case 'points':
      return NO_EFFECT;
    default: {
      const effects: LineEffect[] = [];
      let amount = 0;
      for (const i of eligible) {
        if (free[i] === 0) continue;
        const discount = perLineDiscount(promotion, lines[i], free[i]);
        if (discount > 0) {
          effects.push({ line: i, consumed: free[i], discount });
          amount += discount;
        }
      }
      return { amount, lines: effects };
    }
  }
}

/** Free units after the effect's claims. */
export function claimUnits(free: FreeUnits, effect: PromotionEffect): number[] {
  const next = free.slice();
  for (const e of effect.lines) next[e.line] -= e.consumed;
  return next;
}
