import fc from 'fast-check';
import { claimUnits, evaluatePromotion, kindApplies, type PromoLine, type PromotionEffect } from './promotion-effects';
import { promo } from '../../test/support/pricing-fixtures';

function countedLine(lineId: string, sku: string, quantity: number, unitPrice: number): PromoLine {
  return { lineId, sku, kind: 'counted', units: quantity, unitPrice, grams: null, quantity, gross: quantity * unitPrice };
}

const all = (lines: readonly PromoLine[]): number[] => lines.map((_, i) => i);
const freeOf = (lines: readonly PromoLine[]): number[] => lines.map((l) => l.units);

function summary(effect: PromotionEffect): [number, number, number][] {
  return effect.lines.map((e) => [e.line, e.consumed, e.discount]);
}

describe('kindApplies', () => {
  test('multi-buys only reach counted lines, member prices not labels', () => {
    expect(kindApplies('buy_x_pay_y', 'weighed')).toBe(false);
    expect(kindApplies('x_for_price', 'labelled')).toBe(false);
    expect(kindApplies('x_for_price', 'counted')).toBe(true);
    expect(kindApplies('member_price', 'weighed')).toBe(true);
    expect(kindApplies('member_price', 'labelled')).toBe(false);
    expect(kindApplies('percent_off', 'labelled')).toBe(true);
    expect(kindApplies('amount_off', 'weighed')).toBe(true);
  });
});

describe('evaluatePromotion', () => {
  const threeForTwo = promo({ id: 'p', kind: 'buy_x_pay_y', buy: 3, pay: 2, skus: ['A', 'B', 'C'] });

  test('3 for 2 over 7 mixed units: 2 full groups, the cheapest of each free', () => {
    // units by price: 500 500 300 | 300 300 200 | 200 → free: 300 + 200 = 500; one 200 stays free
    const lines = [countedLine('a', 'A', 2, 500), countedLine('b', 'B', 3, 300), countedLine('c', 'C', 2, 200)];
    const effect = evaluatePromotion(threeForTwo, lines, all(lines), freeOf(lines));
    expect(effect.amount).toBe(500);
    // allocation by claimed value 1000 : 900 : 200 → 238.1, 214.3, 47.6 → 238, 214, 47 + 1 (largest remainder) = 48
    expect(summary(effect)).toEqual([
      [0, 2, 238],
      [1, 3, 214],
      [2, 1, 48],
    ]);
    expect(claimUnits(freeOf(lines), effect)).toEqual([0, 0, 1]);
  });

  test('3 for 2 only claims still-free units', () => {
    const lines = [countedLine('a', 'A', 2, 500), countedLine('b', 'B', 3, 300)];
    // with only 1 A and 2 B free: 500 300 300 → 300 free
    const effect = evaluatePromotion(threeForTwo, lines, all(lines), [1, 2]);
    expect(effect.amount).toBe(300);
    expect(claimUnits([1, 2], effect)).toEqual([0, 0]);
    // an incomplete group gives nothing and claims nothing
    expect(evaluatePromotion(threeForTwo, lines, all(lines), [1, 1])).toEqual({ amount: 0, lines: [] });
  });

  test('2 for ¥10 with 5 units of ¥6.50: two groups, one unit left', () => {
    const lines = [countedLine('x', 'X', 5, 650)];
    const effect = evaluatePromotion(promo({ id: 'q', kind: 'x_for_price', quantity: 2, price: 1000, skus: ['X'] }), lines, [0], [5]);
    // 2 × (1300 − 1000)
    expect(summary(effect)).toEqual([[0, 4, 600]]);
  });

  test('x for price stops at the first group not worth forming', () => {
    // 650 650 | 650 450 | 450 → 1300−1000 = 300, 1100−1000 = 100
    const lines = [countedLine('x', 'X', 3, 650), countedLine('y', 'Y', 2, 450)];
    const p = promo({ id: 'q', kind: 'x_for_price', quantity: 2, price: 1000, skus: ['X', 'Y'] });
    const effect = evaluatePromotion(p, lines, all(lines), freeOf(lines));
    // 400 over claimed values 1950 : 450 → 325 : 75 exactly
    expect(summary(effect)).toEqual([
      [0, 3, 325],
      [1, 1, 75],
    ]);
    // two Y alone: 900 < 1000, no group
    expect(evaluatePromotion(p, lines, [1], [0, 2])).toEqual({ amount: 0, lines: [] });
  });

  test('per-line kinds claim only lines they discount', () => {
    const lines = [countedLine('a', 'A', 2, 350), countedLine('b', 'A', 1, 250)];
    const member = promo({ id: 'm', kind: 'member_price', price: 299, skus: ['A'] });
    // a: (350 − 299) × 2 = 102; b: 250 < 299 → nothing, not claimed
    expect(summary(evaluatePromotion(member, lines, all(lines), freeOf(lines)))).toEqual([[0, 2, 102]]);
    const pct = promo({ id: 'p', kind: 'percent_off', percent: 10, skus: ['A'] });
    // on the free part only: 1 × 350 × 10 % = 35
    expect(summary(evaluatePromotion(pct, lines, [0], [1, 0]))).toEqual([[0, 1, 35]]);
    // 1 unit of 4 at 10 %: 0.4 → 0, so nothing is claimed
    expect(evaluatePromotion(pct, [countedLine('c', 'A', 1, 4)], [0], [1])).toEqual({ amount: 0, lines: [] });
  });
});

