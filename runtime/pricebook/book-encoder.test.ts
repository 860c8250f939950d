import * as fc from 'fast-check';
import { createHash } from 'node:crypto';
import { normalizeLookupKey } from '../barcodes/gtin';
import type { PriceItem } from '../pricing/types';
import { BookEncoder, normalized } from './book-encoder';

const item = (sku: string, barcodes: string[]): PriceItem => ({
  sku,
  barcodes,
  names: { en: `Item ${sku}` },
  unitPrice: 100,
  taxClass: 'standard',
  ageLimit: null,
  soldByWeight: false,
});

/** What normalized() must equal: every barcode under its lookup key, each once, in the order first seen. */
const reference = (items: PriceItem[]) => items.map((i) => ({ ...i, barcodes: [...new Set(i.barcodes.map(normalizeLookupKey))] }));

// barcodes that normalize (UPC-A, GTIN-14 with a leading 0, EAN-8) and that do not, repeated or not
const code = fc.oneof(
  fc.constantFrom('036000291452', '0036000291452', '00036000291452', '4006381333931', '96385074', '00000096385074', 'ABC-1'),
  fc.stringMatching(/^[0-9]{8,14}$/),
);

describe('normalized', () => {
  test('equals the lookup keys of the barcodes, each once, in first-seen order', () => {
    fc.assert(
      fc.property(fc.array(fc.array(code, { maxLength: 5 }), { maxLength: 20 }), (lists) => {
        const items = lists.map((b, k) => item(`S${k}`, b));
        const copy = structuredClone(items);
        expect(normalized(items)).toEqual(reference(items));
        expect(items).toEqual(copy); // the input is not changed
      }),
      { numRuns: 2000 },
    );
  });

  test('an item already normalized is passed as it is; one that is not is a copy', () => {
    const done = item('A', ['4006381333931', '0036000291452']);
    const upc = item('B', ['036000291452']);
    const twice = item('C', ['0036000291452', '036000291452']);
    const [a, b, c] = normalized([done, upc, twice]);
    expect(a).toBe(done);
    expect(b).not.toBe(upc);
    expect(b.barcodes).toEqual(['0036000291452']);
    expect(c.barcodes).toEqual(['0036000291452']);
    expect(JSON.stringify(a)).toBe(JSON.stringify(reference([done])[0])); // the same key order in the stored JSON
  });
});

describe('BookEncoder', () => {
  const book = Array.from({ length: 23 }, (_, k) => item(`S${k}`, k % 4 === 0 ? ['036000291452'.replace('29', String(10 + k))] : [`69${String(k).padStart(11, '0')}`]));

  function encodeAll(batches: PriceItem[][], rows: number): { slices: { json: string; rows: number }[]; sha256: string; items: number } {
    const enc = new BookEncoder(undefined, 'test');
    const slices = batches.flatMap((b) => [...enc.encode(b, () => rows)].map((s) => ({ json: s.json.toString(), rows: s.rows })));
    return { slices, ...enc.finish() };
  }

  test('slices are the normalized items as JSON (UTF-8), of at most `rows` items each', () => {
    const { slices, items } = encodeAll([book.slice(0, 10), book.slice(10)], 4);
    expect(slices.map((s) => s.rows)).toEqual([4, 4, 2, 4, 4, 4, 1]);
    expect(slices.flatMap((s) => JSON.parse(s.json) as PriceItem[])).toEqual(reference(book));
    expect(items).toBe(book.length);
  });

  test('the digest is the sha256 of each batch as one JSON array, however the batch is sliced', () => {
    const batches = [book.slice(0, 10), book.slice(10)];
    const expected = createHash('sha256');
    for (const b of batches) expected.update(JSON.stringify(reference(b)));
    const want = expected.digest('hex');
    for (const rows of [1, 3, 10, 1000]) expect(encodeAll(batches, rows).sha256).toBe(want);
    const names = [item('Z', ['4006381333931'])].map((i) => ({ ...i, names: { 'zh-CN': '多字节 😀' } }));
    const one = createHash('sha256').update(JSON.stringify(names)).digest('hex');
    expect(encodeAll([names], 1).sha256).toBe(one);
  });

  test('an unknown tax class refuses the book at the end, naming the item', () => {
    const enc = new BookEncoder(['standard'], 'push');
    expect([...enc.encode([item('A', []), { ...item('B', []), taxClass: 'zero' }], () => 10)]).toHaveLength(1);
    expect(() => enc.finish()).toThrow(/push: 1 item\(s\) with a tax class not configured \(standard\):\n {2}item 2 \(sku "B"\): unknown tax class "zero"/);
  });
});
