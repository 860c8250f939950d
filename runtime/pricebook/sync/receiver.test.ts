import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { chunkPriceBookFile } from '../../../hq/pricebook/chunker';
import { Catalog } from '../catalog';
import { importPriceBook } from '../import';
import { SimulatedClock } from '../../../kernel/clock';
import type { KioskDb } from '../../../kernel/sqlite/database';
import type { DeltaOp } from '../../../protocol/pricebook/chunk-codec';
import type { PricebookManifest } from '../../../protocol/pricebook/manifest';
import { PricebookReceiver, type PricebookReport } from './receiver';
import { build, dump, item, items, openDb, signManifest, tempDir, verifyManifest } from '../../../test/support/pricebook-sync';

let tmp: ReturnType<typeof tempDir>;
let db: KioskDb;
let reports: PricebookReport[];
let n = 0;

beforeEach(async () => {
  tmp = tempDir();
  db = await openDb(path.join(tmp.dir, `k${n++}.sqlite`));
  reports = [];
});
afterEach(async () => {
  await db.close();
  tmp.cleanup();
});

const receiver = (d: KioskDb = db) =>
  new PricebookReceiver({ db: d, clock: new SimulatedClock(), deviceId: 'K1', verifyManifest, onReport: (r) => reports.push(r) });

/** Offers manifest then chunks in the given order; returns the receiver's final status. */
async function deliver(r: PricebookReceiver, book: { manifest: PricebookManifest; chunks: Buffer[] }, order?: number[]) {
  await r.offerManifest(signManifest(book.manifest));
  for (const i of order ?? book.chunks.map((_, k) => k)) await r.offerChunk(book.manifest.version, i, book.chunks[i]);
  return r.status();
}