/** Naive unit-by-unit reference for buy X pay Y: expand, sort descending, the last buy − pay of each full group free. */
function naiveBuyXPayY(prices: number[], buy: number, pay: number): number {
  const units = prices.slice().sort((a, b) => b - a);
  let total = 0;
  for (let i = 0; i < Math.floor(units.length / buy) * buy; i++) if (i % buy >= pay) total += units[i];
  return total;
}

/** Brute force: best total over every way to pick disjoint groups of `size` units from the multiset. */
function bruteForce(units: number[], size: number, groupValue: (group: number[]) => number): number {
  if (units.length < size) return 0;
  const [first, ...rest] = units;
  let best = bruteForce(rest, size, groupValue); // first unit in no group
  const choose = (from: number, picked: number[]): void => {
    if (picked.length === size - 1) {
      const remaining = rest.filter((_, i) => !picked.includes(i));
      const value = groupValue([first, ...picked.map((i) => rest[i])]);
      if (value > 0) best = Math.max(best, value + bruteForce(remaining, size, groupValue));
      return;
    }
    for (let i = from; i < rest.length; i++) choose(i + 1, [...picked, i]);
  };
  choose(0, []);
  return best;
}

describe('multi-buy arithmetic (properties)', () => {
  const pool = fc.array(
    fc.record({ quantity: fc.integer({ min: 0, max: 4 }), unitPrice: fc.integer({ min: 0, max: 30 }) }),
    { maxLength: 4 },
  );
  const toLines = (spec: { quantity: number; unitPrice: number }[]): PromoLine[] =>
    spec.map((s, i) => countedLine(`l${i}`, 'S', s.quantity, s.unitPrice));
  const prices = (lines: PromoLine[]): number[] => lines.flatMap((l) => Array<number>(l.units).fill(l.unitPrice));

  function checkEffect(lines: PromoLine[], effect: PromotionEffect): void {
    expect(effect.lines.reduce((s, e) => s + e.discount, 0)).toBe(effect.amount);
    for (const e of effect.lines) {
      expect(e.consumed).toBeGreaterThan(0);
      expect(e.consumed).toBeLessThanOrEqual(lines[e.line].units);
      expect(e.discount).toBeGreaterThanOrEqual(0);
      expect(e.discount).toBeLessThanOrEqual(e.consumed * lines[e.line].unitPrice);
    }
  }

  test('buy X pay Y: matches the unit-by-unit walk and the brute-force optimum', () => {
    fc.assert(
      fc.property(pool, fc.integer({ min: 2, max: 4 }), fc.integer({ min: 1, max: 3 }), (spec, buy, payRaw) => {
        const pay = Math.min(payRaw, buy - 1);
        const lines = toLines(spec);
        const effect = evaluatePromotion(promo({ id: 'p', kind: 'buy_x_pay_y', buy, pay, skus: ['S'] }), lines, all(lines), freeOf(lines));
        const freeUnits = (g: number[]): number => g.slice().sort((a, b) => b - a).slice(pay).reduce((a, b) => a + b, 0);
        expect(effect.amount).toBe(naiveBuyXPayY(prices(lines), buy, pay));
        if (prices(lines).length <= 7) expect(effect.amount).toBe(bruteForce(prices(lines), buy, freeUnits));
        const claimed = effect.lines.reduce((s, e) => s + e.consumed, 0);
        expect(claimed).toBe(Math.floor(prices(lines).length / buy) * buy);
        checkEffect(lines, effect);
      }),
    );
  });

  test('X for price: matches the brute-force optimum', () => {
    fc.assert(
      fc.property(pool, fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 70 }), (spec, quantity, price) => {
        const lines = toLines(spec);
        const effect = evaluatePromotion(
          promo({ id: 'q', kind: 'x_for_price', quantity, price, skus: ['S'] }),
          lines,
          all(lines),
          freeOf(lines),
        );
        const saving = (g: number[]): number => g.reduce((a, b) => a + b, 0) - price;
        if (prices(lines).length <= 7) expect(effect.amount).toBe(bruteForce(prices(lines), quantity, saving));
        checkEffect(lines, effect);
        // every claimed group is worth it: claimed units are exactly the groups with a positive saving
        const units = prices(lines).sort((a, b) => b - a);
        let expectedClaim = 0;
        while (expectedClaim + quantity <= units.length && saving(units.slice(expectedClaim, expectedClaim + quantity)) > 0) {
          expectedClaim += quantity;
        }
        expect(effect.lines.reduce((s, e) => s + e.consumed, 0)).toBe(expectedClaim);
      }),
    );
  });
});
