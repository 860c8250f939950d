import fc from 'fast-check';
import { pointsToTakeBack } from './points-taken-back';

/** A series of refunds of an order that paid `paid`: positive amounts summing to at most `paid`. */
const series = fc
  .record({ paid: fc.integer({ min: 1, max: 10_000_000 }), earned: fc.integer({ min: 0, max: 100_000 }), cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 }), full: fc.boolean() })
  .map(({ paid, earned, cuts, full }) => {
    // cut points in [0, paid], sorted: the running refunded totals (the last one is paid when `full`)
    const marks = [...new Set(cuts.map((c) => Math.floor(c * paid)).filter((m) => m > 0))].sort((a, b) => a - b);
    if (full && marks.at(-1) !== paid) marks.push(paid);
    return { paid, earned, refunded: marks };
  });

/** The takes of each refund of the series, in order. */
const takes = (earned: number, paid: number, refunded: number[]): number[] => refunded.map((r1, i) => pointsToTakeBack(earned, paid, i === 0 ? 0 : refunded[i - 1], r1));

describe('points a refund takes back', () => {
  it('worked example: 60 points on 60.33; 10.00 back takes 9, the rest takes the other 51', () => {
    expect(pointsToTakeBack(60, 6033, 0, 1000)).toBe(9); // 60 · 1000 / 6033 = 9.94…
    expect(pointsToTakeBack(60, 6033, 1000, 6033)).toBe(51);
    expect(pointsToTakeBack(60, 6033, 0, 6033)).toBe(60);
  });

  it('over any series: never negative, the running sum is floor(earned · refunded / paid) (monotone, at most earned), a full refund takes exactly earned', () => {
    fc.assert(
      fc.property(series, ({ paid, earned, refunded }) => {
        const t = takes(earned, paid, refunded);
        let sum = 0;
        for (const [i, x] of t.entries()) {
          expect(Number.isSafeInteger(x) && x >= 0).toBe(true);
          sum += x;
          // exact rational comparison: sum ≤ earned · R / paid < sum + 1
          expect(BigInt(sum) * BigInt(paid) <= BigInt(earned) * BigInt(refunded[i])).toBe(true);
          expect(BigInt(earned) * BigInt(refunded[i]) < BigInt(sum + 1) * BigInt(paid)).toBe(true);
        }
        expect(sum).toBeLessThanOrEqual(earned);
        if (refunded.at(-1) === paid) expect(sum).toBe(earned);
      }),
      { numRuns: 500 },
    );
  });

  it('a refund of more money never takes fewer points (monotone in the amount)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e7 }), fc.integer({ min: 0, max: 1e5 }), fc.nat(), fc.nat(), fc.nat(), (paid, earned, a, b, c) => {
        const [r0, x, y] = [a % (paid + 1), b % (paid + 1), c % (paid + 1)];
        const lo = Math.min(x, y);
        const hi = Math.max(x, y);
        expect(pointsToTakeBack(earned, paid, r0, r0 + lo)).toBeLessThanOrEqual(pointsToTakeBack(earned, paid, r0, r0 + hi));
      }),
    );
  });

  it('two series of one order (the kiosk’s refunds and HQ’s) together never take more than earned', () => {
    fc.assert(
      fc.property(series, fc.array(fc.boolean(), { maxLength: 8 }), ({ paid, earned, refunded }, who) => {
        // split the refunds between the two: each series telescopes over its own running total
        const amounts = refunded.map((r, i) => r - (i === 0 ? 0 : refunded[i - 1]));
        const run = { k: 0, h: 0 };
        let sum = 0;
        for (const [i, amount] of amounts.entries()) {
          const side = who[i] ? 'h' : 'k';
          sum += pointsToTakeBack(earned, paid, run[side], run[side] + amount);
          run[side] += amount;
        }
        expect(sum).toBeLessThanOrEqual(earned);
      }),
    );
  });

  it('is exact where floating point is not (points × minor units beyond 2^53)', () => {
    const earned = 999_999_937;
    const paid = 9_007_199_254_740; // × earned ≫ 2^53
    const r = paid - 1;
    const exact = (BigInt(earned) * BigInt(r)) / BigInt(paid);
    expect(pointsToTakeBack(earned, paid, 0, r)).toBe(Number(exact));
    expect(pointsToTakeBack(earned, paid, r, paid)).toBe(earned - Number(exact));
  });

  it('takes nothing of an order without points, with nothing paid, or for bad numbers; clamps to what was paid', () => {
    expect(pointsToTakeBack(0, 1000, 0, 1000)).toBe(0);
    expect(pointsToTakeBack(50, 0, 0, 0)).toBe(0);
    expect(pointsToTakeBack(50, 1000, 0, Number.NaN)).toBe(0);
    expect(pointsToTakeBack(50, 1000, 0, 2.5)).toBe(0);
    expect(pointsToTakeBack(50, 1000, 0, 5000)).toBe(50);
    expect(pointsToTakeBack(50, 1000, 600, 400)).toBe(0);
  });
});
