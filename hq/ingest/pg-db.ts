import type pg from 'pg';
import type { Params, Tx } from '../../kernel/sqlite/database';

/** What the ingest store needs of its database: serialized write transactions and a reader. */
export interface IngestDb {
  readonly dialect: 'sqlite' | 'postgres';
  transaction<T>(body: (tx: Tx) => Promise<T>): Promise<T>;
  readonly read: Tx;
  close(): Promise<void>;
}

/** `?` / `?N` placeholders (SQLite style, as the store writes them) → PostgreSQL's `$N`. */
export function toPgPlaceholders(sql: string): string {
  let next = 0;
  return sql.replace(/\?(\d+)?/g, (_m, n: string | undefined) => `$${n ?? ++next}`);
}

/** bigint (int8: seq, ts, COUNT(*)) as a JS number: the values here stay far below 2^53. */
const typesOf = (driver: typeof pg) => ({
  getTypeParser: ((oid: number, format?: string) =>
    oid === 20 ? (v: string) => Number(v) : driver.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
});

function wrap(q: (sql: string, params?: unknown[]) => Promise<pg.QueryResult>): Tx {
  const params = (p: Params | undefined): unknown[] => {
    if (p === undefined) return [];
    if (!Array.isArray(p)) throw new TypeError('named parameters are not supported on PostgreSQL');
    return p;
  };
  return {
    run: async (sql, p) => {
      const r = await q(toPgPlaceholders(sql), params(p));
      return { changes: r.rowCount ?? 0, lastID: 0 };
    },
    get: async <T>(sql: string, p?: Params) => (await q(toPgPlaceholders(sql), params(p))).rows[0] as T | undefined,
    all: async <T>(sql: string, p?: Params) => (await q(toPgPlaceholders(sql), params(p))).rows as T[],
    exec: async (sql) => {
      await q(sql);
    },
  };
}

/** How many times a batch is tried when PostgreSQL picks it as a deadlock victim or fails its serialization. */
const RETRIES = 5;
/** SQLSTATEs worth a retry of the whole transaction: serialization_failure, deadlock_detected. */
const RETRYABLE = new Set(['40001', '40P01']);

const retryable = (e: unknown): boolean => RETRYABLE.has((e as { code?: unknown })?.code as string);

/**
 * HQ's ingest store on PostgreSQL (`hq ingest --db postgres://…`), shared by any number of ingest workers on any host.
 *
 * Locks (transaction-scoped advisory locks, released at COMMIT/ROLLBACK — a killed worker's go with its connection):
 * - {@link transaction}, every writer but the ingest batches and the writes beside them (below) (config and
 *   price-book publishing, HQ refunds, `hq orders rebuild`, reconciliation, member and recall edits, users, retiring a
 *   kiosk, the schema at open …): key 7411
 *   EXCLUSIVE. Such a writer runs alone — no other such writer and no ingest batch in flight — the guarantee every
 *   one of them had before (one global lock, as SQLite's `BEGIN IMMEDIATE` gives several processes on one file), so
 *   none of them had to change (a rebuild re-projecting an order, an HQ refund writing one, rely on it).
 * - {@link deviceTransaction}, an ingest batch: 7411 SHARED (batches run side by side, but never beside one of the
 *   writers above), then one EXCLUSIVE lock per (store, device) the batch carries, (7412, hashtext(store/device)),
 *   taken in ascending key order in one statement: two batches of the same device run one after the other (the
 *   store's read-decide-write per device stays valid), batches of different devices concurrently, and two workers
 *   cannot deadlock on device locks. Two devices whose keys collide only serialize, harmlessly. Advisory rather than
 *   `SELECT … FOR UPDATE` on `devices`: a device's first batch has no row to lock, and the locks cost no writes.
 *   What batches of different devices share is written with atomic statements: the statistics rollups by
 *   `INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n` (hq/stats/rollup-tables.ts; under READ COMMITTED the
 *   update applies to the row's latest committed version), the points ledger by per-entry rows (hq/members);
 *   everything else (sales_events, devices, quarantine, the order projections) is keyed by device. Row locks taken
 *   in different orders by two batches can still deadlock (rare: rollup rows are written in key order): the loser's
 *   whole transaction is rolled back and run again, up to {@link RETRIES} times.
 * - {@link besideIngest} (the fleet table's writes, every second per worker): beside the batches, see there.
 * - {@link apart}: no common lock (month partitions are created under their own, ./pg-partitions.ts).
 */
export class PgIngestDb implements IngestDb {
  readonly dialect = 'postgres' as const;
  readonly read: Tx;
  /** Batches retried after a deadlock or serialization failure (since open). */
  retries = 0;
  private constructor(private readonly pool: pg.Pool) {
    this.read = wrap((sql, p) => pool.query(sql, p));
  }

  static async open(url: string): Promise<PgIngestDb> {
    // pg is loaded on the first PostgreSQL store, not with the module: a kiosk's embedded HQ uses SQLite
    const { default: driver } = await import('pg');
    const pool = new driver.Pool({ connectionString: url, max: 4, types: typesOf(driver) });
    pool.on('error', () => undefined); // an idle client dropped by the server: the pool replaces it
    const db = new PgIngestDb(pool);
    await db.read.get('SELECT 1'); // fail now, clearly, when the server is not there
    return db;
  }

  /** A write transaction that runs alone: no other such transaction, no ingest batch (key 7411 exclusive). */
  transaction<T>(body: (tx: Tx) => Promise<T>): Promise<T> {
    return this.run(['SELECT pg_advisory_xact_lock(7411)'], body, false);
  }

  /**
   * An ingest batch's transaction: beside other batches, serialized per (store, device) with every other batch that
   * carries one of `devices`; run again (whole) after a deadlock or serialization failure. `body` must be safe to run
   * again (it only touches the database).
   */
  deviceTransaction<T>(devices: readonly (readonly [string, string])[], body: (tx: Tx) => Promise<T>): Promise<T> {
    const keys = [...new Set(devices.map(([s, d]) => `${s}/${d}`))];
    return this.run(
      [
        { sql: 'SELECT pg_advisory_xact_lock_shared(7411)' },
        // one statement, the keys ascending: the aggregate consumes the sorted rows in order, so every batch takes
        // its locks in the same global order
        { sql: 'SELECT count(pg_advisory_xact_lock(7412, k)) FROM (SELECT DISTINCT hashtext(x) AS k FROM unnest($1::text[]) x ORDER BY k) s', params: [keys] },
      ],
      body,
      true,
    );
  }

  /**
   * {@link deviceTransaction} that never waits for another batch's devices: 7411 SHARED, then each device's lock
   * TRIED (`pg_try_advisory_xact_lock`, no wait); `body` gets the devices this transaction holds (`store/device`) and
   * must touch only their rows — the caller keeps the other devices' events for its next batch. With a `$share`
   * group, every worker's batch carries the same lanes (the broker deals each lane's events round-robin): waiting for
   * all of a batch's devices made the workers run one after the other (bench/fleet, K = 4: device lock waits up to
   * 10 s). When every device is held elsewhere it waits for the first one, so a batch always makes progress.
   */
  deviceTransactionTaking<T>(devices: readonly (readonly [string, string])[], body: (tx: Tx, taken: ReadonlySet<string>) => Promise<T>): Promise<T> {
    const keys = [...new Set(devices.map(([s, d]) => `${s}/${d}`))].sort();
    return this.run(
      ['SELECT pg_advisory_xact_lock_shared(7411)'],
      async (tx) => {
        const rows = await tx.all<{ x: string; got: boolean }>('SELECT x, pg_try_advisory_xact_lock(7412, hashtext(x)) AS got FROM unnest(?::text[]) x', [keys]);
        const taken = new Set(rows.filter((r) => r.got).map((r) => r.x));
        if (taken.size === 0 && keys.length > 0) {
          await tx.get('SELECT pg_advisory_xact_lock(7412, hashtext(?))', [keys[0]]);
          taken.add(keys[0]);
        }
        return body(tx, taken);
      },
      true,
    );
  }

  /**
   * A write that touches no table an ingest batch writes (the fleet table, the kiosks' sealing keys, alerts, console
   * sessions, the audit log, commands and their results, rollouts and offer numbers, the kiosks' members / recalls
   * reports, the member snapshots and recall lists published, channel deliveries): beside the
   * batches (7411 SHARED: still never beside a {@link transaction}), one at a time among such writes (key 7415
   * EXCLUSIVE: two workers' fleet writes share rows, in any order), retried like a batch.
   */
  besideIngest<T>(body: (tx: Tx) => Promise<T>): Promise<T> {
    return this.run(['SELECT pg_advisory_xact_lock_shared(7411)', 'SELECT pg_advisory_xact_lock(7415)'], body, true);
  }

  /** A transaction under no common lock (its body takes what it needs), retried like a batch. */
  apart<T>(body: (tx: Tx) => Promise<T>): Promise<T> {
    return this.run([], body, true);
  }

  private async run<T>(locks: (string | { sql: string; params?: unknown[] })[], body: (tx: Tx) => Promise<T>, retry: boolean): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        for (const l of locks) await (typeof l === 'string' ? client.query(l) : client.query(l.sql, l.params));
        const result = await body(wrap((sql, p) => client.query(sql, p)));
        await client.query('COMMIT');
        return result;
      } catch (e) {
        // a connection that cannot even roll back is not given back to the pool
        await client.query('ROLLBACK').catch((r: Error) => (broken = r));
        if (!retry || attempt >= RETRIES || !retryable(e)) throw e;
        this.retries++;
      } finally {
        client.release(broken);
      }
      // again at once: the winner still holds its locks, so this attempt queues behind it
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

/**
 * Runs a write that touches no table an ingest batch writes: on PostgreSQL beside the batches
 * ({@link PgIngestDb.besideIngest}); on SQLite as any write transaction.
 */
export function writeBesideIngest<T>(db: IngestDb, body: (tx: Tx) => Promise<T>): Promise<T> {
  return db instanceof PgIngestDb ? db.besideIngest(body) : db.transaction(body);
}

/** HQ's schema on PostgreSQL (the SQLite one is in schema.ts; same tables, 64-bit integers); sales_events: ./pg-partitions.ts. */
export const PG_INGEST_SCHEMA = `
  CREATE TABLE IF NOT EXISTS devices (
    store_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    contiguous_seq BIGINT NOT NULL DEFAULT 0,
    last_hash TEXT NOT NULL,
    chain_ok INTEGER NOT NULL DEFAULT 1 CHECK (chain_ok IN (0, 1)),
    chain_error TEXT,
    stored BIGINT NOT NULL DEFAULT 0,
    duplicates BIGINT NOT NULL DEFAULT 0,
    rejected BIGINT NOT NULL DEFAULT 0,
    last_event_ts BIGINT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (store_id, device_id)
  );
  CREATE TABLE IF NOT EXISTS quarantine (
    store_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL,
    ts BIGINT NOT NULL,
    order_id TEXT,
    type TEXT NOT NULL,
    payload TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    reason TEXT NOT NULL,
    first_seen BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    copies BIGINT NOT NULL DEFAULT 1,
    PRIMARY KEY (store_id, device_id, seq, hash)
  );
  CREATE TABLE IF NOT EXISTS fleet (
    store_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    state TEXT,
    state_at BIGINT,
    telemetry TEXT,
    telemetry_at BIGINT,
    PRIMARY KEY (store_id, device_id)
  );
`;
