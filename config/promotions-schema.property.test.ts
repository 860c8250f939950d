import fc from 'fast-check';
import { validatePromotions } from '../runtime/pricing/validate';
import type { Promotion } from '../runtime/pricing/types';
import { configSchema } from './schema';

/**
 * The config schema is never looser than the pricing engine: any promotion list `configSchema` accepts passes
 * runtime/pricing/validate.ts validatePromotions (run at every cart pricing: a list it refuses would make every scan
 * fail with PRICEBOOK_INVALID). The lists are drawn near the edges both check (percent decimals and bounds, pay vs
 * buy, repeated ids, time formats), so the schema refuses a good share of them and accepts the rest.
 */

const promotionsSchema = configSchema.shape.promotions;

const id = fc.constantFrom('p1', 'p2', 'p3', 'p-4', 'points', '');
const skus = fc.array(fc.constantFrom('SKU1', 'SKU2', '', 'A-9'), { minLength: 0, maxLength: 3 });
const when = fc.constantFrom(
  '2025-01-31T00:00:00Z',
  '2025-01-31T08:00:00+08:00',
  '2025-01-31T08:00:00.123Z',
  '2025-01-31T08:00:00.123456789Z',
  '2025-01-31T08:00Z',
  '2025-01-31T08:00:00+0800',
  '2025-01-31',
  'tomorrow',
);
const percent = fc.oneof(
  fc.constantFrom(0, 0.001, 0.01, 0.1, 0.125, 12.5, 33.33, 33.333, 99.99, 100, 100.01, 0.29, 0.57, 1.005, 1e-7, 50.000000001),
  fc.double({ min: 0, max: 101, noNaN: true }),
  fc.integer({ min: 0, max: 10_100 }).map((h) => h / 100),
);
const small = fc.integer({ min: -1, max: 6 });
const money = fc.oneof(fc.integer({ min: -1, max: 10_000 }), fc.constant(Number.MAX_SAFE_INTEGER), fc.constant(0.5));

const base = fc.record(
  {
    id,
    label: fc.constant({ en: 'Promo', 'zh-CN': '促销' }),
    skus,
    memberOnly: fc.boolean(),
    customerTypes: fc.array(fc.constantFrom('personal', 'business', 'group', 'vip'), { minLength: 0, maxLength: 2 }),
    validFrom: when,
    validTo: when,
  },
  { requiredKeys: ['id', 'label', 'skus'] },
);

const promotion = fc.oneof(
  fc.tuple(base, percent).map(([b, p]) => ({ ...b, kind: 'percent_off', percent: p })),
  fc.tuple(base, money).map(([b, amount]) => ({ ...b, kind: 'amount_off', amount })),
  fc.tuple(base, small, small).map(([b, buy, pay]) => ({ ...b, kind: 'buy_x_pay_y', buy, pay })),
  fc.tuple(base, small, money).map(([b, quantity, price]) => ({ ...b, kind: 'x_for_price', quantity, price })),
  fc.tuple(base, money).map(([b, price]) => ({ ...b, kind: 'member_price', price })),
  fc.tuple(base, fc.integer({ min: -1, max: 11 })).map(([b, multiplier]) => ({ ...b, kind: 'points', multiplier })),
);

describe('config promotions schema vs the pricing engine', () => {
  it('every promotion list the schema accepts passes validatePromotions', () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(fc.array(promotion, { maxLength: 4 }), (list) => {
        const parsed = promotionsSchema.safeParse(list);
        if (!parsed.success) {
          refused++;
          return;
        }
        accepted++;
        expect(() => validatePromotions(parsed.data as unknown as Promotion[])).not.toThrow();
      }),
      { numRuns: 3000 },
    );
    // the draw reaches both sides, or the property says nothing
    expect(accepted).toBeGreaterThan(100);
    expect(refused).toBeGreaterThan(100);
  });

  it('refuses what the engine refuses, naming the field', () => {
    const b = { label: { en: 'x' }, skus: ['SKU1'] };
    const issues = (list: unknown[]) => {
      const r = promotionsSchema.safeParse(list);
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(issues([{ ...b, id: 'a', kind: 'buy_x_pay_y', buy: 3, pay: 3 }])).toEqual(['0.pay: expected pay below buy']);
    expect(issues([{ ...b, id: 'a', kind: 'buy_x_pay_y', buy: 3, pay: 2 }])).toEqual([]);
    expect(issues([{ ...b, id: 'a', kind: 'percent_off', percent: 12.345 }])).toEqual(['0.percent: expected a percent with at most 2 decimals']);
    expect(issues([{ ...b, id: 'a', kind: 'percent_off', percent: 12.34 }])).toEqual([]);
    expect(issues([
      { ...b, id: 'a', kind: 'amount_off', amount: 5 },
      { ...b, id: 'b', kind: 'amount_off', amount: 5 },
      { ...b, id: 'a', kind: 'member_price', price: 5 },
    ])).toEqual(['2.id: expected a promotion id not used before (duplicate "a")']);
    // and the engine does refuse each of them
    for (const bad of [
      [{ ...b, id: 'a', kind: 'buy_x_pay_y', buy: 3, pay: 3 }],
      [{ ...b, id: 'a', kind: 'percent_off', percent: 12.345 }],
      [{ ...b, id: 'a', kind: 'amount_off', amount: 5 }, { ...b, id: 'a', kind: 'amount_off', amount: 5 }],
    ]) {
      expect(() => validatePromotions(bad as unknown as Promotion[])).toThrow(expect.objectContaining({ code: 'PRICEBOOK_INVALID' }));
    }
  });
});
