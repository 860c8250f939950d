/**
 * Issue 16: a full price book is built beside the one in force in short background transactions and switched in
 * by one short transaction. The lane's writes get through while it builds, lookups see the old book until the
 * switch, and a failure or crash at any point leaves the old book in force with no leftovers after resume().
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { Catalog } from './catalog';
import { BuildPacer, importPriceBook, type ImportOptions } from './import';
import { createShadowBook, discardShadowBook, insertShadowBatch, switchInShadowBook } from './shadow-book';
import { PricebookReceiver } from './sync/receiver';
import { SimulatedClock } from '../../kernel/clock';
import type { KioskDb } from '../../kernel/sqlite/database';
import { normalizeLookupKey } from '../barcodes';
import type { PriceItem } from '../pricing/types';
import { build, dump, item, items, openDb, signManifest, tempDir, verifyManifest } from '../../test/support/pricebook-sync';

let tmp: ReturnType<typeof tempDir>;
let file: string;
let db: KioskDb;

beforeEach(async () => {
  tmp = tempDir();
  file = path.join(tmp.dir, 'k.sqlite');
  db = await openDb(file);
});
afterEach(async () => {
  await db.close();
  tmp.cleanup();
});

const opts = (over: Partial<ImportOptions> = {}): ImportOptions => ({ clock: new SimulatedClock(), deviceId: 'K1', source: 'test', ...over });

async function* batches(...list: PriceItem[][]): AsyncGenerator<PriceItem[]> {
  for (const b of list) yield b;
}

/** Tables of the schema other than the migrations' own (shadow or retired leftovers show up here). */
const bookTables = async () =>
  (await db.read.all<{ name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE 'item%' ORDER BY name")).map((r) => r.name);

const journalCount = async () => (await db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM journal'))!.n;

/** The pacer pinned to `rows` per transaction. */
const pinned = (rows: number) => new BuildPacer(8, rows, rows, rows);

async function oldBook(): Promise<void> {
  await importPriceBook(db, batches(items(1, 20).map((i) => ({ ...i, unitPrice: 1 }))), opts({ version: 'old' }));
}

test('the lane writes while a book is built; lookups see the old book until the switch, the new one after', async () => {
  await oldBook();
  const catalog = new Catalog(db);
  const seen: { price: number | undefined; shadowRows: number; laneCommitted: boolean }[] = [];
  async function* book(): AsyncGenerator<PriceItem[]> {
    yield items(1, 10);
    // between two batches of the build: one long transaction would make this lane write wait for the whole build
    await db.transaction((tx) => tx.run("INSERT INTO meta (key, value) VALUES ('lane', 'sold')"));
    const shadowRows = (await db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM items_next'))!.n;
    seen.push({ price: (await catalog.byBarcode(item(5).barcodes[0]))?.unitPrice, shadowRows, laneCommitted: true });
    yield items(11, 30);
  }
  const r = await importPriceBook(db, book(), opts({ version: 'new' }), { pacer: pinned(4) });
  expect(seen).toEqual([{ price: 1, shadowRows: expect.any(Number), laneCommitted: true }]);
  // mid-build: at most the first batch is in the shadow tables (how much of it depends on how far the build read
  // ahead and on the lane's write going before queued build transactions), none of the second
  expect(seen[0].shadowRows).toBeLessThanOrEqual(10);
  expect(r).toMatchObject({ items: 30, barcodes: 30, version: 'new' });
  expect((await catalog.byBarcode(item(5).barcodes[0]))?.unitPrice).toBe(item(5).unitPrice);
  expect(await catalog.byBarcode(item(30).barcodes[0])).toEqual(item(30));
  expect(await catalog.count()).toBe(30);
  expect(await catalog.version()).toBe('new');
  expect(await bookTables()).toEqual(['item_barcodes', 'items']);
});

test('the switched-in tables keep the shape: sku index, foreign key to items with cascade, across several imports', async () => {
  for (const v of ['a', 'b', 'c']) {
    await importPriceBook(db, batches(items(1, 5)), opts({ version: v }), { pacer: pinned(2) });
    const fks = await db.read.all<{ table: string; on_delete: string }>('PRAGMA foreign_key_list(item_barcodes)');
    expect(fks).toEqual([expect.objectContaining({ table: 'items', from: 'sku', on_delete: 'CASCADE' })]);
    const indexed = await db.read.all<{ name: string }>("SELECT name FROM pragma_index_list('item_barcodes') WHERE origin = 'c'");
    expect(indexed).toHaveLength(1);
    expect((await db.read.all<{ name: string }>(`PRAGMA index_info(${indexed[0].name})`)).map((c) => c.name)).toEqual(['sku']);
  }
  // the cascade works on the switched-in tables: deleting an item takes its barcodes
  await db.transaction((tx) => tx.run("DELETE FROM items WHERE sku = 'SKU-000001'"));
  expect(await new Catalog(db).byBarcode(item(1).barcodes[0])).toBeNull();
  expect((await db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM item_barcodes'))!.n).toBe(4);
  expect(await bookTables()).toEqual(['item_barcodes', 'items']);
});

test('the version of an import does not depend on how the build cuts it into transactions', async () => {
  const list = items(1, 13).map((i) => ({ ...i, barcodes: [i.barcodes[0].slice(1)] })); // 12 digits: stored normalized
  const norm = list.map((i) => ({ ...i, barcodes: i.barcodes.map(normalizeLookupKey) }));
  const want = createHash('sha256').update(JSON.stringify(norm.slice(0, 6))).update(JSON.stringify(norm.slice(6))).digest('hex');
  for (const rows of [1, 4, 100]) {
    const r = await importPriceBook(db, batches(list.slice(0, 6), list.slice(6)), opts(), { pacer: pinned(rows) });
    expect(r.sha256).toBe(want);
    expect(r.version).toBe(`import-${want.slice(0, 12)}`);
  }
});

test('a duplicate barcode late in the build: refused, the old book and journal untouched, the shadow tables gone', async () => {
  await oldBook();
  const before = await dump(db);
  const journal = await journalCount();
  const bad = importPriceBook(db, batches(items(100, 120), items(121, 140), [item(141, { barcodes: [item(105).barcodes[0]] })]), opts(), { pacer: pinned(5) });
  await expect(bad).rejects.toMatchObject({ code: 'PRICEBOOK_INVALID', message: expect.stringMatching(/barcode is used by two items/) });
  expect(await dump(db)).toEqual(before);
  expect(await new Catalog(db).version()).toBe('old');
  expect(await journalCount()).toBe(journal);
  expect(await bookTables()).toEqual(['item_barcodes', 'items']);
});

test('an unknown tax class is refused after the whole book was read; nothing of it stays', async () => {
  await oldBook();
  const before = await dump(db);
  const bad = importPriceBook(db, batches(items(1, 10), [item(11, { taxClass: 'luxury' })]), opts({ taxClasses: ['standard', 'reduced'] }), { pacer: pinned(3) });
  await expect(bad).rejects.toMatchObject({ code: 'PRICEBOOK_INVALID', message: expect.stringMatching(/item 11 \(sku "SKU-000011"\): unknown tax class "luxury"/) });
  expect(await dump(db)).toEqual(before);
  expect(await bookTables()).toEqual(['item_barcodes', 'items']);
});

test('a reader failing mid-build (e.g. a bad row in the file) leaves the old book and no shadow tables', async () => {
  await oldBook();
  const before = await dump(db);
  async function* failing(): AsyncGenerator<PriceItem[]> {
    yield items(50, 60);
    throw new Error('book.csv line 12: bad row');
  }
  await expect(importPriceBook(db, failing(), opts(), { pacer: pinned(4) })).rejects.toThrow(/line 12/);
  expect(await dump(db)).toEqual(before);
  expect(await bookTables()).toEqual(['item_barcodes', 'items']);
});

test('another build dropping the shadow book mid-build: this one fails, the old book stays in force', async () => {
  await oldBook();
  const before = await dump(db);
  async function* raced(): AsyncGenerator<PriceItem[]> {
    yield items(50, 60);
    await discardShadowBook(db); // what a second `kiosk pricebook import` starting now does first
    yield items(61, 70);
  }
  await expect(importPriceBook(db, raced(), opts(), { pacer: pinned(4) })).rejects.toThrow(/no such table: items_next|dropped before/);
  expect(await dump(db)).toEqual(before);
  expect(await new Catalog(db).version()).toBe('old');
});

describe('crash and resume', () => {
  const receiver = (d: KioskDb) => new PricebookReceiver({ db: d, clock: new SimulatedClock(), deviceId: 'K1', verifyManifest });

  /** An HQ transfer whose chunks are all stored, as if the process died before or while applying it. */
  async function completeTransfer(version: string, list: PriceItem[]) {
    const book = await build(list, { version, kind: 'full' }, 600);
    expect(book.chunks.length).toBeGreaterThan(2);
    await receiver(db).offerManifest(signManifest(book.manifest));
    for (let i = 0; i < book.chunks.length; i++) {
      await db.transaction((tx) => tx.run('INSERT INTO pricebook_chunks (version, idx, data) VALUES (?, ?, ?)', [version, i, book.chunks[i]]));
    }
  }

  async function restart(): Promise<void> {
    await db.close();
    db = await openDb(file);
  }

  test('a crash in the middle of the build: after restart the old book is in force, resume() builds and switches the new one', async () => {
    await oldBook();
    const before = await dump(db);
    await completeTransfer('v2', items(1, 40));
    // the build had got this far when the process died: half a shadow book, committed
    await createShadowBook(db);
    await db.transaction((tx) => insertShadowBatch(tx, JSON.stringify(items(1, 15)), 'hq:v2'), { background: true });
    await restart();
    expect(await dump(db)).toEqual(before);
    expect(await new Catalog(db).version()).toBe('old');
    expect(await receiver(db).resume()).toMatchObject({ version: 'v2', status: 'applied' });
    expect(await new Catalog(db).count()).toBe(40);
    expect(await new Catalog(db).version()).toBe('v2');
    expect(await new Catalog(db).byBarcode(item(40).barcodes[0])).toEqual(item(40));
    expect(await bookTables()).toEqual(['item_barcodes', 'items']);
    expect((await db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM pricebook_chunks'))!.n).toBe(0);
  });

  test('a crash mid-build of a local import (no transfer): resume() drops the leftovers, the old book stays', async () => {
    await oldBook();
    const before = await dump(db);
    await createShadowBook(db);
    await db.transaction((tx) => insertShadowBatch(tx, JSON.stringify(items(1, 15)), 'book.csv'), { background: true });
    await restart();
    expect(await bookTables()).toEqual(['item_barcodes', 'item_barcodes_next', 'items', 'items_next']);
    expect(await receiver(db).resume()).toBeNull();
    expect(await dump(db)).toEqual(before);
    expect(await bookTables()).toEqual(['item_barcodes', 'items']);
  });

  test('a crash after the switch, before the replaced book was dropped: the new book is in force, resume() drops the old', async () => {
    await oldBook();
    await createShadowBook(db);
    await db.transaction((tx) => insertShadowBatch(tx, JSON.stringify(items(1, 7)), 'book.csv'), { background: true });
    await db.transaction((tx) => switchInShadowBook(tx));
    await restart();
    expect(await bookTables()).toEqual(['item_barcodes', 'item_barcodes_old', 'items', 'items_old']);
    expect(await new Catalog(db).count()).toBe(7);
    expect(await receiver(db).resume()).toBeNull();
    expect(await bookTables()).toEqual(['item_barcodes', 'items']);
    expect(await new Catalog(db).byBarcode(item(7).barcodes[0])).toEqual(item(7));
  });
});

test('BuildPacer sizes transactions toward its target, at most doubling or halving a step, within its bounds', () => {
  const p = new BuildPacer(10, 100, 5000, 1000);
  p.record(1000, 5); // twice as fast as the target
  expect(p.rows).toBe(2000);
  p.record(2000, 80); // 8× too slow: halved, not cut to 250
  expect(p.rows).toBe(1000);
  p.record(1000, 12.5);
  expect(p.rows).toBe(800);
  for (let i = 0; i < 10; i++) p.record(p.rows, 1000);
  expect(p.rows).toBe(100);
  for (let i = 0; i < 20; i++) p.record(p.rows, 0);
  expect(p.rows).toBe(5000);
});
