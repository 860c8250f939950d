import type { Tx } from '../../kernel/sqlite/database';

/**
 * `sales_events` on PostgreSQL: declaratively partitioned by month of the entry's time (`PARTITION BY RANGE (ts)`,
 * ts in ms since the epoch, UTC months), one partition `sales_events_yYYYYmMM` per month, plus `sales_events_default`
 * for what no month partition takes (a kiosk clock far off — outside [2000, 2100) — or rows a bulk loader inserted
 * before their month's partition existed).
 *
 * Partitions are created ahead (the month of `now` and the next, at open) and on demand: before a batch is written,
 * for every month its events fall in (and the month after), each in its own short transaction under its own advisory
 * lock ({@link ensureMonths}) — never inside the batch's transaction, where the DDL's lock on the parent could
 * deadlock two workers that both hold a row lock on it. A new month's rows that were already in the default partition
 * are moved into the new partition in the same transaction, so the default never holds a month that has a partition.
 *
 * The primary key must contain the partition key: it is (store_id, device_id, seq, ts). Idempotency on (store,
 * device, seq) is kept by the ingest, not by the key alone: the batch holds its devices' advisory locks
 * (./pg-db.ts), reads what is stored for the seqs it carries and decides in memory (./accept-batch.ts) — a re-sent
 * entry has the same hash, hence the same ts, and is a duplicate; another entry for a stored seq is a conflict
 * (quarantine) — and the insert is `ON CONFLICT DO NOTHING` besides.
 *
 * Every query on sales_events and the index it uses (PostgreSQL):
 * - PRIMARY KEY (store_id, device_id, seq, ts): acceptBatch's read of a device's rows around the batch and above its
 *   contiguous run, the move to quarantine and its delete (hq/ingest/accept-batch.ts, ingest-sql.ts), the gap
 *   (hq/ingest/store.ts), a kiosk's last 50 entries (hq/fleet/kiosk-page.ts, ORDER BY seq DESC LIMIT 50: a merge of
 *   the partitions' backward index scans), the stored rows above a device's run (hq/fleet/fleet-alerts.ts);
 * - sales_events_order (store_id, device_id, order_id): an order's entries for the projector
 *   (hq/orders/projector-sql.ts), the order page (hq/orders/detail.ts), returns (hq/orders/returns.ts), UnionPay
 *   lookups (hq/refunds/unionpay-known.ts), refunded points (hq/members/refund-points.ts), a device's orders for a
 *   rebuild (hq/orders/rebuild.ts) — declared here and in hq/orders/schema.ts (IF NOT EXISTS);
 * - sales_events_type (type, store_id, device_id, seq) for the two types read by type, partial (the other types do
 *   not pay for it): completed orders per device (hq/ingest/sales.ts) and a store's terminal end-of-day entries
 *   (hq/reconcile/card-eod.ts; its `ts <` bound also prunes the later months).
 * An index declared on the parent is created on every partition, those created later included.
 */

const FIRST_YEAR = 2000;
const END_YEAR = 2100;
const LO = Date.UTC(FIRST_YEAR, 0, 1);
const HI = Date.UTC(END_YEAR, 0, 1);

/** Partition creators (any worker, any host) one at a time (two-int advisory key space: class 7413). */
const PARTITION_LOCK = 'SELECT pg_advisory_xact_lock(7413, 0)';

const COLUMNS = 'store_id, device_id, seq, ts, order_id, type, payload, prev_hash, hash, received_at';

export const PG_SALES_EVENTS_SCHEMA = `
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
    PRIMARY KEY (store_id, device_id, seq, ts)
  ) PARTITION BY RANGE (ts);
  CREATE TABLE IF NOT EXISTS sales_events_default PARTITION OF sales_events DEFAULT;
  CREATE INDEX IF NOT EXISTS sales_events_order ON sales_events (store_id, device_id, order_id);
  CREATE INDEX IF NOT EXISTS sales_events_type ON sales_events (type, store_id, device_id, seq)
    WHERE type IN ('order_completed', 'terminal_end_of_day');
`;

/** The UTC month `ts` falls in (its first ms), or null when it is outside the partitioned range (default partition). */
export function monthOf(ts: number): number | null {
  if (!Number.isFinite(ts) || ts < LO || ts >= HI) return null;
  const d = new Date(ts);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** The first ms of the month after `month`. */
export function nextMonth(month: number): number {
  const d = new Date(month);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** `sales_events_y2026m12` */
export function partitionName(month: number): string {
  const d = new Date(month);
  return `sales_events_y${d.getUTCFullYear()}m${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** The month partitions that exist (their first ms), from the catalog. */
export async function existingMonths(tx: Pick<Tx, 'all'>): Promise<Set<number>> {
  const rows = await tx.all<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = to_regclass('sales_events')`,
  );
  const out = new Set<number>();
  for (const { name } of rows) {
    const m = /^sales_events_y(\d{4})m(\d{2})$/.exec(name);
    if (m) out.add(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1));
  }
  return out;
}

