import { KioskDb, type Tx } from '../../runtime/db/database';
import { PG_INGEST_SCHEMA, PgIngestDb, type IngestDb } from './pg-db';
import { migrate, type Migration } from '../../runtime/db/migrations';
import { entryHash, GENESIS_HASH } from '../../runtime/journal/entry';
import type { EventMessage } from '../../runtime/sync/messages';

/** HQ's own schema (its `user_version` counts these, not the kiosk's migrations). */
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
];

export type AcceptStatus = 'stored' | 'duplicate' | 'rejected';

export interface Gap {
  from: number;
  to: number;
}

export interface AcceptResult {
  status: AcceptStatus;
  /** The device's highest contiguous stored seq after this event. */
  contiguousSeq: number;
  /** Stored events lie above a hole: seqs `from..to` are missing. */
  gap?: Gap;
  /** Why a rejected event was rejected (`hash mismatch`, `chain break at seq N`, …). */
  reason?: string;
}

export interface DeviceRow {
  store_id: string;
  device_id: string;
  contiguous_seq: number;
  last_hash: string;
  chain_ok: number;
  chain_error: string | null;
  stored: number;
  duplicates: number;
  rejected: number;
  last_event_ts: number | null;
  updated_at: number;
}

/**
 * HQ's durable store of every kiosk's journal.
 *
 * Rules of `accept`:
 * - Idempotent on (store, device, seq): a second copy with the same hash is a counted no-op (`duplicate`); a copy
 *   with a different hash is `rejected` (`conflicts with stored seq N`).
 * - The event's own hash is recomputed with `entryHash`; a mismatch is `rejected` with reason `hash mismatch`.
 * - Chain linkage is checked against the neighbours that are stored: prevHash must equal the hash of seq-1 (or the
 *   genesis hash for seq 1), and a stored seq+1 must link to this event. A break is `rejected` with reason
 *   `chain break at seq N` and flags the device row (`chain_ok = 0`).
 * - Out-of-order events are stored; while stored events lie above the contiguous run the result carries the
 *   `gap` {from: contiguous+1, to: (lowest stored seq above it) - 1}. `contiguous_seq` advances over any stored run.
 * - Every call is one `BEGIN IMMEDIATE` transaction (`acceptMany` groups several), so several ingest processes
 *   may share one SQLite file.
 */
export class IngestStore {
  private constructor(readonly db: IngestDb) {}

  /** A SQLite file, or a PostgreSQL database when `target` is a `postgres://` URL. */
  static async open(target: string): Promise<IngestStore> {
    if (/^postgres(ql)?:\/\//.test(target)) {
      const pgdb = await PgIngestDb.open(target);
      try {
        await pgdb.transaction((tx) => tx.exec(PG_INGEST_SCHEMA));
      } catch (e) {
        await pgdb.close();
        throw e;
      }
      return new IngestStore(pgdb);
    }
    const db = await KioskDb.open(target);
    await migrate(db, INGEST_MIGRATIONS);
    return new IngestStore(Object.assign(db, { dialect: 'sqlite' as const }));
  }

  accept(event: EventMessage, receivedAt = Date.now()): Promise<AcceptResult> {
    return this.acceptMany([event], receivedAt).then((r) => r[0]);
  }

  /**
   * Accepts events in order inside ONE transaction (one fsync for the lot); results in the same order, each as if
   * accepted alone. Per device it reads the rows around the batch once, decides in memory, and writes in bulk.
   */
  acceptMany(events: EventMessage[], receivedAt = Date.now()): Promise<AcceptResult[]> {
    if (events.length === 0) return Promise.resolve([]);
    const dialect = this.db.dialect;
    return this.db.transaction((tx) => acceptBatch(tx, events, receivedAt, dialect));
  }

  async device(storeId: string, deviceId: string): Promise<DeviceRow | undefined> {
    return this.db.read.get<DeviceRow>('SELECT * FROM devices WHERE store_id = ? AND device_id = ?', [storeId, deviceId]);
  }

  async devices(): Promise<DeviceRow[]> {
    return this.db.read.all<DeviceRow>('SELECT * FROM devices ORDER BY store_id, device_id');
  }

  /** The device's current hole above its contiguous run, if any. */
  async gap(storeId: string, deviceId: string): Promise<Gap | undefined> {
    return gapOf(this.db.read, storeId, deviceId, (await this.device(storeId, deviceId))?.contiguous_seq ?? 0);
  }

