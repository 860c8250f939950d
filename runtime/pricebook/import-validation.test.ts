import * as fs from 'node:fs';
import * as path from 'node:path';
import { SimulatedClock } from '../../kernel/clock';
import type { KioskDb } from '../../kernel/sqlite/database';
import { MAX_PROBLEMS, readPriceBookFile, type RowProblem } from '../../protocol/pricebook/reader';
import { build, dump, item, items, freshDbEachTest, signManifest, tempDir, verifyManifest } from '../../test/support/pricebook-sync';
import { toCsv } from '../../test/support/pricebook';
import { importPriceBook, MAX_IMPORT_PROBLEMS } from './import';
import { PricebookReceiver } from './sync/receiver';

const TAXES = ['standard', 'reduced'];

let tmp: ReturnType<typeof tempDir>;
let db: KioskDb;
freshDbEachTest((t, d) => {
  tmp = t;
  db = d;
});

const write = (name: string, text: string) => {
  const f = path.join(tmp.dir, name);
  fs.writeFileSync(f, text);
  return f;
};
const importFile = (file: string) =>
  importPriceBook(db, readPriceBookFile(file, { taxClasses: TAXES, batchSize: 2 }), { clock: new SimulatedClock(), deviceId: 'K1', source: path.basename(file), taxClasses: TAXES });
const journalHead = async () => (await db.read.get<{ n: number | null }>('SELECT MAX(seq) AS n FROM journal'))!.n;
const refusal = async (p: Promise<unknown>) => {
  const e = (await p.then(
    () => null,
    (x: unknown) => x,
  )) as { code: string; message: string; details: { problems: RowProblem[]; truncated?: boolean } } | null;
  expect(e).not.toBeNull();
  expect(e!.code).toBe('PRICEBOOK_INVALID');
  return e!;
};