/**
 * Creates `month`'s partition unless it exists, in the caller's transaction (which must hold nothing on sales_events
 * yet): under the creators' lock; rows of that month already in the default partition move into it; then ATTACH
 * (SHARE UPDATE EXCLUSIVE on the parent: inserts into other months go on; readers of the default partition wait for
 * the moment it is re-checked).
 */
export async function createMonth(tx: Tx, month: number): Promise<void> {
  await tx.get(PARTITION_LOCK);
  const name = partitionName(month);
  const exists = await tx.get<{ t: string | null }>('SELECT to_regclass(?)::text AS t', [name]);
  if (exists?.t) return;
  const hi = nextMonth(month);
  await tx.exec(`CREATE TABLE ${name} (LIKE sales_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
  await tx.run(
    `WITH moved AS (DELETE FROM sales_events_default WHERE ts >= ${month} AND ts < ${hi} RETURNING ${COLUMNS})
     INSERT INTO ${name} (${COLUMNS}) SELECT ${COLUMNS} FROM moved`,
  );
  await tx.exec(`ALTER TABLE sales_events ATTACH PARTITION ${name} FOR VALUES FROM (${month}) TO (${hi})`);
}

/**
 * At open, in the schema transaction (before the rest of HQ's schema, which indexes sales_events): creates the
 * partitioned table, or converts an older plain one (ingest before issue 17) in place — rename it, create the
 * partitioned table and the partitions of every month it holds, copy, drop — all in this one transaction; then the
 * month of `now` and the next.
 */
export async function ensureSalesEvents(tx: Tx, now: number): Promise<void> {
  await tx.get(PARTITION_LOCK);
  const kind = await tx.get<{ relkind: string }>(`SELECT relkind FROM pg_class WHERE oid = to_regclass('sales_events')`);
  if (kind?.relkind === 'r') await migratePlain(tx);
  else await tx.exec(PG_SALES_EVENTS_SCHEMA);
  const have = await existingMonths(tx);
  const current = monthOf(now);
  if (current === null) return;
  for (const m of [current, nextMonth(current)]) if (!have.has(m)) await createMonth(tx, m);
}

async function migratePlain(tx: Tx): Promise<void> {
  const old = 'sales_events_unpartitioned';
  await tx.exec(`ALTER TABLE sales_events RENAME TO ${old}`);
  // index names are per schema: the old table's must make way for the new table's (same names)
  const indexes = await tx.all<{ name: string; constraint: string | null }>(
    `SELECT i.relname AS name, c.conname AS "constraint" FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
       LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid
      WHERE x.indrelid = to_regclass(?)`,
    [old],
  );
  for (const ix of indexes) {
    if (ix.constraint) await tx.exec(`ALTER TABLE ${old} DROP CONSTRAINT ${quoteIdent(ix.constraint)}`);
    else await tx.exec(`DROP INDEX ${quoteIdent(ix.name)}`);
  }
  await tx.exec(PG_SALES_EVENTS_SCHEMA);
  const months = await tx.all<{ y: number; m: number }>(
    `SELECT DISTINCT EXTRACT(YEAR FROM t)::int AS y, EXTRACT(MONTH FROM t)::int AS m
       FROM (SELECT to_timestamp(ts / 1000.0) AT TIME ZONE 'UTC' AS t FROM ${old} WHERE ts >= ${LO} AND ts < ${HI}) s`,
  );
  for (const { y, m } of months) await createMonth(tx, Date.UTC(Number(y), Number(m) - 1, 1));
  await tx.run(`INSERT INTO sales_events (${COLUMNS}) SELECT ${COLUMNS} FROM ${old}`);
  await tx.exec(`DROP TABLE ${old}`);
}

const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;

/**
 * One worker's knowledge of which month partitions exist: `ensure` creates, before a batch's transaction, those its
 * events need (and each next month) that no worker has created yet.
 */
export class MonthPartitions {
  private known: Set<number> | null = null;

  constructor(private readonly db: { read: Pick<Tx, 'all'>; apart<T>(body: (tx: Tx) => Promise<T>): Promise<T> }) {}

  async ensure(timestamps: Iterable<number>): Promise<void> {
    const wanted = new Set<number>();
    for (const ts of timestamps) {
      const m = monthOf(ts);
      if (m === null) continue;
      wanted.add(m);
      if (monthOf(nextMonth(m)) !== null) wanted.add(nextMonth(m));
    }
    if (this.known && [...wanted].every((m) => this.known!.has(m))) return;
    this.known = await existingMonths(this.db.read);
    for (const m of [...wanted].sort((a, b) => a - b)) {
      if (this.known.has(m)) continue;
      await this.db.apart((tx) => createMonth(tx, m));
      this.known.add(m);
    }
  }
}
