import { KioskDb, type Tx } from '../../kernel/sqlite/database';
import { PG_INGEST_SCHEMA, PgIngestDb, type IngestDb } from './pg-db';
import { applyMigrations, type Migration } from '../../kernel/sqlite/migrate';
import { entryHash, GENESIS_HASH } from '../../protocol/journal/entry';
import type { EventMessage } from '../../protocol/sync/messages';

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

/** What HQ acknowledges to one device after a batch: `seq` and the hash of that entry as HQ stored it. */
export interface DeviceAck {
  storeId: string;
  deviceId: string;
  seq: number;
  hash: string;
}

/** One refused event kept in quarantine. `isNew`: this copy (seq + hash) was not in quarantine before. */
export interface QuarantineNote {
  storeId: string;
  deviceId: string;
  seq: number;
  hash: string;
  reason: string;
  isNew: boolean;
}

export interface BatchOutcome {
  /** One per event, in order (as acceptMany). */
  results: AcceptResult[];
  /** At most one per device: see {@link IngestStore.acceptBatch}. */
  acks: DeviceAck[];
  /** Every rejected event of the batch, now in the quarantine table. */
  quarantined: QuarantineNote[];
}

export interface QuarantineRow {
  store_id: string;
  device_id: string;
  seq: number;
  hash: string;
  ts: number;
  order_id: string | null;
  type: string;
  payload: string;
  prev_hash: string;
  reason: string;
  first_seen: number;
  last_seen: number;
  copies: number;
}

/** One device's quarantined entries, summed up (`hq quarantine`). */
export interface QuarantinedChain {
  storeId: string;
  deviceId: string;
  entries: number;
  fromSeq: number;
  toSeq: number;
  /** The reason of the lowest quarantined seq (where the chains part). */
  reason: string;
  firstSeen: number;
  lastSeen: number;
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
 * - An event whose predecessor (seq-1) is not stored but was quarantined for a chain conflict, with a matching
 *   hash, descends from that conflicting chain: `rejected` (`descends from quarantined seq N`), never stored above
 *   a gap it could never close. The other order too (the descendants came first, e.g. through another `$share`
 *   instance, and wait above a gap): when an event is rejected for a chain conflict, the stored entries above the
 *   contiguous run that link to it are moved from the journal to quarantine.
 * - Every rejected event is kept in the `quarantine` table (store, device, seq, hash, the entry, the reason, first
 *   and last seen, copies): a sale HQ refuses is never lost, only kept apart from the main journal.
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
    await applyMigrations(db, INGEST_MIGRATIONS);
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
    return this.acceptBatch(events, receivedAt).then((o) => o.results);
  }

  /**
   * acceptMany, plus what HQ may acknowledge per device and what it quarantined. The ack of a device (at most one):
   * - no event of the device was rejected in this batch, and at least one was stored or a duplicate: its
   *   contiguous seq with HQ's hash of that entry (as before; the kiosk checks the hash against its own journal);
   * - some were rejected (the kiosk's chain conflicts with HQ's): only the highest seq ≤ contiguous that the kiosk
   *   itself sent in this batch and HQ holds with the same hash — HQ never acks past a conflict;
   * - otherwise none: HQ acks nothing it did not store.
   */
  acceptBatch(events: EventMessage[], receivedAt = Date.now()): Promise<BatchOutcome> {
    if (events.length === 0) return Promise.resolve({ results: [], acks: [], quarantined: [] });
    const dialect = this.db.dialect;
    return this.db.transaction((tx) => acceptBatch(tx, events, receivedAt, dialect));
  }

  /** Quarantined entries (of one device, or all), by store, device, seq. */
  async quarantine(storeId?: string, deviceId?: string): Promise<QuarantineRow[]> {
    if (storeId !== undefined && deviceId !== undefined) {
      return this.db.read.all<QuarantineRow>('SELECT * FROM quarantine WHERE store_id = ? AND device_id = ? ORDER BY seq, first_seen', [storeId, deviceId]);
    }
    return this.db.read.all<QuarantineRow>('SELECT * FROM quarantine ORDER BY store_id, device_id, seq, first_seen');
  }

  /** One line per device with quarantined entries: how many, which seqs, why the chains part, when. */
  async quarantinedChains(): Promise<QuarantinedChain[]> {
    const rows = await this.db.read.all<{ store_id: string; device_id: string; n: number; lo: number; hi: number; first_seen: number; last_seen: number }>(
      `SELECT store_id, device_id, COUNT(*) AS n, MIN(seq) AS lo, MAX(seq) AS hi, MIN(first_seen) AS first_seen, MAX(last_seen) AS last_seen
       FROM quarantine GROUP BY store_id, device_id ORDER BY store_id, device_id`,
    );
    const out: QuarantinedChain[] = [];
    for (const r of rows) {
      const first = await this.db.read.get<{ reason: string }>(
        'SELECT reason FROM quarantine WHERE store_id = ? AND device_id = ? AND seq = ? ORDER BY first_seen LIMIT 1',
        [r.store_id, r.device_id, r.lo],
      );
      out.push({
        storeId: r.store_id,
        deviceId: r.device_id,
        entries: Number(r.n),
        fromSeq: Number(r.lo),
        toSeq: Number(r.hi),
        reason: first?.reason ?? '',
        firstSeen: Number(r.first_seen),
        lastSeen: Number(r.last_seen),
      });
    }
    return out;
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
  /** `seq/hash` of entries already in quarantine (loaded for the batch's range, plus this batch's) → chain conflict? */
  quarantinedKeys: Map<string, boolean>;
  /** This batch's rejected events, one per `seq/hash`, with how many copies came. */
  toQuarantine: Map<string, { e: EventMessage; reason: string; copies: number }>;
  /** Seqs of this batch's events that were stored or duplicates. */
  okSeqs: number[];
  rejectedInBatch: number;
  /** Stored entries above the contiguous run found to descend from a rejected one: moved to quarantine. */
  evict: { seq: number; hash: string; reason: string }[];
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
  const quarantinedKeys = new Map<string, boolean>();
  const q = await tx.all<{ seq: number; hash: string; reason: string }>(
    'SELECT seq, hash, reason FROM quarantine WHERE store_id = ? AND device_id = ? AND seq BETWEEN ? AND ?',
    [storeId, deviceId, lo - 1, hi],
  );
  for (const r of q) quarantinedKeys.set(`${r.seq}/${r.hash}`, r.reason !== HASH_MISMATCH);
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
    quarantinedKeys,
    toQuarantine: new Map(),
    okSeqs: [],
    rejectedInBatch: 0,
    evict: [],
  };
}

