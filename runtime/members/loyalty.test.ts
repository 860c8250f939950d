/** The earn rule with `points` promotions (runtime/members/loyalty.ts): line multipliers, the weighted paid total, the member's rule on it. */
import fc from 'fast-check';
import type { KioskConfig } from '../../config/schema';
import type { CustomerType } from '../../protocol/members/customer-type';
import type { Promotion } from '../pricing/types';
import { earnedPoints, earnedPointsForOrder, lineMultipliers, weightedPaid } from './loyalty';

type Loyalty = KioskConfig['loyalty'];

const LOYALTY: Loyalty = { enabled: true, points: 1, per: 100, byType: { business: { points: 3, per: 1000 } } };
const label = { en: 'x', 'zh-CN': '甲' };
const pts = (id: string, skus: string[], multiplier: number, extra: Partial<Promotion> = {}): Promotion =>
  ({ id, label, skus, kind: 'points', multiplier, ...extra }) as Promotion;
const AT = Date.parse('2026-12-10T12:00:00Z');
const TYPES: CustomerType[] = ['personal', 'business', 'group'];

describe('line multipliers', () => {
  it('1 without a points promotion; the highest multiplier of the matching ones; other kinds ignored', () => {
    const promotions: Promotion[] = [
      pts('double', ['A', 'B'], 2),
      pts('triple', ['B'], 3),
      pts('none', ['T'], 0),
      { id: 'off', label, skus: ['C'], kind: 'percent_off', percent: 10 },
    ];
    const m = lineMultipliers(promotions, [{ sku: 'A' }, { sku: 'B' }, { sku: 'T' }, { sku: 'C' }, { sku: 'Z' }], 'personal', AT);
    expect(m).toEqual([2, 3, 0, 1, 1]);
  });

  it('a zero and a positive multiplier on one SKU: the highest (the positive one) wins', () => {
    expect(lineMultipliers([pts('zero', ['A'], 0), pts('two', ['A'], 2)], [{ sku: 'A' }], 'personal', AT)).toEqual([2]);
  });

  it('follows validFrom (inclusive) / validTo (exclusive) and customerTypes like every promotion', () => {
    const p = pts('week', ['A'], 2, { validFrom: '2026-12-10T00:00:00Z', validTo: '2026-12-17T00:00:00Z', customerTypes: ['personal'] });
    const at = (iso: string, type: CustomerType = 'personal') => lineMultipliers([p], [{ sku: 'A' }], type, Date.parse(iso))[0];
    expect(at('2026-12-09T23:59:59.999Z')).toBe(1);
    expect(at('2026-12-10T00:00:00Z')).toBe(2);
    expect(at('2026-12-16T23:59:59.999Z')).toBe(2);
    expect(at('2026-12-17T00:00:00Z')).toBe(1);
    expect(at('2026-12-12T00:00:00Z', 'business')).toBe(1);
  });
});

describe('weighted paid total', () => {
  it('each line\'s share of what was paid, in proportion to its net, counted multiplier times (floor)', () => {
    // nets 600 (2×) + 300 (0×) + 100 (1×), paid 1000 → 1200 + 0 + 100
    expect(weightedPaid(1000, [{ net: 600 }, { net: 300 }, { net: 100 }], [2, 0, 1])).toBe(1300);
    // paid differs from Σ net (exclusive tax): 1130 × (2·600 + 100) / 1000 = 1469
    expect(weightedPaid(1130, [{ net: 600 }, { net: 300 }, { net: 100 }], [2, 0, 1])).toBe(1469);
    // 333 × (1·1 + 0·2) / 3 = 111
    expect(weightedPaid(333, [{ net: 1 }, { net: 2 }], [1, 0])).toBe(111);
  });

  it('all multipliers 1 (or no lines): exactly paid; Σ net = 0 with another multiplier: 0', () => {
    expect(weightedPaid(1234, [{ net: 1000 }], [1])).toBe(1234);
    expect(weightedPaid(50, [], [])).toBe(50);
    expect(weightedPaid(50, [{ net: 0 }], [2])).toBe(0);
    expect(weightedPaid(-5, [{ net: 10 }], [2])).toBe(0);
  });

  it('exact with amounts near the safe-integer range (bigint arithmetic)', () => {
    const big = Number.MAX_SAFE_INTEGER - 1;
    expect(weightedPaid(big, [{ net: big }, { net: 1 }], [1, 0])).toBe(Number((BigInt(big) * BigInt(big)) / BigInt(big + 1)));
  });
});

