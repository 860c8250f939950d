/**
 * bench/pricebook: a 1 000 000-item price book pushed from HQ — chunked (hq/pricebook/chunker), received chunk
 * by chunk into the staging table and applied in ONE transaction (runtime/pricebook/sync/receiver) — against a
 * bare baseline that inserts the very same rows with plain sqlite3 prepared statements in one transaction, under
 * the same durability settings (WAL, synchronous=FULL). Also the file import path (`kiosk pricebook import`:
 * streaming reader + importPriceBook) on the same items as CSV. Each variant runs in its own child process so
 * its peak RSS (getrusage maxRSS) is its own.
 *
 *   npm run bench:pricebook        (ITEMS=200000 to change the size, IMPORT=0 to skip the CSV import)
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sqlite3 from 'sqlite3';
import { chunkFileName, chunkRecords, dirSink } from '../hq/pricebook/chunker';
import { importPriceBook } from '../runtime/pricebook/import';
import { SimulatedClock } from '../kernel/clock';
import { KioskDb } from '../kernel/sqlite/database';
import { migrate } from '../runtime/db/migrations';
import { readPriceBookFile } from '../protocol/pricebook/reader';
import type { PricebookManifest, VerifyManifest } from '../protocol/pricebook/manifest';
import { PricebookReceiver } from '../runtime/pricebook/sync/receiver';
import type { PriceItem } from '../runtime/pricing/types';

const ITEMS = Number(process.env.ITEMS ?? 1_000_000);

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

interface Result {
  seconds: number;
  peakMiB: number;
  note: string;
}

const peakMiB = () => process.resourceUsage().maxRSS / 1024;
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
  const db = await KioskDb.open(path.join(dir, 'kiosk.sqlite'));
  await migrate(db);
  // the signature is not what is measured: this stand-in accepts the plain manifest
  const verifyManifest: VerifyManifest = (raw) => ({ ok: true, manifest: JSON.parse(raw.toString('utf8')) as unknown });
  const receiver = new PricebookReceiver({ db, clock: new SimulatedClock(), deviceId: 'bench', verifyManifest });
  const raw = fs.readFileSync(path.join(dir, 'manifest.json'));
  const m = JSON.parse(raw.toString('utf8')) as PricebookManifest;
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
  const n = (await db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM items'))?.n;
  await db.close();
  if (n !== ITEMS) throw new Error(`applied ${n} items, expected ${ITEMS}`);
  return { seconds, peakMiB: peakMiB(), note: `apply (one transaction) ${applySeconds.toFixed(1)} s of it` };
}

async function importPhase(dir: string): Promise<Result> {
  const db = await KioskDb.open(path.join(dir, 'import.sqlite'));
  await migrate(db);
  const t0 = process.hrtime.bigint();
  const r = await importPriceBook(db, readPriceBookFile(path.join(dir, 'book.csv')), { clock: new SimulatedClock(), deviceId: 'bench', source: 'book.csv' });
  const seconds = since(t0);
  await db.close();
  return { seconds, peakMiB: peakMiB(), note: `${r.items} items from a ${(fs.statSync(path.join(dir, 'book.csv')).size / 2 ** 20).toFixed(0)} MiB CSV` };
}

function p<T>(fn: (cb: (err: Error | null, v?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v as T))));
}

/** Plain sqlite3: the same rows, same tables, one transaction, one prepared INSERT per row. */
async function baselinePhase(dir: string): Promise<Result> {
  const db = await p<sqlite3.Database>((cb) => {
    const d: sqlite3.Database = new sqlite3.Database(path.join(dir, 'baseline.sqlite'), (err) => cb(err, d));
  });
  const exec = (sql: string) => p<void>((cb) => db.exec(sql, (err) => cb(err)));
  await exec('PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;');
  await exec(`CREATE TABLE items (sku TEXT PRIMARY KEY, names TEXT NOT NULL, unit_price INTEGER NOT NULL CHECK (unit_price >= 0), tax_class TEXT NOT NULL,
                age_limit INTEGER, sold_by_weight INTEGER NOT NULL CHECK (sold_by_weight IN (0, 1)));
              CREATE TABLE item_barcodes (barcode TEXT PRIMARY KEY, sku TEXT NOT NULL REFERENCES items (sku) ON DELETE CASCADE);
              CREATE INDEX item_barcodes_sku ON item_barcodes (sku);`);
  const t0 = process.hrtime.bigint();
  await exec('BEGIN IMMEDIATE; PRAGMA defer_foreign_keys = ON;'); // two statements' queues: check keys at COMMIT
  const ins = db.prepare('INSERT INTO items VALUES (?, ?, ?, ?, ?, ?)');
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
  return { seconds, peakMiB: peakMiB(), note: 'prepared INSERT per row' };
}

// --------------------------------------------------------------------------------------------------------- parent

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

async function main() {
  const [phase, dir] = process.argv.slice(2);
  const phases: Record<string, (d: string) => Promise<Result>> = { chunk: chunkPhase, receive: receivePhase, import: importPhase, baseline: baselinePhase };
  if (phase) {
    process.stdout.write(JSON.stringify(await phases[phase](dir)) + '\n');
    return;
  }
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-bench-pb-'));
  try {
    const rows: [string, Result][] = [];
    rows.push(['bare sqlite3, same rows', child('baseline', root)]);
    rows.push(['HQ chunker (gzip NDJSON)', child('chunk', root)]);
    rows.push(['kiosk receive + apply', child('receive', root)]);
    if (process.env.IMPORT !== '0') {
      writeCsv(path.join(root, 'book.csv'));
      rows.push(['kiosk pricebook import (CSV)', child('import', root)]);
    }
    const base = rows[0][1];
    console.log(`\nbench/pricebook: ${ITEMS} items (${Math.round(ITEMS * 1.1)} barcodes), one transaction each`);
    console.log(`node ${process.version}, ${os.cpus().length} cores, WAL + synchronous=FULL, each variant in its own process\n`);
    console.log('| variant                        |  time s | items/s | peak RSS MiB | time vs baseline | notes');
    console.log('|--------------------------------|--------:|--------:|-------------:|-----------------:|------');
    for (const [name, r] of rows) {
      console.log(
        `| ${name.padEnd(30)} | ${r.seconds.toFixed(1).padStart(7)} | ${Math.round(ITEMS / r.seconds).toString().padStart(7)} | ${r.peakMiB.toFixed(0).padStart(12)} | ${(r.seconds / base.seconds).toFixed(2).padStart(16)} | ${r.note}`,
      );
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
