/**
 * bench/console: response times of the HQ console's pages on PostgreSQL with a chain-sized ingest store — by default a
 * quick check (20 lanes, 100 000 journal rows); the goal is p99 < 200 ms with 1 000 kiosks and 10 M journal rows:
 *
 *   npm run bench:console                                   (quick check)
 *   npm run bench:console -- --rows 10000000 --kiosks 1000  (the scale)
 *   options: --requests 200 (per page, after --warmup 20), --db postgres://… (an already seeded database: no seed),
 *            --timezone Asia/Shanghai (hq serve's: local days and hours of the statistics),
 *            --seed-only (seed, print the table sizes, stop), --hold (keep PostgreSQL running at the end, for --db),
 *            --page-budget-s 40 (a page slower than that in total stops after at least 20 requests);
 *            env SEED_TRACE=1 prints the time of each seeding statement
 *
 * A real PostgreSQL (test/support/postgres.ts) is seeded by bench/support/console-seed.ts (the journal, the order,
 * line, payment and refund projections, fleet, devices, alerts), then `hq serve --db URL` runs as a child process
 * (dist/hq/cli.js: `npm run build` first) and one logged-in admin requests every page over one keep-alive HTTP
 * connection, sequentially: p50/p95/p99 per page. Beside it, in the same run: a bare baseline — the console's static
 * stylesheet over the same connection (framework + HTTP, no database), and for each page a representative SQL
 * query of what the page shows, run directly with `pg` (the database's share). Statements slower than 50 ms are
 * logged by PostgreSQL (log_min_duration_statement) and printed at the end with their plans.
 */
import type { ChildProcess } from 'node:child_process';
import { Client } from 'pg';
import { IngestStore } from '../hq/ingest/store';
import { ConsoleHttp } from '../test/support/console-http';
import { startHqServe } from '../test/support/console-server';
import { Postgres } from '../test/support/postgres';
import { deviceId, seedConsole, storeId, type SeedResult } from './support/console-seed';
import { percentile } from './percentile';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : def;
}

const ROWS = Number(arg('rows', '100000'));
const KIOSKS = Number(arg('kiosks', '20'));
const REQUESTS = Number(arg('requests', '200'));
const WARMUP = Number(arg('warmup', '20'));
const DB = arg('db', '');
/** The chain's zone (hq serve --timezone): Shanghai's local days cut UTC days in two, so statistics read both grains. */
const TIMEZONE = arg('timezone', 'Asia/Shanghai');
/** A page slower than this in total stops early (after at least 20 requests): the table says how many were made. */
const PAGE_BUDGET_MS = Number(arg('page-budget-s', '40')) * 1000;
const SLOW_MS = 50;

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

interface PageCase {
  name: string;
  path: string;
  /** What the page shows, as one SQL query run directly (the database's share of the page). */
  sql: string;
  params: unknown[];
}

