import type { Migration } from '../../kernel/sqlite/migrate';

/**
 * Ingest schema v3 — the fleet as HQ last knew it (kept across HQ restarts), alerts, and the commands the console sent.
 *
 * fleet (v1 table, new columns):
 * - online / online_since: the last `state`'s online flag and when that (on/off) began, HQ's clock; null = never heard.
 * - last_seen: HQ's clock at the last message of any kind from the kiosk (state, telemetry, event, report).
 * - last_event_ts: the kiosk's `ts` of its newest journal event.
 * - config_reported / config_reported_at: the last `config/reported` payload (JSON text) and when it came.
 * - pricebook_reported / pricebook_reported_at: the last `pricebook/reported` payload and when it came.
 * - retired_at / retired_by: a kiosk retired by a user is left out of the fleet and its alerts; a birth un-retires it.
 *
 * alerts: one row per raise; open while cleared_at is null; (source, key) unique among open alerts.
 * commands: one row per signed command sent from the console, its result when it came; payload_sha256 (of the
 *   published envelope) matches a refusal the kiosk could not attribute to an id.
 */
export const FLEET_MIGRATIONS: Migration[] = [
  {
    version: 3,
    name: 'fleet state kept across restarts, alerts, console commands',
    sql: `
      ALTER TABLE fleet ADD COLUMN online INTEGER;
      ALTER TABLE fleet ADD COLUMN online_since INTEGER;
      ALTER TABLE fleet ADD COLUMN last_seen INTEGER;
      ALTER TABLE fleet ADD COLUMN last_event_ts INTEGER;
      ALTER TABLE fleet ADD COLUMN config_reported TEXT;
      ALTER TABLE fleet ADD COLUMN config_reported_at INTEGER;
      ALTER TABLE fleet ADD COLUMN pricebook_reported TEXT;
      ALTER TABLE fleet ADD COLUMN pricebook_reported_at INTEGER;
      ALTER TABLE fleet ADD COLUMN retired_at INTEGER;
      ALTER TABLE fleet ADD COLUMN retired_by TEXT;
      CREATE TABLE alerts (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        key TEXT NOT NULL,
        kind TEXT NOT NULL,
        severity TEXT NOT NULL CHECK (severity IN ('warning', 'critical')),
        store_id TEXT,
        device_id TEXT,
        message TEXT NOT NULL,
        raised_at INTEGER NOT NULL,
        cleared_at INTEGER,
        acked_by TEXT,
        acked_at INTEGER
      );
      CREATE UNIQUE INDEX alerts_open ON alerts (source, key) WHERE cleared_at IS NULL;
      CREATE INDEX alerts_raised ON alerts (raised_at);
      CREATE TABLE commands (
        id TEXT PRIMARY KEY,
        store_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        name TEXT NOT NULL,
        args TEXT NOT NULL,
        sent_by TEXT NOT NULL,
        sent_at INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('sent', 'ok', 'failed', 'rejected', 'timeout')),
        result TEXT,
        result_at INTEGER,
        payload_sha256 TEXT
      );
      CREATE INDEX commands_device ON commands (store_id, device_id, sent_at);
    `,
  },
];

/**
 * Ingest schema v9 — an alert's words in the console's languages: `alerts.text_json` holds the alert's message key
 * and parameters (hq/fleet/alert-text.ts, bounded to MAX_ALERT_TEXT_JSON), beside the English `message`. Null for
 * rows raised before (the console shows their message).
 */
export const ALERT_TEXT_MIGRATIONS: Migration[] = [
  {
    version: 9,
    name: 'alert texts in the console languages',
    sql: `ALTER TABLE alerts ADD COLUMN text_json TEXT;`,
  },
];

/** v3 and v9 on PostgreSQL (idempotent: run at every open). */
export const PG_FLEET_SCHEMA = `
  ALTER TABLE fleet ADD COLUMN IF NOT EXISTS online INTEGER;
  ALTER TABLE fleet ADD COLUMN IF NOT EXISTS online_since BIGINT;
  ALTER TABLE fleet ADD COLUMN IF NOT EXISTS last_seen BIGINT;
  ALTER TABLE fleet ADD COLUMN IF NOT EXISTS last_event_ts BIGINT;
  ALTER TABLE fleet ADD COLUMN IF NOT EXISTS config_reported TEXT;
  ALTER TABLE fleet ADD COLUMN IF NOT EXISTS config_reported_at BIGINT;
  ALTER TABLE fleet ADD COLUMN IF NOT EXISTS pricebook_reported TEXT;
  ALTER TABLE fleet ADD COLUMN IF NOT EXISTS pricebook_reported_at BIGINT;
  ALTER TABLE fleet ADD COLUMN IF NOT EXISTS retired_at BIGINT;
  ALTER TABLE fleet ADD COLUMN IF NOT EXISTS retired_by TEXT;
  CREATE TABLE IF NOT EXISTS alerts (
    id BIGSERIAL PRIMARY KEY,
    source TEXT NOT NULL,
    key TEXT NOT NULL,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('warning', 'critical')),
    store_id TEXT,
    device_id TEXT,
    message TEXT NOT NULL,
    raised_at BIGINT NOT NULL,
    cleared_at BIGINT,
    acked_by TEXT,
    acked_at BIGINT
  );
  ALTER TABLE alerts ADD COLUMN IF NOT EXISTS text_json TEXT;
  CREATE UNIQUE INDEX IF NOT EXISTS alerts_open ON alerts (source, key) WHERE cleared_at IS NULL;
  CREATE INDEX IF NOT EXISTS alerts_raised ON alerts (raised_at);
  CREATE TABLE IF NOT EXISTS commands (
    id TEXT PRIMARY KEY,
    store_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    name TEXT NOT NULL,
    args TEXT NOT NULL,
    sent_by TEXT NOT NULL,
    sent_at BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('sent', 'ok', 'failed', 'rejected', 'timeout')),
    result TEXT,
    result_at BIGINT,
    payload_sha256 TEXT
  );
  ALTER TABLE commands ADD COLUMN IF NOT EXISTS payload_sha256 TEXT;
  CREATE INDEX IF NOT EXISTS commands_device ON commands (store_id, device_id, sent_at);
`;

