import type { Migration } from '../../kernel/sqlite/migrate';

/**
 * Ingest schema v11 — reconciliation (对账) runs and their discrepancies (hq/reconcile).
 *
 * reconcile_runs: one row per channel, business day (Beijing for wallets, the chain's zone for cards) and store
 *   (`''` for a wallet bill, which covers every store; the store for a card end-of-day run). A re-run of the same
 *   channel, day and store replaces the previous run and its items. bill_sha256: of the bill file (card: of the
 *   end-of-day entries compared). totals: JSON (hq/reconcile/match.ts ReconcileTotals). Money in fen, times ms.
 * reconcile_items: the run's discrepancies (kind matched is not stored), in the order found.
 */
export const RECONCILE_MIGRATIONS: Migration[] = [
  {
    version: 11,
    name: 'reconciliation runs and discrepancies',
    sql: `
      CREATE TABLE reconcile_runs (
        channel TEXT NOT NULL,
        day TEXT NOT NULL,
        store_id TEXT NOT NULL DEFAULT '',
        bill_sha256 TEXT NOT NULL,
        source TEXT,
        run_at INTEGER NOT NULL,
        run_by TEXT NOT NULL,
        matched INTEGER NOT NULL,
        discrepancies INTEGER NOT NULL,
        totals TEXT NOT NULL,
        PRIMARY KEY (channel, day, store_id)
      );
      CREATE INDEX reconcile_runs_day ON reconcile_runs (day);
      CREATE TABLE reconcile_items (
        channel TEXT NOT NULL,
        day TEXT NOT NULL,
        run_store TEXT NOT NULL,
        idx INTEGER NOT NULL,
        kind TEXT NOT NULL,
        store_id TEXT,
        device_id TEXT,
        order_id TEXT,
        attempt_id TEXT,
        order_no TEXT,
        refund_no TEXT,
        transaction_id TEXT,
        scheme TEXT,
        expected_amount INTEGER,
        actual_amount INTEGER,
        expected_fee INTEGER,
        actual_fee INTEGER,
        expected_count INTEGER,
        actual_count INTEGER,
        at INTEGER,
        bill_line INTEGER,
        detail TEXT,
        PRIMARY KEY (channel, day, run_store, idx)
      );
      CREATE INDEX reconcile_items_store ON reconcile_items (store_id);
    `,
  },
];

/** The same on PostgreSQL (idempotent: run at every open). */
export const PG_RECONCILE_SCHEMA = `
  CREATE TABLE IF NOT EXISTS reconcile_runs (
    channel TEXT NOT NULL,
    day TEXT NOT NULL,
    store_id TEXT NOT NULL DEFAULT '',
    bill_sha256 TEXT NOT NULL,
    source TEXT,
    run_at BIGINT NOT NULL,
    run_by TEXT NOT NULL,
    matched BIGINT NOT NULL,
    discrepancies BIGINT NOT NULL,
    totals TEXT NOT NULL,
    PRIMARY KEY (channel, day, store_id)
  );
  CREATE INDEX IF NOT EXISTS reconcile_runs_day ON reconcile_runs (day);
  CREATE TABLE IF NOT EXISTS reconcile_items (
    channel TEXT NOT NULL,
    day TEXT NOT NULL,
    run_store TEXT NOT NULL,
    idx INTEGER NOT NULL,
    kind TEXT NOT NULL,
    store_id TEXT,
    device_id TEXT,
    order_id TEXT,
    attempt_id TEXT,
    order_no TEXT,
    refund_no TEXT,
    transaction_id TEXT,
    scheme TEXT,
    expected_amount BIGINT,
    actual_amount BIGINT,
    expected_fee BIGINT,
    actual_fee BIGINT,
    expected_count BIGINT,
    actual_count BIGINT,
    at BIGINT,
    bill_line BIGINT,
    detail TEXT,
    PRIMARY KEY (channel, day, run_store, idx)
  );
  CREATE INDEX IF NOT EXISTS reconcile_items_store ON reconcile_items (store_id);
`;