function pages(s: SeedResult['sample']): PageCase[] {
  const last = day(s.to);
  const monthAgo = day(s.to - 30 * 86_400_000);
  const dayStart = Date.parse(`${last}T00:00:00Z`);
  return [
    {
      name: '/fleet',
      path: '/fleet',
      sql: `SELECT f.*, d.contiguous_seq, d.last_event_ts FROM fleet f LEFT JOIN devices d USING (store_id, device_id) WHERE f.retired_at IS NULL ORDER BY f.store_id, f.device_id`,
      params: [],
    },
    {
      name: '/fleet/S/D',
      path: `/fleet/${s.store}/${s.device}`,
      sql: `SELECT seq, ts, type, order_id FROM sales_events WHERE store_id = $1 AND device_id = $2 ORDER BY seq DESC LIMIT 50`,
      params: [s.store, s.device],
    },
    { name: '/alerts', path: '/alerts', sql: `SELECT * FROM alerts WHERE cleared_at IS NULL ORDER BY raised_at DESC LIMIT 200`, params: [] },
    {
      name: '/orders',
      path: '/orders',
      sql: `SELECT * FROM orders WHERE training = 0 ORDER BY opened_at DESC LIMIT 50`,
      params: [],
    },
    {
      name: '/orders?store',
      path: `/orders?store=${s.store}`,
      sql: `SELECT * FROM orders WHERE store_id = $1 AND training = 0 ORDER BY opened_at DESC LIMIT 50`,
      params: [s.store],
    },
    {
      name: '/orders?receipt',
      path: `/orders?receipt=${s.receiptNo}`,
      sql: `SELECT * FROM orders WHERE receipt_no = $1 AND training = 0 ORDER BY opened_at DESC LIMIT 50`,
      params: [s.receiptNo],
    },
    {
      name: '/orders?from&to',
      path: `/orders?from=${last}&to=${last}`,
      sql: `SELECT * FROM orders WHERE opened_at >= $1 AND opened_at < $2 AND training = 0 ORDER BY opened_at DESC LIMIT 50`,
      params: [dayStart, dayStart + 86_400_000],
    },
    {
      name: '/orders/S/D/O',
      path: `/orders/${s.store}/${s.device}/${s.orderId}`,
      sql: `SELECT seq, ts, type, payload FROM sales_events WHERE store_id = $1 AND device_id = $2 AND order_id = $3 ORDER BY seq`,
      params: [s.store, s.device, s.orderId],
    },
    {
      name: '/stats (1 day)',
      path: `/stats?from=${last}&to=${last}`,
      sql: `SELECT store_id, count(*), sum(total) FROM orders WHERE completed_at >= $1 AND completed_at < $2 AND training = 0 AND status IN ('completed', 'partially_refunded', 'refunded') GROUP BY store_id`,
      params: [dayStart, dayStart + 86_400_000],
    },
    {
      name: '/stats (30 days)',
      path: `/stats?from=${monthAgo}&to=${last}`,
      sql: `SELECT store_id, count(*), sum(total) FROM orders WHERE completed_at >= $1 AND completed_at < $2 AND training = 0 AND status IN ('completed', 'partially_refunded', 'refunded') GROUP BY store_id`,
      params: [dayStart - 29 * 86_400_000, dayStart + 86_400_000],
    },
    {
      name: '/stats?store (30 d)',
      path: `/stats?from=${monthAgo}&to=${last}&store=${s.store}`,
      sql: `SELECT device_id, count(*), sum(total) FROM orders WHERE store_id = $1 AND completed_at >= $2 AND completed_at < $3 AND training = 0 AND status IN ('completed', 'partially_refunded', 'refunded') GROUP BY device_id`,
      params: [s.store, dayStart - 29 * 86_400_000, dayStart + 86_400_000],
    },
    {
      name: '/stats (90 days)',
      path: `/stats?from=${day(s.to - 89 * 86_400_000)}&to=${last}`,
      sql: `SELECT store_id, count(*), sum(total) FROM orders WHERE completed_at >= $1 AND completed_at < $2 AND training = 0 AND status IN ('completed', 'partially_refunded', 'refunded') GROUP BY store_id`,
      params: [dayStart - 89 * 86_400_000, dayStart + 86_400_000],
    },
    {
      name: '/payments',
      path: '/payments',
      sql: `SELECT channel, status, count(*) FROM payments WHERE started_at >= $1 AND training = 0 GROUP BY channel, status`,
      params: [s.to - 86_400_000],
    },
    { name: '/config', path: '/config', sql: `SELECT store_id, device_id, config_reported FROM fleet ORDER BY store_id, device_id`, params: [] },
    { name: '/audit', path: '/audit', sql: `SELECT * FROM audit_log ORDER BY seq DESC LIMIT 50`, params: [] },
  ];
}

interface Timing {
  p50: number;
  p95: number;
  p99: number;
  status: number;
  n: number;
}

function percentiles(ms: number[]): { p50: number; p95: number; p99: number } {
  const sorted = [...ms].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) };
}

