import { assert } from '../../kernel/errors';
import type { Minor } from '../../kernel/money';
import {
  claimUnits,
  evaluatePromotion,
  type FreeUnits,
  kindApplies,
  type PromoLine,
  type PromotionEffect,
} from './promotion-effects';
import type { PricingContext, Promotion } from './types';
import { compareIds, parseTimestamp } from './validate';

/**
 * Choosing which promotions claim which units.
 *
 * A unit takes part in at most one promotion, so promotions whose eligible lines overlap compete. The engine:
 * 1. keeps the promotions that are applicable: inside their validity window `[validFrom, validTo)` (start
 *    inclusive, end exclusive, so back-to-back promotions never overlap), member-only ones (and every
 *    `member_price`) only with a member attached, ones with `customerTypes` only for a buyer of those types, and
 *    only if some cart line can take them; `points` promotions never take part (they change no price);
 * 2. partitions them into connected groups: two promotions are connected when they share an eligible line.
 *    Groups share no units, so each is solved on its own;
 * 3. inside a group of at most {@link MAX_EXHAUSTIVE} promotions, tries every ordering. An ordering applies its
 *    promotions one after the other, each greedily to the units still free (see promotion-effects.ts). The
 *    ordering with the largest total discount wins; among equal totals the lexicographically first ordering of
 *    promotion ids wins, so the result never depends on the order promotions or lines arrive in;
 * 4. a larger group falls back to a deterministic best-first greedy: repeatedly apply the promotion that gives the
 *    largest discount on the still-free units (ties: smaller id) until none gives anything.
 *
 * Both paths choose at least as much as the best single promotion of the group would give alone, because every
 * promotion's first application is on untouched units and later applications only add (never negative) discount.
 * This is a heuristic over orderings, not an optimum over all unit assignments: a split of one line's units between
 * two per-line promotions is not considered, since a per-line promotion claims all free units it discounts.
 */
export const MAX_EXHAUSTIVE = 7;

export interface AppliedPromotion {
  readonly promotion: Promotion;
  readonly effect: PromotionEffect;
}

export interface PromotionPlan {
  /** Total discount of the chosen combination. */
  readonly amount: Minor;
  /** Promotions that give a positive discount, sorted by promotion id. */
  readonly applied: readonly AppliedPromotion[];
}

/** Validity window, member rule and customer types (absent = every type); the promotion itself must be valid. */
export function isPromotionApplicable(p: Promotion, ctx: Pick<PricingContext, 'now' | 'memberAttached' | 'customerType'>): boolean {
  if (p.validFrom !== undefined && ctx.now < parseTimestamp(p.validFrom, p.id, 'validFrom')) return false;
  if (p.validTo !== undefined && ctx.now >= parseTimestamp(p.validTo, p.id, 'validTo')) return false;
  if ((p.memberOnly === true || p.kind === 'member_price') && !ctx.memberAttached) return false;
  if (p.customerTypes !== undefined && !p.customerTypes.includes(ctx.customerType ?? 'personal')) return false;
  return true;
}

interface Candidate {
  readonly promotion: Promotion;
  /** Eligible line indices, ascending. */
  readonly eligible: readonly number[];
}

function candidates(lines: readonly PromoLine[], promotions: readonly Promotion[], ctx: PricingContext): Candidate[] {
  return promotions
    // a `points` promotion never changes a price (runtime/members/loyalty.ts reads it for the points earned)
    .filter((p) => p.kind !== 'points' && isPromotionApplicable(p, ctx))
    .sort((a, b) => compareIds(a.id, b.id))
    .map((promotion) => {
      const skus = new Set(promotion.skus);
      const eligible: number[] = [];
      lines.forEach((l, i) => {
        if (l.units > 0 && skus.has(l.sku) && kindApplies(promotion.kind, l.kind)) eligible.push(i);
      });
      return { promotion, eligible };
    })
    .filter((c) => c.eligible.length > 0);
}

