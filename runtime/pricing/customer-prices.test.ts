import { isKioskError } from '../../kernel/errors';
import { priceCart } from './price-cart';
import { context, counted, labelled, promo, weighed } from '../../test/support/pricing-fixtures';
import type { CartLine, PricingContext } from './types';

const typed = (line: CartLine, typePrices: CartLine['typePrices']): CartLine => ({ ...line, typePrices });
const price = (lines: CartLine[], over: Partial<PricingContext> = {}) => priceCart(lines, context(over));

describe('customer-type prices', () => {
  const cola = typed(counted('L1', 'COLA', 3, 350), { business: 300, group: 320 });
  const pork = typed(weighed('L2', 'PORK', 1500, 2800), { business: 2400 }); // per kg
  const label = typed(labelled('L3', 'CHEESE', 1234, 999), { business: 1 });

  test('a business buyer pays the business price per unit and per kg; a price label keeps its price', () => {
    const cart = price([cola, pork, label], { customerType: 'business' });
    expect(cart.lines.map((l) => [l.unitPrice, l.gross])).toEqual([
      [300, 900],
      [2400, 3600],
      [999, 1234],
    ]);
    expect(cart.total).toBe(900 + 3600 + 1234);
  });

  test('a group buyer without a group price on a line pays unitPrice there', () => {
    const cart = price([cola, pork], { customerType: 'group' });
    expect(cart.lines.map((l) => l.gross)).toEqual([960, 4200]);
  });

  test('personal (or no customerType) ignores type prices', () => {
    for (const ctx of [{}, { customerType: 'personal' as const }]) expect(price([cola, pork], ctx).subtotal).toBe(1050 + 4200);
  });

  test('promotions work on the type price (member_price against the business price)', () => {
    const p = promo({ id: 'M', kind: 'member_price', skus: ['COLA'], price: 250 });
    const cart = price([cola], { customerType: 'business', memberAttached: true, promotions: [p] });
    expect(cart.discountTotal).toBe((300 - 250) * 3);
  });

  test('a promotion with customerTypes applies only to those types; memberOnly keeps its meaning', () => {
    const biz = promo({ id: 'B10', kind: 'percent_off', skus: ['COLA'], percent: 10, customerTypes: ['business'] });
    const bizMembers = promo({ id: 'BM', kind: 'amount_off', skus: ['PORK'], amount: 100, customerTypes: ['business', 'group'], memberOnly: true });
    const run = (customerType: PricingContext['customerType'], memberAttached: boolean) =>
      price([cola, pork], { customerType, memberAttached, promotions: [biz, bizMembers] }).discounts.map((d) => d.promotionId);
    expect(run('business', true)).toEqual(['B10', 'BM']);
    expect(run('group', true)).toEqual(['BM']);
    expect(run('personal', true)).toEqual([]);
    expect(run(undefined, true)).toEqual([]);
    expect(run('business', false)).toEqual(['B10']);
  });
});

describe('redeemed points', () => {
  const lines = [counted('L1', 'A', 1, 1000, 'std'), counted('L2', 'B', 1, 500, 'food'), counted('L3', 'C', 1, 0, 'std')];

  test('after promotions, split over the lines by their net (largest remainder), tax recomputed, labelled en / zh-CN', () => {
    const half = promo({ id: 'H', kind: 'percent_off', skus: ['A'], percent: 50 });
    const cart = price(lines, { promotions: [half], pointsDiscount: 301 });
    // nets after the promotion: 500, 500, 0 → 301 splits 151 / 150 (tie: first line by lineId gets the extra unit)
    expect(cart.discounts).toEqual([
      { promotionId: 'H', kind: 'percent_off', label: { en: 'H' }, amount: 500, allocations: [{ lineId: 'L1', amount: 500 }] },
      {
        promotionId: 'points',
        kind: 'points',
        label: { en: 'Points redeemed', 'zh-CN': '积分抵扣' },
        amount: 301,
        allocations: [
          { lineId: 'L1', amount: 151 },
          { lineId: 'L2', amount: 150 },
        ],
      },
    ]);
    expect(cart.lines.map((l) => l.net)).toEqual([349, 350, 0]);
    // inclusive: 349 × 0.13 / 1.13 = 40.15 → 40; 350 × 0.09 / 1.09 = 28.9 → 29
    expect(cart.lines.map((l) => l.tax)).toEqual([40, 29, 0]);
    expect(cart.total).toBe(1500 - 500 - 301);
  });

  test('capped at what is left to pay; exclusive tax then falls to 0', () => {
    const cart = price(lines, { pointsDiscount: 99_999, taxMode: 'exclusive' });
    expect(cart.discounts).toEqual([expect.objectContaining({ promotionId: 'points', amount: 1500 })]);
    expect([cart.taxTotal, cart.total]).toEqual([0, 0]);
  });

  test('exclusive tax is added on the net after points', () => {
    const cart = price([counted('L1', 'A', 1, 1000)], { pointsDiscount: 200, taxMode: 'exclusive' });
    expect([cart.taxTotal, cart.total]).toEqual([104, 904]); // 800 × 13 %
  });

  test('0 or absent: no points discount listed', () => {
    expect(price(lines, { pointsDiscount: 0 }).discounts).toEqual([]);
    expect(price([], { pointsDiscount: 100 }).discounts).toEqual([]);
  });
});

describe('validation', () => {
  const refused = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      if (isKioskError(e, 'PRICEBOOK_INVALID')) return e.message;
      throw e;
    }
    throw new Error('expected PRICEBOOK_INVALID');
  };
  const line = counted('L1', 'A', 1, 100);

  test.each([
    [{ customerType: 'vip' as never }, 'customerType must be "personal", "business" or "group", got vip'],
    [{ pointsDiscount: -1 }, 'pointsDiscount must be a non-negative integer of minor units, got -1'],
    [{ pointsDiscount: 1.5 }, 'pointsDiscount must be a non-negative integer of minor units, got 1.5'],
    [{ promotions: [promo({ id: 'X', kind: 'percent_off', skus: ['A'], percent: 5, customerTypes: [] })] }, 'promotion "X": customerTypes must be a non-empty list of "personal", "business", "group", got []'],
    [{ promotions: [promo({ id: 'X', kind: 'percent_off', skus: ['A'], percent: 5, customerTypes: ['vip' as never] })] }, 'promotion "X": customerTypes must be a non-empty list of "personal", "business", "group", got ["vip"]'],
    [{ promotions: [promo({ id: 'points', kind: 'percent_off', skus: ['A'], percent: 5 })] }, 'promotion id "points" is reserved for redeemed points'],
  ])('context %j', (over, message) => {
    expect(refused(() => price([line], over))).toBe(message);
  });

  test.each([
    [{ business: -5 }, 'line "L1": typePrices.business must be a non-negative integer of minor units, got -5'],
    [{ vip: 5 } as never, 'line "L1": typePrices.vip is not a customer type with its own price (business, group), got 5'],
  ])('line typePrices %j', (tp, message) => {
    expect(refused(() => price([typed(line, tp)]))).toBe(message);
  });
});
