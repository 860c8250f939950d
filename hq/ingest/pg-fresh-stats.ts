import type { Tx } from '../../kernel/sqlite/database';

/** The tables an ingest batch reads back by key sets (json_array_elements joined to them): their plans need statistics. */
const TABLES = ['orders', 'order_lines', 'payments', 'refunds', 'devices', 'quarantine', 'member_points'] as const;
/** A table is analyzed here once it holds this many rows and PostgreSQL never analyzed it. */
const MIN_ROWS = 500;
/** Looked at every this many batches (one catalog read). */
const EVERY = 10;

/**
 * Planner statistics for a fresh PostgreSQL database. Until a table is first analyzed the planner guesses default
 * selectivities: the rollups' read of a batch's orders (`json_array_elements(keys) JOIN orders … AND status IN …`,
 * hq/stats/rollup-writer.ts) is then estimated at 1 row and planned as a nested loop over a scan of all orders — 1.2 s
 * per batch at 8 000 orders, measured (a drain into a new database slowed from ~0.5 s to ~15 s per 800 entries before
 * autovacuum's first ANALYZE, up to a minute later, came). So every {@link EVERY} batches one worker looks at the
 * catalog and analyzes those tables that hold {@link MIN_ROWS} rows or more and were never analyzed (ANALYZE takes
 * no lock that stops writers); afterwards autovacuum keeps the statistics.
 */
export class FreshStats {
  private batches = 0;
  private done = false;
  private busy = false;

  constructor(private readonly read: Pick<Tx, 'all' | 'exec'>) {}

  async afterBatch(): Promise<void> {
    if (this.done || this.busy || ++this.batches % EVERY !== 0) return;
    this.busy = true;
    try {
      const rows = await this.read.all<{ name: string; live: number; analyzed: boolean }>(
        `SELECT relname AS name, n_live_tup AS live, (last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL) AS analyzed
           FROM pg_stat_user_tables WHERE schemaname = current_schema() AND relname = ANY(?::text[])`,
        [[...TABLES]],
      );
      const stale = rows.filter((r) => !r.analyzed && Number(r.live) >= MIN_ROWS).map((r) => r.name);
      if (stale.length > 0) await this.read.exec(`ANALYZE ${stale.join(', ')}`);
      this.done = rows.length === TABLES.length && rows.every((r) => r.analyzed || stale.includes(r.name));
    } finally {
      this.busy = false;
    }
  }
}
