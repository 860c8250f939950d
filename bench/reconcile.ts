/**
 * bench/reconcile: what reconciling one channel's daily bill (对账) costs HQ at chain scale. One Beijing business day
 * of WeChat Pay payments across a chain (N payments, env N, default 20 000; PER_KIOSK sales per kiosk, 5 kiosks a
 * store; every 40th sale partly refunded) is sold through the real order engine (test/support/reconcile-kiosk.ts:
 * engine, pricing, SQLite journal; the kiosk databases on /dev/shm so that generation is not fsync-bound, AT_ONCE
 * kiosks selling at a time: setup, not measured) and ingested by IngestStore.acceptBatch in batches of 50, into a
 * SQLite file and into PostgreSQL. The simulator's own bill writer (simulators/wechat/wechat-bill.ts) writes that day's `downloadbill`
 * file with one discrepancy of each kind injected (a trade dropped, a phantom trade, a trade's amount, a refund's
 * amount, a trade's fee). Then, each in its own fresh process, rounds alternating:
 *   - bare: read the bill, split its lines into a Map by out_trade_no, ONE plain SELECT of the day's payments with the
 *     raw driver (sqlite3 / pg), join in a Map, count the matches (no fees, no refunds, no storing),
 *   - reconcile: hq/reconcile/reconcile.ts reconcileBill as `hq reconcile` calls it (read the bill, parse, load the
 *     journal's payments and refunds, match, fees, store the run, sync the alerts) on an open IngestStore.
 * Every run's result is checked (each injected discrepancy found exactly once, the match counts): a broken run fails
 * the bench. Then `node dist/hq/cli.js reconcile …` end to end, once per store. Reported: wall ms, CPU ms of the
 * process (PostgreSQL's backend CPU is not counted), bill rows per second, ratio to bare, peak RSS of the process and
 * its growth during the measured part.
 *
 *   npm run bench:reconcile          (N=20000, ROUNDS=3, PER_KIOSK=800, AT_ONCE=3)
 *   N=100000 npm run bench:reconcile
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EventMessage } from '../protocol/sync/messages';

const N = Number(process.env.N ?? 20_000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const PER_KIOSK = Number(process.env.PER_KIOSK ?? 800);
const BATCH = 50;
/** Kiosks selling at the same time while the day is generated (setup only). */
const AT_ONCE = Number(process.env.AT_ONCE ?? 3);
const DAY = '2026-12-05';
/** Beijing day 2026-12-05 in UTC. */
const DAY_FROM = Date.UTC(2026, 11, 4, 16, 0, 0);
const DAY_TO = DAY_FROM + 86_400_000;
/** 06:00 Beijing: each kiosk's first sale. */
const OPEN = Date.UTC(2026, 11, 4, 22, 0, 0);
const PHANTOM = 'ffffffffffffffffffffffffffffffff';
const KINDS = ['amount_mismatch', 'channel_only', 'fee_mismatch', 'journal_only', 'refund_mismatch'];
const DIST = path.resolve(__dirname, '..', '..', 'dist', 'hq', 'cli.js');

type Variant = 'bare' | 'reconcile';
type Dialect = 'SQLite' | 'PostgreSQL';

/** What every run must find: the bill's rows and the journal's, and the matches. */
interface Expect {
  billRows: number;
  payments: number;
  refunds: number;
  /** Payments + refunds that agree in every respect (reconcile's `matched`). */
  matched: number;
  /** Journal payments whose out_trade_no and amount are on the bill (bare's count). */
  bareMatches: number;
}

interface Measure {
  wall: number;
  cpu: number;
  rss0: number;
  peak: number;
  heapDelta: number;
}

