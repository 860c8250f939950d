import type { Migration } from '../../kernel/sqlite/migrate';

/** Ingest schema v5 — users, sessions, audit log (filled in by hq/console's work). */
export const CONSOLE_MIGRATIONS: Migration[] = [];

/** The same on PostgreSQL (idempotent: run at every open). */
export const PG_CONSOLE_SCHEMA = '';
