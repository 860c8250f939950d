import fc from 'fast-check';
import type { PriceItem } from '../pricing/types';
import { readAll, tempDir, toCsv } from '../../test/support/pricebook';

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(() => tmp.cleanup());

const LOCALES = ['zh-CN', 'en', 'ja'];

/** Names: Chinese, ASCII punctuation that CSV must quote (, " newlines), emoji; never blank. */
const nameArb = fc
  .array(
    fc.oneof(
      fc.constantFrom('可口可乐', '蒙牛', '纯牛奶', '¥', '，', '、', '"', '""', ',', '\n', '\r\n', '\r', ' ', '\u3000', "'", '|', '🍺', 'é'),
      fc.string({ minLength: 1, maxLength: 5 }),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 3 }),
    ),
    { minLength: 1, maxLength: 6 },
  )
  .map((parts) => parts.join(''))
  .filter((s) => s.trim() !== '');

const idArb = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,11}$/);
const barcodeArb = fc.stringMatching(/^[0-9A-Za-z]{1,14}$/);

const itemArb: fc.Arbitrary<Omit<PriceItem, 'sku' | 'barcodes'> & { barcodeCount: number }> = fc.record({
  names: fc
    .record({ 'zh-CN': fc.option(nameArb, { nil: undefined }), en: fc.option(nameArb, { nil: undefined }), ja: fc.option(nameArb, { nil: undefined }) })
    .map((n) => Object.fromEntries(Object.entries(n).filter(([, v]) => v !== undefined)) as Record<string, string>)
    .filter((n) => Object.keys(n).length > 0),
  unitPrice: fc.maxSafeNat(),
  taxClass: fc.constantFrom('standard', 'reduced', 'zero', 'T-13'),
  ageLimit: fc.option(fc.integer({ min: 0, max: 99 }), { nil: null }),
  soldByWeight: fc.boolean(),
  barcodeCount: fc.integer({ min: 1, max: 3 }),
});

/** Items with file-unique SKUs and barcodes. */
const bookArb = fc
  .tuple(
    fc.array(itemArb, { minLength: 0, maxLength: 25 }),
    fc.uniqueArray(idArb, { minLength: 25, maxLength: 25 }),
    fc.uniqueArray(barcodeArb, { minLength: 75, maxLength: 75 }),
  )
  .map(([rows, skus, codes]) =>
    rows.map(({ barcodeCount, ...rest }, i): PriceItem => ({ sku: skus[i], barcodes: codes.slice(i * 3, i * 3 + barcodeCount), ...rest })),
  );

test('items written as CSV read back equal (names with commas, quotes, newlines, Chinese)', async () => {
  let n = 0;
  await fc.assert(
    fc.asyncProperty(bookArb, fc.constantFrom('\n', '\r\n'), fc.boolean(), fc.integer({ min: 1, max: 7 }), async (items, eol, bom, batchSize) => {
      const path = await tmp.write(`rt-${n++}.csv`, (bom ? '\uFEFF' : '') + toCsv(items, LOCALES, eol));
      expect(await readAll(path, { batchSize })).toEqual(items);
    }),
    { numRuns: 150 },
  );
});

test('items written as JSONL read back equal', async () => {
  let n = 0;
  await fc.assert(
    fc.asyncProperty(bookArb, async (items) => {
      const path = await tmp.write(`rt-${n++}.jsonl`, items.map((i) => JSON.stringify(i)).join('\n'));
      expect(await readAll(path, { batchSize: 3 })).toEqual(items);
    }),
    { numRuns: 50 },
  );
});