/**
 * Ingest schema v13 — batch operations from the console.
 * kiosk_tags: one row per (kiosk, tag); a tag is a short lower-case word (hq/fleet/tags.ts checks it), who tagged it
 *   and when. A batch selects "every kiosk tagged `entrance` in stores S1, S2".
 * batches: one row per batch (who, when, what: kind `command` and the command's name and args, the selection).
 * commands.batch_id: the batch a command row belongs to (its per-kiosk status and result); null for single commands.
 */
export const KIOSK_TAGS_MIGRATIONS: Migration[] = [
  {
    version: 13,
    name: 'kiosk tags, batches of commands',
    sql: `
      CREATE TABLE kiosk_tags (
        store_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        tag TEXT NOT NULL,
        tagged_by TEXT NOT NULL,
        tagged_at INTEGER NOT NULL,
        PRIMARY KEY (store_id, device_id, tag)
      );
      CREATE INDEX kiosk_tags_tag ON kiosk_tags (tag, store_id);
      CREATE TABLE batches (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('command')),
        name TEXT NOT NULL,
        args TEXT NOT NULL,
        selection TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX batches_created ON batches (created_at);
      ALTER TABLE commands ADD COLUMN batch_id TEXT;
      CREATE INDEX commands_batch ON commands (batch_id);
    `,
  },
];

/** v13 on PostgreSQL (idempotent). */
export const PG_KIOSK_TAGS_SCHEMA = `
  CREATE TABLE IF NOT EXISTS kiosk_tags (
    store_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    tag TEXT NOT NULL,
    tagged_by TEXT NOT NULL,
    tagged_at BIGINT NOT NULL,
    PRIMARY KEY (store_id, device_id, tag)
  );
  CREATE INDEX IF NOT EXISTS kiosk_tags_tag ON kiosk_tags (tag, store_id);
  CREATE TABLE IF NOT EXISTS batches (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('command')),
    name TEXT NOT NULL,
    args TEXT NOT NULL,
    selection TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS batches_created ON batches (created_at);
  ALTER TABLE commands ADD COLUMN IF NOT EXISTS batch_id TEXT;
  CREATE INDEX IF NOT EXISTS commands_batch ON commands (batch_id);
`;

/**
 * Ingest schema v17 — batches that push config or a price book (hq/fleet/batch-push.ts).
 * batches.kind: also `config` (a config body published at device scope to each kiosk) and `pricebook` (a console
 *   price-book version published at device scope to each kiosk). SQLite cannot change a CHECK: the table is rebuilt.
 * batch_pushes: one row per kiosk of such a batch: the version published to it (a config version is per device
 *   scope, so it differs from kiosk to kiosk), when, and `error` when it could not be published to that kiosk. The
 *   kiosk's outcome is not stored here: it is read from its last `config/reported` / `pricebook/reported` (fleet).
 */
export const BATCH_PUSH_MIGRATIONS: Migration[] = [
  {
    version: 17,
    name: 'batches that push config or a price book',
    sql: `
      CREATE TABLE batches_v17 (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('command', 'config', 'pricebook')),
        name TEXT NOT NULL,
        args TEXT NOT NULL,
        selection TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      INSERT INTO batches_v17 (id, kind, name, args, selection, created_by, created_at) SELECT id, kind, name, args, selection, created_by, created_at FROM batches;
      DROP TABLE batches;
      ALTER TABLE batches_v17 RENAME TO batches;
      CREATE INDEX batches_created ON batches (created_at);
      CREATE TABLE batch_pushes (
        batch_id TEXT NOT NULL,
        store_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        version TEXT,
        error TEXT,
        sent_at INTEGER NOT NULL,
        PRIMARY KEY (batch_id, store_id, device_id)
      );
    `,
  },
];

/** v17 on PostgreSQL (idempotent: the CHECK is replaced at every open). */
export const PG_BATCH_PUSH_SCHEMA = `
  ALTER TABLE batches DROP CONSTRAINT IF EXISTS batches_kind_check;
  ALTER TABLE batches ADD CONSTRAINT batches_kind_check CHECK (kind IN ('command', 'config', 'pricebook'));
  CREATE TABLE IF NOT EXISTS batch_pushes (
    batch_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    version TEXT,
    error TEXT,
    sent_at BIGINT NOT NULL,
    PRIMARY KEY (batch_id, store_id, device_id)
  );
`;
