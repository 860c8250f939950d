import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { Client } from 'pg';
import { SimulatedClock } from '../../kernel/clock';
import { KioskDb } from '../../kernel/sqlite/database';
import { rowToEntry, type JournalRow } from '../../protocol/journal/row';
import type { EventMessage } from '../../protocol/sync/messages';
import { IngestStore } from '../../hq/ingest/store';
import { migrate } from '../../runtime/db/migrations';
import { setJournalStore } from '../../runtime/journal/append';
import { OrderEngine } from '../../runtime/orders/engine';
import { priceCart } from '../../runtime/pricing/price-cart';
import { line } from '../../test/support/engine-fixture';
import { Postgres } from '../../test/support/postgres';
import { sellCompleteCardOrder } from '../sell-order';
import { checkExactlyOnce } from './exactly-once';

/**
 * The independent checker against real rows: real kiosk journals (engine, SQLite files) accepted by the real
 * IngestStore into a real PostgreSQL, then damaged the ways exactly-once can break.
 */

interface Lane {
  file: string;
  storeId: string;
  deviceId: string;
  db: KioskDb;
  engine: OrderEngine;
  sold: number;
}

let pg: Postgres;
let dir: string;
let dbs = 0;
const lanes: Lane[] = [];

async function openLane(storeId: string, deviceId: string, hashStore: boolean): Promise<Lane> {
  // each lane in its own data dir, as a kiosk has; the one without the store in its journal names it in identity.json
  const dataDir = path.join(dir, `${storeId}-${deviceId}`);
  fs.mkdirSync(dataDir);
  if (!hashStore) fs.writeFileSync(path.join(dataDir, 'identity.json'), JSON.stringify({ v: 1, store: storeId, device: deviceId }));
  const file = path.join(dataDir, 'kiosk.sqlite');
  const db = await KioskDb.open(file);
  await migrate(db);
  // hashStore false: a journal from before the hash covered the store (the older formula)
  if (hashStore) await db.transaction((tx) => setJournalStore(tx, storeId));
  const clock = new SimulatedClock(Date.UTC(2026, 11, 7, 9, 0, 0));
  const engine = new OrderEngine({
    db,
    clock,
    deviceId,
    price: (lines, memberAttached) =>
      priceCart(lines, { promotions: [], taxRates: { standard: 0.13, reduced: 0.09 }, taxMode: 'inclusive', memberAttached, now: clock.now() }),
    points: (paid) => Math.floor(paid / 100),
  });
  return { file, storeId, deviceId, db, engine, sold: 0 };
}

async function sell(l: Lane, orders: number): Promise<void> {
  for (let i = 0; i < orders; i++) await sellCompleteCardOrder(l.engine, [line('6901234567892', 350 + i), line('6909876543210', 1200)], ++l.sold);
}

/** The lane's journal as the events its outbox publisher sends. */
async function events(l: Lane): Promise<EventMessage[]> {
  const rows = await l.db.read.all<JournalRow>('SELECT * FROM journal ORDER BY seq');
  return rows.map((r) => ({ v: 1, storeId: l.storeId, ...rowToEntry(r) }) as EventMessage);
}

/** A fresh database with every lane's journal accepted by the real ingest store (in two batches, the second first). */
async function ingestedDb(): Promise<string> {
  const name = `eo_${++dbs}`;
  const admin = new Client({ connectionString: pg.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = pg.url.replace(/\/postgres$/, `/${name}`);
  const store = await IngestStore.open(url);
  try {
    for (const l of lanes) {
      const ev = await events(l);
      const half = Math.floor(ev.length / 2);
      await store.acceptMany(ev.slice(half));
      await store.acceptMany(ev.slice(0, half));
      await store.acceptMany(ev.slice(0, 3)); // redelivered copies: counted no-ops at HQ
    }
  } finally {
    await store.close();
  }
  return url;
}

async function sql(url: string, text: string, params: unknown[] = []): Promise<number> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text, params)).rowCount ?? 0;
  } finally {
    await c.end();
  }
}

const files = () => lanes.map((l) => l.file);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exactly-once-'));
  pg = await Postgres.start();
  lanes.push(await openLane('S1', 'K1', true), await openLane('S1', 'K2', true), await openLane('S2', 'K1', false));
  for (const l of lanes) await sell(l, 3);
}, 60_000);