const journalTypes = async () => (await db.read.all<{ type: string }>('SELECT type FROM journal ORDER BY seq')).map((r) => r.type);
const staged = async () => (await db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM pricebook_chunks'))!.n;

test('full snapshot round trip: CSV file → chunker → receiver → catalog lookup by barcode', async () => {
  const file = path.join(tmp.dir, 'book.csv');
  const rows = items(1, 20_000).map((i) => [i.sku, i.barcodes.join('|'), i.names['zh-CN'], i.names.en, i.unitPrice, i.taxClass, i.ageLimit ?? '', i.soldByWeight].join(','));
  fs.writeFileSync(file, ['sku,barcodes,name_zh-CN,name_en,unit_price,tax_class,age_limit,sold_by_weight', ...rows].join('\n') + '\n');
  const chunks: Buffer[] = [];
  const manifest = await chunkPriceBookFile(file, { version: '2026.1', kind: 'full' }, async (i, gz) => void (chunks[i] = gz));
  expect(manifest.items).toBe(20_000);
  expect(manifest.chunkCount).toBeGreaterThan(5); // ~256 KB uncompressed each
  expect(manifest.chunkCount).toBe(chunks.length);

  const r = receiver();
  expect(await r.offerManifest(signManifest(manifest))).toEqual({ version: '2026.1', status: 'receiving', received: 0, total: manifest.chunkCount });
  const outcomes = [];
  for (let i = 0; i < chunks.length; i++) outcomes.push(await r.offerChunk('2026.1', i, chunks[i]));
  expect(outcomes.every((o) => o.result === 'stored')).toBe(true);
  expect(outcomes[outcomes.length - 1].status).toEqual({ version: '2026.1', status: 'applied', received: chunks.length, total: chunks.length });

  const cat = new Catalog(db);
  expect(await cat.count()).toBe(20_000);
  expect(await cat.version()).toBe('2026.1');
  expect(await cat.byBarcode(item(12_345).barcodes[0])).toEqual(item(12_345));
  expect(await cat.byBarcode('6999999999999')).toBeNull();
  expect(await journalTypes()).toEqual(['pricebook_imported']);
  expect(await staged()).toBe(0);
  expect(await r.missing()).toEqual([]);
  expect(reports.filter((x) => x.type === 'status').map((x) => x.type === 'status' && x.status.status)).toEqual(['receiving', 'applied']);
});

async function applyFull(version: string, list = items(1, 50)) {
  const r = receiver();
  const s = await deliver(r, await build(list, { version, kind: 'full' }, 1024));
  expect(s?.status).toBe('applied');
  return r;
}

test('delta: upserts (changed and new items, barcodes replaced) and deletes, in order', async () => {
  const r = await applyFull('v1');
  const ops: DeltaOp[] = [
    { op: 'upsert', item: item(2, { unitPrice: 999, barcodes: ['6900000000777'] }) },
    { op: 'upsert', item: item(51) },
    { op: 'delete', sku: item(3).sku },
    { op: 'delete', sku: 'NO-SUCH-SKU' },
    { op: 'upsert', item: item(4, { names: { en: 'Renamed' } }) },
    { op: 'delete', sku: item(4).sku }, // later operations win
  ];
  const s = await deliver(r, await build(ops, { version: 'v2', kind: 'delta', baseVersion: 'v1' }, 200));
  expect(s).toEqual({ version: 'v2', status: 'applied', received: s!.total, total: s!.total });
  expect(s!.total).toBeGreaterThan(1);
  const cat = new Catalog(db);
  expect(await cat.count()).toBe(50 - 2 + 1);
  expect(await cat.byBarcode('6900000000777')).toEqual(item(2, { unitPrice: 999, barcodes: ['6900000000777'] }));
  expect(await cat.byBarcode(item(2).barcodes[0])).toBeNull(); // old barcode gone
  expect(await cat.byBarcode(item(51).barcodes[0])).toEqual(item(51));
  expect(await cat.bySku(item(3).sku)).toBeNull();
  expect(await cat.byBarcode(item(3).barcodes[0])).toBeNull();
  expect(await cat.bySku(item(4).sku)).toBeNull();
  expect(await cat.byBarcode(item(5).barcodes[0])).toEqual(item(5));
  expect(await cat.version()).toBe('v2');
  expect(await journalTypes()).toEqual(['pricebook_imported', 'pricebook_delta_applied']);
});

test('delta on the wrong base is rejected (base_mismatch) and changes nothing', async () => {
  const r = await applyFull('v1');
  const before = await dump(db);
  const book = await build([{ op: 'delete', sku: item(1).sku }], { version: 'v3', kind: 'delta', baseVersion: 'v2' });
  const s = await r.offerManifest(signManifest(book.manifest));
  expect(s).toMatchObject({ version: 'v3', status: 'rejected', reason: 'base_mismatch' });
  expect(s.detail).toMatch(/needs base v2, catalog is at v1/);
  expect(await r.offerChunk('v3', 0, book.chunks[0])).toMatchObject({ result: 'ignored' });
  expect(await dump(db)).toEqual(before);
  expect(await staged()).toBe(0);
  expect(await new Catalog(db).version()).toBe('v1');

  // a delta that cannot apply does not supersede a full book being received
  const v4 = await build(items(1, 80), { version: 'v4', kind: 'full' }, 1000);
  await r.offerManifest(signManifest(v4.manifest));
  await r.offerChunk('v4', 0, v4.chunks[0]);
  const v5 = await build([{ op: 'delete', sku: item(1).sku }], { version: 'v5', kind: 'delta', baseVersion: 'v4' });
  expect(await r.offerManifest(signManifest(v5.manifest))).toMatchObject({ status: 'rejected', reason: 'base_mismatch' });
  expect(await r.missing()).toEqual([...v4.chunks.keys()].slice(1));
  for (let i = 1; i < v4.chunks.length; i++) await r.offerChunk('v4', i, v4.chunks[i]);
  expect(await new Catalog(db).version()).toBe('v4');
  // offered again (the retained manifest after a reconnect), the delta now fits its base
  expect(await deliver(r, v5)).toMatchObject({ version: 'v5', status: 'applied' });
  expect(await new Catalog(db).bySku(item(1).sku)).toBeNull();
});

test('a delta whose base changed after its manifest was accepted is rejected when applying', async () => {
  const r = await applyFull('v1');
  const book = await build([{ op: 'delete', sku: item(1).sku }], { version: 'v2', kind: 'delta', baseVersion: 'v1' });
  expect((await r.offerManifest(signManifest(book.manifest))).status).toBe('receiving');
  // a local import moves the catalog on meanwhile
  await importPriceBook(db, (async function* () { yield items(1, 3); })(), { clock: new SimulatedClock(), deviceId: 'K1', source: 'local', version: 'local-1' });
  const out = await r.offerChunk('v2', 0, book.chunks[0]);
  expect(out.status).toMatchObject({ status: 'rejected', reason: 'base_mismatch' });
  expect(await new Catalog(db).bySku(item(1).sku)).toEqual(item(1));
});

test('a corrupted chunk (one flipped byte) is dropped and reported; the good one is then accepted', async () => {
  const r = receiver();
  const book = await build(items(1, 200), { version: 'v1', kind: 'full' }, 2048);
  await r.offerManifest(signManifest(book.manifest));
  const bad = Buffer.from(book.chunks[1]);
  bad[Math.floor(bad.length / 2)] ^= 0x01;
  const out = await r.offerChunk('v1', 1, bad);
  expect(out).toMatchObject({ result: 'dropped', reason: 'bad_hash', status: { status: 'receiving', received: 0 } });
  expect(reports).toContainEqual(expect.objectContaining({ type: 'chunk_dropped', version: 'v1', index: 1, reason: 'bad_hash' }));
  expect(await r.missing()).toContain(1);
  expect((await r.offerChunk('v1', 1, book.chunks[1])).result).toBe('stored');
  expect((await r.offerChunk('v1', 1, book.chunks[1])).result).toBe('ignored'); // duplicate
  for (let i = 0; i < book.chunks.length; i++) if (i !== 1) await r.offerChunk('v1', i, book.chunks[i]);
  expect(await r.status()).toMatchObject({ version: 'v1', status: 'applied' });
  expect(await new Catalog(db).count()).toBe(200);
});

test('chunks for an unknown version or index are dropped', async () => {
  const r = receiver();
  const book = await build(items(1, 20), { version: 'v1', kind: 'full' });
  expect(await r.offerChunk('v1', 0, book.chunks[0])).toMatchObject({ result: 'dropped', reason: 'unknown_version', status: null });
  await r.offerManifest(signManifest(book.manifest));
  expect(await r.offerChunk('v1', 7, book.chunks[0])).toMatchObject({ result: 'dropped', reason: 'bad_index' });
});

test('chunks in any order, with repeats, give the same catalog (fast-check permutations)', async () => {
  const list = items(1, 300);
  const book = await build(list, { version: 'v1', kind: 'full' }, 3000);
  expect(book.chunks.length).toBeGreaterThanOrEqual(6);
  const expected = await (async () => {
    await deliver(receiver(), book);
    return dump(db);
  })();
  let run = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.shuffledSubarray([...book.chunks.keys()], { minLength: book.chunks.length }),
      fc.array(fc.nat(book.chunks.length - 1), { maxLength: 4 }),
      async (order, repeats) => {
        const d = await openDb(path.join(tmp.dir, `perm${run++}.sqlite`));
        try {
          const s = await deliver(receiver(d), book, [...repeats, ...order]);
          expect(s).toMatchObject({ status: 'applied' });
          expect(await dump(d)).toEqual(expected);
        } finally {
          await d.close();
        }
      },
    ),
    { numRuns: 12 },
  );
});

