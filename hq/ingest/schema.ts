import type { Migration } from '../../kernel/sqlite/migrate';
import { AUDIT_MIGRATIONS, PG_AUDIT_SCHEMA } from '../audit/schema';
import { CHANNELS_MIGRATIONS, PG_CHANNELS_SCHEMA } from '../channels/schema';
import { CONFIG_MIGRATIONS, PG_CONFIG_SCHEMA } from '../config/schema';
import { CONSOLE_MIGRATIONS, PG_CONSOLE_SCHEMA } from '../console/schema';
import { ALERT_TEXT_MIGRATIONS, BATCH_PUSH_MIGRATIONS, FLEET_MIGRATIONS, KIOSK_TAGS_MIGRATIONS, PG_BATCH_PUSH_SCHEMA, PG_FLEET_SCHEMA, PG_KIOSK_TAGS_SCHEMA } from '../fleet/schema';
import { ORDERS_MIGRATIONS, PG_ORDERS_SCHEMA, REFUND_ALLOCATIONS_MIGRATIONS } from '../orders/schema';
import { MEMBERS_MIGRATIONS, PG_MEMBERS_SCHEMA } from '../members/schema';
import { PG_RECALLS_SCHEMA, RECALLS_MIGRATIONS } from '../recalls/schema';
import { PG_RELEASES_SCHEMA, RELEASES_MIGRATIONS } from '../releases/schema';
import { PG_PRICEBOOK_CONSOLE_SCHEMA, PRICEBOOK_CONSOLE_MIGRATIONS } from '../pricebook-console/schema';
import { PG_RECONCILE_SCHEMA, RECONCILE_MIGRATIONS } from '../reconcile/schema';
import { PG_STATS_SCHEMA, STATS_MIGRATIONS } from '../stats/schema';
import { PG_INGEST_SCHEMA } from './pg-db';

/** HQ's own schema (its `user_version` counts these, not the kiosk's migrations). v3-v13 live with their features. */
export const INGEST_MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'sales events, devices, fleet',
    sql: `
      CREATE TABLE sales_events (
        store_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        order_id TEXT,
        type TEXT NOT NULL,
        payload TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL,
        received_at INTEGER NOT NULL,
        PRIMARY KEY (store_id, device_id, seq)
      ) WITHOUT ROWID;
      CREATE TABLE devices (
        store_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        contiguous_seq INTEGER NOT NULL DEFAULT 0,
        last_hash TEXT NOT NULL,
        chain_ok INTEGER NOT NULL DEFAULT 1 CHECK (chain_ok IN (0, 1)),
        chain_error TEXT,
        stored INTEGER NOT NULL DEFAULT 0,
        duplicates INTEGER NOT NULL DEFAULT 0,
        rejected INTEGER NOT NULL DEFAULT 0,
        last_event_ts INTEGER,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (store_id, device_id)
      );
      CREATE TABLE fleet (
        store_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        state TEXT,
        state_at INTEGER,
        telemetry TEXT,
        telemetry_at INTEGER,
        PRIMARY KEY (store_id, device_id)
      );
    `,
  },
  {
    version: 2,
    name: 'quarantine: entries HQ refused (conflicting chains), kept with the reason',
    sql: `
      CREATE TABLE quarantine (
        store_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        hash TEXT NOT NULL,
        ts INTEGER NOT NULL,
        order_id TEXT,
        type TEXT NOT NULL,
        payload TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        reason TEXT NOT NULL,
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        copies INTEGER NOT NULL DEFAULT 1,
        PRIMARY KEY (store_id, device_id, seq, hash)
      ) WITHOUT ROWID;
    `,
  },
  ...FLEET_MIGRATIONS, // v3
  ...ORDERS_MIGRATIONS, // v4
  ...CONSOLE_MIGRATIONS, // v5
  ...CONFIG_MIGRATIONS, // v6
  ...AUDIT_MIGRATIONS, // v7
  ...STATS_MIGRATIONS, // v8
  ...ALERT_TEXT_MIGRATIONS, // v9
  ...REFUND_ALLOCATIONS_MIGRATIONS, // v10
  ...RECONCILE_MIGRATIONS, // v11
  ...CHANNELS_MIGRATIONS, // v12
  ...KIOSK_TAGS_MIGRATIONS, // v13
  ...PRICEBOOK_CONSOLE_MIGRATIONS, // v14, v15
  ...MEMBERS_MIGRATIONS, // v16
  ...BATCH_PUSH_MIGRATIONS, // v17
  ...RECALLS_MIGRATIONS, // v18
  ...RELEASES_MIGRATIONS, // v19, v20
];

/**
 * The whole schema on PostgreSQL, idempotent (run at every open), after sales_events, which ./pg-partitions.ts creates
 * (partitioned by month) or converts first (IngestStore.open).
 */
export const PG_SCHEMA = [PG_INGEST_SCHEMA, PG_FLEET_SCHEMA, PG_ORDERS_SCHEMA, PG_CONSOLE_SCHEMA, PG_CONFIG_SCHEMA, PG_AUDIT_SCHEMA, PG_STATS_SCHEMA, PG_RECONCILE_SCHEMA, PG_CHANNELS_SCHEMA, PG_KIOSK_TAGS_SCHEMA, PG_PRICEBOOK_CONSOLE_SCHEMA, PG_BATCH_PUSH_SCHEMA, PG_MEMBERS_SCHEMA, PG_RECALLS_SCHEMA, PG_RELEASES_SCHEMA].join('\n');
