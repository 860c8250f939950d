/** A `points` promotion (member points multiplier) is validated by the pricing engine and changes no amount. */
import fc from 'fast-check';
import { isKioskError } from '../../kernel/errors';
import { context, counted, labelled, promo, weighed } from '../../test/support/pricing-fixtures';
import { priceCart } from './price-cart';
import type { Promotion } from './types';
import { validatePromotions } from './validate';

const refusal = (ps: Promotion[]): string => {
  try {
    validatePromotions(ps);
    return 'accepted';
  } catch (e) {
    return isKioskError(e, 'PRICEBOOK_INVALID') ? e.message : String(e);
  }
};

describe('points promotions in the pricing engine', () => {
  it('a multiplier of 0..10 (integer) is valid; anything else is refused naming the field', () => {
    for (const m of [0, 1, 2, 10]) expect(refusal([promo({ id: 'p', kind: 'points', multiplier: m, skus: ['A'] })])).toBe('accepted');
    for (const m of [-1, 11, 1.5, Number.NaN]) expect(refusal([promo({ id: 'p', kind: 'points', multiplier: m, skus: ['A'] })])).toMatch(/promotion "p": multiplier must be an integer in \[0, 10\]/);
    expect(refusal([promo({ id: 'p', kind: 'points', multiplier: 2, skus: ['A'], validFrom: 'soon' })])).toMatch(/validFrom/);
  });

  it('changes no amount and lists no discount, beside a price promotion on the same SKU, for members and every type', () => {
    const lines = [counted('a', 'A', 3, 250), weighed('w', 'A', 750, 1200), labelled('l', 'B', 999)];
    const off = promo({ id: 'off', kind: 'percent_off', percent: 10, skus: ['A'] });
    const double = promo({ id: 'double', kind: 'points', multiplier: 2, skus: ['A', 'B'] });
    const none = promo({ id: 'none', kind: 'points', multiplier: 0, skus: ['A'], memberOnly: true });
    for (const customerType of ['personal', 'business', 'group'] as const) {
      for (const memberAttached of [false, true]) {
        const without = priceCart(lines, context({ promotions: [off], memberAttached, customerType, pointsDiscount: 100 }));
        const withPoints = priceCart(lines, context({ promotions: [double, off, none], memberAttached, customerType, pointsDiscount: 100 }));
        expect(withPoints).toEqual(without);
        expect(withPoints.discounts.map((d) => d.promotionId)).toEqual(['off', 'points']);
      }
    }
  });

  it('property: adding points promotions to any cart never changes the priced cart', () => {
    const sku = fc.constantFrom('A', 'B', 'C');
    const line = fc.tuple(sku, fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 5000 }));
    fc.assert(
      fc.property(
        fc.array(line, { maxLength: 6 }),
        fc.array(fc.tuple(fc.subarray(['A', 'B', 'C'], { minLength: 1 }), fc.integer({ min: 0, max: 10 })), { maxLength: 3 }),
        fc.boolean(),
        (ls, ps, memberAttached) => {
          const cart = ls.map(([s, q, p], i) => counted(`l${i}`, s, q, p));
          const base: Promotion[] = [promo({ id: 'b2', kind: 'buy_x_pay_y', buy: 2, pay: 1, skus: ['A', 'B'] }), promo({ id: 'mp', kind: 'member_price', price: 100, skus: ['C'] })];
          const points = ps.map(([skus, multiplier], i) => promo({ id: `pts${i}`, kind: 'points', multiplier, skus }));
          expect(priceCart(cart, context({ promotions: [...points, ...base], memberAttached }))).toEqual(priceCart(cart, context({ promotions: base, memberAttached })));
        },
      ),
    );
  });
});
