import type { Migration } from '../../kernel/sqlite/migrate';

/**
 * Ingest schema v14 — the price books published from the console (hq/pricebook-console/registry.ts).
 *
 * pricebook_versions: one row per full price book published to a store (`kiosk/v1/{store}/_all/pricebook`). `csv` is
 * the uploaded text as validated (bounded by the console's body limit), kept so the next upload is diffed against
 * what the store last received; `items` its item count, `sha256` the manifest's hash of the chunks. Times are HQ's
 * clock in ms. (v13 is left to the fleet tags of the batch operations, written at the same time.)
 */
export const PRICEBOOK_CONSOLE_MIGRATIONS: Migration[] = [
  {
    version: 14,
    name: 'price books published from the console',
    sql: `
      CREATE TABLE pricebook_versions (
        store_id TEXT NOT NULL,
        version TEXT NOT NULL,
        csv TEXT NOT NULL,
        items INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        published_by TEXT NOT NULL,
        published_at INTEGER NOT NULL,
        PRIMARY KEY (store_id, version)
      );
    `,
  },
];

/** The same on PostgreSQL (idempotent: run at every open). */
export const PG_PRICEBOOK_CONSOLE_SCHEMA = `
  CREATE TABLE IF NOT EXISTS pricebook_versions (
    store_id TEXT NOT NULL,
    version TEXT NOT NULL,
    csv TEXT NOT NULL,
    items BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    published_by TEXT NOT NULL,
    published_at BIGINT NOT NULL,
    PRIMARY KEY (store_id, version)
  );
`;
