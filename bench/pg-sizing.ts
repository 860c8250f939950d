/**
 * bench/pg-sizing: the PostgreSQL figures docs/scale.md sizes HQ with, on a throw-away real PostgreSQL server.
 *
 * Input: real kiosk journals (test/support/kiosk-journals.ts: the order engine, pricing, SQLite journal), LANES lanes in
 * 8 stores, ORDERS orders each, every order the fleet's sale (bench/sell-order.ts: 2 lines, card, 4 + 2 = 6 entries),
 * one every 2 simulated minutes per lane. Batches are cut from all lanes' entries in time order (live selling: a batch
 * holds many lanes' entries, as HqIngest's queue does at chain scale).
 *
 * 1. Bytes: every table after ingesting all entries through IngestStore.acceptBatch (batches of 100), each table's
 *    pg_total_relation_size (heap + TOAST + indexes, partitions summed), per stored entry and per order, and the WAL
 *    the ingest wrote (pg_current_wal_lsn before / after); baseline: the same rows by a bare multi-row INSERT into an
 *    unindexed, unpartitioned copy of sales_events.
 * 2. Time: the same entries ingested by K = 1, 2, 4 worker processes (each its own IngestStore and pool, distinct
 *    lanes per worker) at batch sizes 1 / 10 / 100 / 1000; baseline in the same run: the same rows by bare multi-row
 *    INSERTs of the same batch size into the unindexed copy by K processes.
 * 3. The chain-wide rollup rows (stats_* with store_id '*', written by every batch of every device): the same K = 1 / 4
 *    runs with the rollups switched off in the workers (bench only, as bench/ingest-projections does).
 *
 *   npm run bench:pg-sizing            (LANES=64, ORDERS=32, WARM=32, ROUNDS=3, BATCHES=1,10,100,1000, WORKERS=1,2,4;
 *                                       SMALL=200: entries per worker at batch sizes 1 and 10)
 *
 * The server is test/support/postgres.ts's: fsync off (-F, a command-line setting ALTER SYSTEM cannot override), so
 * commits here cost no flush; the disk's flush rate is printed from the server's own pg_test_fsync (a commit waits
 * for one, shared by the commits that arrive together).
 */
import { fork, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as fs from 'node:fs';
import * as os from 'node:os';
import pg from 'pg';
import { IngestStore } from '../hq/ingest/store';
import * as rollups from '../hq/stats/rollup-writer';
import type { EventMessage } from '../protocol/sync/messages';
import { journalKiosk, sell } from '../test/support/kiosk-journals';
import { Postgres, postgresBin } from '../test/support/postgres';

const LANES = Number(process.env.LANES ?? 64);
const ORDERS = Number(process.env.ORDERS ?? 32);
/** Entries per worker process at batch sizes 1 and 10 (one transaction each is slow; the rate is what counts). */
const SMALL = Number(process.env.SMALL ?? 200);
/** Lanes ingested into every database before it is measured (same stores and hours). */
const WARM = Number(process.env.WARM ?? 32);
/** Runs of every (batch, K, variant); the median is reported. */
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const list = (v: string | undefined, d: string) => (v ?? d).split(',').map(Number).filter((n) => n > 0);
const BATCHES = list(process.env.BATCHES, '1,10,100,1000');
const WORKERS = list(process.env.WORKERS, '1,2,4');
const START = Date.UTC(2026, 10, 2, 1, 0);

type Job = { url: string; mode: 'ingest' | 'ingest-no-rollups' | 'bare'; batches: EventMessage[][] };
type Done = { cpu: number; retries: number };

/** `lanes` lanes' journals (devices PREFIX000 …), all entries in time order. */
async function journals(lanes: number, prefix: string): Promise<EventMessage[]> {
  const all: EventMessage[] = [];
  for (let l = 0; l < lanes; l++) {
    const k = await journalKiosk(`S${String(l % 8).padStart(3, '0')}`, `${prefix}${String(l).padStart(3, '0')}`, START + l * 1000);
    try {
      for (let i = 0; i < ORDERS; i++) {
        k.clock.advance(2 * 60_000);
        await sell(k, {
          items: [
            { sku: `69012345${String((l * 7 + i) % 500).padStart(5, '0')}`, price: 350 + ((i * 13) % 40) * 10, name: '矿泉水 Water' },
            { sku: `69098765${String((l * 3 + i * 11) % 500).padStart(5, '0')}`, price: 1200 + ((i * 7) % 30) * 10, name: '面包 Bread', taxClass: 'reduced' },
          ],
          method: 'card',
        });
      }
      all.push(...(await k.events()));
    } finally {
      await k.close();
    }
  }
  return all.sort((a, b) => a.ts - b.ts || a.seq - b.seq);
}

const chunk = <T>(xs: T[], n: number): T[][] => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, (i + 1) * n));

