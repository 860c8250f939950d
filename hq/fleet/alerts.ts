import type { AlertInput, Alerts, AlertText, StoreScope } from '../console/types';
import { writeBesideIngest, type IngestDb } from '../ingest/pg-db';
import { decodeAlertText, encodeAlertText } from './alert-text';
import { kioskWhere } from '../console/scope-sql';

/** One alert, raised and perhaps cleared or acknowledged. */
export interface AlertRecord {
  id: number;
  source: string;
  key: string;
  kind: string;
  severity: 'warning' | 'critical';
  storeId: string | null;
  deviceId: string | null;
  message: string;
  /** The words in the console's languages; null for rows written before v9 or without a valid text. */
  text: AlertText | null;
  raisedAt: number;
  clearedAt: number | null;
  ackedBy: string | null;
  ackedAt: number | null;
}

interface Row {
  id: number;
  source: string;
  key: string;
  kind: string;
  severity: 'warning' | 'critical';
  store_id: string | null;
  device_id: string | null;
  message: string;
  text_json: string | null;
  raised_at: number;
  cleared_at: number | null;
  acked_by: string | null;
  acked_at: number | null;
}

const n = (v: number | string | null): number | null => (v === null ? null : Number(v));
const toRecord = (r: Row): AlertRecord => ({
  id: Number(r.id),
  source: r.source,
  key: r.key,
  kind: r.kind,
  severity: r.severity,
  storeId: r.store_id,
  deviceId: r.device_id,
  message: r.message,
  text: decodeAlertText(r.text_json),
  raisedAt: Number(r.raised_at),
  clearedAt: n(r.cleared_at),
  ackedBy: r.acked_by,
  ackedAt: n(r.acked_at),
});

/** An alert message is shown in tables: bounded. */
const MAX_MESSAGE = 500;

/**
 * The alerts table (schema: ./schema.ts) behind the console's {@link Alerts}: each evaluator (`source`) says which
 * alerts are active now; new ones are raised, gone ones cleared, and every raise stays as history. Reads are always
 * within a user's store scope (an alert without a store is shown to users who see every store only). No ingest batch
 * writes alerts, so on PostgreSQL every write here runs beside the batches (writeBesideIngest), one such write at a
 * time: under the global write lock, an evaluator's sync every few seconds queued every batch behind it during a
 * reconnect burst (bench/fleet, K = 4: batches and the console waited up to 9 s).
 */
export class SqlAlerts implements Alerts {
  constructor(private readonly db: IngestDb) {}

  /** Makes the open alerts of `source` exactly `active`: new ones are raised, gone ones cleared (history kept). */
  async sync(source: string, active: readonly AlertInput[], now: number): Promise<void> {
    await this.syncChanges(source, active, now);
  }

  /** {@link sync}, returning what it raised and cleared. */
  async syncChanges(source: string, active: readonly AlertInput[], now: number): Promise<{ raised: AlertInput[]; cleared: AlertRecord[] }> {
    const wanted = new Map(active.map((a) => [a.key, a]));
    return writeBesideIngest(this.db, async (tx) => {
      const rows = await tx.all<Row>('SELECT * FROM alerts WHERE source = ? AND cleared_at IS NULL', [source]);
      const open = rows.map(toRecord);
      const storedText = new Map(rows.map((r) => [Number(r.id), r.text_json ?? null]));
      const openKeys = new Set(open.map((a) => a.key));
      const cleared = open.filter((a) => !wanted.has(a.key));
      for (const a of cleared) await tx.run('UPDATE alerts SET cleared_at = ? WHERE id = ?', [now, a.id]);
      for (const a of open) {
        const w = wanted.get(a.key);
        if (!w) continue;
        // the same alert, its words updated (e.g. "offline since …"); raised_at stays
        const message = w.message.slice(0, MAX_MESSAGE);
        const text = encodeAlertText(w.text);
        if (message !== a.message || text !== storedText.get(a.id)) await tx.run('UPDATE alerts SET message = ?, text_json = ? WHERE id = ?', [message, text, a.id]);
      }
      const raised = [...wanted.values()].filter((a) => !openKeys.has(a.key));
      for (const a of raised) {
        await tx.run(
          'INSERT INTO alerts (source, key, kind, severity, store_id, device_id, message, text_json, raised_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
          [source, a.key, a.kind, a.severity, a.storeId ?? null, a.deviceId ?? null, a.message.slice(0, MAX_MESSAGE), encodeAlertText(a.text), now],
        );
      }
      return { raised, cleared };
    });
  }

  /** Open alerts in scope (optionally of one store / device), newest first. */
  async open(scope: StoreScope, filter: { store?: string; device?: string } = {}): Promise<AlertRecord[]> {
    return this.query(scope, filter, 'cleared_at IS NULL', 1000);
  }

  /** The latest alerts in scope, open or cleared, newest first. */
  async recent(scope: StoreScope, limit: number, filter: { store?: string; device?: string } = {}): Promise<AlertRecord[]> {
    return this.query(scope, filter, '1 = 1', limit);
  }

  async get(id: number): Promise<AlertRecord | undefined> {
    if (!Number.isSafeInteger(id)) return undefined;
    const r = await this.db.read.get<Row>('SELECT * FROM alerts WHERE id = ?', [id]);
    return r ? toRecord(r) : undefined;
  }

  /** Acknowledges an alert (the first acknowledgement stays); false when there is no such alert. */
  async ack(id: number, user: string, now: number): Promise<boolean> {
    if (!Number.isSafeInteger(id)) return false;
    const r = await writeBesideIngest(this.db, (tx) => tx.run('UPDATE alerts SET acked_by = COALESCE(acked_by, ?), acked_at = COALESCE(acked_at, ?) WHERE id = ?', [user, now, id]));
    return r.changes > 0;
  }

  /** Clears the open alerts of a kiosk (it was retired). */
  async clearDevice(storeId: string, deviceId: string, now: number): Promise<void> {
    await writeBesideIngest(this.db, (tx) => tx.run('UPDATE alerts SET cleared_at = ? WHERE store_id = ? AND device_id = ? AND cleared_at IS NULL', [now, storeId, deviceId]));
  }

  private async query(scope: StoreScope, filter: { store?: string; device?: string }, state: string, limit: number): Promise<AlertRecord[]> {
    const where = kioskWhere(scope, filter);
    const params: unknown[] = [...where.params, Math.max(1, Math.min(1000, Math.trunc(limit)))];
    const rows = await this.db.read.all<Row>(`SELECT * FROM alerts WHERE ${state} AND ${where.sql} ORDER BY raised_at DESC, id DESC LIMIT ?`, params);
    return rows.map(toRecord);
  }
}
