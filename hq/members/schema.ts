import type { Migration } from '../../kernel/sqlite/migrate';

/**
 * Ingest schema v16 — members and their points ledger (hq/members).
 *
 * - members: HQ's member records (`id` as a member card carries it, protocol/members/member-snapshot.ts MEMBER_ID_RE;
 *   `type` personal / business / group; a display name). Times are HQ's clock in ms.
 * - member_points: the ledger's entries (protocol/members/points-ledger.ts PointsEntry): from kiosk journals (source
 *   `"<store>/<device>"`, seq = the `order_completed` entry's seq, projected as entries are ingested) and from HQ
 *   (source `hq`, seq = HQ's own numbering; `origin` import / adjust, with the actor and reason). One row per
 *   (source, seq, kind, member): a resent entry adds nothing.
 * - member_snapshots: each signed snapshot published to a store (`version` increasing per store), with the sha-256
 *   of its member rows (what changed is published, not what did not).
 * - members_reported: each kiosk's last retained `members/reported` (bounded text), as received.
 */
export const MEMBERS_MIGRATIONS: Migration[] = [
  {
    version: 16,
    name: 'members and their points ledger',
    sql: `
      CREATE TABLE members (
        id TEXT PRIMARY KEY,
        type TEXT NOT NULL,
        name TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE member_points (
        member_id TEXT NOT NULL,
        source TEXT NOT NULL,
        seq INTEGER NOT NULL,
        kind TEXT NOT NULL,
        ts INTEGER NOT NULL,
        points INTEGER NOT NULL,
        order_id TEXT,
        origin TEXT NOT NULL,
        actor TEXT,
        reason TEXT,
        PRIMARY KEY (source, seq, kind, member_id)
      );
      CREATE INDEX member_points_member ON member_points (member_id);
      CREATE TABLE member_snapshots (
        store_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        members INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        published_by TEXT NOT NULL,
        published_at INTEGER NOT NULL,
        PRIMARY KEY (store_id, version)
      );
      CREATE TABLE members_reported (
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
export const PG_MEMBERS_SCHEMA = `
  CREATE TABLE IF NOT EXISTS members (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS member_points (
    member_id TEXT NOT NULL,
    source TEXT NOT NULL,
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    ts BIGINT NOT NULL,
    points BIGINT NOT NULL,
    order_id TEXT,
    origin TEXT NOT NULL,
    actor TEXT,
    reason TEXT,
    PRIMARY KEY (source, seq, kind, member_id)
  );
  CREATE INDEX IF NOT EXISTS member_points_member ON member_points (member_id);
  CREATE TABLE IF NOT EXISTS member_snapshots (
    store_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    members BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    published_by TEXT NOT NULL,
    published_at BIGINT NOT NULL,
    PRIMARY KEY (store_id, version)
  );
  CREATE TABLE IF NOT EXISTS members_reported (
    store_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (store_id, device_id)
  );
`;