/** Connected groups of candidates (sharing an eligible line), each in candidate (id) order. */
function components(cands: readonly Candidate[], lineCount: number): Candidate[][] {
  const parent = cands.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]];
    return i;
  };
  const owner = new Array<number>(lineCount).fill(-1);
  cands.forEach((c, i) => {
    for (const l of c.eligible) {
      if (owner[l] === -1) owner[l] = i;
      else parent[find(i)] = find(owner[l]);
    }
  });
  const groups = new Map<number, Candidate[]>();
  cands.forEach((c, i) => {
    const root = find(i);
    const g = groups.get(root);
    if (g) g.push(c);
    else groups.set(root, [c]);
  });
  return [...groups.values()];
}

interface Outcome {
  amount: Minor;
  steps: AppliedPromotion[];
  free: number[];
}

interface Suffix {
  amount: Minor;
  steps: AppliedPromotion[];
  free: FreeUnits;
}

/**
 * Every ordering of the group, as a depth-first search over "promotions used so far" × "units still free",
 * memoised on that pair (different orderings often reach the same state). At each node the children are tried in
 * id order and only a strictly larger total replaces the best, so the winner is the lexicographically first
 * ordering among those with the largest total.
 */
function exhaustive(group: readonly Candidate[], lines: readonly PromoLine[], free: FreeUnits): Outcome {
  assert(group.length <= 30, 'used-set bitmask fits in 31 bits');
  const touched = [...new Set(group.flatMap((c) => c.eligible))];
  const memo = new Map<string, Suffix>();
  const best = (state: FreeUnits, used: number): Suffix => {
    if (used === (1 << group.length) - 1) return { amount: 0, steps: [], free: state };
    const key = `${used}:${touched.map((l) => state[l]).join(',')}`;
    const known = memo.get(key);
    if (known) return known;
    let result: Suffix | null = null;
    for (let i = 0; i < group.length; i++) {
      if (used & (1 << i)) continue;
      const effect = evaluatePromotion(group[i].promotion, lines, group[i].eligible, state);
      const rest = best(effect.lines.length === 0 ? state : claimUnits(state, effect), used | (1 << i));
      const amount = effect.amount + rest.amount;
      if (result === null || amount > result.amount) {
        result = { amount, steps: [{ promotion: group[i].promotion, effect }, ...rest.steps], free: rest.free };
      }
    }
    assert(result !== null, 'a non-final node has a child');
    memo.set(key, result);
    return result;
  };
  const outcome = best(free, 0);
  return { amount: outcome.amount, steps: outcome.steps, free: outcome.free.slice() };
}

function bestFirst(group: readonly Candidate[], lines: readonly PromoLine[], free: FreeUnits): Outcome {
  let state = free.slice();
  let remaining = group.slice();
  const steps: AppliedPromotion[] = [];
  let amount = 0;
  while (remaining.length > 0) {
    let pick = 0;
    let best = evaluatePromotion(remaining[0].promotion, lines, remaining[0].eligible, state);
    for (let i = 1; i < remaining.length; i++) {
      const effect = evaluatePromotion(remaining[i].promotion, lines, remaining[i].eligible, state);
      if (effect.amount > best.amount) {
        pick = i;
        best = effect;
      }
    }
    if (best.amount === 0) break;
    steps.push({ promotion: remaining[pick].promotion, effect: best });
    amount += best.amount;
    state = claimUnits(state, best);
    remaining = remaining.filter((_, i) => i !== pick);
  }
  return { amount, steps, free: state };
}

/**
 * Chooses the promotions and the units they claim for a cart. `lines` must be validated and in a canonical order
 * (the caller sorts by lineId) so that the plan does not depend on input order.
 */
export function planPromotions(lines: readonly PromoLine[], ctx: PricingContext): PromotionPlan {
  let free: number[] = lines.map((l) => l.units);
  const applied: AppliedPromotion[] = [];
  let amount = 0;
  for (const group of components(candidates(lines, ctx.promotions, ctx), lines.length)) {
    const outcome = group.length <= MAX_EXHAUSTIVE ? exhaustive(group, lines, free) : bestFirst(group, lines, free);
    free = outcome.free;
    amount += outcome.amount;
    applied.push(...outcome.steps.filter((s) => s.effect.amount > 0));
  }
  applied.sort((a, b) => compareIds(a.promotion.id, b.promotion.id));
  return { amount, applied };
}