test('interrupted transfer: half the chunks, close and reopen the database, missing() lists only the rest', async () => {
  const file = path.join(tmp.dir, 'resume.sqlite');
  const d1 = await openDb(file);
  const book = await build(items(1, 400), { version: 'v7', kind: 'full' }, 2000);
  const total = book.chunks.length;
  const r1 = receiver(d1);
  await r1.offerManifest(signManifest(book.manifest));
  const half = [...book.chunks.keys()].filter((i) => i % 2 === 0);
  for (const i of half) await r1.offerChunk('v7', i, book.chunks[i]);
  await d1.close();

  const d2 = await openDb(file);
  try {
    const r2 = receiver(d2);
    expect(await r2.resume()).toMatchObject({ version: 'v7', status: 'receiving', received: half.length, total });
    const rest = [...book.chunks.keys()].filter((i) => i % 2 === 1);
    expect(await r2.missing()).toEqual(rest);
    // the retained manifest arrives again after the reconnect: a repeat, nothing is cleared
    expect(await r2.offerManifest(signManifest(book.manifest))).toMatchObject({ status: 'receiving', received: half.length });
    for (const i of rest) await r2.offerChunk('v7', i, book.chunks[i]);
    expect(await r2.status()).toEqual({ version: 'v7', status: 'applied', received: total, total });
    expect(await new Catalog(d2).count()).toBe(400);
    expect(await r2.missing()).toEqual([]);
  } finally {
    await d2.close();
  }
});

test('after a crash between the last chunk and the apply, resume() applies the book', async () => {
  const book = await build(items(1, 30), { version: 'v1', kind: 'full' }, 500);
  const r = receiver();
  await r.offerManifest(signManifest(book.manifest));
  // store every chunk behind the receiver's back, as if the process died before applying
  for (let i = 0; i < book.chunks.length; i++) {
    await db.transaction((tx) => tx.run('INSERT INTO pricebook_chunks (version, idx, data) VALUES (?, ?, ?)', ['v1', i, book.chunks[i]]));
  }
  expect(await receiver().resume()).toMatchObject({ version: 'v1', status: 'applied' });
  expect(await new Catalog(db).count()).toBe(30);
});

