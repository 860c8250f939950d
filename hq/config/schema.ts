import type { Migration } from '../../kernel/sqlite/migrate';

/** Ingest schema v6 — config versions published from HQ (filled in by hq/config's work). */
export const CONFIG_MIGRATIONS: Migration[] = [];

/** The same on PostgreSQL (idempotent: run at every open). */
export const PG_CONFIG_SCHEMA = '';
