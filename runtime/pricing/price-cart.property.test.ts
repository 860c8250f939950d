import fc from 'fast-check';
import { CUSTOMER_TYPES, type CustomerType } from '../../protocol/members/customer-type';
import { lineGross } from './line-amounts';
import { POINTS_DISCOUNT_LABEL, priceCart } from './price-cart';
import { isPromotionApplicable } from './promotion-search';
import { lineTax } from './tax';
import { NOW } from '../../test/support/pricing-fixtures';
import { type CartLine, POINTS_DISCOUNT_ID, type PricedCart, type PricingContext, type Promotion, type TypePrices } from './types';

const SKUS = ['A', 'B', 'C'];
const CLASSES = ['std', 'red', 'zero'];
const RATES: Record<PricingContext['taxMode'], Record<string, number>> = {
  inclusive: { std: 0.13, red: 0.09, zero: 0 },
  exclusive: { std: 0.0725, red: 0.2, zero: 0 },
};

type LineSpec = Omit<CartLine, 'lineId'>;

const sku = fc.constantFrom(...SKUS);
const taxClass = fc.constantFrom(...CLASSES);
const price = (max: number) => fc.integer({ min: 0, max });
const countedSpec = fc.record({
  sku,
  taxClass,
  quantity: fc.integer({ min: 0, max: 7 }),
  unitPrice: price(3000),
  weightGrams: fc.constant(null),
});
const weighedSpec = fc.record({
  sku,
  taxClass,
  quantity: fc.constant(1),
  unitPrice: price(9000),
  weightGrams: fc.integer({ min: 0, max: 3000 }),
});
const labelledSpec = fc
  .record({
    sku,
    taxClass,
    quantity: fc.integer({ min: 1, max: 2 }),
    unitPrice: price(3000),
    weightGrams: fc.option(fc.integer({ min: 1, max: 3000 }), { nil: null }),
    embeddedPrice: price(5000),
  })
  .map((l) => (l.weightGrams === null ? l : { ...l, quantity: 1 })); // a weighed label is one unit
/** Customer-type prices on about half the lines: none, one or both types, below or above unitPrice. */
const typePrices: fc.Arbitrary<TypePrices | undefined> = fc.option(
  fc.record({ business: price(9000), group: price(9000) }, { requiredKeys: [] }),
  { nil: undefined },
);
const withTypePrices = <T extends object>(spec: fc.Arbitrary<T>) =>
  fc.tuple(spec, typePrices).map(([l, tp]): T & { typePrices?: TypePrices } => (tp === undefined ? l : { ...l, typePrices: tp }));
const lineSpec: fc.Arbitrary<LineSpec> = fc.oneof(
  { weight: 3, arbitrary: withTypePrices(countedSpec) },
  { weight: 1, arbitrary: withTypePrices(weighedSpec) },
  { weight: 1, arbitrary: withTypePrices(labelledSpec) },
);
const lines = fc
  .array(lineSpec, { minLength: 1, maxLength: 7, size: 'medium' })
  .map((specs) => specs.map((s, i): CartLine => ({ lineId: `L${i}`, ...s })));

const window = fc.constantFrom<Pick<Promotion, 'validFrom' | 'validTo'>>(
  {},
  {},
  { validFrom: '2025-06-15T12:00:00Z' }, // starts exactly now
  { validFrom: '2025-06-01T00:00:00Z', validTo: '2025-07-01T00:00:00Z' },
  { validTo: '2025-06-15T12:00:00Z' }, // ended exactly now
  { validFrom: '2025-06-16' },
);
const customerTypes = fc.option(fc.subarray([...CUSTOMER_TYPES], { minLength: 1 }), { nil: undefined, freq: 2 });
const base = fc.record({ skus: fc.subarray(SKUS, { minLength: 1 }), memberOnly: fc.constantFrom(false, false, true), window, customerTypes });