/** WARMUP calls, then up to REQUESTS timed ones (fewer when the page's budget is spent, at least 20). */
async function timed(call: () => Promise<number>): Promise<Timing> {
  let status = 0;
  const start = Date.now();
  for (let i = 0; i < WARMUP && Date.now() - start < PAGE_BUDGET_MS / 4; i++) status = await call();
  const ms: number[] = [];
  const begun = Date.now();
  for (let i = 0; i < REQUESTS; i++) {
    const t = process.hrtime.bigint();
    status = await call();
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (ms.length >= 20 && Date.now() - begun > PAGE_BUDGET_MS) break;
  }
  return { ...percentiles(ms), status, n: ms.length };
}

const timeHttp = (user: ConsoleHttp, path: string) => timed(async () => (await user.get(path)).status);
const timeSql = (client: Client, sql: string, params: unknown[]) => timed(async () => (await client.query(sql, params), 0));

/** With --hold: keeps the seeded PostgreSQL running (for later runs with --db URL) until SIGINT/SIGTERM. */
async function hold(url: string): Promise<void> {
  if (!process.argv.includes('--hold')) return;
  console.log(`holding PostgreSQL at ${url} (pid ${process.pid}); SIGTERM to stop`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}

async function main(): Promise<void> {
  const pg = DB ? null : await Postgres.start();
  const url = DB || pg!.url;
  const slow: string[] = [];
  // PostgreSQL logs statements slower than SLOW_MS to its stderr, which the helper pipes: keep them for the report
  const child = pg ? (pg as unknown as { child: ChildProcess }).child : null;
  let pgLog = '';
  child?.stderr?.on('data', (d: Buffer) => {
    pgLog += d.toString('utf8');
    let i: number;
    while ((i = pgLog.indexOf('\n')) >= 0) {
      const line = pgLog.slice(0, i);
      pgLog = pgLog.slice(i + 1);
      if (/duration: |DETAIL: {2}[Pp]arameters/.test(line)) slow.push(line.replace(/^.*?(duration: |DETAIL: )/, '$1'));
    }
  });
  const client = new Client({ connectionString: url });
  await client.connect();
  let sample: SeedResult['sample'];
  try {
    if (!DB) {
      const store = await IngestStore.open(url); // the schema, exactly as hq serve makes it
      await store.close();
      const t = Date.now();
      const seeded = await seedConsole(client, { rows: ROWS, kiosks: KIOSKS, log: (l) => console.log(l) });
      const size = await client.query<{ s: string }>(`SELECT pg_size_pretty(pg_database_size(current_database())) AS s`);
      console.log(
        `seeded ${seeded.events.toLocaleString('en')} journal rows, ${seeded.orders.toLocaleString('en')} orders, ${seeded.kiosks} kiosks in ${seeded.stores} stores ` +
          `in ${((Date.now() - t) / 1000).toFixed(1)} s (database ${size.rows[0].s})`,
      );
      sample = seeded.sample;
    } else {
      const r = await client.query<{ store_id: string; device_id: string; order_id: string; receipt_no: string; mn: string; mx: string }>(
        `SELECT store_id, device_id, order_id, receipt_no, (SELECT min(opened_at) FROM orders) AS mn, (SELECT max(opened_at) FROM orders) AS mx
         FROM orders WHERE store_id = $1 AND device_id = $2 AND receipt_no IS NOT NULL ORDER BY receipt_no DESC LIMIT 1`,
        [storeId(1), deviceId(1)],
      );
      const row = r.rows[0];
      sample = { store: row.store_id, device: row.device_id, orderId: row.order_id, receiptNo: Number(row.receipt_no), from: Number(row.mn), to: Number(row.mx) };
    }
    const counts = await client.query<{ n: string }>(`SELECT count(*) AS n FROM sales_events`);
    console.log(`sales_events: ${Number(counts.rows[0].n).toLocaleString('en')} rows`);
    if (process.argv.includes('--seed-only')) {
      const t = await client.query<{ t: string; n: string }>(
        `SELECT 'orders' AS t, count(*) AS n FROM orders UNION ALL SELECT 'order_lines', count(*) FROM order_lines UNION ALL SELECT 'payments', count(*) FROM payments
         UNION ALL SELECT 'refunds', count(*) FROM refunds UNION ALL SELECT 'fleet', count(*) FROM fleet UNION ALL SELECT 'alerts', count(*) FROM alerts`,
      );
      console.log(t.rows.map((r) => `${r.t}: ${r.n}`).join(', '));
      await hold(url);
      return;
    }
    await client.query(`ALTER SYSTEM SET log_min_duration_statement = ${SLOW_MS}`);
    await client.query(`SELECT pg_reload_conf()`);

    const serve = await startHqServe(['--db', url, '--timezone', TIMEZONE]);
    const results: { page: PageCase; http: Timing; sql: Timing }[] = [];
    let bare: Timing;
    try {
      if (!serve.adminPassword) throw new Error(`hq serve printed no initial admin password (users table not empty?):\n${serve.output()}`);
      const admin = new ConsoleHttp(serve.url);
      await admin.login('admin', serve.adminPassword);
      bare = await timeHttp(admin, '/static/console.css');
      for (const page of pages(sample)) {
        slow.push(`--- ${page.name}`);
        const http = await timeHttp(admin, page.path);
        const sql = await timeSql(client, page.sql, page.params);
        results.push({ page, http, sql });
        console.log(`measured ${page.name}: p99 ${http.p99.toFixed(1)} ms (status ${http.status})`);
      }
      admin.close();
    } finally {
      const code = await serve.stop();
      if (code !== 0) console.log(`hq serve exited ${code}:\n${serve.output().slice(-2000)}`);
    }

    const f = (v: number) => v.toFixed(1).padStart(8);
    console.log(`\nconsole pages, ${REQUESTS} sequential requests each after ${WARMUP} warm-up, one logged-in admin, keep-alive, hq serve --timezone ${TIMEZONE}; ms`);
    console.log(`goal p99 < 200 ms; n = timed requests (fewer than ${REQUESTS} when a page spent its ${PAGE_BUDGET_MS / 1000} s budget)`);
    console.log('| page               | status |   n |      p50 |      p95 |      p99 | SQL p50 | SQL p99 | p99 ok |');
    console.log('|--------------------|--------|-----|----------|----------|----------|---------|---------|--------|');
    console.log(`| bare: static css   | ${String(bare!.status).padStart(6)} | ${String(bare!.n).padStart(3)} | ${f(bare!.p50)} | ${f(bare!.p95)} | ${f(bare!.p99)} |       - |       - |        |`);
    for (const r of results) {
      console.log(
        `| ${r.page.name.padEnd(18)} | ${String(r.http.status).padStart(6)} | ${String(r.http.n).padStart(3)} | ${f(r.http.p50)} | ${f(r.http.p95)} | ${f(r.http.p99)} | ${r.sql.p50.toFixed(1).padStart(7)} | ${r.sql.p99.toFixed(1).padStart(7)} | ${r.http.status === 200 && r.http.p99 < 200 ? '   yes' : '    NO'} |`,
      );
    }
    const slowLines = slow.filter((l, i) => !(l.startsWith('---') && (slow[i + 1] === undefined || slow[i + 1].startsWith('---'))));
    if (slowLines.length > 0) {
      console.log(`\nstatements over ${SLOW_MS} ms (PostgreSQL log), by page:`);
      const seen = new Set<string>();
      for (const l of slowLines) {
        const key = l.replace(/duration: [\d.]+ ms/, '');
        if (seen.has(key)) continue;
        seen.add(key);
        console.log(l.length > 600 ? `${l.slice(0, 600)}…` : l);
      }
    }
    await hold(url);
  } finally {
    await client.query(`ALTER SYSTEM RESET log_min_duration_statement`).catch(() => undefined);
    await client.end();
    await pg?.close();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