test('older and equal manifests are rejected; a newer one supersedes an incomplete transfer', async () => {
  const r = await applyFull('2026-11-22.9');
  // the retained manifest of the book in force, re-delivered after a reconnect, is a repeat
  const inForce = await build(items(1, 50), { version: '2026-11-22.9', kind: 'full' }, 1024);
  reports.length = 0;
  expect(await r.offerManifest(signManifest(inForce.manifest))).toMatchObject({ version: '2026-11-22.9', status: 'applied' });
  expect(reports).toEqual([]);
  const same = await build(items(1, 5), { version: '2026-11-22.9', kind: 'full' });
  expect(await r.offerManifest(signManifest(same.manifest))).toMatchObject({ status: 'rejected', reason: 'not_newer' });
  const older = await build(items(1, 5), { version: '2026-11-22.8', kind: 'full' });
  expect(await r.offerManifest(signManifest(older.manifest))).toMatchObject({ status: 'rejected', reason: 'not_newer' });
  expect(await new Catalog(db).count()).toBe(50);

  const v11 = await build(items(1, 100), { version: '2026-11-22.11', kind: 'full' }, 1000);
  expect(await r.offerManifest(signManifest(v11.manifest))).toMatchObject({ status: 'receiving' });
  await r.offerChunk('2026-11-22.11', 0, v11.chunks[0]);
  expect(await staged()).toBe(1);
  // older than the one being received
  const v10 = await build(items(1, 5), { version: '2026-11-22.10', kind: 'full' });
  expect(await r.offerManifest(signManifest(v10.manifest))).toMatchObject({ status: 'rejected', reason: 'not_newer' });
  expect(await staged()).toBe(1);
  // newer: supersedes, the old staging is cleared
  const v12 = await build(items(1, 60), { version: '2026-11-22.12', kind: 'full' }, 1000);
  expect(await r.offerManifest(signManifest(v12.manifest))).toMatchObject({ version: '2026-11-22.12', status: 'receiving', received: 0 });
  expect(await staged()).toBe(0);
  expect(await r.offerChunk('2026-11-22.11', 1, v11.chunks[1])).toMatchObject({ result: 'dropped', reason: 'unknown_version' });
  for (let i = 0; i < v12.chunks.length; i++) await r.offerChunk('2026-11-22.12', i, v12.chunks[i]);
  expect(await new Catalog(db).version()).toBe('2026-11-22.12');
  expect(await new Catalog(db).count()).toBe(60);
});

test('a manifest that fails verification or is malformed is rejected with the reason', async () => {
  const r = receiver();
  const book = await build(items(1, 5), { version: 'v1', kind: 'full' });
  const env = JSON.parse(signManifest(book.manifest).toString()) as { body: string; mac: string };
  const forged = Buffer.from(JSON.stringify({ ...env, body: env.body.replace('"v1"', '"v9"') }));
  expect(await r.offerManifest(forged)).toMatchObject({ status: 'rejected', reason: 'bad_signature' });
  const bad = { ...book.manifest, chunkCount: 3 };
  expect(await r.offerManifest(signManifest(bad))).toMatchObject({ version: 'v1', status: 'rejected', reason: 'invalid_manifest' });
  expect(await r.status()).toBeNull();
});

test('a chunk set that does not hash to the manifest sha256 is rejected (hash_mismatch)', async () => {
  const r = await applyFull('v1');
  const book = await build(items(1, 40), { version: 'v2', kind: 'full' }, 500);
  const s = await deliver(r, { manifest: { ...book.manifest, sha256: 'f'.repeat(64) }, chunks: book.chunks });
  expect(s).toMatchObject({ version: 'v2', status: 'rejected', reason: 'hash_mismatch' });
  expect(await new Catalog(db).version()).toBe('v1');
  expect(await staged()).toBe(0);
});

test('a failure in the middle of applying (barcode used by two items) leaves the old price book fully intact', async () => {
  const r = await applyFull('v1');
  const before = await dump(db);
  const seqBefore = await journalTypes();
  // the clash is far into the book, after several chunks went into the transaction
  const list = [...items(100, 400), item(401, { barcodes: [item(150).barcodes[0]] })];
  const s = await deliver(r, await build(list, { version: 'v2', kind: 'full' }, 2000));
  expect(s).toMatchObject({ version: 'v2', status: 'rejected', reason: 'invalid_book' });
  expect(s?.detail).toMatch(/barcode is used by two items/);
  expect(await dump(db)).toEqual(before);
  expect(await new Catalog(db).version()).toBe('v1');
  expect(await journalTypes()).toEqual(seqBefore);
  expect(await staged()).toBe(0);
  // the same (bad) manifest re-delivered stays rejected without downloading again
  const again = await r.offerManifest(signManifest((await build(list, { version: 'v2', kind: 'full' }, 2000)).manifest));
  expect(again).toMatchObject({ status: 'rejected', reason: 'invalid_book' });
});
