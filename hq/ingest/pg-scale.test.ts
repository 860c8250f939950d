import { Client } from 'pg';
import { entryHash, GENESIS_HASH } from '../../protocol/journal/entry';
import type { EventMessage } from '../../protocol/sync/messages';
import { Postgres } from '../../test/support/postgres';
import { PgIngestDb } from './pg-db';
import { partitionName } from './pg-partitions';
import { IngestStore } from './store';

/**
 * Ingest scaled out on ONE real PostgreSQL: several IngestStores (each its own pool, as separate `hq ingest` workers)
 * writing at once, the locks that make that safe, the monthly partitions of sales_events, and the conversion of an
 * older unpartitioned table.
 */

let pg: Postgres;
let dbs = 0;
const open: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  pg = await Postgres.start();
}, 60_000);

afterAll(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => undefined);
  await pg?.close();
});

async function freshDb(): Promise<string> {
  const name = `scale_${++dbs}`;
  const admin = new Client({ connectionString: pg.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return pg.url.replace(/\/postgres$/, `/${name}`);
}

async function waitUntil(cond: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 10_000; !cond(); ) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function store(url: string): Promise<IngestStore> {
  const s = await IngestStore.open(url);
  open.push(s);
  return s;
}

const NOV = Date.UTC(2025, 10, 1);
const DEC = Date.UTC(2025, 11, 1);

/**
 * A device's chain of completed sales (each its own order: a total and one priced line, so the order projections and
 * the statistics rollups — whose chain-wide rows every device adds to — move too). The first half falls in the last
 * minutes of November 2025 (UTC), the rest in December.
 */
function sales(storeId: string, deviceId: string, n: number): EventMessage[] {
  const out: EventMessage[] = [];
  let prevHash = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const ts = DEC - Math.floor(n / 2) * 1000 + (seq - 1) * 1000;
    const total = 100 + seq;
    const payload = JSON.stringify({
      order: { lines: [{ lineId: 'L1', sku: 'APPLE' }], priced: { lines: [{ lineId: 'L1', sku: 'APPLE', quantity: 1, net: total, tax: 0, taxClass: 'std' }] } },
      to: 'completed',
      total,
    });
    const base = { seq, deviceId, ts, orderId: `${deviceId}-o${seq}`, type: 'order_completed', payload, prevHash };
    const hash = entryHash(base);
    out.push({ v: 1, storeId, ...base, hash });
    prevHash = hash;
  }
  return out;
}

/** A deterministic shuffle (so a failure replays the same interleaving). */
function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

describe('ingest workers sharing one PostgreSQL', () => {
  it('stores every (store, device, seq) once while two workers accept interleaved, repeated batches concurrently', async () => {
    const url = await freshDb();
    // two workers starting together (their schema transactions serialize)
    const [a, b] = await Promise.all([store(url), store(url)]);
    const devices: [string, string][] = [
      ['S1', 'K1'],
      ['S1', 'K2'],
      ['S2', 'K1'],
      ['S2', 'K2'],
      ['S3', 'K1'],
    ];
    const N = 40;
    const chains = new Map(devices.map(([s, d]) => [`${s}/${d}`, sales(s, d, N)]));
    // batches of 5 consecutive entries of each device, two or three devices mixed per batch
    const chunks: EventMessage[][] = [];
    for (const c of chains.values()) for (let i = 0; i < N; i += 5) chunks.push(c.slice(i, i + 5));
    const batches = (seed: number): EventMessage[][] => {
      const order = shuffled(chunks, seed);
      const out: EventMessage[][] = [];
      for (let i = 0; i < order.length; i += 3) out.push(order.slice(i, i + 3).flat());
      return out;
    };
    // four runners (two per worker), each delivering EVERY entry once, in its own order: each entry arrives 4 times
    const runner = async (s: IngestStore, seed: number) => {
      for (const batch of batches(seed)) await s.acceptBatch(batch);
    };
    await Promise.all([runner(a, 1), runner(a, 2), runner(b, 3), runner(b, 4)]);

    const q = a.db.read;
    const counts = await q.all<{ store_id: string; device_id: string; n: number; seqs: number; lo: number; hi: number }>(
      `SELECT store_id, device_id, COUNT(*)::int AS n, COUNT(DISTINCT seq)::int AS seqs, MIN(seq) AS lo, MAX(seq) AS hi
         FROM sales_events GROUP BY store_id, device_id ORDER BY store_id, device_id`,
    );
    expect(counts).toEqual(devices.map(([s, d]) => ({ store_id: s, device_id: d, n: N, seqs: N, lo: 1, hi: N })));
    for (const [s, d] of devices) {
      const row = await a.device(s, d);
      const chain = chains.get(`${s}/${d}`)!;
      // `stored` sums what each batch inserted: N exactly when no entry was written twice
      expect(row).toMatchObject({ contiguous_seq: N, last_hash: chain[N - 1].hash, chain_ok: 1, stored: N, duplicates: 3 * N, rejected: 0 });
      const hashes = await q.all<{ seq: number; hash: string }>('SELECT seq, hash FROM sales_events WHERE store_id = ? AND device_id = ? ORDER BY seq', [s, d]);
      expect(hashes).toEqual(chain.map((e) => ({ seq: e.seq, hash: e.hash })));
      expect(await a.gap(s, d)).toBeUndefined();
    }
    expect(await a.quarantine()).toEqual([]);

    // the rows every device adds to (chain-wide statistics) hold every order once
    const orders = devices.length * N;
    const gross = devices.length * Array.from({ length: N }, (_x, i) => 101 + i).reduce((x, y) => x + y, 0);
    const chainSales = await q.get<{ orders: number; gross: number }>("SELECT SUM(orders)::bigint AS orders, SUM(gross)::bigint AS gross FROM stats_sales WHERE store_id = '*'");
    expect(chainSales).toEqual({ orders, gross });
    const items = await q.get<{ lines: number; amount: number }>(
      "SELECT SUM(lines)::bigint AS lines, SUM(amount)::bigint AS amount FROM stats_items WHERE store_id = '*' AND width = 86400000 AND item = 'APPLE'",
    );
    expect(items).toEqual({ lines: orders, amount: gross });
    expect(await q.get<{ n: number }>('SELECT COUNT(*)::int AS n FROM orders')).toEqual({ n: orders });

    // the two months landed in their own partitions (created on demand, the next month ahead), none in the default
    const where = await q.all<{ part: string; n: number }>('SELECT tableoid::regclass::text AS part, COUNT(*)::int AS n FROM sales_events GROUP BY 1 ORDER BY 1');
    expect(where).toEqual([
      { part: partitionName(NOV), n: orders / 2 },
      { part: partitionName(DEC), n: orders / 2 },
    ]);
    const parts = await q.all<{ name: string; bound: string }>(
      `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'sales_events'::regclass ORDER BY 1`,
    );
    expect(parts.map((p) => p.name)).toEqual(expect.arrayContaining([partitionName(NOV), partitionName(DEC), partitionName(Date.UTC(2026, 0, 1)), 'sales_events_default']));
    expect(parts.find((p) => p.name === partitionName(NOV))?.bound).toBe(`FOR VALUES FROM ('${NOV}') TO ('${DEC}')`);
  }, 120_000);

  it('runs batches of different devices (and fleet writes) side by side, one device at a time, and every other writer alone', async () => {
    const url = await freshDb();
    const s = await store(url);
    const db = s.db as PgIngestDb;
    const gate = () => {
      let open!: () => void;
      const p = new Promise<void>((r) => (open = r));
      return { p, open };
    };
    const log: string[] = [];
    const hold = (name: string, g: Promise<void>) => async () => {
      log.push(`${name} in`);
      await g;
      log.push(`${name} out`);
    };
    const g1 = gate();
    const first = db.deviceTransaction([['S1', 'K1']], hold('K1', g1.p));
    await waitUntil(() => log.includes('K1 in')); // K1's batch holds its locks
    await db.deviceTransaction([['S1', 'K2']], hold('K2', Promise.resolve())); // a batch of another device is not held up by it
    await db.besideIngest(hold('fleet', Promise.resolve())); // nor is a fleet-table write
    const same = db.deviceTransaction([['S1', 'K2'], ['S1', 'K1']], hold('K1+K2', Promise.resolve()));
    const global = db.transaction(hold('console', Promise.resolve()));
    await new Promise((r) => setTimeout(r, 300));
    expect(log).toEqual(['K1 in', 'K2 in', 'K2 out', 'fleet in', 'fleet out']); // the same device, and the console write, wait
    g1.open();
    await Promise.all([first, same, global]);
    expect(log.slice(5, 6)).toEqual(['K1 out']);
    expect(log.slice(6).sort()).toEqual(['K1+K2 in', 'K1+K2 out', 'console in', 'console out'].sort());
    // the console write ran alone: nothing between its in and out
    const c = log.indexOf('console in');
    expect(log[c + 1]).toBe('console out');
  }, 60_000);

  it('runs a deadlock victim again, whole, instead of failing the batch', async () => {
    const url = await freshDb();
    const s = await store(url);
    const db = s.db as PgIngestDb;
    await db.transaction((tx) => tx.exec('CREATE TABLE rows_t (id INT PRIMARY KEY, n INT NOT NULL); INSERT INTO rows_t VALUES (1, 0), (2, 0);'));
    // both bodies lock one row, meet, then want the other's: PostgreSQL kills one (40P01); it must be run again
    let arrived = 0;
    let release!: () => void;
    const met = new Promise<void>((r) => (release = r));
    const body = (mine: number, theirs: number) => async (tx: import('../../kernel/sqlite/database').Tx) => {
      await tx.run('UPDATE rows_t SET n = n + 1 WHERE id = ?', [mine]);
      if (++arrived === 2) release();
      await met;
      await tx.run('UPDATE rows_t SET n = n + 1 WHERE id = ?', [theirs]);
      return mine;
    };
    const before = db.retries;
    expect(await Promise.all([db.deviceTransaction([['S', 'A']], body(1, 2)), db.deviceTransaction([['S', 'B']], body(2, 1))])).toEqual([1, 2]);
    // at least once: on a loaded machine the victim's immediate re-run can take its first row back before the
    // winner resumes, and meet it in a second deadlock — run again, whole, as the first
    expect(db.retries - before).toBeGreaterThanOrEqual(1);
    // each body committed exactly once: 2 increments per row
    expect(await db.read.all('SELECT id, n FROM rows_t ORDER BY id')).toEqual([
      { id: 1, n: 2 },
      { id: 2, n: 2 },
    ]);
  }, 60_000);

  it('analyzes a fresh database\'s projection tables once they fill, before autovacuum would', async () => {
    const url = await freshDb();
    const s = await store(url);
    const ev = sales('S1', 'K1', 3000);
    const analyzed = async () =>
      (await s.db.read.get<{ at: string | null }>("SELECT last_analyze AS at FROM pg_stat_user_tables WHERE relname = 'orders'"))?.at ?? null;
    expect(await analyzed()).toBeNull();
    // batches of 50 until the worker has analyzed `orders` (the statistics' row counts reach PostgreSQL's catalog
    // within a second or so)
    let at: string | null = null;
    let sent = 0;
    const deadline = Date.now() + 30_000;
    while (!at && Date.now() < deadline && sent < ev.length) {
      await s.acceptMany(ev.slice(sent, sent + 50));
      sent += 50;
      if (sent >= 600) await new Promise((r) => setTimeout(r, 100));
      at = await analyzed();
    }
    expect(at).not.toBeNull();
    expect(sent).toBeGreaterThanOrEqual(500);
  }, 60_000);

  it('moves rows of a month out of the default partition when that month gets its partition', async () => {
    const url = await freshDb();
    const s = await store(url);
    const ev = sales('S9', 'K9', 6); // November and December 2025
    // a bulk loader wrote seq 1 straight into the table before any 2025 partition existed: it sits in the default
    const [e1] = ev;
    await s.db.transaction((tx) =>
      tx.run('INSERT INTO sales_events (store_id, device_id, seq, ts, order_id, type, payload, prev_hash, hash, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)', [
        e1.storeId,
        e1.deviceId,
        e1.seq,
        e1.ts,
        e1.orderId,
        e1.type,
        e1.payload,
        e1.prevHash,
        e1.hash,
      ]),
    );
    const parts = () => s.db.read.all<{ part: string; seq: number }>('SELECT tableoid::regclass::text AS part, seq FROM sales_events ORDER BY seq');
    expect(await parts()).toEqual([{ part: 'sales_events_default', seq: 1 }]);
    const r = await s.acceptMany(ev);
    expect(r.map((x) => x.status)).toEqual(['duplicate', 'stored', 'stored', 'stored', 'stored', 'stored']);
    expect(await parts()).toEqual(ev.map((e) => ({ part: partitionName(e.ts < DEC ? NOV : DEC), seq: e.seq })));
    // a clock far off (before 2000) has no month partition: the default takes it
    const far = { ...ev[0], storeId: 'S8', ts: 5_000 };
    const farEv = { ...far, hash: entryHash({ seq: far.seq, deviceId: far.deviceId, ts: far.ts, orderId: far.orderId, type: far.type, payload: far.payload, prevHash: far.prevHash }) };
    expect((await s.accept(farEv)).status).toBe('stored');
    expect(await s.db.read.get<{ part: string }>("SELECT tableoid::regclass::text AS part FROM sales_events WHERE store_id = 'S8'")).toEqual({ part: 'sales_events_default' });
  }, 60_000);

  it('converts an older unpartitioned sales_events at open, in one transaction, and goes on from it', async () => {
    const url = await freshDb();
    const ev = sales('S1', 'K1', 12);
    const c = new Client({ connectionString: url });
    await c.connect();
    try {
      // the tables as ingest created them before issue 17 (hq/ingest/pg-db.ts, hq/orders/schema.ts), 10 entries in
      await c.query(`
        CREATE TABLE sales_events (
          store_id TEXT NOT NULL, device_id TEXT NOT NULL, seq BIGINT NOT NULL, ts BIGINT NOT NULL, order_id TEXT, type TEXT NOT NULL,
          payload TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL, received_at BIGINT NOT NULL,
          PRIMARY KEY (store_id, device_id, seq)
        );
        CREATE INDEX sales_events_order ON sales_events (store_id, device_id, order_id);
        CREATE TABLE devices (
          store_id TEXT NOT NULL, device_id TEXT NOT NULL, contiguous_seq BIGINT NOT NULL DEFAULT 0, last_hash TEXT NOT NULL,
          chain_ok INTEGER NOT NULL DEFAULT 1 CHECK (chain_ok IN (0, 1)), chain_error TEXT, stored BIGINT NOT NULL DEFAULT 0,
          duplicates BIGINT NOT NULL DEFAULT 0, rejected BIGINT NOT NULL DEFAULT 0, last_event_ts BIGINT, updated_at BIGINT NOT NULL,
          PRIMARY KEY (store_id, device_id)
        );`);
      for (const e of ev.slice(0, 10)) {
        await c.query('INSERT INTO sales_events VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1)', [e.storeId, e.deviceId, e.seq, e.ts, e.orderId, e.type, e.payload, e.prevHash, e.hash]);
      }
      await c.query("INSERT INTO devices (store_id, device_id, contiguous_seq, last_hash, stored, updated_at) VALUES ('S1', 'K1', 10, $1, 10, 1)", [ev[9].hash]);


      const s = await store(url);
      const kind = await c.query<{ relkind: string }>("SELECT relkind FROM pg_class WHERE oid = 'sales_events'::regclass");
      expect(kind.rows).toEqual([{ relkind: 'p' }]);
      expect((await c.query("SELECT to_regclass('sales_events_unpartitioned') AS t")).rows).toEqual([{ t: null }]);
      const pk = await c.query<{ def: string }>("SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'sales_events'::regclass AND contype = 'p'");
      expect(pk.rows).toEqual([{ def: 'PRIMARY KEY (store_id, device_id, seq, ts)' }]);
      const ix = await c.query<{ name: string }>("SELECT indexname AS name FROM pg_indexes WHERE tablename = 'sales_events' ORDER BY 1");
      expect(ix.rows.map((r) => r.name)).toEqual(['sales_events_order', 'sales_events_pkey', 'sales_events_type']);
      const rows = await c.query<{ part: string; seq: string; hash: string }>('SELECT tableoid::regclass::text AS part, seq, hash FROM sales_events ORDER BY seq');
      expect(rows.rows).toEqual(ev.slice(0, 10).map((e) => ({ part: partitionName(e.ts < DEC ? NOV : DEC), seq: String(e.seq), hash: e.hash })));

      // the kiosk re-sends from 9: two duplicates, two new entries, contiguous 12
      const r = await s.acceptMany(ev.slice(8));
      expect(r.map((x) => x.status)).toEqual(['duplicate', 'duplicate', 'stored', 'stored']);
      expect(await s.device('S1', 'K1')).toMatchObject({ contiguous_seq: 12, last_hash: ev[11].hash, stored: 12, duplicates: 2 });
      // and a second open finds it partitioned already
      const again = await store(url);
      expect((await again.db.read.get<{ n: number }>('SELECT COUNT(*)::int AS n FROM sales_events'))?.n).toBe(12);
    } finally {
      await c.end();
    }
  }, 60_000);
});