/** The kind-specific part of a promotion. */
type Body = Promotion extends infer P ? (P extends Promotion ? Omit<P, 'id' | 'label' | 'skus' | 'memberOnly' | 'customerTypes' | 'validFrom' | 'validTo'> : never) : never;
const body: fc.Arbitrary<Body> = fc.oneof(
  fc.record({ kind: fc.constant('percent_off' as const), percent: fc.integer({ min: 1, max: 10_000 }).map((h) => h / 100) }),
  fc.record({ kind: fc.constant('amount_off' as const), amount: price(800) }),
  fc
    .record({ kind: fc.constant('buy_x_pay_y' as const), buy: fc.integer({ min: 2, max: 4 }), pay: fc.integer({ min: 1, max: 3 }) })
    .map((b) => ({ ...b, pay: Math.min(b.pay, b.buy - 1) })),
  fc.record({ kind: fc.constant('x_for_price' as const), quantity: fc.integer({ min: 1, max: 3 }), price: price(5000) }),
  fc.record({ kind: fc.constant('member_price' as const), price: price(3000) }),
);
const promotions = (maxLength: number) =>
  fc
    .array(fc.tuple(base, body), { minLength: Math.min(1, maxLength), maxLength, size: 'medium' })
    .map((ps) =>
      ps.map(
        ([b, k], i) =>
          ({
            id: `P${i}`,
            label: { en: `P${i}` },
            skus: b.skus,
            memberOnly: b.memberOnly,
            ...(b.customerTypes ? { customerTypes: b.customerTypes } : {}),
            ...b.window,
            ...k,
          }) as Promotion,
      ),
    );
/** Absent (personal), or a type; redeemed points absent, 0, small, or more than any cart is worth. */
const buyer = fc.record(
  {
    customerType: fc.constantFrom<CustomerType>(...CUSTOMER_TYPES),
    pointsDiscount: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3000 }), fc.constant(Number.MAX_SAFE_INTEGER)),
  },
  { requiredKeys: [] },
);
const context = (maxPromotions: number) =>
  fc
    .record({
      mode: fc.constantFrom<PricingContext['taxMode']>('inclusive', 'exclusive'),
      member: fc.boolean(),
      promotions: promotions(maxPromotions),
      buyer,
    })
    .map(({ mode, member, promotions, buyer }): PricingContext => ({ promotions, taxRates: RATES[mode], taxMode: mode, memberAttached: member, now: NOW, ...buyer }));

/** The promotion-only part of a cart: the same context without redeemed points. */
const withoutPoints = ({ pointsDiscount: _p, ...ctx }: PricingContext): PricingContext => ctx;

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

