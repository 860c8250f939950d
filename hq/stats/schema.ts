import type { Migration } from '../../kernel/sqlite/migrate';
import { rollupFillSql, rollupSchema } from './rollup-tables';

/**
 * Ingest schema v8 — the statistics rollups (hq/stats/rollup-tables.ts), filled from the projections an existing
 * store already has; from then on kept by the orders projector in the same transaction as the projections.
 */
export const STATS_MIGRATIONS: Migration[] = [
  {
    version: 8,
    name: 'statistics rollups by quarter hour and day',
    sql: `${rollupSchema('sqlite')}\n${rollupFillSql().join(';\n')};`,
  },
];

/**
 * The same on PostgreSQL (idempotent: run at every open). {@link PG_STATS_MISSING} tells, before it runs, whether
 * the rollups are new (then hq/ingest/store.ts fills them from the projections).
 */
export const PG_STATS_SCHEMA = rollupSchema('postgres');
export const PG_STATS_MISSING = `SELECT to_regclass('stats_sales') IS NULL AS missing`;
