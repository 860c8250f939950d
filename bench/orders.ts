/**
 * bench/orders: complete 10-item orders per second through the order engine, against a bare baseline that commits
 * the very same rows (order row, journal row, outbox row per transition) with plain sqlite3 calls under the same
 * durability settings (WAL, synchronous=FULL), in the same run. Rounds alternate to spread machine noise.
 *
 *   npm run bench            (ORDERS=200 ROUNDS=3 to change the size)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sqlite3 from 'sqlite3';
import type { NewLine } from '../runtime/orders/events';
import type { Promotion } from '../runtime/pricing/types';
import { engineFixture, line } from '../test/support/engine-fixture';
import { sellCompleteCardOrder } from './sell-order';

const ORDERS = Number(process.env.ORDERS ?? 150);
const ROUNDS = Number(process.env.ROUNDS ?? 3);

interface Row {
  orderParams: unknown[];
  isNew: boolean;
  journal: unknown[];
}

const promotions: Promotion[] = [
  { id: 'P1', kind: 'buy_x_pay_y', label: { en: '3 for 2' }, skus: ['S1', 'S2', 'S3'], buy: 3, pay: 2 },
  { id: 'P2', kind: 'percent_off', label: { en: '10%' }, skus: ['S4', 'S5'], percent: 10 },
];

function items(): NewLine[] {
  return Array.from({ length: 10 }, (_, i) =>
    line(`S${i}`, 199 + i * 37, { names: { 'zh-CN': `商品${i}`, en: `Item ${i}` }, barcode: `690000000000${i}`, taxClass: i % 3 === 0 ? 'reduced' : 'standard' }),
  );
}

async function engineRun(dir: string, capture: Row[] | null): Promise<{ seconds: number; tx: number }> {
  // the tests' engine: a real SQLite file (WAL, synchronous=FULL), migrated, real pricing, simulated clock
  const fx = await engineFixture({ dir, promotions });
  const engine = fx.engine;
  if (capture) {
    engine.on('committed', (c) => {
      const o = c.order;
      const e = c.entry;
      capture.push({
        orderParams: [o.id, o.state, o.version, JSON.stringify(o), o.priced.total, o.receiptNo, o.memberId, o.createdAt, o.updatedAt, e.seq],
        isNew: c.from === 'idle',
        journal: [e.seq, e.deviceId, e.ts, e.orderId, e.type, e.payload, e.prevHash, e.hash],
      });
    });
  }
  let tx = 0;
  const lines = items();
  const t0 = process.hrtime.bigint();
  for (let n = 0; n < ORDERS; n++) {
    await sellCompleteCardOrder(engine, lines, n);
    tx += 14;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await fx.close();
  return { seconds, tx };
}

function p<T>(fn: (cb: (err: Error | null, v?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v as T))));
}

/** Plain sqlite3: the same rows, one transaction per transition, no engine logic. */
async function baselineRun(dir: string, rows: Row[]): Promise<{ seconds: number; tx: number }> {
  const db = await p<sqlite3.Database>((cb) => {
    const d: sqlite3.Database = new sqlite3.Database(path.join(dir, 'baseline.sqlite'), (err) => cb(err, d));
  });
  const exec = (sql: string) => p<void>((cb) => db.exec(sql, (err) => cb(err)));
  const run = (sql: string, params: unknown[]) => p<void>((cb) => db.run(sql, params, (err) => cb(err)));
  await exec('PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;');
  await exec(`CREATE TABLE orders (id TEXT PRIMARY KEY, state TEXT NOT NULL, version INTEGER NOT NULL, snapshot TEXT NOT NULL, total INTEGER NOT NULL,
                receipt_no INTEGER UNIQUE, member_id TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, last_seq INTEGER NOT NULL);
              CREATE TABLE journal (seq INTEGER PRIMARY KEY, device_id TEXT NOT NULL, ts INTEGER NOT NULL, order_id TEXT, type TEXT NOT NULL,
                payload TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
              CREATE INDEX journal_order ON journal (order_id, seq);
              CREATE TABLE outbox (seq INTEGER PRIMARY KEY REFERENCES journal (seq), created_at INTEGER NOT NULL);`);
  const t0 = process.hrtime.bigint();
  for (const r of rows) {
    await exec('BEGIN IMMEDIATE');
    await run('INSERT INTO journal VALUES (?, ?, ?, ?, ?, ?, ?, ?)', r.journal);
    await run('INSERT INTO outbox VALUES (?, ?)', [r.journal[0], r.journal[2]]);
    if (r.isNew) await run('INSERT INTO orders (id, state, version, snapshot, total, receipt_no, member_id, created_at, updated_at, last_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', r.orderParams);
    else {
      const [id, ...rest] = r.orderParams;
      await run('UPDATE orders SET state = ?, version = ?, snapshot = ?, total = ?, receipt_no = ?, member_id = ?, created_at = ?, updated_at = ?, last_seq = ? WHERE id = ?', [...rest, id]);
    }
    await exec('COMMIT');
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await p<void>((cb) => db.close((err) => cb(err)));
  return { seconds, tx: rows.length };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-bench-'));
  const rows: Row[] = [];
  // warm-up engine run captures the rows the baseline replays
  await engineRun(fs.mkdtempSync(path.join(root, 'w')), rows);
  const eng: number[] = [];
  const base: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const b = await baselineRun(fs.mkdtempSync(path.join(root, 'b')), rows);
    base.push(ORDERS / b.seconds);
    const e = await engineRun(fs.mkdtempSync(path.join(root, 'e')), null);
    eng.push(ORDERS / e.seconds);
  }
  fs.rmSync(root, { recursive: true, force: true });
  const bm = median(base);
  const em = median(eng);
  const fmt = (v: number) => v.toFixed(1).padStart(10);
  console.log(`\nbench/orders: ${ORDERS} complete 10-item orders (14 transactions each) per round, ${ROUNDS} rounds, median`);
  console.log(`node ${process.version}, ${os.cpus().length} cores, WAL + synchronous=FULL\n`);
  console.log('| variant                     |  orders/s  |  commits/s | ratio vs baseline |');
  console.log('|-----------------------------|-----------:|-----------:|------------------:|');
  console.log(`| bare sqlite3, same rows     | ${fmt(bm)} | ${fmt(bm * 14)} |              1.00 |`);
  console.log(`| order engine                | ${fmt(em)} | ${fmt(em * 14)} | ${(em / bm).toFixed(2).padStart(17)} |`);
  console.log(`\nrounds (orders/s): baseline ${base.map((x) => x.toFixed(1)).join(', ')}; engine ${eng.map((x) => x.toFixed(1)).join(', ')}`);
  console.log(`peak RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