function shuffle<T>(items: readonly T[], seed: number): T[] {
  const out = items.slice();
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Order-free view: lines and allocations by lineId. */
function canonical(cart: PricedCart) {
  const byId = <T extends { lineId: string }>(xs: T[]) => xs.slice().sort((a, b) => (a.lineId < b.lineId ? -1 : 1));
  return { ...cart, lines: byId(cart.lines), discounts: cart.discounts.map((d) => ({ ...d, allocations: byId(d.allocations) })) };
}

function checkInvariants(input: CartLine[], ctx: PricingContext, cart: PricedCart): void {
  expect(cart.lines.map((l) => l.lineId)).toEqual(input.map((l) => l.lineId));
  const type = ctx.customerType ?? 'personal';
  cart.lines.forEach((l, i) => {
    // the price for the buyer's type: typePrices[type] ?? unitPrice (a price label keeps its label price)
    const own = input[i].embeddedPrice == null && type !== 'personal' ? input[i].typePrices?.[type] : undefined;
    expect(l.unitPrice).toBe(own ?? input[i].unitPrice);
    expect(l.gross).toBe(lineGross({ ...input[i], unitPrice: own ?? input[i].unitPrice }));
    // tax recomputed on the net after every discount, redeemed points included
    expect(l.tax).toBe(lineTax(l.net, l.taxRate, ctx.taxMode));
  });
  for (const l of cart.lines) {
    expect(l.net).toBe(l.gross - l.discount);
    expect(l.discount).toBeGreaterThanOrEqual(0);
    expect(l.net).toBeGreaterThanOrEqual(0);
    expect(l.net).toBeLessThanOrEqual(l.gross);
    expect(Number.isSafeInteger(l.tax) && l.tax >= 0).toBe(true);
  }
  const nets = sum(cart.lines.map((l) => l.net));
  expect(cart.subtotal).toBe(sum(cart.lines.map((l) => l.gross)));
  expect(cart.total).toBe(ctx.taxMode === 'exclusive' ? nets + cart.taxTotal : nets);
  expect(cart.discountTotal).toBe(sum(cart.lines.map((l) => l.discount)));
  expect(cart.discountTotal).toBe(sum(cart.discounts.map((d) => d.amount)));
  expect(cart.taxTotal).toBe(sum(cart.lines.map((l) => l.tax)));
  expect(cart.taxTotal).toBe(sum(cart.taxes.map((t) => t.tax)));
  expect(sum(cart.taxes.map((t) => t.base))).toBe(nets);
  expect(cart.taxes.map((t) => t.taxClass)).toEqual([...new Set(input.map((l) => l.taxClass))].sort());

  const lineIds = new Set(input.map((l) => l.lineId));
  const byLine = new Map<string, number>();
  const points = cart.discounts.filter((d) => d.promotionId === POINTS_DISCOUNT_ID);
  if (points.length > 0) {
    expect(points).toHaveLength(1);
    expect(cart.discounts[cart.discounts.length - 1]).toBe(points[0]);
  }
  for (const d of cart.discounts) {
    if (d.promotionId === POINTS_DISCOUNT_ID) {
      expect(d.kind).toBe(POINTS_DISCOUNT_ID);
      expect(d.label).toEqual(POINTS_DISCOUNT_LABEL);
      expect(d.amount).toBeGreaterThan(0);
      expect(d.amount).toBeLessThanOrEqual(ctx.pointsDiscount ?? 0);
      expect(sum(d.allocations.map((a) => a.amount))).toBe(d.amount);
      for (const a of d.allocations) {
        expect(a.amount).toBeGreaterThan(0);
        byLine.set(a.lineId, (byLine.get(a.lineId) ?? 0) + a.amount);
      }
      continue;
    }
    const p = ctx.promotions.find((x) => x.id === d.promotionId) as Promotion;
    expect(isPromotionApplicable(p, ctx)).toBe(true);
    expect(d.kind).toBe(p.kind);
    expect(d.amount).toBeGreaterThan(0);
    expect(sum(d.allocations.map((a) => a.amount))).toBe(d.amount);
    for (const a of d.allocations) {
      expect(lineIds.has(a.lineId)).toBe(true);
      expect(a.amount).toBeGreaterThan(0);
      const line = input.find((l) => l.lineId === a.lineId) as CartLine;
      expect(p.skus).toContain(line.sku);
      byLine.set(a.lineId, (byLine.get(a.lineId) ?? 0) + a.amount);
    }
  }
  for (const l of cart.lines) expect(l.discount).toBe(byLine.get(l.lineId) ?? 0);
}

describe('priceCart properties', () => {
  test('totals, allocations and bounds are consistent', () => {
    fc.assert(
      fc.property(lines, context(5), (input, ctx) => {
        checkInvariants(input, ctx, priceCart(input, ctx));
      }),
      { numRuns: 200 },
    );
  });

  test('deterministic under any order of promotions and lines', () => {
    fc.assert(
      fc.property(lines, context(5), fc.integer(), fc.integer(), (input, ctx, seedP, seedL) => {
        const reference = canonical(priceCart(input, ctx));
        const shuffled = priceCart(shuffle(input, seedL), { ...ctx, promotions: shuffle(ctx.promotions, seedP) });
        expect(canonical(shuffled)).toEqual(reference);
      }),
      { numRuns: 200 },
    );
  });

  test('the chosen combination saves at least as much as any single promotion alone', () => {
    fc.assert(
      fc.property(lines, context(5), (input, ctx) => {
        const chosen = priceCart(input, ctx).discountTotal;
        for (const p of ctx.promotions) {
          expect(chosen).toBeGreaterThanOrEqual(priceCart(input, { ...ctx, promotions: [p] }).discountTotal);
        }
      }),
      { numRuns: 200 },
    );
  });

  test('redeemed points: after promotions, capped at the net left, split by largest remainder of each line\'s net', () => {
    fc.assert(
      fc.property(lines, context(4), fc.integer({ min: 0, max: 20_000 }), (input, ctx, requested) => {
        const before = priceCart(input, withoutPoints(ctx));
        const cart = priceCart(input, { ...ctx, pointsDiscount: requested });
        checkInvariants(input, { ...ctx, pointsDiscount: requested }, cart);
        const left = sum(before.lines.map((l) => l.net));
        const expected = Math.min(requested, left);
        expect(cart.discountTotal).toBe(before.discountTotal + expected);
        // the promotions are untouched; the points come last
        expect(cart.discounts.filter((d) => d.promotionId !== POINTS_DISCOUNT_ID)).toEqual(before.discounts);
        const points = cart.discounts.find((d) => d.promotionId === POINTS_DISCOUNT_ID);
        expect(points?.amount ?? 0).toBe(expected);
        cart.lines.forEach((l, i) => {
          const share = l.discount - before.lines[i].discount;
          expect(share).toBeGreaterThanOrEqual(0);
          expect(share).toBeLessThanOrEqual(before.lines[i].net);
          // largest remainder: within one unit of the exact proportional share
          const exact = (expected * before.lines[i].net) / (left || 1);
          expect(Math.abs(share - exact)).toBeLessThan(1);
        });
        if (requested >= left) expect(cart.lines.every((l) => l.net === 0 && l.tax === 0)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  test('a personal buyer without redeemed points gets exactly the result without type prices and customerTypes', () => {
    fc.assert(
      fc.property(lines, context(5), fc.constantFrom<CustomerType | undefined>('personal', undefined), (input, ctx, type) => {
        const plainLines = input.map(({ typePrices: _t, ...l }) => l);
        const plainPromotions = ctx.promotions
          .filter((p) => p.customerTypes === undefined || p.customerTypes.includes('personal'))
          .map(({ customerTypes: _c, ...p }) => p as Promotion);
        const today = priceCart(plainLines, { promotions: plainPromotions, taxRates: ctx.taxRates, taxMode: ctx.taxMode, memberAttached: ctx.memberAttached, now: ctx.now });
        const typed = priceCart(input, { ...ctx, customerType: type, pointsDiscount: 0 });
        expect({ ...typed, lines: typed.lines.map(({ typePrices: _t, ...l }) => l) }).toEqual(today);
      }),
      { numRuns: 200 },
    );
  });

  test('a business / group buyer is priced as if each line cost its type price and only their promotions existed', () => {
    fc.assert(
      fc.property(lines, context(5), fc.constantFrom<'business' | 'group'>('business', 'group'), (input, ctx, type) => {
        // written out here, not taken from the implementation: a price label keeps its price
        const asToday = input.map(({ typePrices: tp, ...l }) => (l.embeddedPrice == null ? { ...l, unitPrice: tp?.[type] ?? l.unitPrice } : l));
        const theirs = ctx.promotions.filter((p) => p.customerTypes === undefined || p.customerTypes.includes(type)).map(({ customerTypes: _c, ...p }) => p as Promotion);
        const today = priceCart(asToday, { promotions: theirs, taxRates: ctx.taxRates, taxMode: ctx.taxMode, memberAttached: ctx.memberAttached, now: ctx.now });
        const typed = priceCart(input, { ...withoutPoints(ctx), customerType: type });
        expect({ ...typed, lines: typed.lines.map(({ typePrices: _t, ...l }) => l) }).toEqual(today);
      }),
      { numRuns: 200 },
    );
  });

  test('without promotions nothing is discounted', () => {
    fc.assert(
      fc.property(lines, context(0), (input, ctx) => {
        const cart = priceCart(input, withoutPoints(ctx));
        expect(cart.discountTotal).toBe(0);
        expect(cart.lines.every((l) => l.net === l.gross)).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  test('large competing groups (greedy fallback) keep every invariant', () => {
    // up to 10 promotions over 2 SKUs: groups beyond the exhaustive limit are common
    const crowded = fc
      .array(fc.tuple(fc.subarray(['A', 'B'], { minLength: 1 }), body), { minLength: 8, maxLength: 10 })
      .map((ps) => ps.map(([skus, k], i) => ({ id: `P${i}`, label: {}, skus, ...k }) as Promotion));
    const twoSkuLine = fc.record({ sku: fc.constantFrom('A', 'B'), quantity: fc.integer({ min: 0, max: 6 }), unitPrice: price(2000) });
    const twoSkuLines = fc
      .array(twoSkuLine, { maxLength: 5 })
      .map((specs) => specs.map((s, i): CartLine => ({ lineId: `L${i}`, weightGrams: null, taxClass: 'std', ...s })));
    fc.assert(
      fc.property(twoSkuLines, crowded, fc.integer(), (input, promos, seed) => {
        const ctx: PricingContext = {
          promotions: promos,
          taxRates: RATES.inclusive,
          taxMode: 'inclusive',
          memberAttached: true,
          now: NOW,
        };
        const cart = priceCart(input, ctx);
        checkInvariants(input, ctx, cart);
        const shuffled = priceCart(shuffle(input, seed), { ...ctx, promotions: shuffle(promos, seed + 1) });
        expect(canonical(shuffled)).toEqual(canonical(cart));
        for (const p of promos) {
          expect(cart.discountTotal).toBeGreaterThanOrEqual(priceCart(input, { ...ctx, promotions: [p] }).discountTotal);
        }
      }),
      { numRuns: 30 },
    );
  });
});