describe('earned points of an order', () => {
  it('a personal member: 2× on one line, 0× on another', () => {
    const promotions = [pts('double', ['A'], 2), pts('tobacco', ['T'], 0)];
    const basis = { lines: [{ sku: 'A', net: 1000 }, { sku: 'T', net: 2500 }, { sku: 'B', net: 550 }], at: AT };
    // weighted = 4050 × (2000 + 0 + 550) / 4050 = 2550 → floor(2550 / 100) × 1
    expect(earnedPointsForOrder(LOYALTY, promotions, 4050, 'personal', basis)).toBe(25);
    expect(earnedPoints(LOYALTY, 4050, 'personal')).toBe(40);
    // business earns by its own rule on the same weighted total: floor(2550 / 1000) × 3
    expect(earnedPointsForOrder(LOYALTY, promotions, 4050, 'business', basis)).toBe(6);
    // loyalty off: nothing
    expect(earnedPointsForOrder({ ...LOYALTY, enabled: false }, promotions, 4050, 'personal', basis)).toBe(0);
  });
});

describe('earn rule properties', () => {
  const line = fc.record({ sku: fc.constantFrom('A', 'B', 'C', 'D'), net: fc.integer({ min: 0, max: 1_000_000 }) });
  const lines = fc.array(line, { maxLength: 8 });
  const paid = fc.integer({ min: 0, max: 10_000_000 });
  const type = fc.constantFrom(...TYPES);
  const rule = fc.record({
    enabled: fc.constant(true),
    points: fc.integer({ min: 0, max: 20 }),
    per: fc.integer({ min: 1, max: 5000 }),
    byType: fc.record({ business: fc.record({ points: fc.integer({ min: 0, max: 20 }), per: fc.integer({ min: 1, max: 5000 }) }) }, { requiredKeys: [] }),
  }) as fc.Arbitrary<Loyalty>;
  const promo = fc.record({ id: fc.constantFrom('p1', 'p2', 'p3', 'p4'), skus: fc.subarray(['A', 'B', 'C', 'D'], { minLength: 1 }), multiplier: fc.integer({ min: 0, max: 10 }) });
  const promos = fc.array(promo, { maxLength: 4 }).map((ps) => ps.map((p, i) => pts(`${p.id}-${i}`, p.skus, p.multiplier)));

  it('multiplier 1 everywhere (points promotions of 1, other kinds, none) = today\'s earnedPoints exactly', () => {
    fc.assert(
      fc.property(rule, paid, type, lines, fc.array(fc.subarray(['A', 'B', 'C', 'D'], { minLength: 1 }), { maxLength: 3 }), (l, p, t, ls, skuSets) => {
        const promotions: Promotion[] = [
          ...skuSets.map((skus, i) => pts(`one-${i}`, skus, 1)),
          { id: 'off', label, skus: ['A', 'B', 'C', 'D'], kind: 'percent_off', percent: 50 },
        ];
        expect(earnedPointsForOrder(l, promotions, p, t, { lines: ls, at: AT })).toBe(earnedPoints(l, p, t));
      }),
    );
  });

  it('never negative, an integer; 0 on every line → 0 points', () => {
    fc.assert(
      fc.property(rule, paid, type, lines, promos, (l, p, t, ls, ps) => {
        const n = earnedPointsForOrder(l, ps, p, t, { lines: ls, at: AT });
        expect(Number.isSafeInteger(n) && n >= 0).toBe(true);
        const zero = [pts('zero', ['A', 'B', 'C', 'D'], 0)];
        if (ls.length > 0) expect(earnedPointsForOrder(l, zero, p, t, { lines: ls, at: AT })).toBe(0);
      }),
    );
  });

  it('m× on every line earns like m× the paid total (when the lines have a net); raising a multiplier never lowers the points', () => {
    fc.assert(
      fc.property(rule, paid, type, lines, fc.integer({ min: 0, max: 10 }), promos, (l, p, t, ls, m, ps) => {
        const basis = { lines: ls, at: AT };
        // (paid > 0 with no line net is no real order: paid is the lines' net, plus tax on it when exclusive)
        if (!ls.some((x) => x.net > 0)) return;
        expect(earnedPointsForOrder(l, [pts('all', ['A', 'B', 'C', 'D'], m)], p, t, basis)).toBe(earnedPoints(l, p * m, t));
        const before = earnedPointsForOrder(l, ps, p, t, basis);
        const raised = ps.map((x) => (x.kind === 'points' ? { ...x, multiplier: Math.min(10, x.multiplier + 1) } : x));
        expect(earnedPointsForOrder(l, raised, p, t, basis)).toBeGreaterThanOrEqual(before);
      }),
    );
  });
});
