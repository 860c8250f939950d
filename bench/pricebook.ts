/**
 * bench/pricebook: a 1 000 000-item price book pushed from HQ — chunked (hq/pricebook/chunker), received chunk
 * by chunk into the staging table, then built beside the book in force in short background transactions and
 * switched in (runtime/pricebook/import.ts, shadow-book.ts) — and the file import path (`kiosk pricebook import`:
 * streaming reader + importPriceBook) on the same items as CSV, against two bare sqlite3 baselines inserting the
 * very same rows into the same tables and indexes under the same durability (WAL, synchronous=FULL):
 *
 * - chunked: 5 000 rows per `INSERT … SELECT … FROM json_each(?)`, one transaction (the strongest: ratios are to it);
 * - row by row: one prepared INSERT per row, one transaction (what this bench compared against before).
 *
 * While the kiosk variants run, the lane's barcode lookup (Catalog.byBarcode on the reader connection) runs every
 * 2 ms on an old book, and a tiny foreground transaction every 20 ms stands for the lane's writes; both also after.
 * The CSV import runs both ways `kiosk pricebook import` does: handed to the running kiosk (its build process; the
 * lane probed), and in the CLI's own process when no kiosk runs (nice 10; no lane to probe).
 * Each variant runs in its own child process so its peak RSS (getrusage maxRSS) is its own; a kiosk's build process
 * (runtime/pricebook/build-process.ts) reports its own peak, shown beside the kiosk's and added to it.
 *
 *   npm run bench:pricebook        (ITEMS=200000 to change the size, IMPORT=0 to skip the CSV import,
 *                                   ROWBYROW=0 to skip the row-by-row baseline, BENCH_DIR=dir to keep the files)
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import sqlite3 from 'sqlite3';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { chunkFileName, chunkRecords, dirSink } from '../hq/pricebook/chunker';
import { Catalog } from '../runtime/pricebook/catalog';
import { importPriceBook, importPriceBookFile } from '../runtime/pricebook/import';
import { readPriceBookFile } from '../protocol/pricebook/reader';
import { SimulatedClock } from '../kernel/clock';
import { KioskDb } from '../kernel/sqlite/database';
import { BULK_NICE, lowerProcessPriority } from '../kernel/thread-priority';
import { migrate } from '../runtime/db/migrations';
import type { PricebookManifest, VerifyManifest } from '../protocol/pricebook/manifest';
import { PricebookReceiver } from '../runtime/pricebook/sync/receiver';
import type { PriceItem } from '../runtime/pricing/types';

const ITEMS = Number(process.env.ITEMS ?? 1_000_000);
/** Items of the book in force before the timed work. */
const OLD_ITEMS = Math.min(ITEMS, 100_000);

function item(i: number): PriceItem {
  return {
    sku: `SKU-${String(i).padStart(7, '0')}`,
    barcodes: i % 10 === 0 ? [`69${String(i).padStart(11, '0')}`, `68${String(i).padStart(11, '0')}`] : [`69${String(i).padStart(11, '0')}`],
    names: { 'zh-CN': `商品 ${i} 号`, en: `Item number ${i}` },
    unitPrice: 100 + (i % 9000),
    taxClass: i % 3 === 0 ? 'reduced' : 'standard',
    ageLimit: i % 50 === 0 ? 18 : null,
    soldByWeight: false,
  };
}

async function* generated(batch = 5000): AsyncGenerator<PriceItem[]> {
  for (let i = 0; i < ITEMS; i += batch) yield Array.from({ length: Math.min(batch, ITEMS - i) }, (_, k) => item(i + k));
}

