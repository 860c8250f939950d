/**
 * Issue 16: a price-book file and HQ's chunks are read, checked, encoded and inserted by a child process
 * (build-process.ts) on its own connection, when the kiosk lends it the writer's turn. The result is the same book
 * as the in-process import; the child's refusals keep the reader's messages and line numbers; a child that dies is
 * a clear KioskError and leaves the book in force.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { SimulatedClock } from '../../kernel/clock';
import { KioskError } from '../../kernel/errors';
import type { KioskDb } from '../../kernel/sqlite/database';
import { readPriceBookFile } from '../../protocol/pricebook/reader';
import { toCsv } from '../../test/support/pricebook';
import { build, dump, item, items, freshDbEachTest, openDb, signManifest, tempDir, verifyManifest } from '../../test/support/pricebook-sync';
import { allowedCpus, parseCpuList } from '../../kernel/cpu-affinity';
import { Catalog } from './catalog';
import { importPriceBook, importPriceBookFile, type ImportOptions } from './import';
import { PricebookReceiver } from './sync/receiver';

let tmp: ReturnType<typeof tempDir>;
let db: KioskDb;
freshDbEachTest((t, d) => {
  tmp = t;
  db = d;
});

const TAXES = ['standard', 'reduced'];
const opts = (source: string, over: Partial<ImportOptions> = {}): ImportOptions => ({ clock: new SimulatedClock(), deviceId: 'K1', source, taxClasses: TAXES, ...over });
const write = (name: string, text: string) => {
  const f = path.join(tmp.dir, name);
  fs.writeFileSync(f, text);
  return f;
};
const bookTables = async () =>
  (await db.read.all<{ name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE 'item%' ORDER BY name")).map((r) => r.name);
const failure = async (p: Promise<unknown>): Promise<KioskError> => {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(KioskError);
  return e as KioskError;
};

async function oldBook(): Promise<unknown[]> {
  await importPriceBook(db, (async function* () { yield items(1, 30).map((i) => ({ ...i, unitPrice: 1 })); })(), opts('old', { version: 'old' }));
  return dump(db);
}

test('a CSV book imported through the build process is the book the in-process import makes: same rows, same hash, same version', async () => {
  // UPC-A barcodes too: normalized (to the 13-digit lookup key) in the build process as on the main thread
  const book = [...items(1, 700), item(701, { barcodes: ['036000291452'] })];
  const file = write('book.csv', toCsv(book));
  const progress: number[] = [];
  const r = await importPriceBookFile(db, file, { ...opts('book.csv'), batchSize: 64, onProgress: (read) => progress.push(read) });
  const rows = await dump(db);

  const other = await openDb(path.join(tmp.dir, 'other.sqlite'));
  try {
    const inProcess = await importPriceBook(other, readPriceBookFile(file, { taxClasses: TAXES, batchSize: 64 }), opts('book.csv'));
    expect(r).toEqual(inProcess);
    expect(rows).toEqual(await dump(other));
  } finally {
    await other.close();
  }
  expect(r).toMatchObject({ items: 701, barcodes: 701 });
  expect(r.version).toBe(`import-${r.sha256.slice(0, 12)}`);
  expect(progress.length).toBeGreaterThan(1);
  expect(progress[progress.length - 1]).toBe(fs.statSync(file).size);
  expect(await new Catalog(db).byBarcode('0036000291452')).toMatchObject({ sku: item(701).sku });
  expect(await bookTables()).toEqual(['item_barcodes', 'items']);
});

test('a malformed CSV line is refused from the build process with its line number, the reader’s message, and nothing changes', async () => {
  const before = await oldBook();
  const lines = toCsv(items(100, 140)).split('\n');
  lines[12] = lines[12].replace(/^SKU-000111,/, 'SKU-000111,"6900000000111'); // line 13: a quote that never closes
  const file = write('broken.csv', lines.join('\n'));
  const expected = await failure((async () => {
    for await (const _ of readPriceBookFile(file, { taxClasses: TAXES })) void _;
  })());

  const e = await failure(importPriceBookFile(db, file, opts('broken.csv')));
  expect(e.code).toBe('PRICEBOOK_INVALID');
  expect(e.message).toBe(expected.message);
  expect(e.message).toMatch(/^broken\.csv line 13: malformed CSV: /);
  expect(e.details).toEqual(expected.details);
  expect(await dump(db)).toEqual(before);
  expect(await new Catalog(db).version()).toBe('old');
  expect(await bookTables()).toEqual(['item_barcodes', 'items']);
});

test('rows refused in the build process keep their lines, fields and reasons (duplicates and tax classes across batches)', async () => {
  const before = await oldBook();
  const file = write('dup.csv', toCsv([...items(1, 9), item(10, { barcodes: [item(2).barcodes[0]] }), item(11, { taxClass: 'zero' })]));
  const e = await failure(importPriceBookFile(db, file, { ...opts('dup.csv'), batchSize: 2 }));
  expect(e.code).toBe('PRICEBOOK_INVALID');
  expect(e.message).toMatch(/^dup\.csv: 2 invalid rows:\n {2}line 11: barcodes: duplicate barcode "6900000000002", already used by SKU-000002 at line 3\n {2}line 12: tax_class: unknown tax class "zero"/);
  expect((e.details as { problems: { line: number }[] }).problems.map((p) => p.line)).toEqual([11, 12]);
  expect(await dump(db)).toEqual(before);
});

test('a missing file is the file system’s own error, passed on from the build process', async () => {
  const e = (await importPriceBookFile(db, path.join(tmp.dir, 'nope.csv'), opts('nope.csv')).catch((x: unknown) => x)) as NodeJS.ErrnoException;
  expect(e.code).toBe('ENOENT');
  expect(await bookTables()).toEqual(['item_barcodes', 'items']);
});

test('a build process that dies is a KioskError naming the book; the book in force, the journal and the kiosk go on untouched', async () => {
  const before = await oldBook();
  const journal = await db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM journal');
  const file = write('book.csv', toCsv(items(1, 300)));
  let slices = 0;
  // stopped mid-build, once it has handed over its first slice (some rows may be in the shadow tables by then)
  const stopAtFirstSlice = (c: ChildProcess) => c.on('message', (m: { t: string }) => m.t === 'written' && ++slices === 1 && void c.kill('SIGKILL'));
  const e = await failure(importPriceBookFile(db, file, { ...opts('book.csv'), batchSize: 10 }, { onChild: stopAtFirstSlice }));
  expect(slices).toBeGreaterThanOrEqual(1);
  expect(e.code).toBe('BAD_DATA');
  expect(e.message).toBe('book.csv: the price-book build process stopped (signal SIGKILL); the book in force is unchanged');
  expect(await dump(db)).toEqual(before);
  expect(await db.read.get('SELECT COUNT(*) AS n FROM journal')).toEqual(journal);
  expect(await bookTables()).toEqual(['item_barcodes', 'items']);
  // the kiosk sells on: writes go through, and the next import works
  await db.transaction((tx) => tx.run("INSERT INTO meta (key, value) VALUES ('lane', 'sold')"));
  expect((await importPriceBookFile(db, file, opts('book.csv'))).items).toBe(300);
});

describe('HQ books', () => {
  const deliver = async (r: PricebookReceiver, book: Awaited<ReturnType<typeof build>>) => {
    await r.offerManifest(signManifest(book.manifest));
    for (let i = 0; i < book.chunks.length; i++) await r.offerChunk(book.manifest.version, i, book.chunks[i]);
    return r.status();
  };

  it('are decoded in the build process chunk by chunk: a bad line names its chunk and line (invalid_book)', async () => {
    const r = new PricebookReceiver({ db, clock: new SimulatedClock(), deviceId: 'K1', verifyManifest });
    expect(await deliver(r, await build(items(1, 50), { version: 'v1', kind: 'full' }, 1500))).toMatchObject({ status: 'applied' });
    const before = await dump(db);
    const bad = await build([...items(1, 60), { ...item(61), unitPrice: -1 }], { version: 'v2', kind: 'full' }, 1500);
    expect(bad.chunks.length).toBeGreaterThan(3);
    const st = await deliver(r, bad);
    expect(st).toMatchObject({ version: 'v2', status: 'rejected', reason: 'invalid_book' });
    expect(st!.detail).toMatch(new RegExp(`^chunk ${bad.chunks.length - 1} line \\d+: unitPrice: `));
    expect(await dump(db)).toEqual(before);
  });

  it('a build process that dies rejects the version (apply_failed, reported), keeps the book in force, and the next version applies', async () => {
    let kill = true;
    const r = new PricebookReceiver({
      db,
      clock: new SimulatedClock(),
      deviceId: 'K1',
      verifyManifest,
      buildHooks: { onChild: (c) => void (kill && c.kill('SIGKILL')) },
    });
    kill = false;
    expect(await deliver(r, await build(items(1, 40), { version: 'v1', kind: 'full' }))).toMatchObject({ status: 'applied' });
    const before = await dump(db);
    kill = true;
    const st = await deliver(r, await build(items(1, 80), { version: 'v2', kind: 'full' }));
    expect(st).toMatchObject({ version: 'v2', status: 'rejected', reason: 'apply_failed' });
    expect(st!.detail).toMatch(/KioskError: hq:v2: the price-book build process stopped \(signal SIGKILL\)/);
    expect(await dump(db)).toEqual(before);
    expect(await bookTables()).toEqual(['item_barcodes', 'items']);
    kill = false;
    expect(await deliver(r, await build(items(1, 90), { version: 'v3', kind: 'full' }))).toMatchObject({ status: 'applied' });
    expect(await new Catalog(db).count()).toBe(90);
  });
});

test('the build process keeps off the first CPU and the kiosk to it (two cores or more), at nice 10; all is given back after', async () => {
  const file = write('book.csv', toCsv(items(1, 400)));
  const threadCpus = (pid: number | 'self') =>
    fs.readdirSync(`/proc/${pid}/task`).map((t) => parseCpuList(/^Cpus_allowed_list:\s*(.+)$/m.exec(fs.readFileSync(`/proc/${pid}/task/${t}/status`, 'utf8'))![1]));
  let seen: { child: number[][]; nice: number; kiosk: number[][] } | null = null;
  let pid = 0;
  const watch = (c: ChildProcess) => {
    pid = c.pid!;
    c.on('message', (m: { t: string }) => {
      if (m.t !== 'ready' || seen) return;
      const stat = fs.readFileSync(`/proc/${c.pid}/stat`, 'utf8');
      seen = { child: [...new Set(threadCpus(c.pid!).map((l) => l.join(',')))].map(parseCpuList), nice: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]), kiosk: [...new Set(threadCpus('self').map((l) => l.join(',')))].map(parseCpuList) };
    });
  };
  const allowed = allowedCpus()!;
  expect(new Set(threadCpus('self').map((l) => l.join(',')))).toEqual(new Set([allowed.join(',')]));
  expect((await importPriceBookFile(db, file, { ...opts('book.csv'), batchSize: 50 }, { onChild: watch })).items).toBe(400);
  // CI has two cores: the child on the second, every thread of this (kiosk) process on the first
  expect(seen).toEqual(allowed.length >= 2 ? { child: [allowed.slice(1)], nice: 10, kiosk: [allowed.slice(0, 1)] } : { child: [allowed], nice: 10, kiosk: [allowed] });
  expect(fs.existsSync(`/proc/${pid}`)).toBe(false);
  expect(new Set(threadCpus('self').map((l) => l.join(',')))).toEqual(new Set([allowed.join(',')]));
});
