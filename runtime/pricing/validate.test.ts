import { isKioskError } from '../../kernel/errors';
import { priceCart } from './price-cart';
import { context, counted, promo, weighed } from '../../test/support/pricing-fixtures';
import type { CartLine, PricingContext, Promotion } from './types';

function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

function expectInvalid(fn: () => unknown, message: RegExp): void {
  const e = errorOf(fn);
  expect(isKioskError(e, 'PRICEBOOK_INVALID')).toBe(true);
  expect((e as Error).message).toMatch(message);
}

const price = (lines: CartLine[], overrides: Partial<PricingContext> = {}) => priceCart(lines, context(overrides));
const withPromo = (p: Promotion) => price([counted('a', 'A', 1, 100)], { promotions: [p] });

describe('invalid cart lines', () => {
  test.each<[string, CartLine, RegExp]>([
    ['negative quantity', counted('a', 'A', -1, 100), /quantity/],
    ['fractional quantity', counted('a', 'A', 1.5, 100), /quantity/],
    ['negative price', counted('a', 'A', 1, -5), /unitPrice/],
    ['fractional minor units', counted('a', 'A', 1, 3.5), /unitPrice/],
    ['NaN price', counted('a', 'A', 1, Number.NaN), /unitPrice/],
    ['fractional grams', weighed('a', 'A', 12.5, 100), /weightGrams/],
    ['negative grams', weighed('a', 'A', -1, 100), /weightGrams/],
    ['weighed line with quantity 2', { ...weighed('a', 'A', 100, 100), quantity: 2 }, /quantity/],
    ['fractional embedded price', { ...counted('a', 'A', 1, 100), embeddedPrice: 1.25 }, /embeddedPrice/],
    ['empty sku', counted('a', '', 1, 100), /sku/],
    ['empty lineId', counted('', 'A', 1, 100), /lineId/],
  ])('%s', (_name, line, message) => {
    expectInvalid(() => price([line]), message);
  });

  test('duplicate lineId', () => {
    expectInvalid(() => price([counted('a', 'A', 1, 100), counted('a', 'B', 1, 100)]), /duplicate lineId "a"/);
  });

  test('unknown tax class names the class', () => {
    const e = errorOf(() => price([counted('a', 'A', 1, 100, 'luxury')]));
    expect(isKioskError(e, 'PRICEBOOK_INVALID')).toBe(true);
    expect((e as Error).message).toContain('"luxury"');
    expect((e as { details: Record<string, unknown> }).details).toEqual({ taxClass: 'luxury' });
  });

  test('subtotal beyond safe integers', () => {
    const big = Number.MAX_SAFE_INTEGER - 10;
    expectInvalid(() => price([counted('a', 'A', 1, big), counted('b', 'A', 1, big)]), /subtotal/);
  });
});

describe('invalid promotions', () => {
  test.each<[string, Promotion, RegExp]>([
    ['percent 0', promo({ id: 'p', kind: 'percent_off', percent: 0, skus: ['A'] }), /percent/],
    ['percent above 100', promo({ id: 'p', kind: 'percent_off', percent: 100.5, skus: ['A'] }), /percent/],
    ['percent with 3 decimals', promo({ id: 'p', kind: 'percent_off', percent: 12.345, skus: ['A'] }), /percent/],
    ['negative amount', promo({ id: 'p', kind: 'amount_off', amount: -1, skus: ['A'] }), /amount/],
    ['pay = buy', promo({ id: 'p', kind: 'buy_x_pay_y', buy: 3, pay: 3, skus: ['A'] }), /pay/],
    ['buy 1', promo({ id: 'p', kind: 'buy_x_pay_y', buy: 1, pay: 0, skus: ['A'] }), /buy/],
    ['quantity 0', promo({ id: 'p', kind: 'x_for_price', quantity: 0, price: 100, skus: ['A'] }), /quantity/],
    ['fractional price', promo({ id: 'p', kind: 'member_price', price: 9.9, skus: ['A'] }), /price/],
    ['non-array skus', { ...promo({ id: 'p', kind: 'amount_off', amount: 1, skus: [] }), skus: 'A' as unknown as string[] }, /skus/],
    ['unknown kind', { ...promo({ id: 'p', kind: 'amount_off', amount: 1, skus: ['A'] }), kind: 'bogo' } as unknown as Promotion, /kind/],
    ['unparseable validTo', promo({ id: 'p', kind: 'amount_off', amount: 1, skus: ['A'], validTo: 'next week' }), /validTo/],
    ['date-time without offset', promo({ id: 'p', kind: 'amount_off', amount: 1, skus: ['A'], validFrom: '2025-06-01T00:00:00' }), /validFrom/],
  ])('%s', (_name, p, message) => {
    expectInvalid(() => withPromo(p), message);
  });

  test('invalid promotions are rejected even when outside their window', () => {
    const p = promo({ id: 'p', kind: 'percent_off', percent: 0, skus: ['A'], validTo: '2000-01-01' });
    expectInvalid(() => withPromo(p), /percent/);
  });

  test('duplicate promotion id', () => {
    const p = promo({ id: 'p', kind: 'amount_off', amount: 1, skus: ['A'] });
    expectInvalid(() => price([], { promotions: [p, p] }), /duplicate promotion id "p"/);
  });
});

describe('invalid context', () => {
  test('tax mode', () => {
    expectInvalid(() => price([], { taxMode: 'vat' as 'inclusive' }), /taxMode/);
  });
  test('now', () => {
    expectInvalid(() => price([], { now: Number.NaN }), /now/);
  });
  test('tax rate with more than 6 decimals', () => {
    expectInvalid(() => price([counted('a', 'A', 1, 100, 'x')], { taxRates: { x: 0.1234567 } }), /invalid rate/);
  });
});