interface Latency {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

interface Result {
  seconds: number;
  peakMiB: number;
  /** Peak of the variant alone (setup excluded: {@link resetPeak}); kiosk variants only. */
  variantPeakMiB?: number;
  /** Peak of the kiosk's build process (a child: runtime/pricebook/build-process.ts), where the variant starts one. */
  childPeakMiB?: number;
  /** Peak of the kiosk's RSS + its build process's own pages (sampled; {@link memorySampler}). */
  togetherPeakMiB?: number;
  note: string;
  /** Lane probes (ms): lookups and foreground writes while the variant ran, and lookups after. */
  lookupDuring?: Latency;
  lookupAfter?: LookupMix;
  lookupIdle?: LookupMix;
  writeDuring?: Latency;
}

function latency(ms: number[]): Latency {
  const s = [...ms].sort((a, b) => a - b);
  const q = (f: number) => s[Math.min(s.length - 1, Math.floor(f * s.length))] ?? NaN;
  return { n: s.length, p50: q(0.5), p99: q(0.99), max: s[s.length - 1] ?? NaN };
}

const barcodeOf = (i: number) => `00069${String(i).padStart(11, '0')}`.slice(-13);

/**
 * The lane while bulk work runs: a barcode lookup through the catalog every 2 ms (random items, found or not in
 * the book in force) and a one-row foreground transaction every 20 ms; `stop()` returns their latencies.
 */
function laneProbe(db: KioskDb): { stop: () => Promise<{ lookups: number[]; writes: number[] }> } {
  const catalog = new Catalog(db);
  const lookups: number[] = [];
  const writes: number[] = [];
  let running = true;
  const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
  const lookupLoop = (async () => {
    while (running) {
      await new Promise((r) => setTimeout(r, 2));
      const t0 = process.hrtime.bigint();
      await catalog.byBarcode(barcodeOf(Math.floor(Math.random() * ITEMS)));
      lookups.push(ms(t0));
    }
  })();
  const writeLoop = (async () => {
    let n = 0;
    while (running) {
      await new Promise((r) => setTimeout(r, 20));
      const t0 = process.hrtime.bigint();
      await db.transaction((tx) => tx.run("INSERT INTO meta (key, value) VALUES ('bench_probe', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [String(n++)]));
      writes.push(ms(t0));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await Promise.all([lookupLoop, writeLoop]);
      return { lookups, writes };
    },
  };
}

/** The catalog's lookup statement, run through `db.read.get` on the same reader connection: prepared at every call (Catalog.byBarcode keeps it prepared). */
const LOOKUP_SQL = `SELECT i.*, (SELECT json_group_array(barcode) FROM item_barcodes b WHERE b.sku = i.sku) AS barcodes FROM items i
  WHERE i.sku = (SELECT sku FROM item_barcodes WHERE barcode = ?)`;

interface LookupMix {
  /** Catalog.byBarcode. */
  catalog: Latency;
  /** The same SQL through `db.read.get`: prepared at every call, no row mapping. */
  bare: Latency;
  /** `SELECT 1` on the reader: the floor of one sqlite3 round trip on this machine now (its scheduling noise included). */
  floor: Latency;
}

/**
 * Lookups while nothing else runs: `n` in a row, 1 ms apart, each at random one of the three kinds of
 * {@link LookupMix} (so that all three see the same conditions), of items 0..`inBook`-1 (all in the book in force).
 */
async function lookupMix(db: KioskDb, n: number, inBook: number): Promise<LookupMix> {
  const catalog = new Catalog(db);
  const out: number[][] = [[], [], []];
  for (let k = 0; k < n; k++) {
    await new Promise((r) => setTimeout(r, 1));
    const kind = Math.floor(Math.random() * 3);
    const code = barcodeOf(Math.floor(Math.random() * inBook));
    const t0 = process.hrtime.bigint();
    const hit = kind === 0 ? await catalog.byBarcode(code) : kind === 1 ? await db.read.get(LOOKUP_SQL, [code]) : await db.read.get('SELECT 1 AS one');
    out[kind].push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (!hit) throw new Error(`barcode ${code} was not found`);
  }
  return { catalog: latency(out[0]), bare: latency(out[1]), floor: latency(out[2]) };
}

/** Lookups after the work (the new book). */
const lookupsAfter = (db: KioskDb, n = 3000) => lookupMix(db, n, ITEMS);
/** Lookups on the old book before the work starts: the same process and machine, nothing else running. */
const lookupsIdle = (db: KioskDb, n = 1500) => lookupMix(db, n, OLD_ITEMS);

/** The kiosk's build process (a child): its own peak RSS, from its last word. */
function childPeak(): { hooks: { onChild: (c: ChildProcess) => void }; peakMiB: () => number | undefined } {
  let peak: number | undefined;
  return {
    hooks: { onChild: (c) => c.on('message', (m: { t: string; maxRssKiB?: number }) => void (m.t === 'end' && (peak = (m.maxRssKiB ?? 0) / 1024))) },
    peakMiB: () => peak,
  };
}

/**
 * What the kiosk and its build process take together: a sampler process reads /proc/PID/status of this process and
 * of its children every 100 ms and keeps the peak of this process's RSS plus each child's anonymous and shared-memory
 * pages (RssAnon + RssShmem). A child's file-backed pages are those of the node binary, its libraries and sqlite3's,
 * which the kiosk maps too: counted once, as they are in memory, not twice as adding two RSS would. With no child it
 * is the process's RSS. /proc/PID/status reads counters (smaps_rollup would walk, and lock, the mappings of the lane's
 * process ten times a second), in a process of its own so that no read runs on the lane's event loop.
 */
function memorySampler(): { stop: () => Promise<number> } {
  const script = `
    const fs = require('fs');
    const pid = Number(process.argv[1]);
    const kib = (p, keys) => { try { const t = fs.readFileSync('/proc/' + p + '/status', 'utf8'); return keys.reduce((s, k) => s + Number(new RegExp('^' + k + ':\\\\s+(\\\\d+) kB', 'm').exec(t)[1]), 0); } catch { return 0; } };
    const kids = () => { try { return fs.readdirSync('/proc/' + pid + '/task').flatMap((t) => fs.readFileSync('/proc/' + pid + '/task/' + t + '/children', 'utf8').trim().split(/\\s+/).filter(Boolean)); } catch { return []; } };
    let peak = 0;
    const sample = () => { peak = Math.max(peak, kib(pid, ['VmRSS']) + kids().filter((p) => Number(p) !== process.pid).reduce((s, p) => s + kib(p, ['RssAnon', 'RssShmem']), 0)); };
    sample();
    setInterval(sample, 100);
    process.stdin.on('end', () => { sample(); process.stdout.write(String(peak / 1024)); process.exit(0); }).resume();`;
  const c = spawn(process.execPath, ['-e', script, String(process.pid)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  c.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
  return {
    stop: async () => {
      c.stdin.end();
      await exited;
      return Number(out);
    },
  };
}

/** A kiosk database with an old book in force (the first 100 000 items, other prices), before the timed work. */
async function kioskWithOldBook(file: string): Promise<KioskDb> {
  const db = await KioskDb.open(file);
  await migrate(db);
  const old = OLD_ITEMS;
  async function* oldBook(): AsyncGenerator<PriceItem[]> {
    for (let i = 0; i < old; i += 5000) yield Array.from({ length: Math.min(5000, old - i) }, (_, k) => ({ ...item(i + k), unitPrice: 1 }));
  }
  await importPriceBook(db, oldBook(), { clock: new SimulatedClock(), deviceId: 'bench', source: 'old', version: 'bench-0' });
  await db.exclusive((tx) => tx.exec('PRAGMA wal_checkpoint(TRUNCATE)'));
  return db;
}

const peakMiB = () => process.resourceUsage().maxRSS / 1024;
setFlagsFromString('--expose-gc'); // for resetPeak (a context made after this has `gc`)

/**
 * Linux: resets the process's resident high-water mark (VmHWM; /proc/PID/clear_refs, since Linux 4.0), so that
 * {@link variantPeakMiB} is the peak of what follows — the variant — not of the old book's setup before it (what
 * stays resident of the setup still counts). Returns false where that is not possible.
 */
function resetPeak(): boolean {
  // the setup's garbage first (a full collection lets V8 give its pages back): the variant starts from what is live
  (runInNewContext('gc') as (() => void) | undefined)?.();
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/** VmHWM since {@link resetPeak} (MiB), or the whole process's peak where there is none. */
function variantPeakMiB(): number {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : peakMiB();
  } catch {
    return peakMiB();
  }
}
const since = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;

// ------------------------------------------------------------------------------------------------ variants (children)

async function chunkPhase(dir: string): Promise<Result> {
  const t0 = process.hrtime.bigint();
  const m = await chunkRecords(generated(), { version: 'bench-1', kind: 'full' }, dirSink(path.join(dir, 'chunks')));
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m));
  const gz = m.chunks.reduce((s, c) => s + c.bytes, 0);
  return { seconds: since(t0), peakMiB: peakMiB(), note: `${m.chunkCount} chunks, ${(gz / 2 ** 20).toFixed(1)} MiB gzip` };
}

async function receivePhase(dir: string): Promise<Result> {
  const db = await kioskWithOldBook(path.join(dir, 'kiosk.sqlite'));
  // the signature is not what is measured: this stand-in accepts the plain manifest
  const verifyManifest: VerifyManifest = (raw) => ({ ok: true, manifest: JSON.parse(raw.toString('utf8')) as unknown });
  const child = childPeak();
  const receiver = new PricebookReceiver({ db, clock: new SimulatedClock(), deviceId: 'bench', verifyManifest, buildHooks: child.hooks });
  const raw = fs.readFileSync(path.join(dir, 'manifest.json'));
  const m = JSON.parse(raw.toString('utf8')) as PricebookManifest;
  const idle = await lookupsIdle(db);
  const reset = resetPeak();
  const mem = memorySampler();
  const probe = laneProbe(db);
  const t0 = process.hrtime.bigint();
  await receiver.offerManifest(raw);
  let applySeconds = 0;
  for (const c of m.chunks) {
    const gz = fs.readFileSync(path.join(dir, 'chunks', chunkFileName(c.index)));
    const t1 = process.hrtime.bigint();
    const out = await receiver.offerChunk(m.version, c.index, gz);
    if (out.status?.status === 'applied') applySeconds = since(t1);
    else if (out.result !== 'stored') throw new Error(`chunk ${c.index}: ${JSON.stringify(out)}`);
  }
  const seconds = since(t0);
  const lane = await probe.stop();
  const n = (await db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM items'))?.n;
  if (n !== ITEMS) throw new Error(`applied ${n} items, expected ${ITEMS}`);
  return kioskResult(db, { seconds, reset, lane, idle, childPeakMiB: child.peakMiB(), togetherPeakMiB: await mem.stop(), note: `${m.chunkCount} chunks; build + switch ${applySeconds.toFixed(1)} s of it` });
}

/** `kiosk pricebook import` with no kiosk running on the data dir: the CLI process builds the book itself. */
async function importPhase(dir: string): Promise<Result> {
  const db = await kioskWithOldBook(path.join(dir, 'import.sqlite'));
  const idle = await lookupsIdle(db);
  // as device/commands/pricebook.ts does: bulk work at a lower CPU priority; it reads, checks and encodes on its own
  // thread (a build process would only add a process's memory), without the key index (the book's primary keys refuse
  // repeats; only a refused file is read again). No lane runs meanwhile: none is probed
  lowerProcessPriority(BULK_NICE);
  const reset = resetPeak();
  const t0 = process.hrtime.bigint();
  const r = await importPriceBook(db, readPriceBookFile(path.join(dir, 'book.csv'), { trackKeys: false }), { clock: new SimulatedClock(), deviceId: 'bench', source: 'book.csv' });
  const seconds = since(t0);
  return kioskResult(db, { seconds, reset, lane: null, idle, note: `${r.items} items from a ${(fs.statSync(path.join(dir, 'book.csv')).size / 2 ** 20).toFixed(0)} MiB CSV` });
}

/**
 * `kiosk pricebook import` beside a running kiosk: the kiosk imports the file (device/pricebook-import-control.ts) —
 * read, encoded and inserted by its build process in the writer turns the kiosk lends it — while its lane is probed.
 */
async function importRunningPhase(dir: string): Promise<Result> {
  const db = await kioskWithOldBook(path.join(dir, 'import-running.sqlite'));
  const idle = await lookupsIdle(db);
  const reset = resetPeak();
  const mem = memorySampler();
  const probe = laneProbe(db);
  const t0 = process.hrtime.bigint();
  const child = childPeak();
  const r = await importPriceBookFile(db, path.join(dir, 'book.csv'), { clock: new SimulatedClock(), deviceId: 'bench', source: 'book.csv', trackKeys: false }, child.hooks);
  const seconds = since(t0);
  const lane = await probe.stop();
  const togetherPeakMiB = await mem.stop();
  return kioskResult(db, {
    seconds,
    reset,
    lane,
    idle,
    childPeakMiB: child.peakMiB(),
    togetherPeakMiB,
    note: `${r.items} items from a ${(fs.statSync(path.join(dir, 'book.csv')).size / 2 ** 20).toFixed(0)} MiB CSV, in the kiosk's build process`,
  });
}

/** A kiosk variant's result: its time and peaks, the lane's probes during it, then lookups after it (and the db closed). */
async function kioskResult(
  db: KioskDb,
  v: { seconds: number; reset: boolean; lane: { lookups: number[]; writes: number[] } | null; idle: LookupMix; note: string; childPeakMiB?: number | undefined; togetherPeakMiB?: number | undefined },
): Promise<Result> {
  const after = await lookupsAfter(db);
  await db.close();
  return {
    seconds: v.seconds,
    peakMiB: peakMiB(),
    ...(v.reset ? { variantPeakMiB: variantPeakMiB() } : {}),
    ...(v.childPeakMiB !== undefined ? { childPeakMiB: v.childPeakMiB } : {}),
    ...(v.togetherPeakMiB !== undefined ? { togetherPeakMiB: v.togetherPeakMiB } : {}),
    note: v.note,
    ...(v.lane ? { lookupDuring: latency(v.lane.lookups), writeDuring: latency(v.lane.writes) } : {}),
    lookupAfter: after,
    lookupIdle: v.idle,
  };
}

function p<T>(fn: (cb: (err: Error | null, v?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v as T))));
}

/** Plain sqlite3 with the kiosk's durability and the kiosk's price-book tables and indexes. */
async function bareDb(file: string): Promise<{ db: sqlite3.Database; exec: (sql: string) => Promise<void> }> {
  const db = await p<sqlite3.Database>((cb) => {
    const d: sqlite3.Database = new sqlite3.Database(file, (err) => cb(err, d));
  });
  const exec = (sql: string) => p<void>((cb) => db.exec(sql, (err) => cb(err)));
  await exec('PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;');
  await exec(`CREATE TABLE items (sku TEXT PRIMARY KEY, names TEXT NOT NULL, unit_price INTEGER NOT NULL CHECK (unit_price >= 0), tax_class TEXT NOT NULL,
                age_limit INTEGER, sold_by_weight INTEGER NOT NULL CHECK (sold_by_weight IN (0, 1)), type_prices TEXT);
              CREATE TABLE item_barcodes (barcode TEXT PRIMARY KEY, sku TEXT NOT NULL REFERENCES items (sku) ON DELETE CASCADE);
              CREATE INDEX item_barcodes_sku ON item_barcodes (sku);`);
  return { db, exec };
}

/** Plain sqlite3: the same rows, same tables, one transaction, 5 000 rows per `INSERT … SELECT … FROM json_each(?)`. */
async function chunkedBaselinePhase(dir: string): Promise<Result> {
  const { db, exec } = await bareDb(path.join(dir, 'baseline-chunked.sqlite'));
  const run = (sql: string, json: string) => p<void>((cb) => db.run(sql, [json], (err) => cb(err)));
  const t0 = process.hrtime.bigint();
  await exec('BEGIN IMMEDIATE');
  for await (const batch of generated(5000)) {
    const json = JSON.stringify(batch);
    await run(
      `INSERT INTO items (sku, names, unit_price, tax_class, age_limit, sold_by_weight)
       SELECT value ->> '$.sku', json(value -> '$.names'), value ->> '$.unitPrice', value ->> '$.taxClass', value ->> '$.ageLimit',
              CASE WHEN value ->> '$.soldByWeight' THEN 1 ELSE 0 END FROM json_each(?)`,
      json,
    );
    await run(`INSERT INTO item_barcodes (barcode, sku) SELECT b.value, i.value ->> '$.sku' FROM json_each(?) i, json_each(i.value -> '$.barcodes') b`, json);
  }
  await exec('COMMIT');
  const seconds = since(t0);
  await p<void>((cb) => db.close((err) => cb(err)));
  return { seconds, peakMiB: peakMiB(), note: '5 000 rows per INSERT … SELECT FROM json_each(?), one transaction' };
}

/** Plain sqlite3: the same rows, same tables, one transaction, one prepared INSERT per row. */
async function rowByRowBaselinePhase(dir: string): Promise<Result> {
  const { db, exec } = await bareDb(path.join(dir, 'baseline-rows.sqlite'));
  const t0 = process.hrtime.bigint();
  await exec('BEGIN IMMEDIATE; PRAGMA defer_foreign_keys = ON;'); // two statements' queues: check keys at COMMIT
  const ins = db.prepare('INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, NULL)');
  const bc = db.prepare('INSERT INTO item_barcodes VALUES (?, ?)');
  db.serialize(); // statements run in the order issued
  let failed: Error | null = null;
  const onErr = (err: Error | null) => void (err && (failed ??= err));
  for await (const batch of generated()) {
    for (const i of batch) {
      ins.run([i.sku, JSON.stringify(i.names), i.unitPrice, i.taxClass, i.ageLimit, i.soldByWeight ? 1 : 0], onErr);
      for (const b of i.barcodes) bc.run([b, i.sku], onErr);
    }
    await p<void>((cb) => db.get('SELECT 1', (err) => cb(err))); // the batch is done: memory stays at one batch
    if (failed) throw failed;
  }
  await p<void>((cb) => ins.finalize((err) => cb(err)));
  await p<void>((cb) => bc.finalize((err) => cb(err)));
  await exec('COMMIT');
  const seconds = since(t0);
  await p<void>((cb) => db.close((err) => cb(err)));
  return { seconds, peakMiB: peakMiB(), note: 'prepared INSERT per row, one transaction' };
}

// ------------------------------------------------------------------------------------------------------ parent

function writeCsv(file: string): void {
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, 'sku,barcodes,name_zh-CN,name_en,unit_price,tax_class,age_limit,sold_by_weight\n');
  let buf = '';
  for (let n = 0; n < ITEMS; n++) {
    const i = item(n);
    buf += `${i.sku},${i.barcodes.join('|')},${i.names['zh-CN']},${i.names.en},${i.unitPrice},${i.taxClass},${i.ageLimit ?? ''},false\n`;
    if (buf.length > 1 << 20) {
      fs.writeSync(fd, buf);
      buf = '';
    }
  }
  fs.writeSync(fd, buf);
  fs.closeSync(fd);
}

function child(phase: string, dir: string): Result {
  const out = execFileSync(process.execPath, [__filename, phase, dir], { env: process.env, stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 });
  return JSON.parse(out.toString().trim().split('\n').pop() as string) as Result;
}

/** The memory of a kiosk variant: the kiosk process's own peak during it and, with a build process, that child's and the sum. */
function peakNote(r: Result): string {
  if (r.variantPeakMiB === undefined) return '';
  const own = `peak RSS of the variant alone (old book's setup excluded) ${r.variantPeakMiB.toFixed(0)} MiB`;
  if (r.childPeakMiB === undefined) return `; ${own}`;
  const together = r.togetherPeakMiB === undefined ? '' : `; the two together (kiosk RSS + the child's anonymous pages) peaked at ${r.togetherPeakMiB.toFixed(0)} MiB`;
  return `; ${own} in the kiosk process, ${r.childPeakMiB.toFixed(0)} MiB in its build process${together}`;
}

const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '–');

async function main() {
  const [phase, dir] = process.argv.slice(2);
  const phases: Record<string, (d: string) => Promise<Result>> = {
    chunk: chunkPhase,
    receive: receivePhase,
    import: importPhase,
    'import-running': importRunningPhase,
    chunked: chunkedBaselinePhase,
    rows: rowByRowBaselinePhase,
  };
  if (phase) {
    // the kiosk (receive) and `kiosk pricebook import` run under the CLI's loader, which caps V8's young generation
    // in-process and again in each worker thread (device/cli-loader.ts): the same here. The bare baselines run without
    // it (their peak RSS is then the higher of the two ways)
    if (phase === 'receive' || phase === 'import' || phase === 'import-running') {
      const cap = () => v8.setFlagsFromString('--semi-space-growth-factor=1');
      cap();
      process.on('worker', (w) => w.once('online', cap));
    }
    process.stdout.write(JSON.stringify(await phases[phase](dir)) + '\n');
    return;
  }
  const keep = process.env.BENCH_DIR; // kept afterwards, e.g. to profile one variant: node --cpu-prof dist-bench/bench/pricebook.js import DIR
  const root = keep ? (fs.mkdirSync(keep, { recursive: true }), keep) : fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-bench-pb-'));
  try {
    const rows: [string, Result][] = [];
    rows.push(['bare sqlite3, chunked json_each', child('chunked', root)]);
    if (process.env.ROWBYROW !== '0') rows.push(['bare sqlite3, row by row', child('rows', root)]);
    rows.push(['HQ chunker (gzip NDJSON)', child('chunk', root)]);
    rows.push(['kiosk receive + apply', child('receive', root)]);
    if (process.env.IMPORT !== '0') {
      writeCsv(path.join(root, 'book.csv'));
      rows.push(['CSV import, kiosk running', child('import-running', root)]);
      rows.push(['CSV import, kiosk stopped (CLI)', child('import', root)]);
    }
    const base = rows[0][1];
    console.log(`\nbench/pricebook: ${ITEMS} items (${Math.round(ITEMS * 1.1)} barcodes)`);
    console.log(`node ${process.version}, ${os.cpus().length} cores, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}, WAL + synchronous=FULL, each variant in its own process\n`);
    console.log('| variant                         |  time s | items/s | peak RSS MiB | × chunked baseline | notes');
    console.log('|---------------------------------|--------:|--------:|-------------:|-------------------:|------');
    for (const [name, r] of rows) {
      console.log(
        `| ${name.padEnd(31)} | ${r.seconds.toFixed(1).padStart(7)} | ${Math.round(ITEMS / r.seconds).toString().padStart(7)} | ${r.peakMiB.toFixed(0).padStart(12)} | ${(r.seconds / base.seconds).toFixed(2).padStart(18)} | ${r.note}${peakNote(r)}`,
      );
    }
    console.log('\nThe lane meanwhile (ms): barcode lookups through Catalog.byBarcode every 2 ms, a one-row foreground transaction every 20 ms');
    console.log('(in the kiosk process that builds the book; with the kiosk stopped no lane runs: nothing to probe)\n');
    console.log('| variant                         | lookups during: n | p50 |  p99 |  max | lookups after: p50 |  p99 | lane writes during: p50 |  p99 |  max');
    console.log('|---------------------------------|------------------:|----:|-----:|-----:|-------------------:|-----:|------------------------:|-----:|-----:');
    for (const [name, r] of rows) {
      const d = r.lookupDuring;
      const a = r.lookupAfter;
      const w = r.writeDuring;
      if (!d || !a || !w) continue;
      console.log(
        `| ${name.padEnd(31)} | ${String(d.n).padStart(17)} | ${fmt(d.p50)} | ${fmt(d.p99)} | ${fmt(d.max)} | ${fmt(a.catalog.p50).padStart(18)} | ${fmt(a.catalog.p99)} | ${fmt(w.p50).padStart(23)} | ${fmt(w.p99)} | ${fmt(w.max)}`,
      );
    }
    console.log('\nLookups with nothing else running (ms, p50 / p99), 1 ms apart, each at random: Catalog.byBarcode (its statement kept');
    console.log('prepared), its SQL through db.read.get (prepared at each call: two sqlite3 round trips), SELECT 1 through db.read.get;');
    console.log('idle = old book before the work\n');
    console.log('| variant                         | idle: catalog | bare        | SELECT 1    | after: catalog | bare        | SELECT 1');
    console.log('|---------------------------------|--------------:|------------:|------------:|---------------:|------------:|-----------:');
    const pair = (l: Latency) => `${fmt(l.p50)} / ${fmt(l.p99)}`.padStart(11);
    for (const [name, r] of rows) {
      const i = r.lookupIdle;
      const a = r.lookupAfter;
      if (!i || !a) continue;
      console.log(`| ${name.padEnd(31)} | ${pair(i.catalog).padStart(13)} | ${pair(i.bare)} | ${pair(i.floor)} | ${pair(a.catalog).padStart(14)} | ${pair(a.bare)} | ${pair(a.floor)}`);
    }
  } finally {
    if (!keep) fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
