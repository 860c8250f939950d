import { priceCart } from './price-cart';
import { MAX_EXHAUSTIVE } from './promotion-search';
import { context, counted, labelled, NOW, permutations, promo, weighed } from '../../test/support/pricing-fixtures';
import type { CartLine, PricedCart, Promotion } from './types';

/** lineId → [gross, discount, net, tax] */
function byLine(cart: PricedCart): Record<string, [number, number, number, number]> {
  return Object.fromEntries(cart.lines.map((l) => [l.lineId, [l.gross, l.discount, l.net, l.tax]]));
}

/** promotionId → { lineId: amount } */
function allocations(cart: PricedCart): Record<string, Record<string, number>> {
  return Object.fromEntries(cart.discounts.map((d) => [d.promotionId, Object.fromEntries(d.allocations.map((a) => [a.lineId, a.amount]))]));
}

describe('worked examples', () => {
  test('CNY cart, tax included, 13 % and 9 % classes, weighed item and price label', () => {
    const cart = priceCart(
      [
        counted('cola', 'COLA', 3, 350, 'std'), // 3 × ¥3.50 = 1050
        weighed('apples', 'APPLE', 347, 2580, 'food'), // 0.347 kg × ¥25.80 = 895.26 → 895
        labelled('bread', 'BREAD', 1280, 999, 'food'), // label ¥12.80 wins over unitPrice
      ],
      context(),
    );
    // taxes contained: 1050×13/113 = 120.80 → 121; 895×9/109 = 73.90 → 74; 1280×9/109 = 105.69 → 106
    expect(byLine(cart)).toEqual({
      cola: [1050, 0, 1050, 121],
      apples: [895, 0, 895, 74],
      bread: [1280, 0, 1280, 106],
    });
    expect(cart.lines.map((l) => l.taxRate)).toEqual([0.13, 0.09, 0.09]);
    expect(cart.taxes).toEqual([
      { taxClass: 'food', rate: 0.09, base: 2175, tax: 180 },
      { taxClass: 'std', rate: 0.13, base: 1050, tax: 121 },
    ]);
    expect(cart).toMatchObject({ subtotal: 3225, discountTotal: 0, taxTotal: 301, total: 3225, discounts: [] });
  });

  test('USD cart, tax added at 7.25 %, with 10 % off one item', () => {
    const cart = priceCart([counted('a', 'SHIRT', 2, 1999, 'tx'), counted('b', 'SOCKS', 1, 500, 'tx')], {
      ...context({ taxMode: 'exclusive', taxRates: { tx: 0.0725 } }),
      promotions: [promo({ id: 'socks10', kind: 'percent_off', percent: 10, skus: ['SOCKS'] })],
    });
    // a: 3998, tax 289.855 → 290; b: 500 − 50 = 450, tax 32.625 → 33
    expect(byLine(cart)).toEqual({ a: [3998, 0, 3998, 290], b: [500, 50, 450, 33] });
    expect(cart.taxes).toEqual([{ taxClass: 'tx', rate: 0.0725, base: 3998 + 450, tax: 323 }]);
    // 4498 − 50 + 323
    expect(cart).toMatchObject({ subtotal: 4498, discountTotal: 50, taxTotal: 323, total: 4771 });
  });

  test('empty cart', () => {
    expect(priceCart([], context())).toEqual({
      lines: [],
      discounts: [],
      taxes: [],
      subtotal: 0,
      discountTotal: 0,
      taxTotal: 0,
      total: 0,
    });
  });
});

