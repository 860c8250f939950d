import type { Tx } from '../../kernel/sqlite/database';
import { writeBesideIngest, type IngestDb } from '../ingest/pg-db';
import type { FleetDbRow, FleetEntry } from '../ingest/fleet';
import { recordSealKey } from '../channels/kiosk-keys';

/**
 * HQ's `fleet` table (schema: ./schema.ts): what the ingest knows of every kiosk, written in batches (one
 * transaction for every kiosk that changed since the last write) and read back at start and by the console.
 *
 * Nullable columns are only ever filled (COALESCE), never emptied by a writer that knows less; `last_event_ts` only
 * grows; `retired_at` is set by a user (retire) and cleared only by a birth newer than it (un-retire).
 */

const UPSERT = `
  INSERT INTO fleet (store_id, device_id, state, state_at, telemetry, telemetry_at, online, online_since, last_seen, last_event_ts,
                     config_reported, config_reported_at, pricebook_reported, pricebook_reported_at)
  VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
  ON CONFLICT (store_id, device_id) DO UPDATE SET
    state = COALESCE(excluded.state, fleet.state),
    state_at = COALESCE(excluded.state_at, fleet.state_at),
    telemetry = COALESCE(excluded.telemetry, fleet.telemetry),
    telemetry_at = COALESCE(excluded.telemetry_at, fleet.telemetry_at),
    online = COALESCE(excluded.online, fleet.online),
    online_since = COALESCE(excluded.online_since, fleet.online_since),
    last_seen = COALESCE(excluded.last_seen, fleet.last_seen),
    last_event_ts = CASE WHEN fleet.last_event_ts IS NULL OR excluded.last_event_ts > fleet.last_event_ts
                         THEN COALESCE(excluded.last_event_ts, fleet.last_event_ts) ELSE fleet.last_event_ts END,
    config_reported = COALESCE(excluded.config_reported, fleet.config_reported),
    config_reported_at = COALESCE(excluded.config_reported_at, fleet.config_reported_at),
    pricebook_reported = COALESCE(excluded.pricebook_reported, fleet.pricebook_reported),
    pricebook_reported_at = COALESCE(excluded.pricebook_reported_at, fleet.pricebook_reported_at),
    retired_at = CASE WHEN fleet.retired_at IS NOT NULL AND CAST(?15 AS BIGINT) > fleet.retired_at THEN NULL ELSE fleet.retired_at END,
    retired_by = CASE WHEN fleet.retired_at IS NOT NULL AND CAST(?15 AS BIGINT) > fleet.retired_at THEN NULL ELSE fleet.retired_by END`;

const opt = <T>(v: T | undefined): T | null => (v === undefined ? null : v);

function params(e: FleetEntry): unknown[] {
  return [
    e.storeId,
    e.deviceId,
    e.state ? JSON.stringify(e.state) : null,
    opt(e.stateAt),
    e.telemetry ? JSON.stringify(e.telemetry) : null,
    opt(e.telemetryAt),
    e.state ? (e.state.online ? 1 : 0) : null,
    opt(e.since),
    opt(e.lastSeen),
    opt(e.lastEventTs),
    e.config ? JSON.stringify(e.config) : null,
    opt(e.configAt),
    e.pricebook ? JSON.stringify(e.pricebook) : null,
    opt(e.pricebookAt),
    // a birth un-retires a kiosk retired before it
    e.state?.online ? opt(e.birthTs) : null,
  ];
}

/** Writes the current knowledge of these kiosks in ONE transaction (on PostgreSQL beside the ingest batches: hq/ingest/pg-db.ts). */
export async function writeFleet(db: IngestDb, entries: readonly FleetEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await writeBesideIngest(db, async (tx) => {
    for (const e of entries) {
      await tx.run(UPSERT, params(e));
      // the sealing key a birth announces (hq/channels): kept apart, so an offline will does not take it away
      if (e.state?.online && e.state.sealKey !== undefined) await recordSealKey(tx, e.storeId, e.deviceId, e.state.sealKey, e.stateAt ?? e.lastSeen ?? 0);
    }
  });
}

export function readFleet(tx: Tx): Promise<FleetDbRow[]> {
  return tx.all<FleetDbRow>('SELECT * FROM fleet ORDER BY store_id, device_id');
}

/** Retires a known kiosk; false when HQ never heard of it. */
export async function retireKiosk(db: IngestDb, storeId: string, deviceId: string, by: string, now: number): Promise<boolean> {
  const r = await db.transaction((tx) => tx.run('UPDATE fleet SET retired_at = ?, retired_by = ? WHERE store_id = ? AND device_id = ?', [now, by, storeId, deviceId]));
  return r.changes > 0;
}