const HASH_MISMATCH = 'hash mismatch';

function gapIn(d: DeviceState): Gap | undefined {
  if (d.pending.size === 0) return undefined;
  let min = Infinity;
  for (const s of d.pending) if (s < min) min = s;
  return { from: d.contiguous + 1, to: min - 1 };
}

function decide(d: DeviceState, e: EventMessage): AcceptResult {
  const reject = (reason: string, chain: boolean): AcceptResult => {
    d.rejected++;
    d.rejectedInBatch++;
    if (chain) {
      d.chainError = reason;
      evictDescendants(d, e);
    }
    const key = `${e.seq}/${e.hash}`;
    const q = d.toQuarantine.get(key);
    if (q) q.copies++;
    else d.toQuarantine.set(key, { e, reason, copies: 1 });
    const gap = gapIn(d);
    return gap ? { status: 'rejected', contiguousSeq: d.contiguous, reason, gap } : { status: 'rejected', contiguousSeq: d.contiguous, reason };
  };
  const withGap = (status: AcceptStatus): AcceptResult => {
    const gap = gapIn(d);
    return gap ? { status, contiguousSeq: d.contiguous, gap } : { status, contiguousSeq: d.contiguous };
  };

  // an entry whose hash covers its store must be this topic's store (a chain cannot be replayed as another store's)
  if (typeof e.hashStoreId === 'string' && e.hashStoreId !== e.storeId) return reject(HASH_MISMATCH, false);
  const computed = entryHash({ seq: e.seq, hashStoreId: e.hashStoreId, deviceId: e.deviceId, ts: e.ts, orderId: e.orderId, type: e.type, payload: e.payload, prevHash: e.prevHash });
  if (computed !== e.hash) return reject(HASH_MISMATCH, false);

  const stored = d.known.get(e.seq);
  if (stored) {
    if (stored.hash !== e.hash) return reject(`conflicts with stored seq ${e.seq}`, true);
    d.duplicates++;
    d.okSeqs.push(e.seq);
    return withGap('duplicate');
  }
  const prevHash = e.seq === 1 ? GENESIS_HASH : d.known.get(e.seq - 1)?.hash;
  if (prevHash !== undefined && prevHash !== e.prevHash) return reject(`chain break at seq ${e.seq}`, true);
  if (prevHash === undefined && (d.quarantinedKeys.get(`${e.seq - 1}/${e.prevHash}`) || isChainRejected(d, e.seq - 1, e.prevHash))) {
    return reject(`descends from quarantined seq ${e.seq - 1}`, true);
  }
  const next = d.known.get(e.seq + 1);
  if (next && next.prevHash !== e.hash) return reject(`chain break at seq ${e.seq + 1}`, true);

  d.known.set(e.seq, { hash: e.hash, prevHash: e.prevHash });
  d.inserts.push(e);
  d.stored++;
  d.okSeqs.push(e.seq);
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

/**
 * `e` was rejected for a chain conflict: stored entries waiting above the contiguous run that link to it (seq+1
 * whose prevHash is e's hash, and so on up) are its chain, not HQ's: they leave the journal for quarantine.
 */
function evictDescendants(d: DeviceState, e: EventMessage): void {
  let prev = e.hash;
  for (let seq = e.seq + 1; d.pending.has(seq); seq++) {
    const k = d.known.get(seq);
    if (!k || k.prevHash !== prev) break;
    d.evict.push({ seq, hash: k.hash, reason: `descends from quarantined seq ${seq - 1}` });
    d.quarantinedKeys.set(`${seq}/${k.hash}`, true);
    d.pending.delete(seq);
    d.known.delete(seq);
    d.okSeqs = d.okSeqs.filter((s) => s !== seq);
    d.stored--;
    prev = k.hash;
  }
}

/** Was `seq/hash` rejected earlier in this batch for a chain conflict (not a bad hash)? */
function isChainRejected(d: DeviceState, seq: number, hash: string): boolean {
  const q = d.toQuarantine.get(`${seq}/${hash}`);
  return q !== undefined && q.reason !== HASH_MISMATCH;
}

function ackOf(d: DeviceState): DeviceAck | undefined {
  if (d.rejectedInBatch === 0) {
    if (d.okSeqs.length === 0 || d.contiguous === 0) return undefined;
    return { storeId: d.storeId, deviceId: d.deviceId, seq: d.contiguous, hash: d.lastHash };
  }
  let best = 0;
  for (const s of d.okSeqs) if (s <= d.contiguous && s > best) best = s;
  const hash = best > 0 ? d.known.get(best)?.hash : undefined;
  return hash !== undefined ? { storeId: d.storeId, deviceId: d.deviceId, seq: best, hash } : undefined;
}

/** The statements whose SQL differs between SQLite and PostgreSQL. */
const SQL = {
  sqlite: {
    insertEvents: `INSERT OR IGNORE INTO sales_events (store_id, device_id, seq, ts, order_id, type, payload, prev_hash, hash, received_at)
       SELECT ?1, ?2, r.value ->> 0, r.value ->> 1, r.value ->> 2, r.value ->> 3, r.value ->> 4, r.value ->> 5, r.value ->> 6, ?3
       FROM json_each(?4) r`,
    updateDevice: `UPDATE devices SET contiguous_seq = ?, last_hash = ?, stored = stored + ?, duplicates = duplicates + ?, rejected = rejected + ?,
       chain_ok = CASE WHEN ? IS NULL THEN chain_ok ELSE 0 END, chain_error = COALESCE(?, chain_error),
       last_event_ts = MAX(COALESCE(last_event_ts, 0), COALESCE(?, 0)), updated_at = ?
     WHERE store_id = ? AND device_id = ?`,
    quarantine: `INSERT INTO quarantine (store_id, device_id, seq, hash, ts, order_id, type, payload, prev_hash, reason, first_seen, last_seen, copies)
       SELECT ?1, ?2, r.value ->> 0, r.value ->> 1, r.value ->> 2, r.value ->> 3, r.value ->> 4, r.value ->> 5, r.value ->> 6, r.value ->> 7, ?3, ?3, r.value ->> 8
       FROM json_each(?4) r WHERE true
       ON CONFLICT (store_id, device_id, seq, hash) DO UPDATE SET last_seen = excluded.last_seen, copies = quarantine.copies + excluded.copies`,
    moveToQuarantine: `INSERT INTO quarantine (store_id, device_id, seq, hash, ts, order_id, type, payload, prev_hash, reason, first_seen, last_seen, copies)
       SELECT s.store_id, s.device_id, s.seq, s.hash, s.ts, s.order_id, s.type, s.payload, s.prev_hash, r.value ->> 1, ?3, ?3, 1
       FROM json_each(?4) r JOIN sales_events s ON s.store_id = ?1 AND s.device_id = ?2 AND s.seq = r.value ->> 0 WHERE true
       ON CONFLICT (store_id, device_id, seq, hash) DO NOTHING`,
    deleteMoved: `DELETE FROM sales_events WHERE store_id = ?1 AND device_id = ?2 AND seq IN (SELECT r.value ->> 0 FROM json_each(?3) r)`,
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
    quarantine: `INSERT INTO quarantine (store_id, device_id, seq, hash, ts, order_id, type, payload, prev_hash, reason, first_seen, last_seen, copies)
       SELECT ?1, ?2, (r ->> 0)::bigint, r ->> 1, (r ->> 2)::bigint, r ->> 3, r ->> 4, r ->> 5, r ->> 6, r ->> 7, ?3::bigint, ?3::bigint, (r ->> 8)::bigint
       FROM json_array_elements(?4::json) r
       ON CONFLICT (store_id, device_id, seq, hash) DO UPDATE SET last_seen = excluded.last_seen, copies = quarantine.copies + excluded.copies`,
    moveToQuarantine: `INSERT INTO quarantine (store_id, device_id, seq, hash, ts, order_id, type, payload, prev_hash, reason, first_seen, last_seen, copies)
       SELECT s.store_id, s.device_id, s.seq, s.hash, s.ts, s.order_id, s.type, s.payload, s.prev_hash, r ->> 1, ?3::bigint, ?3::bigint, 1
       FROM json_array_elements(?4::json) r JOIN sales_events s ON s.store_id = ?1 AND s.device_id = ?2 AND s.seq = (r ->> 0)::bigint
       ON CONFLICT (store_id, device_id, seq, hash) DO NOTHING`,
    deleteMoved: `DELETE FROM sales_events WHERE store_id = ?1 AND device_id = ?2 AND seq IN (SELECT (r ->> 0)::bigint FROM json_array_elements(?3::json) r)`,
  },
} as const;

async function writeDevice(tx: Tx, d: DeviceState, receivedAt: number, dialect: IngestDb['dialect']): Promise<void> {
  if (d.inserts.length > 0) {
    // one statement for the whole batch: the rows travel as one JSON array and the database unpacks them
    const rows = JSON.stringify(d.inserts.map((e) => [e.seq, e.ts, e.orderId, e.type, e.payload, e.prevHash, e.hash]));
    await tx.run(SQL[dialect].insertEvents, [d.storeId, d.deviceId, receivedAt, rows]);
  }
  if (d.toQuarantine.size > 0) {
    const rows = JSON.stringify(
      [...d.toQuarantine.values()].map(({ e, reason, copies }) => [e.seq, e.hash, e.ts, e.orderId, e.type, e.payload, e.prevHash, reason, copies]),
    );
    await tx.run(SQL[dialect].quarantine, [d.storeId, d.deviceId, receivedAt, rows]);
  }
  if (d.evict.length > 0) {
    // after the inserts: an evicted entry may have been stored earlier in this very batch
    const rows = JSON.stringify(d.evict.map((x) => [x.seq, x.reason]));
    await tx.run(SQL[dialect].moveToQuarantine, [d.storeId, d.deviceId, receivedAt, rows]);
    await tx.run(SQL[dialect].deleteMoved, [d.storeId, d.deviceId, rows]);
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

async function acceptBatch(tx: Tx, events: EventMessage[], receivedAt: number, dialect: IngestDb['dialect']): Promise<BatchOutcome> {
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
  const acks: DeviceAck[] = [];
  const quarantined: QuarantineNote[] = [];
  for (const d of states.values()) {
    await writeDevice(tx, d, receivedAt, dialect);
    const ack = ackOf(d);
    if (ack) acks.push(ack);
    for (const [key, { e, reason }] of d.toQuarantine) {
      quarantined.push({ storeId: d.storeId, deviceId: d.deviceId, seq: e.seq, hash: e.hash, reason, isNew: !d.quarantinedKeys.has(key) });
    }
    for (const x of d.evict) quarantined.push({ storeId: d.storeId, deviceId: d.deviceId, ...x, isNew: true });
  }
  return { results, acks, quarantined };
}