describe('half-even rounding where half-up would differ', () => {
  test('inclusive tax of exactly x.5: 20 % (tax = net / 6)', () => {
    const cart = priceCart([counted('even', 'A', 1, 1503, 'vat'), counted('odd', 'A', 1, 1509, 'vat')], context({ taxRates: { vat: 0.2 } }));
    // 1503 / 6 = 250.5 → 250 (half-up: 251); 1509 / 6 = 251.5 → 252
    expect(cart.lines.map((l) => l.tax)).toEqual([250, 252]);
    expect(cart.taxTotal).toBe(502);
    expect(cart.total).toBe(3012);
  });

  test('exclusive tax of exactly x.5 at 7.25 %', () => {
    const cart = priceCart(
      [counted('even', 'A', 2, 100, 'tx'), counted('odd', 'A', 3, 200, 'tx')],
      context({ taxMode: 'exclusive', taxRates: { tx: 0.0725 } }),
    );
    // 200 × 0.0725 = 14.5 → 14 (half-up: 15); 600 × 0.0725 = 43.5 → 44
    expect(cart.lines.map((l) => l.tax)).toEqual([14, 44]);
    expect(cart.total).toBe(800 + 58);
  });

  test('percent discount of exactly x.5', () => {
    const cart = priceCart([counted('even', 'A', 1, 10), counted('odd', 'B', 1, 14)], {
      ...context(),
      promotions: [promo({ id: 'q', kind: 'percent_off', percent: 25, skus: ['A', 'B'] })],
    });
    // 2.5 → 2 (half-up: 3); 3.5 → 4
    expect(cart.lines.map((l) => l.discount)).toEqual([2, 4]);
    expect(cart.discounts).toEqual([
      {
        promotionId: 'q',
        kind: 'percent_off',
        label: { en: 'q' },
        amount: 6,
        allocations: [
          { lineId: 'even', amount: 2 },
          { lineId: 'odd', amount: 4 },
        ],
      },
    ]);
  });

  test('weighed gross of exactly x.5', () => {
    const cart = priceCart([weighed('even', 'A', 25, 2580), weighed('odd', 'A', 75, 2580)], context());
    // 64.5 → 64 (half-up: 65); 193.5 → 194
    expect(cart.lines.map((l) => l.gross)).toEqual([64, 194]);
  });
});

describe('each promotion kind', () => {
  const withPromos = (promotions: Promotion[], memberAttached = false) => ({ ...context({ memberAttached }), promotions });

  test('percent_off with two decimals and 100 %', () => {
    const cart = priceCart(
      [counted('a', 'A', 1, 1999), counted('b', 'B', 2, 300)],
      withPromos([
        promo({ id: 'p125', kind: 'percent_off', percent: 12.5, skus: ['A'] }),
        promo({ id: 'free', kind: 'percent_off', percent: 100, skus: ['B'] }),
      ]),
    );
    // 1999 × 12.5 % = 249.875 → 250; 100 % of 600 = 600
    expect(byLine(cart)).toEqual({ a: [1999, 250, 1749, 201], b: [600, 600, 0, 0] });
    // 1749 × 13/113 = 201.21 → 201
    expect(cart.total).toBe(1749);
  });

  test('amount_off per unit, per kg pro rata, capped at the price', () => {
    const cart = priceCart(
      [
        counted('cola', 'COLA', 3, 350),
        weighed('apples', 'APPLE', 347, 2580),
        counted('cheap', 'GUM', 2, 300),
        labelled('label', 'CAKE', 80),
      ],
      withPromos([
        promo({ id: 'cola1', kind: 'amount_off', amount: 100, skus: ['COLA'] }),
        promo({ id: 'apple5', kind: 'amount_off', amount: 500, skus: ['APPLE'] }),
        promo({ id: 'gum5', kind: 'amount_off', amount: 500, skus: ['GUM', 'CAKE'] }),
      ]),
    );
    // cola: 3 × 100; apples: 500 × 0.347 = 173.5 → 174; gum: min(500, 300) × 2 = 600; label: min(500, 80) = 80
    expect(byLine(cart)).toMatchObject({
      cola: [1050, 300, 750, expect.any(Number)],
      apples: [895, 174, 721, expect.any(Number)],
      cheap: [600, 600, 0, 0],
      label: [80, 80, 0, 0],
    });
    expect(allocations(cart)).toEqual({ apple5: { apples: 174 }, cola1: { cola: 300 }, gum5: { cheap: 600, label: 80 } });
  });

  test('member_price only with a member attached', () => {
    const lines = [counted('cola', 'COLA', 2, 350), weighed('apples', 'APPLE', 347, 2580), counted('tea', 'TEA', 1, 250)];
    const promotions = [
      promo({ id: 'mcola', kind: 'member_price', price: 299, skus: ['COLA'] }),
      promo({ id: 'mapple', kind: 'member_price', price: 1990, skus: ['APPLE'] }),
      promo({ id: 'mtea', kind: 'member_price', price: 260, skus: ['TEA'] }), // dearer than the shelf price
    ];
    const member = priceCart(lines, withPromos(promotions, true));
    // cola: (350 − 299) × 2 = 102; apples per kg: 895 − round(1990 × 0.347 = 690.53 → 691) = 204; tea: none
    expect(allocations(member)).toEqual({ mapple: { apples: 204 }, mcola: { cola: 102 } });
    expect(member.discountTotal).toBe(306);
    const guest = priceCart(lines, withPromos(promotions, false));
    expect(guest.discounts).toEqual([]);
    expect(guest.discountTotal).toBe(0);
  });

  test('memberOnly promotions need a member', () => {
    const lines = [counted('a', 'A', 1, 1000)];
    const promotions = [promo({ id: 'm10', kind: 'percent_off', percent: 10, skus: ['A'], memberOnly: true })];
    expect(priceCart(lines, withPromos(promotions, false)).discountTotal).toBe(0);
    expect(priceCart(lines, withPromos(promotions, true)).discountTotal).toBe(100);
  });

  test('"3 for 2" over mixed prices: 7 units form 2 groups, the cheapest of each is free', () => {
    const cart = priceCart(
      [counted('a', 'A', 2, 500), counted('b', 'B', 3, 300), counted('c', 'C', 2, 200)],
      withPromos([promo({ id: '3for2', kind: 'buy_x_pay_y', buy: 3, pay: 2, skus: ['A', 'B', 'C'] })]),
    );
    // 500 500 [300] | 300 300 [200] | 200 left → 500 off, split 1000 : 900 : 200 → 238 / 214 / 48
    expect(cart.discountTotal).toBe(500);
    expect(allocations(cart)).toEqual({ '3for2': { a: 238, b: 214, c: 48 } });
    expect(cart.total).toBe(2300 - 500);
  });

  test('"3 for 2" ignores weighed and labelled lines and incomplete groups', () => {
    const cart = priceCart(
      [counted('a', 'A', 2, 500), weighed('w', 'A', 1000, 500), labelled('l', 'A', 500)],
      withPromos([promo({ id: '3for2', kind: 'buy_x_pay_y', buy: 3, pay: 2, skus: ['A'] })]),
    );
    expect(cart.discounts).toEqual([]);
  });

  test('"2 for ¥10" with 5 units', () => {
    const promotions = [promo({ id: '2for10', kind: 'x_for_price', quantity: 2, price: 1000, skus: ['X', 'Y'] })];
    const same = priceCart([counted('x', 'X', 5, 650)], withPromos(promotions));
    // two pairs at 1300 → 1000 each; the fifth unit pays 650
    expect(same.discountTotal).toBe(600);
    expect(same.total).toBe(3250 - 600);
    const mixed = priceCart([counted('x', 'X', 3, 650), counted('y', 'Y', 2, 450)], withPromos(promotions));
    // 650+650 → 300 off, 650+450 → 100 off, one 450 left; split 1950 : 450 → 325 : 75
    expect(allocations(mixed)).toEqual({ '2for10': { x: 325, y: 75 } });
    // a pair cheaper than the deal price is no deal
    expect(priceCart([counted('y', 'Y', 2, 450)], withPromos(promotions)).discounts).toEqual([]);
  });
});

