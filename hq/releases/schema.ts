import type { Migration } from '../../kernel/sqlite/migrate';

/**
 * Ingest schema v19 — over-the-air releases (hq/releases).
 *
 * - releases: one row per published version: the package's SHA-256 and size (the file is kept content-addressed as
 *   `<sha256>.tgz` in the release folder), the lowest config schema it reads, notes, who published it and when.
 * - rollouts: a release offered to a selection of kiosks (stores / tags / all, a percentage, a canary tag, how many
 *   failures abort it), its state (active / paused / aborted / completed) and the package URL its offers carry.
 * - rollout_kiosks: the kiosks a rollout targets (`canary` 1 for the canary group), the offer sequence HQ signed for
 *   each (null: not offered yet), the withdraw sent after an abort, and the kiosk's latest reported step.
 * - release_offer_seq: HQ's offer sequence per kiosk (the signed envelope's `version`, strictly increasing).
 *
 * v20 — `rollout_kiosks.superseded_by`: the newer rollout a kiosk was handed over to (./rollouts.ts: `supersede`, or
 * a newer rollout's offer claimed for it); the older rollout sends it nothing more (no offer, no withdraw).
 */
export const RELEASES_MIGRATIONS: Migration[] = [
  {
    version: 19,
    name: 'over-the-air releases: packages, rollouts, each kiosk\'s offer and reported step',
    sql: `
      CREATE TABLE releases (
        version TEXT PRIMARY KEY,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        min_config_schema INTEGER NOT NULL,
        notes TEXT,
        published_by TEXT NOT NULL,
        published_at INTEGER NOT NULL
      );
      CREATE TABLE rollouts (
        id TEXT PRIMARY KEY,
        version TEXT NOT NULL REFERENCES releases (version),
        selection TEXT NOT NULL,
        percent INTEGER NOT NULL,
        canary_tag TEXT,
        max_failures INTEGER NOT NULL,
        url TEXT NOT NULL,
        state TEXT NOT NULL,
        reason TEXT,
        created_by TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE rollout_kiosks (
        rollout_id TEXT NOT NULL REFERENCES rollouts (id),
        store_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        canary INTEGER NOT NULL,
        offer_seq INTEGER,
        offered_at INTEGER,
        withdraw_seq INTEGER,
        withdrawn_at INTEGER,
        step TEXT,
        step_ts INTEGER,
        running TEXT,
        reason TEXT,
        detail TEXT,
        received INTEGER,
        total INTEGER,
        reported_at INTEGER,
        PRIMARY KEY (rollout_id, store_id, device_id)
      );
      CREATE INDEX rollout_kiosks_by_kiosk ON rollout_kiosks (store_id, device_id);
      CREATE TABLE release_offer_seq (
        store_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        PRIMARY KEY (store_id, device_id)
      );
    `,
  },
  {
    version: 20,
    name: 'rollouts: a kiosk handed over to a newer rollout (superseded_by)',
    sql: `
      ALTER TABLE rollout_kiosks ADD COLUMN superseded_by TEXT;
    `,
  },
];

/** The same on PostgreSQL (idempotent: run at every open). */
export const PG_RELEASES_SCHEMA = `
  CREATE TABLE IF NOT EXISTS releases (
    version TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    min_config_schema BIGINT NOT NULL,
    notes TEXT,
    published_by TEXT NOT NULL,
    published_at BIGINT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS rollouts (
    id TEXT PRIMARY KEY,
    version TEXT NOT NULL REFERENCES releases (version),
    selection TEXT NOT NULL,
    percent BIGINT NOT NULL,
    canary_tag TEXT,
    max_failures BIGINT NOT NULL,
    url TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS rollout_kiosks (
    rollout_id TEXT NOT NULL REFERENCES rollouts (id),
    store_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    canary BIGINT NOT NULL,
    offer_seq BIGINT,
    offered_at BIGINT,
    withdraw_seq BIGINT,
    withdrawn_at BIGINT,
    step TEXT,
    step_ts BIGINT,
    running TEXT,
    reason TEXT,
    detail TEXT,
    received BIGINT,
    total BIGINT,
    reported_at BIGINT,
    PRIMARY KEY (rollout_id, store_id, device_id)
  );
  CREATE INDEX IF NOT EXISTS rollout_kiosks_by_kiosk ON rollout_kiosks (store_id, device_id);
  CREATE TABLE IF NOT EXISTS release_offer_seq (
    store_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    PRIMARY KEY (store_id, device_id)
  );
  ALTER TABLE rollout_kiosks ADD COLUMN IF NOT EXISTS superseded_by TEXT;
`;
