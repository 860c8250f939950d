import { KioskDb, type Tx } from '../../kernel/sqlite/database';
import { applyMigrations } from '../../kernel/sqlite/migrate';
import type { EventMessage } from '../../protocol/sync/messages';
import { acceptBatch } from './accept-batch';
import { readFleet, retireKiosk } from '../fleet/fleet-table';
import type { FleetDbRow } from './fleet';
import type { AcceptResult, BatchOutcome, Gap } from './outcome';
import { PgIngestDb, type IngestDb } from './pg-db';
import { ensureSalesEvents, MonthPartitions } from './pg-partitions';
import { FreshStats } from './pg-fresh-stats';
import { salesByDevice, type DeviceSales } from './sales';
import { refillRollups } from '../stats/rollup-writer';
import { PG_STATS_MISSING } from '../stats/schema';
import { INGEST_MIGRATIONS, PG_SCHEMA } from './schema';

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
 * HQ's durable store of every kiosk's journal. The schema is ./schema.ts, the per-batch decision ./accept-batch.ts.
 *
 * Rules of `accept`:
 * - Idempotent on (store, device, seq): a second copy with the same hash is a counted no-op (`duplicate`); a copy
 *   with a different hash is `rejected` (`conflicts with stored seq N`).
 * - The event's own hash is recomputed with `entryHash`; a mismatch is `rejected` with reason `hash mismatch`.
 * - `payload` is stored as the entry's canonical JSON text, the bytes its hash covers, whether the event came as v1
 *   (the text as a string) or v2 (the payload as JSON, re-canonicalised by parseEvent): readers see one form.
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
 *   may share one SQLite file. On PostgreSQL every call is one transaction serialized per device it carries, so any
 *   number of ingest workers share the database (./pg-db.ts), and sales_events is partitioned by month
 *   (./pg-partitions.ts).
 */
export class IngestStore {
  private readonly partitions: MonthPartitions | null;
  private readonly freshStats: FreshStats | null;
  private constructor(readonly db: IngestDb) {
    this.partitions = db instanceof PgIngestDb ? new MonthPartitions(db) : null;
    this.freshStats = db instanceof PgIngestDb ? new FreshStats(db.read) : null;
  }

  /**
   * A SQLite file, or a PostgreSQL database when `target` is a `postgres://` URL (`now`: which month partitions of
   * sales_events are created ahead — this month's and the next).
   */
  static async open(target: string, now = Date.now()): Promise<IngestStore> {
    if (/^postgres(ql)?:\/\//.test(target)) {
      const pgdb = await PgIngestDb.open(target);
      try {
        await pgdb.transaction(async (tx) => {
          // one schema writer at a time (two HQ processes starting together), then the rollups' first fill
          await tx.get('SELECT pg_advisory_xact_lock(72150001)');
          const fresh = await tx.get<{ missing: boolean }>(PG_STATS_MISSING);
          // first: the rest of the schema indexes it (and an older plain table is converted here)
          await ensureSalesEvents(tx, now);
          await tx.exec(PG_SCHEMA);
          if (fresh?.missing) await refillRollups(tx);
        });
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
  async acceptBatch(events: EventMessage[], receivedAt = Date.now(), opts: { yieldContended?: boolean } = {}): Promise<BatchOutcome> {
    if (events.length === 0) return { results: [], acks: [], quarantined: [] };
    const dialect = this.db.dialect;
    if (!(this.db instanceof PgIngestDb)) return this.db.transaction((tx) => acceptBatch(tx, events, receivedAt, dialect));
    await this.partitions!.ensure(events.map((e) => e.ts));
    const devices = events.map((e) => [e.storeId, e.deviceId] as const);
    const outcome = opts.yieldContended
      ? // only the devices no other batch holds now; the rest go back to the caller (PgIngestDb.deviceTransactionTaking)
        await this.db.deviceTransactionTaking(devices, async (tx, taken) => {
          const accepted = events.filter((e) => taken.has(`${e.storeId}/${e.deviceId}`));
          const deferred = events.filter((e) => !taken.has(`${e.storeId}/${e.deviceId}`));
          return { ...(await acceptBatch(tx, accepted, receivedAt, dialect)), accepted, deferred };
        })
      : await this.db.deviceTransaction(devices, (tx) => acceptBatch(tx, events, receivedAt, dialect));
    // committed: statistics for a fresh database's planner are no reason to fail (or wait for) the batch
    void this.freshStats!.afterBatch().catch(() => undefined);
    return outcome;
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

  /** Completed sales per device (of one store, or all); training orders counted apart and never in the totals. */
  sales(storeId?: string): Promise<DeviceSales[]> {
    return salesByDevice(this.db.read, storeId);
  }

  /** HQ's `fleet` table: every kiosk as HQ last knew it (hq/fleet/fleet-table.ts writes it). */
  fleetTable(): Promise<FleetDbRow[]> {
    return readFleet(this.db.read);
  }

  /** Retires a kiosk HQ knows (it leaves the fleet and its alerts until a newer birth); false when unknown. */
  retireKiosk(storeId: string, deviceId: string, by: string, now: number): Promise<boolean> {
    return retireKiosk(this.db, storeId, deviceId, by, now);
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
