/**
 * bench/marker: the cost of keeping the data marker (runtime/db/data-marker.ts) after every commit. Complete 10-item
 * orders through the order engine (WAL, synchronous=FULL) with and without a MarkerWriter noting each commit, rounds
 * alternating in the same run; also how many marker writes the coalescing left (one in flight, latest wins), and
 * `PRAGMA quick_check` at boot (probeDatabase) on a database with JOURNAL (default 500 000) journal entries.
 *
 *   npm run bench:marker     (ORDERS=150 ROUNDS=3 JOURNAL=500000)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SystemClock } from '../kernel/clock';
import { probeDatabase } from '../runtime/db/boot-check';
import { KioskDb } from '../kernel/sqlite/database';
import { MarkerWriter, writeMarker } from '../runtime/db/data-marker';
import { migrate } from '../runtime/db/migrations';
import type { NewLine } from '../runtime/orders/events';
import { engineFixture, line } from '../test/support/engine-fixture';
import { sellCompleteCardOrder } from './sell-order';

const ORDERS = Number(process.env.ORDERS ?? 150);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const JOURNAL = Number(process.env.JOURNAL ?? 500_000);

const lines: NewLine[] = Array.from({ length: 10 }, (_, i) =>
  line(`S${i}`, 199 + i * 37, { names: { 'zh-CN': `商品${i}`, en: `Item ${i}` }, barcode: `690000000000${i}` }),
);

async function run(dir: string, withMarker: boolean, gapMs = 0): Promise<{ ordersPerS: number; writes: number }> {
  const { db, engine } = await engineFixture({ dir });
  let writes = 0;
  const rename = fs.promises.rename;
  fs.promises.rename = (async (a: fs.PathLike, b: fs.PathLike) => {
    writes++;
    return rename(a, b);
  }) as typeof fs.promises.rename;
  const sys = new SystemClock();
  const marker = new MarkerWriter(dir, { dbId: '0'.repeat(32), journalSeq: 0, journalHash: '', receiptNo: 0 }, { now: () => sys.now(), clock: sys, gapMs });
  if (withMarker) engine.on('committed', (c) => marker.note({ journalSeq: c.entry.seq, journalHash: c.entry.hash, receiptNo: c.order.receiptNo }));
  const t0 = process.hrtime.bigint();
  for (let n = 0; n < ORDERS; n++) {
    await sellCompleteCardOrder(engine, lines, n);
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await marker.flush();
  fs.promises.rename = rename;
  await db.close();
  return { ordersPerS: ORDERS / seconds, writes };
}

async function quickCheck(root: string): Promise<void> {
  const file = path.join(root, 'big.sqlite');
  const db = await KioskDb.open(file);
  await migrate(db);
  // JOURNAL entries of a realistic size (~400-byte payload), written in 50 000-row transactions
  for (let from = 1; from <= JOURNAL; from += 50_000) {
    const to = Math.min(JOURNAL, from + 49_999);
    await db.transaction((tx) =>
      tx.run(
        `WITH RECURSIVE s(n) AS (SELECT ? UNION ALL SELECT n + 1 FROM s WHERE n < ?)
         INSERT INTO journal (seq, device_id, ts, order_id, type, payload, prev_hash, hash)
         SELECT n, 'bench', n, 'order-' || (n / 14), 'item_added', hex(randomblob(200)), hex(randomblob(32)), hex(randomblob(32)) FROM s`,
        [from, to],
      ),
    );
  }
  await db.close();
  const size = fs.statSync(file).size;
  // forced: the boot probe itself would defer quick_check on a file this large (checkLater), which is what it costs
  const time = async (quick: boolean) => {
    const t0 = process.hrtime.bigint();
    await probeDatabase(file, { quickCheck: quick, quickCheckMaxBytes: Number.POSITIVE_INFINITY });
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  const without = [await time(false), await time(false), await time(false)].sort((a, b) => a - b)[1];
  const withQc = [await time(true), await time(true), await time(true)].sort((a, b) => a - b)[1];
  console.log(`boot probe on ${JOURNAL} journal entries (${(size / 1048576).toFixed(0)} MiB): without quick_check ${without.toFixed(1)} ms, with quick_check ${withQc.toFixed(0)} ms (median of 3, page cache warm)`);
}

async function main() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-bench-marker-'));
  const res: Record<'off' | 'on' | 'gap', number[]> = { off: [], on: [], gap: [] };
  let writes = 0;
  let gapWrites = 0;
  await run(fs.mkdtempSync(path.join(root, 'w')), false); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    res.off.push((await run(fs.mkdtempSync(path.join(root, 'x')), false)).ordersPerS);
    const on = await run(fs.mkdtempSync(path.join(root, 'y')), true);
    res.on.push(on.ordersPerS);
    writes = on.writes;
    const gap = await run(fs.mkdtempSync(path.join(root, 'z')), true, 100);
    res.gap.push(gap.ordersPerS);
    gapWrites = gap.writes;
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`orders/s without marker ${med(res.off).toFixed(1)}; marker after every commit ${med(res.on).toFixed(1)} (ratio ${(med(res.on) / med(res.off)).toFixed(2)}, ${ORDERS * 14} commits → ${writes} marker writes); marker at most every 100 ms ${med(res.gap).toFixed(1)} (ratio ${(med(res.gap) / med(res.off)).toFixed(2)}, ${gapWrites} writes)`);
  // one marker write (temp file, fsync, rename, folder fsync) on its own
  const times: number[] = [];
  const mdir = fs.mkdtempSync(path.join(root, 'm'));
  for (let i = 0; i < 200; i++) {
    const t0 = process.hrtime.bigint();
    await writeMarker(mdir, { v: 1, dbId: '0'.repeat(32), journalSeq: i, journalHash: '', receiptNo: i, writtenAt: i });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  console.log(`one marker write: p50 ${times[100].toFixed(2)} ms, p99 ${times[197].toFixed(2)} ms (200 writes)`);
  if (JOURNAL > 0) await quickCheck(root);
  fs.rmSync(root, { recursive: true, force: true });
}

void main();