afterAll(async () => {
  for (const l of lanes) await l.db.close();
  await pg?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function journalLength(l: Lane): Promise<number> {
  return (await l.db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM journal'))!.n;
}

it('passes a clean ingest: every entry of every kiosk once, chained, hashes verified (both hash formulas)', async () => {
  const url = await ingestedDb();
  const r = await checkExactlyOnce({ pgUrl: url, kioskFiles: files() });
  let total = 0;
  for (const l of lanes) total += await journalLength(l);
  expect(r.problems).toEqual([]);
  expect(r).toEqual({ ok: true, devices: 3, events: total, problems: [] });
  expect(total).toBeGreaterThan(3 * 3 * 5);
});

it('catches a deleted row (a gap), naming the device and seq', async () => {
  const url = await ingestedDb();
  expect(await sql(url, "DELETE FROM sales_events WHERE store_id = 'S1' AND device_id = 'K2' AND seq = 4")).toBe(1);
  const r = await checkExactlyOnce({ pgUrl: url, kioskFiles: files() });
  expect(r.ok).toBe(false);
  expect(r.problems).toEqual(expect.arrayContaining([expect.stringMatching(/^S1\/K2: 1 committed entry not in sales_events: seq 4$/)]));
  // the row after the hole still links to the kiosk's entry: only the hole is reported
  expect(r.problems.filter((p) => p.includes('seq 5'))).toEqual([]);
});

it('catches a duplicate: a second row for a (store, device, seq) with another ts, as a PK that includes ts allows', async () => {
  const url = await ingestedDb();
  const copy = `INSERT INTO sales_events (store_id, device_id, seq, ts, order_id, type, payload, prev_hash, hash, received_at)
    SELECT store_id, device_id, seq, ts + 1, order_id, type, payload, prev_hash, hash, received_at FROM sales_events
    WHERE store_id = 'S2' AND device_id = 'K1' AND seq = 2`;
  try {
    await sql(url, copy);
  } catch (e) {
    // today's key (store, device, seq) forbids it: take the key away, as a partitioned table keyed with ts would
    if ((e as { code?: string }).code !== '23505') throw e;
    await sql(url, 'ALTER TABLE sales_events DROP CONSTRAINT sales_events_pkey');
    await sql(url, copy);
  }
  const r = await checkExactlyOnce({ pgUrl: url, kioskFiles: files() });
  expect(r.ok).toBe(false);
  expect(r.problems).toContain('S2/K1 seq 2: 2 rows in sales_events (exactly one expected)');
  expect(r.problems.at(-1)).toMatch(/duplicate: 1/);
});

it('catches an altered payload whose stored hash was left alone, and an entry not drained yet', async () => {
  const url = await ingestedDb();
  const changed = await sql(
    url,
    `UPDATE sales_events SET payload = replace(payload, '6901234567892', '6901234567893') WHERE store_id = 'S1' AND device_id = 'K1' AND seq = 1 AND payload LIKE '%6901234567892%'`,
  );
  expect(changed).toBe(1);
  const k1 = lanes[0];
  const before = await journalLength(k1);
  await sell(k1, 1); // committed at the kiosk, never sent
  const after = await journalLength(k1);
  const r = await checkExactlyOnce({ pgUrl: url, kioskFiles: files() });
  expect(r.ok).toBe(false);
  expect(r.problems).toContain("S1/K1 seq 1: hash recomputed from the row's fields differs from its hash (row altered)");
  expect(r.problems).toContain(`S1/K1: ${after - before} committed entries not in sales_events: seq ${before + 1}-${after}`);
});

it('passes a kiosk that never sold (no identity, empty journal), and catches HQ rows of a device no kiosk file names', async () => {
  const url = await ingestedDb();
  // a lane that booted and sold nothing: its store id is only recorded with its first entry
  const idle = path.join(dir, 'S3-K9');
  fs.mkdirSync(idle);
  const db = await KioskDb.open(path.join(idle, 'kiosk.sqlite'));
  await migrate(db);
  await db.close();
  const clean = await checkExactlyOnce({ pgUrl: url, kioskFiles: [...files(), path.join(idle, 'kiosk.sqlite')] });
  expect(clean.problems).toEqual([]);
  expect(clean.ok).toBe(true);
  // without S2/K1's file, HQ's rows of it are nobody's
  const n = (await events(lanes[2])).length;
  const r = await checkExactlyOnce({ pgUrl: url, kioskFiles: files().slice(0, 2) });
  expect(r.ok).toBe(false);
  expect(r.problems).toContain(`S2/K1: HQ holds ${n} entries of a device no kiosk file names`);
});

it('bounds the list: the first 20 problems and a count per kind', async () => {
  const url = await ingestedDb();
  await sql(url, "UPDATE sales_events SET payload = payload || ' '");
  const r = await checkExactlyOnce({ pgUrl: url, kioskFiles: files() });
  const rows = r.events;
  expect(r.problems).toHaveLength(21);
  expect(r.problems[20]).toBe(`${rows} problem(s) (first 20 listed): altered: ${rows}`);
});

it('is independent: it imports only the pg and sqlite3 drivers and node built-ins, no kiosk or HQ code', () => {
  const src = fs.readFileSync(path.join(__dirname, 'exactly-once.ts'), 'utf8');
  const imports = [...src.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
  expect(imports.length).toBeGreaterThan(0);
  expect(imports.filter((m) => !/^(node:\w+|pg|sqlite3)$/.test(m))).toEqual([]);
  expect(src).not.toMatch(/require\(/);
});

it('runs as a CLI: exit 0 on a clean ingest, 1 with the problems listed, 2 without arguments', async () => {
  // the script itself, compiled alone (npm run build:bench puts it in dist-bench/): it needs nothing but its drivers
  const cli = path.join(dir, 'exactly-once.js');
  buildSync({ entryPoints: [path.join(__dirname, 'exactly-once.ts')], outfile: cli, bundle: true, platform: 'node', format: 'cjs', external: ['pg', 'sqlite3'], logLevel: 'silent' });
  const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, NODE_PATH: path.resolve(__dirname, '../../node_modules') } });
  const url = await ingestedDb();
  const clean = run(['--pg', url, ...files()]);
  expect(clean.stdout).toMatch(/^exactly-once: ok — 3 kiosk\(s\), \d+ row\(s\) in sales_events\n$/);
  expect(clean.status).toBe(0);
  await sql(url, "DELETE FROM sales_events WHERE store_id = 'S2' AND device_id = 'K1' AND seq = 1");
  const broken = run(['--pg', url, ...files()]);
  expect(broken.status).toBe(1);
  expect(broken.stdout).toContain('S2/K1: 1 committed entry not in sales_events: seq 1');
  expect(run([]).status).toBe(2);
});