async function child(variant: Variant, dialect: Dialect, target: string, billFile: string, want: Expect): Promise<void> {
  const mib = (b: number) => b / 1048576;
  let run: () => Promise<void>;
  let done: () => Promise<void> = async () => undefined;
  if (variant === 'bare') {
    const sql = (json: string) =>
      `SELECT ${json} AS k, attempt_id AS a, amount FROM payments WHERE channel = 'wechat' AND status = 'approved' AND training = 0 AND COALESCE(resolved_at, started_at) >= ${DAY_FROM} AND COALESCE(resolved_at, started_at) < ${DAY_TO}`;
    let select: () => Promise<{ k: string | null; a: string; amount: number | string }[]>;
    if (dialect === 'SQLite') {
      const sqlite3 = await import('sqlite3');
      const db = await new Promise<InstanceType<typeof sqlite3.Database>>((res, rej) => {
        const d: InstanceType<typeof sqlite3.Database> = new sqlite3.Database(target, sqlite3.OPEN_READONLY, (e) => (e ? rej(e) : res(d)));
      });
      select = () => new Promise((res, rej) => db.all(sql("json_extract(reference, '$.outTradeNo')"), (e, rows: { k: string | null; a: string; amount: number }[]) => (e ? rej(e) : res(rows))));
      done = () => new Promise((res) => db.close(() => res()));
    } else {
      const { Client } = await import('pg');
      const c = new Client({ connectionString: target });
      await c.connect();
      select = async () => (await c.query<{ k: string | null; a: string; amount: string }>(sql("reference::json->>'outTradeNo'"))).rows;
      done = () => c.end();
    }
    run = async () => {
      const text = fs.readFileSync(billFile, 'utf8');
      const bill = new Map<string, number>();
      const lines = text.split('\r\n');
      for (let i = 1; i < lines.length; i++) {
        const l = lines[i];
        if (l.startsWith('总交易单数')) break;
        const f = l.split(',`');
        if (f[9] === 'SUCCESS') bill.set(f[6], Math.round(Number(f[24]) * 100));
      }
      let matches = 0;
      // HQ masks a reference number that looks like a card number (a 32-hex number can): then the attempt id, dashes dropped
      for (const r of await select()) if (bill.get(r.k && !r.k.includes('*') ? r.k : r.a.replace(/-/g, '')) === Number(r.amount)) matches++;
      if (matches !== want.bareMatches) throw new Error(`bare: ${matches} matches, expected ${want.bareMatches}`);
    };
  } else {
    const { IngestStore } = await import('../hq/ingest/store');
    const { SqlAlerts } = await import('../hq/fleet/alerts');
    const { reconcileBill } = await import('../hq/reconcile/reconcile');
    const store = await IngestStore.open(target);
    run = async () => {
      const bill = fs.readFileSync(billFile);
      const r = await reconcileBill(store.db, { channel: 'wechat', day: DAY, bill, bps: 60 }, { by: 'bench', now: DAY_TO + 86_400_000, source: path.basename(billFile), alerts: new SqlAlerts(store.db) });
      check(r, want);
    };
    done = () => store.close();
  }
  const heap0 = process.memoryUsage().heapUsed;
  const rss0 = process.memoryUsage().rss;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await run();
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  const c = process.cpuUsage(cpu0);
  const m: Measure = { wall, cpu: (c.user + c.system) / 1e3, rss0: mib(rss0), peak: process.resourceUsage().maxRSS / 1024, heapDelta: mib(process.memoryUsage().heapUsed - heap0) };
  await done();
  process.stdout.write(`${JSON.stringify(m)}\n`);
}

/** The reconcile run's result: each injected discrepancy exactly once, every other row matched. */
function check(r: { items: { kind: string }[]; totals: { matched: number; channel: { payments: number; refunds: number }; journal: { payments: number; refunds: number } } }, want: Expect): void {
  const kinds = r.items.map((i) => i.kind).sort();
  if (JSON.stringify(kinds) !== JSON.stringify(KINDS)) throw new Error(`reconcile found ${JSON.stringify(kinds)}, expected each of ${KINDS.join(', ')} once`);
  const t = r.totals;
  if (t.matched !== want.matched) throw new Error(`reconcile matched ${t.matched}, expected ${want.matched}`);
  if (t.journal.payments !== want.payments || t.journal.refunds !== want.refunds) throw new Error(`reconcile saw ${JSON.stringify(t.journal)} in the journal, expected ${want.payments} payments, ${want.refunds} refunds`);
  if (t.channel.payments + t.channel.refunds !== want.billRows) throw new Error(`reconcile saw ${t.channel.payments + t.channel.refunds} bill rows, expected ${want.billRows}`);
}

