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

/**
 * HQ's ingest store on PostgreSQL (`hq ingest --db postgres://…`). Write transactions are serialized across every
 * ingest process on the database with a transaction-scoped advisory lock — the same guarantee SQLite's
 * `BEGIN IMMEDIATE` gives several processes on one file — so the store's per-device reasoning stays valid.
 */
export class PgIngestDb implements IngestDb {
  readonly dialect = 'postgres' as const;
  readonly read: Tx;
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

  async transaction<T>(body: (tx: Tx) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(7411)');
      const result = await body(wrap((sql, p) => client.query(sql, p)));
      await client.query('COMMIT');
      return result;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

/** HQ's schema on PostgreSQL (the SQLite one is in store.ts; same tables, 64-bit integers). */
export const PG_INGEST_SCHEMA = `
  CREATE TABLE IF NOT EXISTS sales_events (
    store_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    ts BIGINT NOT NULL,
    order_id TEXT,
    type TEXT NOT NULL,
    payload TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (store_id, device_id, seq)
  );
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