describe('competing promotions', () => {
  const run = (lines: CartLine[], promotions: Promotion[]) => priceCart(lines, { ...context(), promotions });

  test('the better multi-buy wins over the first-listed percent discount', () => {
    const promotions = [
      promo({ id: 'a-pct10', kind: 'percent_off', percent: 10, skus: ['S'] }),
      promo({ id: 'b-3for2', kind: 'buy_x_pay_y', buy: 3, pay: 2, skus: ['S'] }),
    ];
    const cart = run([counted('s', 'S', 3, 1000)], promotions);
    // 10 % = 300, 3 for 2 = 1000; never both on the same units
    expect(cart.discounts.map((d) => [d.promotionId, d.amount])).toEqual([['b-3for2', 1000]]);
    expect(cart.discountTotal).toBe(1000);
  });

  test('the percent discount wins when it is worth more', () => {
    const cart = run(
      [counted('s', 'S', 3, 1000)],
      [
        promo({ id: 'a-3for2', kind: 'buy_x_pay_y', buy: 3, pay: 2, skus: ['S'] }),
        promo({ id: 'b-pct50', kind: 'percent_off', percent: 50, skus: ['S'] }),
      ],
    );
    expect(cart.discounts.map((d) => [d.promotionId, d.amount])).toEqual([['b-pct50', 1500]]);
  });

  test('the unit left over by a multi-buy takes another promotion', () => {
    const cart = run(
      [counted('a', 'A', 2, 500), counted('b', 'B', 3, 300), counted('c', 'C', 2, 200)],
      [
        promo({ id: 'a-c10', kind: 'percent_off', percent: 10, skus: ['C'] }),
        promo({ id: 'b-3for2', kind: 'buy_x_pay_y', buy: 3, pay: 2, skus: ['A', 'B', 'C'] }),
      ],
    );
    // 10 % first: 40 on C, then 3 for 2 on 500 500 300 300 300 → 300; total 340.
    // 3 for 2 first: 500, then 10 % on the one C unit left: 20; total 520.
    expect(allocations(cart)).toEqual({ 'a-c10': { c: 20 }, 'b-3for2': { a: 238, b: 214, c: 48 } });
    expect(cart.discountTotal).toBe(520);
    expect(byLine(cart).c).toEqual([400, 68, 332, 38]);
  });

  test('of two percent discounts on the same item only the larger applies', () => {
    const cart = run(
      [counted('a', 'A', 1, 1000)],
      [promo({ id: 'p10', kind: 'percent_off', percent: 10, skus: ['A'] }), promo({ id: 'p15', kind: 'percent_off', percent: 15, skus: ['A'] })],
    );
    expect(cart.discounts.map((d) => [d.promotionId, d.amount])).toEqual([['p15', 150]]);
  });

  // P alone is the biggest single saving (1200), but Q + P on the rest is better (1000 + 300)
  const P = promo({ id: 'p-pct30', kind: 'percent_off', percent: 30, skus: ['A', 'B'] });
  const Q = promo({ id: 'q-3for2', kind: 'buy_x_pay_y', buy: 3, pay: 2, skus: ['A'] });
  const R = promo({ id: 'r-pct25', kind: 'percent_off', percent: 25, skus: ['B'] });
  const lines = [counted('a', 'A', 3, 1000), counted('b', 'B', 1, 1000)];
  const fillers = (n: number): Promotion[] =>
    Array.from({ length: n }, (_, i) => promo({ id: `z${i}`, kind: 'percent_off', percent: 1, skus: ['A'] }));

  test('search finds a combination better than taking the biggest single saving first', () => {
    const cart = run(lines, [P, Q, R]);
    expect(cart.discounts.map((d) => [d.promotionId, d.amount])).toEqual([
      ['p-pct30', 300],
      ['q-3for2', 1000],
    ]);
    expect(allocations(cart)).toEqual({ 'p-pct30': { b: 300 }, 'q-3for2': { a: 1000 } });
  });

  test(`groups of more than ${MAX_EXHAUSTIVE} competing promotions fall back to best-first greedy`, () => {
    expect(run(lines, [P, Q, R, ...fillers(MAX_EXHAUSTIVE - 3)]).discountTotal).toBe(1300);
    const greedy = run(lines, [P, Q, R, ...fillers(MAX_EXHAUSTIVE - 2)]);
    // best-first takes P (1200) on all four units, nothing is left for the others
    expect(greedy.discounts.map((d) => [d.promotionId, d.amount])).toEqual([['p-pct30', 1200]]);
  });

  test('promotions that do not share lines are solved separately', () => {
    // 9 promotions, but in groups of at most 3: still exhaustive per group
    const separate = ['A', 'B', 'C'].flatMap((sku) => [
      promo({ id: `${sku}-pct30`, kind: 'percent_off', percent: 30, skus: [sku] }),
      promo({ id: `${sku}-3for2`, kind: 'buy_x_pay_y', buy: 3, pay: 2, skus: [sku] }),
      promo({ id: `${sku}-pct1`, kind: 'percent_off', percent: 1, skus: [sku] }),
    ]);
    const cart = run([counted('a', 'A', 3, 1000), counted('b', 'B', 3, 100), counted('c', 'C', 1, 1000)], separate);
    // A: 3 for 2 = 1000 (> 900); B: 3 for 2 = 100 (> 90); C: 30 % = 300
    expect(cart.discounts.map((d) => [d.promotionId, d.amount])).toEqual([
      ['A-3for2', 1000],
      ['B-3for2', 100],
      ['C-pct30', 300],
    ]);
  });
});