/** Sells the day through real kiosks, ingests it into both stores, writes the bill. */
async function setup(targets: Record<Dialect, string>, billFile: string): Promise<Expect> {
  const { IngestStore } = await import('../hq/ingest/store');
  const { reconcileKiosk } = await import('../test/support/reconcile-kiosk');
  const { billText } = await import('../simulators/wechat/wechat-bill');
  type WechatTrade = import('../simulators/wechat/wechat-ledger').WechatTrade;
  const stores = { SQLite: await IngestStore.open(targets.SQLite), PostgreSQL: await IngestStore.open(targets.PostgreSQL) };
  const trades: WechatTrade[] = [];
  const kiosks = Math.ceil(N / PER_KIOSK);
  let txn = 0;
  let refunds = 0;
  const t0 = Date.now();
  const tmp = process.env.TMPDIR;
  try {
    const sell = async (k: number): Promise<{ trades: WechatTrade[]; events: EventMessage[] }> => {
      process.env.TMPDIR = fs.existsSync('/dev/shm') ? '/dev/shm' : tmp; // the kiosks' own databases: setup, not measured
      const kiosk = await reconcileKiosk(`S${Math.floor(k / 5) + 1}`, `K${(k % 5) + 1}`, OPEN + (k % 7) * 13_000);
      if (tmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = tmp;
      const mine: WechatTrade[] = [];
      try {
        const sales = Math.min(PER_KIOSK, N - k * PER_KIOSK);
        for (let i = 0; i < sales; i++) {
          const amount = 100 + ((i * 7919 + k * 104729) % 49_900);
          const s = await kiosk.walletSale('wechat', amount);
          const paidAt = kiosk.clock.now() - 60_000;
          const t: WechatTrade = {
            outTradeNo: s.orderNo,
            transactionId: `4200${String(++txn).padStart(24, '0')}`,
            tradeType: 'MICROPAY',
            totalFee: amount,
            body: 'kiosk sale',
            state: 'SUCCESS',
            queriesUntilPaid: 0,
            createdAt: paidAt - 1000,
            paidAt,
            openid: `oUser${i % 1000}`,
            refunds: [],
            refundedFee: 0,
          };
          if (i % 40 === 39) {
            const part = Math.max(1, Math.floor(amount / 3));
            const refundNo = await kiosk.walletRefund('wechat', s, part);
            t.refunds.push({ outRefundNo: refundNo, refundId: `5030${String(++txn).padStart(24, '0')}`, fee: part, at: kiosk.clock.now() - 60_000 });
            t.refundedFee = part;
            refunds++;
          }
          mine.push(t);
        }
        return { trades: mine, events: await kiosk.events() };
      } finally {
        await kiosk.close();
      }
    };
    for (let k = 0; k < kiosks; k += AT_ONCE) {
      const group = await Promise.all(Array.from({ length: Math.min(AT_ONCE, kiosks - k) }, (_, j) => sell(k + j)));
      for (const g of group) for (const t of g.trades) trades.push(t);
      const events = group.flatMap((g) => g.events);
      await Promise.all((['SQLite', 'PostgreSQL'] as const).map(async (d) => {
        for (let i = 0; i < events.length; i += BATCH) await stores[d].acceptBatch(events.slice(i, i + BATCH), DAY_TO);
      }));
      console.log(`  ${trades.length} sales, ${refunds} refunds sold and ingested (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    }
    const last = trades.reduce((m, t) => Math.max(m, t.paidAt ?? 0, ...t.refunds.map((r) => r.at)), 0);
    if (last >= DAY_TO) throw new Error(`the day overflows (last at ${new Date(last).toISOString()}): lower PER_KIOSK`);
    // one discrepancy of each kind, on trades without refunds (except the refund's)
    const plain = trades.filter((t) => t.refunds.length === 0);
    const refunded = trades.find((t) => t.refunds.length > 0)!;
    const [dropped, wrongAmount, wrongFee] = [plain[11], plain[Math.floor(plain.length / 2)], plain[plain.length - 3]];
    const feeOf = (fen: number) => Math.floor((fen * 60 + 5000) / 10_000);
    const text = billText(trades, DAY.replace(/-/g, ''), {
      appId: 'wx2421b1c4370ec43b',
      mchId: '10000100',
      feeBps: 60,
      faults: {
        dropTrade: dropped.outTradeNo,
        phantomTrade: { outTradeNo: PHANTOM, amount: 999 },
        tradeAmount: { outTradeNo: wrongAmount.outTradeNo, amount: wrongAmount.totalFee - 8 },
        refundAmount: { outRefundNo: refunded.refunds[0].outRefundNo, amount: refunded.refunds[0].fee - 1 },
        tradeFee: { outTradeNo: wrongFee.outTradeNo, fee: feeOf(wrongFee.totalFee) + 1 },
      },
    });
    if (text === null) throw new Error('no bill');
    fs.writeFileSync(billFile, text);
    const want: Expect = {
      billRows: trades.length - 1 + 1 + refunds,
      payments: trades.length,
      refunds,
      matched: trades.length - 3 + refunds - 1,
      bareMatches: trades.length - 2,
    };
    // a first run per store (untimed): every measured run then replaces a stored run, as a re-run does
    const { reconcileBill } = await import('../hq/reconcile/reconcile');
    const { SqlAlerts } = await import('../hq/fleet/alerts');
    for (const d of ['SQLite', 'PostgreSQL'] as const) {
      check(await reconcileBill(stores[d].db, { channel: 'wechat', day: DAY, bill: Buffer.from(text), bps: 60 }, { by: 'bench', now: DAY_TO, alerts: new SqlAlerts(stores[d].db) }), want);
    }
    return want;
  } finally {
    await stores.SQLite.close();
    await stores.PostgreSQL.close();
  }
}

function spawnChild(variant: Variant, dialect: Dialect, target: string, billFile: string, want: Expect): Measure {
  const r = spawnSync(process.execPath, [__filename, '--child', variant, dialect, target, billFile, JSON.stringify(want)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${variant} on ${dialect} failed (${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Measure;
}

async function main(): Promise<void> {
  const { Postgres } = await import('../test/support/postgres');
  console.log(`node ${process.version}, ${os.cpus().length} cores, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; ${N} WeChat payments, ${PER_KIOSK} per kiosk, ${ROUNDS} rounds`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-reconcile-'));
  const pg = await Postgres.start();
  const rows: string[] = [];
  try {
    const { Client } = await import('pg');
    const c = new Client({ connectionString: pg.url });
    await c.connect();
    await c.query('CREATE DATABASE bench_reconcile');
    await c.end();
    const targets: Record<Dialect, string> = { SQLite: path.join(dir, 'hq.sqlite'), PostgreSQL: pg.url.replace(/\/postgres$/, '/bench_reconcile') };
    const billFile = path.join(dir, `wechat-${DAY}.csv`);
    const want = await setup(targets, billFile);
    const bytes = fs.statSync(billFile).size;
    console.log(`bill: ${want.billRows} rows (${want.payments} payments: 1 dropped, 1 phantom; ${want.refunds} refunds), ${(bytes / 1048576).toFixed(1)} MiB; journal: ${want.payments} payments, ${want.refunds} refunds\n`);
    const fmt = (dialect: Dialect, v: string, ms: number, cpu: string, ratio: string, peak: string, grew: string) =>
      `| ${dialect.padEnd(10)} | ${v.padEnd(33)} | ${ms.toFixed(0).padStart(7)} | ${cpu.padStart(6)} | ${(want.billRows / (ms / 1000)).toFixed(0).padStart(7)} | ${ratio.padStart(6)} | ${peak.padStart(8)} | ${grew.padStart(8)} |`;
    for (const dialect of ['SQLite', 'PostgreSQL'] as const) {
      const results: Record<Variant, Measure[]> = { bare: [], reconcile: [] };
      for (let r = 0; r < ROUNDS; r++) {
        for (const v of (r % 2 ? ['reconcile', 'bare'] : ['bare', 'reconcile']) as Variant[]) results[v].push(spawnChild(v, dialect, targets[dialect], billFile, want));
      }
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      const bare = median(results.bare.map((m) => m.wall));
      for (const v of ['bare', 'reconcile'] as const) {
        const ms = median(results[v].map((m) => m.wall));
        const label = v === 'bare' ? 'bare: split + 1 SELECT + Map join' : 'reconcileBill (hq reconcile)';
        rows.push(fmt(dialect, label, ms, median(results[v].map((m) => m.cpu)).toFixed(0), (ms / bare).toFixed(2), median(results[v].map((m) => m.peak)).toFixed(0), median(results[v].map((m) => m.peak - m.rss0)).toFixed(0)));
      }
      // the CLI end to end, once: process start, module load, open the store, fee rates, reconcile, print the table
      const timed = fs.existsSync('/usr/bin/time');
      const args = [DIST, 'reconcile', '--channel', 'wechat', '--date', DAY, '--bill', billFile, '--db', targets[dialect]];
      const t0 = process.hrtime.bigint();
      const cli = timed ? spawnSync('/usr/bin/time', ['-f', 'maxrss=%M', process.execPath, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 }) : spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const head = `wechat ${DAY}: ${want.matched} matched, 5 discrepancies`;
      if (cli.status !== 1 || !cli.stdout.startsWith(head)) throw new Error(`hq reconcile (${dialect}) exited ${cli.status}, expected 1 and "${head}":\n${cli.stdout.slice(0, 400)}\n${cli.stderr.slice(0, 400)}`);
      const rss = /maxrss=(\d+)/.exec(cli.stderr);
      rows.push(fmt(dialect, '`hq reconcile` CLI end to end', ms, '', (ms / bare).toFixed(2), rss ? (Number(rss[1]) / 1024).toFixed(0) : '', ''));
    }
  } finally {
    await pg.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`Reconciling one day's WeChat bill (N=${N}), median of ${ROUNDS} rounds, each run in a fresh process; ratio = wall time against bare in the same run`);
  console.log('| store      | variant                           | wall ms | cpu ms |  rows/s | × bare | peak MiB | grew MiB |');
  console.log('|------------|-----------------------------------|---------|--------|---------|--------|----------|----------|');
  for (const r of rows) console.log(r);
}

if (process.argv[2] === '--child') {
  const [, , , variant, dialect, target, billFile, want] = process.argv;
  child(variant as Variant, dialect as Dialect, target, billFile, JSON.parse(want) as Expect).catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
} else {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