const BARE_TABLE = `CREATE TABLE IF NOT EXISTS bare_events (store_id TEXT, device_id TEXT, seq BIGINT, ts BIGINT, order_id TEXT, type TEXT,
  payload TEXT, prev_hash TEXT, hash TEXT, received_at BIGINT)`;

/** The bare baseline: one multi-row INSERT … VALUES per batch (autocommit: one transaction each). */
async function bareInsert(c: pg.Client, batch: EventMessage[], at: number): Promise<void> {
  const params: unknown[] = [];
  const rows = batch.map((e) => {
    const p = [e.storeId, e.deviceId, e.seq, e.ts, e.orderId, e.type, typeof e.payload === 'string' ? e.payload : JSON.stringify(e.payload), e.prevHash, e.hash, at];
    const first = params.length;
    params.push(...p);
    return `(${p.map((_, i) => `$${first + i + 1}`).join(', ')})`;
  });
  await c.query(`INSERT INTO bare_events VALUES ${rows.join(', ')}`, params);
}

const realWithRollups = rollups.withRollups;

/** A worker process: runs its job when told to, reports its CPU time. */
async function worker(): Promise<void> {
  const job = await new Promise<Job>((r) => process.once('message', (m) => r(m as Job)));
  const at = START + 40 * 86_400_000;
  let run: (b: EventMessage[]) => Promise<unknown>;
  let close: () => Promise<void>;
  let retries = () => 0;
  if (job.mode === 'bare') {
    const c = new pg.Client({ connectionString: job.url });
    await c.connect();
    run = (b) => bareInsert(c, b, at);
    close = () => c.end();
  } else {
    const r = rollups as { withRollups: typeof rollups.withRollups };
    r.withRollups = job.mode === 'ingest' ? realWithRollups : async (_tx, _d, _k, write) => write();
    const store = await IngestStore.open(job.url, START);
    run = (b) => store.acceptBatch(b, at);
    close = () => store.close();
    retries = () => (store.db as { retries?: number }).retries ?? 0;
  }
  process.send!('ready');
  await new Promise((r) => process.once('message', r));
  const cpu0 = process.cpuUsage();
  for (const b of job.batches) await run(b);
  const c = process.cpuUsage(cpu0);
  const done: Done = { cpu: (c.user + c.system) / 1e6, retries: retries() };
  await close();
  process.send!(done, () => process.exit(0));
}

const TEMPLATE = 'sizing_template';

/**
 * The database every run starts from, as a running HQ's: the schema and this month's partitions, the bare table, and
 * other lanes' entries of the same hours already ingested and analyzed (the planner has statistics; a fresh
 * database's first batches are planned blind until hq/ingest/pg-fresh-stats.ts analyzes it, which is not the cost
 * measured here).
 */
async function makeTemplate(admin: pg.Client, base: string, warm: EventMessage[]): Promise<void> {
  await admin.query(`CREATE DATABASE ${TEMPLATE}`);
  const url = base.replace(/\/postgres$/, `/${TEMPLATE}`);
  const store = await IngestStore.open(url, START);
  for (const b of chunk(warm, 1000)) await store.acceptBatch(b, START + 40 * 86_400_000);
  await store.close();
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query(BARE_TABLE);
  await c.query('VACUUM ANALYZE');
  await c.end();
}