describe('validity window', () => {
  const lines = [counted('a', 'A', 1, 1000)];
  const pct = (id: string, window: { validFrom?: string; validTo?: string }): Promotion =>
    promo({ id, kind: 'percent_off', percent: 10, skus: ['A'], ...window });
  const applied = (p: Promotion): string[] => priceCart(lines, { ...context(), promotions: [p] }).discounts.map((d) => d.promotionId);

  test('promotions outside their window are ignored', () => {
    expect(applied(pct('ended', { validTo: '2025-06-15T11:59:59Z' }))).toEqual([]);
    expect(applied(pct('future', { validFrom: '2025-06-16' }))).toEqual([]);
    expect(applied(pct('running', { validFrom: '2025-06-01', validTo: '2025-07-01T00:00:00+08:00' }))).toEqual(['running']);
    expect(applied(pct('always', {}))).toEqual(['always']);
  });

  test('the window includes its start and excludes its end', () => {
    expect(new Date(NOW).toISOString()).toBe('2025-06-15T12:00:00.000Z');
    expect(applied(pct('starts-now', { validFrom: '2025-06-15T12:00:00Z' }))).toEqual(['starts-now']);
    expect(applied(pct('ends-now', { validTo: '2025-06-15T20:00:00+08:00' }))).toEqual([]);
    expect(applied(pct('ends-1ms-later', { validTo: '2025-06-15T12:00:00.001Z' }))).toEqual(['ends-1ms-later']);
    // sub-millisecond digits are accepted (as the config schema does) and truncated by Date.parse
    expect(applied(pct('ends-within-1ms', { validTo: '2025-06-15T12:00:00.000900Z' }))).toEqual([]);
  });
});

