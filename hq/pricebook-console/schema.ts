import type { Migration } from '../../kernel/sqlite/migrate';

/**
 * Ingest schema v14 — the price books published from the console (hq/pricebook-console/registry.ts); v15 — the
 * books scheduled for a start time (hq/pricebook-console/schedules.ts).
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
  {
    version: 15,
    name: 'price books scheduled from the console',
    // pricebook_schedules: a book checked on /pricebook, to be published at start_at (HQ's clock, ms) by `hq serve`'s
    // scheduler (./scheduler.ts). status: pending → published | failed (detail: why) | cancelled (by, at: done_*).
    // Optional end: at end_at the book in force before (previous_version, recorded when this one is published) is
    // published again as end_version. end_status: pending → restored | skipped (another book came after) | failed.
    sql: `
      CREATE TABLE pricebook_schedules (
        id TEXT PRIMARY KEY,
        store_id TEXT NOT NULL,
        version TEXT NOT NULL,
        csv TEXT NOT NULL,
        items INTEGER NOT NULL,
        start_at INTEGER NOT NULL,
        status TEXT NOT NULL,
        detail TEXT,
        created_by TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        done_by TEXT,
        done_at INTEGER,
        end_at INTEGER,
        previous_version TEXT,
        end_status TEXT,
        end_version TEXT,
        end_detail TEXT,
        end_done_at INTEGER
      );
      CREATE INDEX pricebook_schedules_due ON pricebook_schedules (status, start_at);
      CREATE INDEX pricebook_schedules_end ON pricebook_schedules (end_status, end_at);
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
  CREATE TABLE IF NOT EXISTS pricebook_schedules (
    id TEXT PRIMARY KEY,
    store_id TEXT NOT NULL,
    version TEXT NOT NULL,
    csv TEXT NOT NULL,
    items BIGINT NOT NULL,
    start_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    detail TEXT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    done_by TEXT,
    done_at BIGINT,
    end_at BIGINT,
    previous_version TEXT,
    end_status TEXT,
    end_version TEXT,
    end_detail TEXT,
    end_done_at BIGINT
  );
  CREATE INDEX IF NOT EXISTS pricebook_schedules_due ON pricebook_schedules (status, start_at);
  CREATE INDEX IF NOT EXISTS pricebook_schedules_end ON pricebook_schedules (end_status, end_at);
`;
