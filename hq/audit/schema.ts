import type { Migration } from '../../kernel/sqlite/migrate';

/** Ingest schema v7 — the console's append-only, hash-chained audit log (filled in by hq/audit's work). */
export const AUDIT_MIGRATIONS: Migration[] = [];

/** The same on PostgreSQL (idempotent: run at every open). */
export const PG_AUDIT_SCHEMA = '';