describe('order independence', () => {
  test('identical results for every order of lines and promotions', () => {
    // two equal lines share one 3-for-2 group, so which units are claimed hinges on a stable tie-break
    const lines = [counted('L1', 'S', 2, 100), counted('L2', 'S', 2, 100), counted('L3', 'T', 1, 333)];
    const promotions = [
      promo({ id: 'pct10', kind: 'percent_off', percent: 10, skus: ['S', 'T'] }),
      promo({ id: '3for2', kind: 'buy_x_pay_y', buy: 3, pay: 2, skus: ['S'] }),
      promo({ id: 'pct5', kind: 'percent_off', percent: 5, skus: ['T'] }),
    ];
    const reference = priceCart(lines, { ...context(), promotions });
    // 3 for 2 claims L1 ×2 and L2 ×1 (lineId order): 100 off, split 200 : 100 → 66.7 / 33.3 → 67 / 33;
    // 10 % on the free L2 unit = 10 and on L3 = 33.3 → 33
    expect(allocations(reference)).toEqual({ '3for2': { L1: 67, L2: 33 }, pct10: { L2: 10, L3: 33 } });
    const canonical = (cart: PricedCart) => ({
      ...cart,
      lines: cart.lines.slice().sort((a, b) => (a.lineId < b.lineId ? -1 : 1)),
      discounts: cart.discounts.map((d) => ({ ...d, allocations: d.allocations.slice().sort((a, b) => (a.lineId < b.lineId ? -1 : 1)) })),
    });
    for (const ls of permutations(lines)) {
      for (const ps of permutations(promotions)) {
        const cart = priceCart(ls, { ...context(), promotions: ps });
        expect(cart.lines.map((l) => l.lineId)).toEqual(ls.map((l) => l.lineId)); // input order kept
        expect(canonical(cart)).toEqual(canonical(reference));
      }
    }
  });

  test('equal savings: the promotion with the smaller id wins, whatever the listing order', () => {
    const a = promo({ id: 'a-pct10', kind: 'percent_off', percent: 10, skus: ['S'] });
    const b = promo({ id: 'b-off100', kind: 'amount_off', amount: 100, skus: ['S'] });
    // both give exactly 100 on one unit at 1000
    for (const promotions of [[a, b], [b, a]]) {
      const cart = priceCart([counted('s', 'S', 1, 1000)], { ...context(), promotions });
      expect(cart.discounts.map((d) => [d.promotionId, d.amount])).toEqual([['a-pct10', 100]]);
    }
  });

  test('an allocation remainder tie goes to the smaller lineId, not the first input line', () => {
    const promotions = [promo({ id: '2for199', kind: 'x_for_price', quantity: 2, price: 199, skus: ['S'] })];
    // 150 + 150 − 199 = 101 split 150 : 150 → 50.5 each; the extra unit goes to L1 in both input orders
    for (const lines of [
      [counted('L1', 'S', 1, 150), counted('L2', 'S', 1, 150)],
      [counted('L2', 'S', 1, 150), counted('L1', 'S', 1, 150)],
    ]) {
      expect(allocations(priceCart(lines, { ...context(), promotions }))).toEqual({ '2for199': { L1: 51, L2: 50 } });
    }
  });

  test('does not modify its inputs', () => {
    const lines = [Object.freeze(counted('a', 'A', 3, 1000))];
    const promotions = [Object.freeze(promo({ id: 'x', kind: 'buy_x_pay_y', buy: 3, pay: 2, skus: ['A'] }))];
    const ctx = Object.freeze({ ...context(), promotions: Object.freeze(promotions) as Promotion[] });
    expect(priceCart(Object.freeze(lines) as CartLine[], ctx).discountTotal).toBe(1000);
  });
});
