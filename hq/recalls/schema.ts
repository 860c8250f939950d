import type { Migration } from '../../kernel/sqlite/migrate';

/**
 * Ingest schema v18 — product recalls (hq/recalls).
 *
 * - recalls: one row per recall id (the text staff see, when it was put in force, by whom).
 * - recall_items: what a recall stops: a GTIN-14, optionally one lot (AI 10) or one serial (AI 21) — '' when not that
 *   specific — for every store (`store_id` '') or one store.
 * - recall_lists: each signed list published to a store (`version` increasing per store) with the sha-256 of its body
 *   (what changed is published, not what did not).
 * - recalls_reported: each kiosk's last retained `recalls/reported` (bounded text), as received.
 */
export const RECALLS_MIGRATIONS: Migration[] = [
  {
    version: 18,
    name: 'product recalls: the list HQ pushes to the stores',
    sql: `
      CREATE TABLE recalls (
        id TEXT PRIMARY KEY,
        reason TEXT NOT NULL,
        since INTEGER NOT NULL,
        created_by TEXT NOT NULL
      );
      CREATE TABLE recall_items (
        recall_id TEXT NOT NULL REFERENCES recalls (id) ON DELETE CASCADE,
        gtin14 TEXT NOT NULL,
        lot TEXT NOT NULL DEFAULT '',
        serial TEXT NOT NULL DEFAULT '',
        store_id TEXT NOT NULL DEFAULT '',
        added_at INTEGER NOT NULL,
        PRIMARY KEY (recall_id, gtin14, lot, serial, store_id)
      );
      CREATE TABLE recall_lists (
        store_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        entries INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        published_by TEXT NOT NULL,
        published_at INTEGER NOT NULL,
        PRIMARY KEY (store_id, version)
      );
      CREATE TABLE recalls_reported (
        store_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        payload TEXT NOT NULL,
        received_at INTEGER NOT NULL,
        PRIMARY KEY (store_id, device_id)
      );
    `,
  },
];

/** The same on PostgreSQL (idempotent: run at every open). */
export const PG_RECALLS_SCHEMA = `
  CREATE TABLE IF NOT EXISTS recalls (
    id TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    since BIGINT NOT NULL,
    created_by TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS recall_items (
    recall_id TEXT NOT NULL REFERENCES recalls (id) ON DELETE CASCADE,
    gtin14 TEXT NOT NULL,
    lot TEXT NOT NULL DEFAULT '',
    serial TEXT NOT NULL DEFAULT '',
    store_id TEXT NOT NULL DEFAULT '',
    added_at BIGINT NOT NULL,
    PRIMARY KEY (recall_id, gtin14, lot, serial, store_id)
  );
  CREATE TABLE IF NOT EXISTS recall_lists (
    store_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    entries BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    published_by TEXT NOT NULL,
    published_at BIGINT NOT NULL,
    PRIMARY KEY (store_id, version)
  );
  CREATE TABLE IF NOT EXISTS recalls_reported (
    store_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (store_id, device_id)
  );
`;
