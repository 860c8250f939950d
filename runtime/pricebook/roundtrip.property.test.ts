import * as path from 'node:path';
import fc from 'fast-check';
import { SimulatedClock } from '../../kernel/clock';
import type { TypePrices } from '../../protocol/pricebook/price-item';
import { readPriceBookFile } from '../../protocol/pricebook/reader';
import type { PriceItem } from '../pricing/types';
import { readAll, tempDir, toCsv } from '../../test/support/pricebook';
import { openDb } from '../../test/support/pricebook-sync';
import { Catalog } from './catalog';
import { applyPriceBookDeltaTx, importPriceBook } from './import';

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
  typePrices: fc.option(
    fc
      .record({ business: fc.maxSafeNat(), group: fc.maxSafeNat() }, { requiredKeys: [] })
      .filter((t): t is TypePrices => Object.keys(t).length > 0),
    { nil: undefined },
  ),
}).map(({ typePrices, ...rest }) => (typePrices === undefined ? rest : { ...rest, typePrices }));

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

test('CSV with price_business / price_group columns but no type prices reads back items without typePrices', async () => {
  let n = 0;
  await fc.assert(
    fc.asyncProperty(bookArb, async (items) => {
      const plain = items.map(({ typePrices: _t, ...rest }) => rest);
      const path = await tmp.write(`rt-plain-${n++}.csv`, toCsv(plain, LOCALES, '\n', true));
      const read = await readAll(path, { batchSize: 4 });
      expect(read).toEqual(plain);
      expect(read.every((i) => !('typePrices' in i))).toBe(true);
    }),
    { numRuns: 30 },
  );
});

/** An item without its barcodes (the kiosk stores them under their lookup key, normalizeLookupKey: not compared here). */
const withoutBarcodes = ({ barcodes: _b, ...rest }: PriceItem) => rest;
const stored = async (c: Catalog, i: PriceItem) => {
  const got = await c.bySku(i.sku);
  return got && withoutBarcodes(got);
};

test('items imported into the kiosk catalog (SQLite), full and by delta, come back with their typePrices', async () => {
  const db = await openDb(path.join(tmp.dir, 'catalog.sqlite'));
  const catalog = new Catalog(db);
  const clock = new SimulatedClock();
  let n = 0;
  try {
    await fc.assert(
      fc.asyncProperty(bookArb, bookArb, async (book, changes) => {
        const csv = await tmp.write(`cat-${n++}.csv`, toCsv(book, LOCALES));
        await importPriceBook(db, readPriceBookFile(csv, { batchSize: 5 }), { clock, deviceId: 'K1', source: 'rt' });
        for (const i of book) expect(await stored(catalog, i)).toEqual(withoutBarcodes(i));
        // upserts replace an item whole: type prices set, changed and removed
        const bySku = new Map(book.map((i) => [i.sku, i]));
        const upserts = changes.filter((c) => bySku.has(c.sku)).map((c) => ({ ...bySku.get(c.sku)!, unitPrice: c.unitPrice, typePrices: c.typePrices }));
        const normalized = upserts.map(({ typePrices, ...rest }) => (typePrices === undefined ? rest : { ...rest, typePrices }));
        async function* ops() {
          yield normalized.map((item) => ({ op: 'upsert' as const, item }));
        }
        await db.transaction((tx) => applyPriceBookDeltaTx(tx, ops(), { clock, deviceId: 'K1', version: `d${n}`, baseVersion: 'x', source: 'rt' }));
        for (const i of normalized) expect(await stored(catalog, i)).toEqual(withoutBarcodes(i));
      }),
      { numRuns: 25 },
    );
  } finally {
    await db.close();
  }
});