describe('price-book import validation', () => {
  it('refuses a CSV book with every problem listed by line (tax class, negative price, duplicates, age limits) and changes nothing', async () => {
    await importFile(write('good.csv', toCsv(items(1, 5))));
    const before = await dump(db);
    const head = await journalHead();
    const rows = [
      item(1),
      item(2, { taxClass: 'zero' }), // line 3: unknown tax class
      item(3),
      item(4, { barcodes: [item(1).barcodes[0]] }), // line 5: duplicate barcode
      item(3, { barcodes: ['6900000000999'] }), // line 6: duplicate SKU
      item(7),
      item(8, { barcodes: ['6900000000888'], unitPrice: 800 }),
    ];
    const lines = toCsv(rows).split('\n');
    lines[7] = lines[7].replace(',800,', ',-800,'); // line 8: negative price
    lines.push(toCsv([item(9, { barcodes: ['6900000000777'] })]).split('\n')[1].replace(/,,false$/, ',12.5,false')); // line 9
    lines.push(toCsv([item(10, { barcodes: ['6900000000666'] })]).split('\n')[1].replace(/,,false$/, ',-1,false')); // line 10
    lines.push(toCsv([item(11, { barcodes: ['6900000000555'] })]).split('\n')[1].replace(/,,false$/, ',100,false')); // line 11
    const file = write('bad.csv', `${lines.filter((l) => l !== '').join('\n')}\n`);

    const e = await refusal(importFile(file));
    expect(e.details.problems.map((p) => [p.line, p.field])).toEqual([
      [3, 'tax_class'],
      [5, 'barcodes'],
      [6, 'sku'],
      [8, 'unit_price'],
      [9, 'age_limit'],
      [10, 'age_limit'],
      [11, 'age_limit'],
    ]);
    expect(e.message).toMatch(/^bad\.csv: 7 invalid rows:\n {2}line 3: tax_class: unknown tax class "zero" \(configured: standard, reduced\)\n/);
    expect(e.message).toContain('line 5: barcodes: duplicate barcode');
    expect(e.message).toContain('line 6: sku: duplicate SKU "SKU-000003", first at line 4');
    // one transaction: the book in force and the journal are exactly as before
    expect(await dump(db)).toEqual(before);
    expect(await journalHead()).toBe(head);
  });

  it('keeps the one-line message for one bad row, and names JSON rows by item index', async () => {
    const one = write('one.jsonl', `${[item(1), item(2, { taxClass: 'luxury' })].map((i) => JSON.stringify(i)).join('\n')}\n`);
    const e = await refusal(importFile(one));
    expect(e.message).toBe('one.jsonl line 2: taxClass: unknown tax class "luxury" (configured: standard, reduced)');
    const json = write('book.json', JSON.stringify({ items: [item(1, { unitPrice: -5 }), item(2), item(3, { ageLimit: 3.5 })] }));
    const j = await refusal(importFile(json));
    expect(j.details.problems.map((p) => [p.index, p.field])).toEqual([
      [0, 'unitPrice'],
      [2, 'ageLimit'],
    ]);
    expect(await dump(db)).toEqual([]);
  });

  it(`stops reading at ${MAX_PROBLEMS} problems`, async () => {
    const file = write('many.csv', toCsv(items(1, 200).map((i) => ({ ...i, taxClass: 'nope' }))));
    const e = await refusal(importFile(file));
    expect(e.details.problems).toHaveLength(MAX_PROBLEMS);
    expect(e.details.truncated).toBe(true);
    expect(e.details.problems[MAX_PROBLEMS - 1].line).toBe(MAX_PROBLEMS + 1);
    expect(e.message).toMatch(/^many\.csv: at least 50 invalid rows/);
  });

  it('without the file reader (batches of items), an unknown tax class still refuses the import by item number', async () => {
    async function* batches() {
      yield items(1, 3);
      yield [item(4, { taxClass: 'zero' }), item(5)];
    }
    const e = await refusal(importPriceBook(db, batches(), { clock: new SimulatedClock(), deviceId: 'K1', source: 'push', taxClasses: TAXES }));
    expect(e.message).toBe('push: 1 item(s) with a tax class not configured (standard, reduced):\n  item 4 (sku "SKU-000004"): unknown tax class "zero"');
    expect(await dump(db)).toEqual([]);
    expect(MAX_IMPORT_PROBLEMS).toBe(50);
  });
});

describe('price books pushed by HQ', () => {
  const receiver = () => new PricebookReceiver({ db, clock: new SimulatedClock(), deviceId: 'K1', verifyManifest, taxClasses: () => TAXES });
  const deliver = async (r: PricebookReceiver, book: Awaited<ReturnType<typeof build>>) => {
    await r.offerManifest(signManifest(book.manifest));
    for (let i = 0; i < book.chunks.length; i++) await r.offerChunk(book.manifest.version, i, book.chunks[i]);
    return r.status();
  };

  it('rejects a full book or a delta with an unknown tax class (invalid_book, reported with the item) and keeps the book in force', async () => {
    const r = receiver();
    expect(await deliver(r, await build(items(1, 20), { version: 'v1', kind: 'full' }))).toMatchObject({ status: 'applied' });
    const before = await dump(db);
    const full = await deliver(r, await build([...items(1, 20), item(21, { taxClass: 'zero' })], { version: 'v2', kind: 'full' }));
    expect(full).toMatchObject({ version: 'v2', status: 'rejected', reason: 'invalid_book' });
    expect(full!.detail).toMatch(/item 21 \(sku "SKU-000021"\): unknown tax class "zero"/);
    const delta = await deliver(r, await build([{ op: 'upsert', item: item(2, { taxClass: 'zero' }) }], { version: 'v3', kind: 'delta', baseVersion: 'v1' }));
    expect(delta).toMatchObject({ version: 'v3', status: 'rejected', reason: 'invalid_book' });
    expect(await dump(db)).toEqual(before);
  });
});
