import type { Tx } from '../../kernel/sqlite/database';
import { GENESIS_HASH } from '../../protocol/journal/entry';
import { follows, hashMatches } from '../../protocol/journal/chain';
import type { EventMessage } from '../../protocol/sync/messages';
import { projectPoints, removeEvictedPoints } from '../members/ledger-projection';
import { projectEvents, reprojectEvicted } from '../orders/projector';
import { SQL } from './ingest-sql';
import type { AcceptResult, AcceptStatus, BatchOutcome, DeviceAck, Gap, QuarantineNote } from './outcome';
import type { IngestDb } from './pg-db';
import type { DeviceRow } from './store';

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
  if (!hashMatches(e)) return reject(HASH_MISMATCH, false);

  const stored = d.known.get(e.seq);
  if (stored) {
    if (stored.hash !== e.hash) return reject(`conflicts with stored seq ${e.seq}`, true);
    d.duplicates++;
    d.okSeqs.push(e.seq);
    return withGap('duplicate');
  }
  // the neighbours HQ holds must chain with this entry (protocol/journal/chain.ts), below and above
  const below = d.known.get(e.seq - 1);
  const prev = e.seq === 1 ? null : below && { seq: e.seq - 1, hash: below.hash };
  if (prev !== undefined && !follows(prev, e)) return reject(`chain break at seq ${e.seq}`, true);
  if (prev === undefined && (d.quarantinedKeys.get(`${e.seq - 1}/${e.prevHash}`) || isChainRejected(d, e.seq - 1, e.prevHash))) {
    return reject(`descends from quarantined seq ${e.seq - 1}`, true);
  }
  const next = d.known.get(e.seq + 1);
  if (next && !follows(e, { seq: e.seq + 1, prevHash: next.prevHash })) return reject(`chain break at seq ${e.seq + 1}`, true);

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

/**
 * Decides a batch in memory, per device, from the rows around it (read once), then writes in bulk: the rules are
 * IngestStore's (./store.ts). Runs inside the caller's write transaction.
 */
export async function acceptBatch(tx: Tx, events: EventMessage[], receivedAt: number, dialect: IngestDb['dialect']): Promise<BatchOutcome> {
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
  // the order projections (hq/orders) of what this batch newly stored, in this transaction, after the inserts
  await projectEvents(tx, dialect, [...states.values()].flatMap((d) => d.inserts));
  // the members' points ledger (hq/members) likewise: a completed order's earned / redeemed points, a refund's taken back
  await projectPoints(tx, dialect, [...states.values()].flatMap((d) => d.inserts));
  for (const d of states.values()) {
    if (d.evict.length > 0) {
      await reprojectEvicted(tx, dialect, d.storeId, d.deviceId, d.evict.map((x) => x.seq));
      await removeEvictedPoints(tx, dialect, d.storeId, d.deviceId, d.evict.map((x) => x.seq));
    }
  }
  return { results, acks, quarantined };
}
