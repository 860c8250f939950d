/**
 * checkPriceItem's fast path (plainValidItem, no zod) against the schema alone: whatever the fast path accepts, the
 * schema accepts too and gives the very same item (same keys in the same order: the book's hash is taken over the
 * JSON); whatever it declines goes through the schema, so the answer is the schema's either way.
 */
import fc from 'fast-check';
import { checkPriceItem, checkPriceItemWithSchema, plainValidItem } from './item-schema';

/** Mostly a valid value, now and then one the schema refuses or has to look at twice. */
const mostly = <T, U>(good: fc.Arbitrary<T>, odd: fc.Arbitrary<U>) => fc.oneof({ weight: 6, arbitrary: good }, { weight: 1, arbitrary: odd });
const locale = mostly(fc.constantFrom('en', 'zh-CN', 'zh-Hant-TW', 'de', 'fil'), fc.constantFrom('x', 'EN_us', '__proto__', 'en-', '', '12'));
const text = mostly(fc.constantFrom('Milk', '商品 1 号', ' padded '), fc.oneof(fc.string(), fc.constantFrom('', ' ', '\t')));
const identifier = mostly(fc.constantFrom('SKU-1', 'standard', 'reduced', 'a'), fc.oneof(fc.string(), fc.constantFrom('', ' a', 'a ')));
const barcode = mostly(fc.stringMatching(/^[0-9A-Za-z]{1,14}$/), fc.string({ maxLength: 6 }));
const minor = mostly(fc.nat(), fc.oneof(fc.integer(), fc.double(), fc.constant(Number.MAX_SAFE_INTEGER + 1), fc.constant(-0)));

/** Items that are mostly valid; each field now and then something else, or gone. */
const field = <T>(valid: fc.Arbitrary<T>) => fc.oneof({ weight: 20, arbitrary: valid }, { weight: 1, arbitrary: fc.anything() });
const FIELDS = ['sku', 'barcodes', 'names', 'unitPrice', 'taxClass', 'ageLimit', 'soldByWeight', 'typePrices'] as const;
const item = fc
  .tuple(fc.record(
    {
      sku: field(identifier),
      barcodes: field(fc.array(barcode, { minLength: 1, maxLength: 3 })),
      names: field(fc.dictionary(locale, text, { minKeys: 1, maxKeys: 3 })),
      unitPrice: field(minor),
      taxClass: field(identifier),
      ageLimit: field(fc.oneof(fc.constant(null), fc.integer({ min: -2, max: 101 }))),
      soldByWeight: field(fc.boolean()),
      typePrices: field(fc.dictionary(fc.constantFrom('business', 'group', 'other'), fc.oneof(minor, fc.constant(undefined)), { maxKeys: 2 })),
      extra: fc.anything(),
    },
    { requiredKeys: ['sku', 'barcodes', 'names', 'unitPrice', 'taxClass', 'ageLimit', 'soldByWeight'] },
  ), fc.option(fc.constantFrom(...FIELDS), { freq: 5 }))
  .map(([r, gone]) => {
    const raw = r as Record<string, unknown>;
    if (gone !== null) delete raw[gone];
    return raw;
  });

const valid = fc.record(
  {
    sku: fc.constantFrom('SKU-1', 'A'),
    barcodes: fc.array(fc.stringMatching(/^[0-9A-Za-z]{1,14}$/), { minLength: 1, maxLength: 3 }),
    names: fc.dictionary(fc.constantFrom('en', 'zh-CN', 'de'), fc.constantFrom('Milk', '牛奶 1 L'), { minKeys: 1, maxKeys: 3 }),
    unitPrice: fc.nat(),
    taxClass: fc.constantFrom('standard', 'reduced'),
    ageLimit: fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 99 })),
    soldByWeight: fc.boolean(),
    typePrices: fc.record({ business: fc.nat(), group: fc.nat() }, { requiredKeys: [] }),
  },
  { requiredKeys: ['sku', 'barcodes', 'names', 'unitPrice', 'taxClass', 'ageLimit', 'soldByWeight'] },
);

describe('checkPriceItem: the fast path and the schema agree', () => {
  test('whatever the fast path accepts, the schema accepts as the same item', () => {
    let accepted = 0;
    fc.assert(
      fc.property(item, (raw) => {
        const fast = plainValidItem(raw);
        const slow = checkPriceItemWithSchema(raw);
        expect(checkPriceItem(raw)).toStrictEqual(fast !== null ? { ok: true, item: fast } : slow);
        if (fast === null) return;
        accepted++;
        expect(slow).toStrictEqual({ ok: true, item: fast });
        if (slow.ok) expect(JSON.stringify(fast)).toBe(JSON.stringify(slow.item));
      }),
      { numRuns: 5000 },
    );
    expect(accepted).toBeGreaterThan(50); // the fast path was exercised, not declined every time
  });

  test('a valid item takes the fast path (and the result is a copy, not the input)', () => {
    fc.assert(
      fc.property(valid, (raw) => {
        const fast = plainValidItem(raw);
        expect(fast).not.toBeNull();
        expect(fast).toStrictEqual((checkPriceItemWithSchema(raw) as { item: unknown }).item);
        expect(fast!.names).not.toBe(raw.names);
        expect(fast!.barcodes).not.toBe(raw.barcodes);
      }),
    );
  });

  test('declined: what the schema would refuse, or would have to tidy', () => {
    const base = { sku: 'S', barcodes: ['1'], names: { en: 'x' }, unitPrice: 1, taxClass: 't', ageLimit: null, soldByWeight: false };
    expect(plainValidItem(base)).toStrictEqual(base);
    for (const bad of [
      { ...base, sku: ' S' },
      { ...base, barcodes: [] },
      { ...base, names: {} },
      { ...base, names: { en: ' ' } },
      { ...base, unitPrice: 1.5 },
      { ...base, ageLimit: 100 },
      { ...base, ageLimit: undefined },
      { ...base, typePrices: undefined },
      { ...base, typePrices: { business: undefined } },
      { ...base, typePrices: { vip: 1 } },
      Object.assign(Object.create({ inherited: true }) as object, base),
    ]) {
      expect(plainValidItem(bad)).toBeNull();
    }
  });
});
