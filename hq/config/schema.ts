import type { Migration } from '../../kernel/sqlite/migrate';

/**
 * Ingest schema v6 — the config bundles HQ published (hq/config/registry.ts).
 *
 * config_versions: one row per signed bundle, per scope (`fleet`, `store:S`, `device:S/D`), versions strictly
 * increasing per scope. `body` is the canonical JSON of the config sections it sets, `envelope` the signed wire text,
 * `kind` why it was published: `publish` (a user, the console or `hq config push --db`), `renewal` (the same body
 * again before the last one expired, by `system`), `rollback` (an older version's body, `rolled_back_from` naming it).
 * Times are HQ's clock in ms.
 */
export const CONFIG_MIGRATIONS: Migration[] = [
  {
    version: 6,
    name: 'config versions published from HQ',
    sql: `
      CREATE TABLE config_versions (
        scope TEXT NOT NULL,
        version INTEGER NOT NULL,
        body TEXT NOT NULL,
        envelope TEXT NOT NULL,
        published_by TEXT NOT NULL,
        published_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('publish', 'renewal', 'rollback')),
        rolled_back_from INTEGER,
        PRIMARY KEY (scope, version)
      );
    `,
  },
];

/** The same on PostgreSQL (idempotent: run at every open). */
export const PG_CONFIG_SCHEMA = `
  CREATE TABLE IF NOT EXISTS config_versions (
    scope TEXT NOT NULL,
    version BIGINT NOT NULL,
    body TEXT NOT NULL,
    envelope TEXT NOT NULL,
    published_by TEXT NOT NULL,
    published_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('publish', 'renewal', 'rollback')),
    rolled_back_from BIGINT,
    PRIMARY KEY (scope, version)
  );
`;