  /** Latest retained state / telemetry of a kiosk, for `hq watch` and reports. */
  async recordFleet(storeId: string, deviceId: string, kind: 'state' | 'telemetry', json: string, at: number): Promise<void> {
    await this.db.transaction((tx) =>
      tx.run(
        `INSERT INTO fleet (store_id, device_id, ${kind}, ${kind}_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (store_id, device_id) DO UPDATE SET ${kind} = excluded.${kind}, ${kind}_at = excluded.${kind}_at`,
        [storeId, deviceId, json, at],
      ),
    );
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

async function gapOf(tx: Tx, storeId: string, deviceId: string, contiguous: number): Promise<Gap | undefined> {
  const above = await tx.get<{ seq: number | null }>(
    'SELECT MIN(seq) AS seq FROM sales_events WHERE store_id = ? AND device_id = ? AND seq > ?',
    [storeId, deviceId, contiguous],
  );
  return above?.seq != null ? { from: contiguous + 1, to: above.seq - 1 } : undefined;
}

interface Known {
  hash: string;
  prevHash: string;
}

/** One device's view during a batch: every stored row in the batch's seq range, and every row above contiguous. */
interface DeviceState {
  storeId: string;
  deviceId: string;
  isNew: boolean;
  contiguous: number;
  lastHash: string;
  known: Map<number, Known>;
  /** Stored seqs above `contiguous` (out-of-order arrivals). */
  pending: Set<number>;
  stored: number;
  duplicates: number;
  rejected: number;
  chainError: string | null;
  lastEventTs: number | null;
  inserts: EventMessage[];
}

async function loadDevice(tx: Tx, storeId: string, deviceId: string, events: EventMessage[]): Promise<DeviceState> {
  const key = [storeId, deviceId];
  const dev = await tx.get<DeviceRow>('SELECT * FROM devices WHERE store_id = ? AND device_id = ?', key);
  const contiguous = dev?.contiguous_seq ?? 0;
  let lo = Infinity;
  let hi = 0;
  for (const e of events) {
    lo = Math.min(lo, e.seq);
    hi = Math.max(hi, e.seq);
  }
  const rows = await tx.all<{ seq: number; hash: string; prev_hash: string }>(
    `SELECT seq, hash, prev_hash FROM sales_events WHERE store_id = ?1 AND device_id = ?2 AND (seq BETWEEN ?3 AND ?4 OR seq > ?5)`,
    [storeId, deviceId, lo - 1, hi + 1, contiguous],
  );
  const known = new Map<number, Known>();
  const pending = new Set<number>();
  for (const r of rows) {
    known.set(r.seq, { hash: r.hash, prevHash: r.prev_hash });
    if (r.seq > contiguous) pending.add(r.seq);
  }
  return {
    storeId,
    deviceId,
    isNew: !dev,
    contiguous,
    lastHash: dev?.last_hash ?? GENESIS_HASH,
    known,
    pending,
    stored: 0,
    duplicates: 0,
    rejected: 0,
    chainError: null,
    lastEventTs: null,
    inserts: [],
  };
}

function gapIn(d: DeviceState): Gap | undefined {
  if (d.pending.size === 0) return undefined;
  let min = Infinity;
  for (const s of d.pending) if (s < min) min = s;
  return { from: d.contiguous + 1, to: min - 1 };
}

function decide(d: DeviceState, e: EventMessage): AcceptResult {
  const reject = (reason: string, chain: boolean): AcceptResult => {
    d.rejected++;
    if (chain) d.chainError = reason;
    const gap = gapIn(d);
    return gap ? { status: 'rejected', contiguousSeq: d.contiguous, reason, gap } : { status: 'rejected', contiguousSeq: d.contiguous, reason };
  };
  const withGap = (status: AcceptStatus): AcceptResult => {
    const gap = gapIn(d);
    return gap ? { status, contiguousSeq: d.contiguous, gap } : { status, contiguousSeq: d.contiguous };
  };

  const computed = entryHash({ seq: e.seq, deviceId: e.deviceId, ts: e.ts, orderId: e.orderId, type: e.type, payload: e.payload, prevHash: e.prevHash });
  if (computed !== e.hash) return reject('hash mismatch', false);

  const stored = d.known.get(e.seq);
  if (stored) {
    if (stored.hash !== e.hash) return reject(`conflicts with stored seq ${e.seq}`, true);
    d.duplicates++;
    return withGap('duplicate');
  }
  const prevHash = e.seq === 1 ? GENESIS_HASH : d.known.get(e.seq - 1)?.hash;
  if (prevHash !== undefined && prevHash !== e.prevHash) return reject(`chain break at seq ${e.seq}`, true);
  const next = d.known.get(e.seq + 1);
  if (next && next.prevHash !== e.hash) return reject(`chain break at seq ${e.seq + 1}`, true);

  d.known.set(e.seq, { hash: e.hash, prevHash: e.prevHash });
  d.inserts.push(e);
  d.stored++;
  d.lastEventTs = Math.max(d.lastEventTs ?? 0, e.ts);
  if (e.seq > d.contiguous) d.pending.add(e.seq);
  // advance over the stored run (every stored row above contiguous is in `known`)
  while (d.pending.has(d.contiguous + 1)) {
    d.contiguous++;
    d.pending.delete(d.contiguous);
    d.lastHash = d.known.get(d.contiguous)!.hash;
  }
  return withGap('stored');
}

/** The two statements whose SQL differs between SQLite and PostgreSQL. */
const SQL = {
  sqlite: {
    insertEvents: `INSERT OR IGNORE INTO sales_events (store_id, device_id, seq, ts, order_id, type, payload, prev_hash, hash, received_at)
       SELECT ?1, ?2, r.value ->> 0, r.value ->> 1, r.value ->> 2, r.value ->> 3, r.value ->> 4, r.value ->> 5, r.value ->> 6, ?3
       FROM json_each(?4) r`,
    updateDevice: `UPDATE devices SET contiguous_seq = ?, last_hash = ?, stored = stored + ?, duplicates = duplicates + ?, rejected = rejected + ?,
       chain_ok = CASE WHEN ? IS NULL THEN chain_ok ELSE 0 END, chain_error = COALESCE(?, chain_error),
       last_event_ts = MAX(COALESCE(last_event_ts, 0), COALESCE(?, 0)), updated_at = ?
     WHERE store_id = ? AND device_id = ?`,
  },
  postgres: {
    insertEvents: `INSERT INTO sales_events (store_id, device_id, seq, ts, order_id, type, payload, prev_hash, hash, received_at)
       SELECT ?1, ?2, (r ->> 0)::bigint, (r ->> 1)::bigint, r ->> 2, r ->> 3, r ->> 4, r ->> 5, r ->> 6, ?3::bigint
       FROM json_array_elements(?4::json) r
       ON CONFLICT DO NOTHING`,
    updateDevice: `UPDATE devices SET contiguous_seq = ?, last_hash = ?, stored = stored + ?::bigint, duplicates = duplicates + ?::bigint, rejected = rejected + ?::bigint,
       chain_ok = CASE WHEN ?::text IS NULL THEN chain_ok ELSE 0 END, chain_error = COALESCE(?::text, chain_error),
       last_event_ts = GREATEST(COALESCE(last_event_ts, 0), COALESCE(?::bigint, 0)), updated_at = ?
     WHERE store_id = ? AND device_id = ?`,
  },
} as const;

async function writeDevice(tx: Tx, d: DeviceState, receivedAt: number, dialect: IngestDb['dialect']): Promise<void> {
  if (d.inserts.length > 0) {
    // one statement for the whole batch: the rows travel as one JSON array and the database unpacks them
    const rows = JSON.stringify(d.inserts.map((e) => [e.seq, e.ts, e.orderId, e.type, e.payload, e.prevHash, e.hash]));
    await tx.run(SQL[dialect].insertEvents, [d.storeId, d.deviceId, receivedAt, rows]);
  }
  if (d.isNew) {
    await tx.run('INSERT INTO devices (store_id, device_id, contiguous_seq, last_hash, updated_at) VALUES (?, ?, 0, ?, ?)', [
      d.storeId,
      d.deviceId,
      GENESIS_HASH,
      receivedAt,
    ]);
  }
  await tx.run(
    SQL[dialect].updateDevice,
    [d.contiguous, d.lastHash, d.stored, d.duplicates, d.rejected, d.chainError, d.chainError, d.lastEventTs, receivedAt, d.storeId, d.deviceId],
  );
}

async function acceptBatch(tx: Tx, events: EventMessage[], receivedAt: number, dialect: IngestDb['dialect']): Promise<AcceptResult[]> {
  const byDevice = new Map<string, EventMessage[]>();
  for (const e of events) {
    const k = JSON.stringify([e.storeId, e.deviceId]);
    const list = byDevice.get(k);
    if (list) list.push(e);
    else byDevice.set(k, [e]);
  }
  const states = new Map<string, DeviceState>();
  for (const [k, list] of byDevice) states.set(k, await loadDevice(tx, list[0].storeId, list[0].deviceId, list));
  const results = events.map((e) => decide(states.get(JSON.stringify([e.storeId, e.deviceId]))!, e));
  for (const d of states.values()) await writeDevice(tx, d, receivedAt, dialect);
  return results;
}
