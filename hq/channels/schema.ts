import type { Migration } from '../../kernel/sqlite/migrate';

/**
 * Ingest schema v12 — payment channel secrets entered at HQ and sealed to each kiosk (hq/channels).
 *
 * kiosk_seal_keys: each kiosk's X25519 sealing public key (SPKI PEM) as its birth `state` announced it
 *   (`sealKey`, written with the fleet row: hq/fleet/fleet-table.ts), its fingerprint, when HQ first saw one and when
 *   it last changed (a re-provisioned kiosk has a new key: what was sealed to the old one must be sealed again).
 * channel_secrets: one row per change of one channel at one scope (`*` = the chain, else a store id). `version` is
 *   HQ's channel-secrets counter, one sequence for every scope and channel (so what a kiosk receives only grows).
 *   `ids` (JSON) are the merchant ids, shown in clear; `fingerprints` (JSON, `field` → first 8 bytes of SHA-256) are
 *   the only thing ever shown of a secret; `sealed` is the channel's values encrypted at rest (AES-256-GCM under the
 *   HQ secrets key `key_id`, hq/channels/secrets-key.ts): the database never holds a secret in clear.
 * channel_deliveries: per kiosk, the last channel-secrets version HQ sealed for it and how: `sent` in the signed
 *   device config bundle `config_version` (its applied / refused outcome is the kiosk's `config/reported`), or
 *   `waiting_key` (HQ knows no sealing key for it yet: nothing was sent).
 */
export const CHANNELS_MIGRATIONS: Migration[] = [
  {
    version: 12,
    name: 'payment channel secrets sealed to each kiosk',
    sql: `
      CREATE TABLE kiosk_seal_keys (
        store_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        public_key TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        first_seen INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (store_id, device_id)
      );
      CREATE TABLE channel_secrets (
        scope TEXT NOT NULL,
        channel TEXT NOT NULL CHECK (channel IN ('alipay', 'wechat', 'unionpay')),
        version INTEGER NOT NULL,
        ids TEXT NOT NULL,
        fingerprints TEXT NOT NULL,
        sealed TEXT NOT NULL,
        key_id TEXT NOT NULL,
        set_by TEXT NOT NULL,
        set_at INTEGER NOT NULL,
        PRIMARY KEY (scope, channel, version)
      );
      CREATE TABLE channel_deliveries (
        store_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('sent', 'waiting_key')),
        config_version INTEGER,
        key_fingerprint TEXT,
        at INTEGER NOT NULL,
        PRIMARY KEY (store_id, device_id)
      );
    `,
  },
];

/** The same on PostgreSQL (idempotent: run at every open). */
export const PG_CHANNELS_SCHEMA = `
  CREATE TABLE IF NOT EXISTS kiosk_seal_keys (
    store_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    public_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    first_seen BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (store_id, device_id)
  );
  CREATE TABLE IF NOT EXISTS channel_secrets (
    scope TEXT NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('alipay', 'wechat', 'unionpay')),
    version BIGINT NOT NULL,
    ids TEXT NOT NULL,
    fingerprints TEXT NOT NULL,
    sealed TEXT NOT NULL,
    key_id TEXT NOT NULL,
    set_by TEXT NOT NULL,
    set_at BIGINT NOT NULL,
    PRIMARY KEY (scope, channel, version)
  );
  CREATE TABLE IF NOT EXISTS channel_deliveries (
    store_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('sent', 'waiting_key')),
    config_version BIGINT,
    key_fingerprint TEXT,
    at BIGINT NOT NULL,
    PRIMARY KEY (store_id, device_id)
  );
`;