let dbCount = 0;
async function freshDb(admin: pg.Client, base: string): Promise<string> {
  const name = `sizing_${++dbCount}`;
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE}`);
  return base.replace(/\/postgres$/, `/${name}`);
}

/** K processes, one job each, started together; wall time from "go" to the last one done. */
async function runWorkers(jobs: Job[]): Promise<{ wall: number; cpu: number; retries: number }> {
  const procs = jobs.map(() => fork(__filename, ['--worker'], { stdio: 'inherit' }));
  const msg = (p: (typeof procs)[number]) =>
    new Promise<unknown>((resolve, reject) => {
      p.once('message', resolve);
      p.once('exit', (code) => reject(new Error(`pg-sizing worker exited with ${code}`)));
    });
  const ready = procs.map(msg);
  procs.forEach((p, i) => p.send(jobs[i]));
  await Promise.all(ready);
  const done = procs.map(msg);
  const t0 = process.hrtime.bigint();
  procs.forEach((p) => p.send('go'));
  const results = (await Promise.all(done)) as Done[];
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  for (const p of procs) p.removeAllListeners('exit');
  return { wall, cpu: results.reduce((a, r) => a + r.cpu, 0), retries: results.reduce((a, r) => a + r.retries, 0) };
}

/** Each worker's entries: its own lanes (lane index mod K), in time order, the first `limit` of them. */
function share(all: EventMessage[], k: number, w: number, limit: number): EventMessage[] {
  return all.filter((e) => Number(e.deviceId.slice(1)) % k === w).slice(0, limit);
}

/** pg_test_fsync's one-write fdatasync rate on the server's disk: the floor of a commit once fsync is on. */
function fsyncRate(dir: string): string {
  const probe = path.join(dir, 'fsync-probe');
  const r = spawnSync(path.join(postgresBin(), 'pg_test_fsync'), ['-s', '1', '-f', probe], { encoding: 'utf8' });
  const m = /fdatasync\s+([\d,.]+) ops\/sec\s+(\d+) usecs\/op/.exec(r.stdout ?? '');
  fs.rmSync(probe, { force: true });
  return m ? `fdatasync ${m[1]} ops/s, ${m[2]} µs per flush (pg_test_fsync, one 8 kB write)` : `pg_test_fsync gave no fdatasync figure (${r.status})`;
}

const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

async function sizes(c: pg.Client): Promise<Map<string, number>> {
  const r = await c.query<{ t: string; bytes: string }>(`
    SELECT COALESCE(i.inhparent::regclass::text, c.relname) AS t, SUM(pg_total_relation_size(c.oid)) AS bytes
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_inherits i ON i.inhrelid = c.oid
     WHERE n.nspname = 'public' AND c.relkind = 'r' GROUP BY 1`);
  return new Map(r.rows.map((x) => [x.t, Number(x.bytes)]));
}

async function main(): Promise<void> {
  console.log(`bench/pg-sizing — node ${process.version}, ${os.cpus().length} cores; ${LANES} lanes in 8 stores × ${ORDERS} orders (2 lines, card)`);
  const t0 = Date.now();
  const all = await journals(LANES, 'K');
  const warm = await journals(WARM, 'W');
  const orders = new Set(all.map((e) => `${e.deviceId}/${e.orderId}`)).size;
  console.log(`${all.length} journal entries, ${orders} orders (${(all.length / orders).toFixed(2)} entries per order), made in ${((Date.now() - t0) / 1000).toFixed(1)} s (+ ${WARM} other lanes' ${warm.length} entries ingested before every run)`);
  const byType = new Map<string, { n: number; bytes: number }>();
  for (const e of all) {
    const b = byType.get(e.type) ?? { n: 0, bytes: 0 };
    b.n++;
    b.bytes += Buffer.byteLength(typeof e.payload === 'string' ? e.payload : JSON.stringify(e.payload));
    byType.set(e.type, b);
  }
  console.log('\npayload (canonical JSON) per entry type');
  console.log('| type | entries | payload bytes (mean) |\n|---|---|---|');
  for (const [t, b] of byType) console.log(`| ${t} | ${b.n} | ${fmt(b.bytes / b.n)} |`);

  const server = await Postgres.start();
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  try {
    const v = await admin.query<{ server_version: string }>('SHOW server_version');
    const f = await admin.query<{ fsync: string }>('SHOW fsync');
    console.log(`\nPostgreSQL ${v.rows[0].server_version}, initdb defaults (shared_buffers 128 MB), fsync ${f.rows[0].fsync}, synchronous_commit on`);
    console.log(`this disk: ${fsyncRate(os.tmpdir())}; load average at start ${os.loadavg().map((x) => x.toFixed(1)).join(' / ')} (1 / 5 / 15 min)`);

    await makeTemplate(admin, server.url, warm);
    // 1. bytes
    const url = await freshDb(admin, server.url);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const before = await sizes(c);
    const lsn0 = (await c.query<{ l: string }>('SELECT pg_current_wal_lsn() AS l')).rows[0].l;
    await runWorkers([{ url, mode: 'ingest', batches: chunk(all, 100) }]);
    const lsn1 = (await c.query<{ l: string }>('SELECT pg_current_wal_lsn() AS l')).rows[0].l;
    await runWorkers([{ url, mode: 'bare', batches: chunk(all, 100) }]);
    const lsn2 = (await c.query<{ l: string }>('SELECT pg_current_wal_lsn() AS l')).rows[0].l;
    await c.query('VACUUM ANALYZE');
    const after = await sizes(c);
    const wal = async (a: string, b: string) => Number((await c.query<{ d: string }>('SELECT pg_wal_lsn_diff($1, $2) AS d', [b, a])).rows[0].d);
    const walIngest = await wal(lsn0, lsn1);
    const walBare = await wal(lsn1, lsn2);
    const stored = Number((await c.query<{ n: string }>("SELECT count(*) AS n FROM sales_events WHERE device_id LIKE 'K%'")).rows[0].n);
    await c.end();
    if (stored !== all.length) throw new Error(`stored ${stored} of ${all.length} entries`);
    const grown = [...after].map(([t, b]) => [t, b - (before.get(t) ?? 0)] as const).filter(([, b]) => b > 0);
    grown.sort((a, b) => b[1] - a[1]);
    const bare = grown.find(([t]) => t === 'bare_events')![1];
    const ev = grown.find(([t]) => t === 'sales_events')![1];
    const projections = grown.filter(([t]) => t !== 'bare_events' && t !== 'sales_events');
    const proj = projections.reduce((a, [, b]) => a + b, 0);
    console.log(`\nbytes after ingesting ${fmt(all.length)} entries (pg_total_relation_size: heap + TOAST + indexes, partitions summed; after VACUUM)`);
    console.log('| table | bytes | per entry | per order | × bare |\n|---|---|---|---|---|');
    const row = (t: string, b: number) =>
      console.log(`| ${t} | ${fmt(b)} | ${fmt(b / all.length)} | ${fmt(b / orders)} | ${(b / bare).toFixed(2)} |`);
    row('bare_events (baseline: unindexed, unpartitioned copy)', bare);
    row('sales_events (partitioned, PK + indexes)', ev);
    for (const [t, b] of projections) row(`  ${t}`, b);
    row('all projections, rollups, devices, fleet', proj);
    row('everything ingest wrote', ev + proj);
    console.log(`WAL written: ingest ${fmt(walIngest)} bytes = ${fmt(walIngest / all.length)} per entry; bare INSERT ${fmt(walBare)} = ${fmt(walBare / all.length)} per entry (× ${(walIngest / walBare).toFixed(2)})`);

    // 2. and 3. time
    console.log(`\ningest cost: entries in time order across lanes, K worker processes with distinct lanes; batch 1 and 10: the first ${SMALL} entries of each worker; median of ${ROUNDS} rounds (retries: summed); CPU = the worker processes' only`);
    console.log('| batch | K | bare INSERT entries/s | ingest entries/s | × bare | ingest ms per batch (per worker) | worker CPU ms per 1 000 entries | deadlock retries | no rollups entries/s | rollups cost |');
    console.log('|---|---|---|---|---|---|---|---|---|---|');
    for (const b of BATCHES) {
      for (const k of WORKERS) {
        const limit = b <= 10 ? SMALL : Infinity;
        const shares = Array.from({ length: k }, (_, w) => share(all, k, w, limit));
        const n = shares.reduce((a, s) => a + s.length, 0);
        const jobs = (url: string, mode: Job['mode']) => shares.map((s) => ({ url, mode, batches: chunk(s, b) }));
        const modes: Job['mode'][] = k === 1 || k === 4 ? ['bare', 'ingest', 'ingest-no-rollups'] : ['bare', 'ingest'];
        const runs = new Map<Job['mode'], { wall: number; cpu: number; retries: number }[]>(modes.map((m) => [m, []]));
        for (let r = 0; r < ROUNDS; r++) {
          for (const m of r % 2 ? [...modes].reverse() : modes) runs.get(m)!.push(await runWorkers(jobs(await freshDb(admin, server.url), m)));
        }
        const median = (m: Job['mode']) => {
          const xs = runs.get(m);
          if (!xs) return null;
          const sorted = [...xs].sort((x, y) => x.wall - y.wall);
          return { ...sorted[Math.floor(sorted.length / 2)], retries: xs.reduce((a, x) => a + x.retries, 0) };
        };
        const bareR = median('bare')!;
        const ing = median('ingest')!;
        const noRoll = median('ingest-no-rollups');
        const perBatch = (ing.wall * 1000) / Math.ceil(n / k / b);
        console.log(
          `| ${b} | ${k} | ${fmt(n / bareR.wall)} | ${fmt(n / ing.wall)} | ${(bareR.wall / ing.wall).toFixed(2)} | ${fmt(perBatch, 1)} | ${fmt((ing.cpu * 1e6) / n)} | ${ing.retries} | ${noRoll ? fmt(n / noRoll.wall) : '—'} | ${noRoll ? `${((ing.wall / noRoll.wall - 1) * 100).toFixed(0)} %` : '—'} |`,
        );
      }
    }
  } finally {
    await admin.end();
    await server.close();
  }
}

if (process.argv[2] === '--worker') {
  worker().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
} else {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
