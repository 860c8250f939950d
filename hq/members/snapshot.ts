import { createHash, type KeyObject } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import type { Clock } from '../../kernel/clock';
import { canonicalJson } from '../../kernel/canonical-json';
import type { Tx } from '../../kernel/sqlite/database';
import { checkMemberSnapshot, kioskKey, membersTopic, type MemberRow, type MemberSnapshot } from '../../protocol/members/member-snapshot';
import { resolvePoints } from '../../protocol/members/points-ledger';
import { serializeEnvelope, signEnvelope, type Envelope } from '../../protocol/signed-envelope';
import type { AuditLog, LiveHub } from '../console/types';
import type { IngestStore } from '../ingest/store';
import { allMemberTypes, ledgerRows } from './registry';
import { writeBesideIngest } from '../ingest/pg-db';

type Db = Pick<Tx, 'get' | 'all'>;

/** How long a snapshot is valid for a kiosk to accept it; `hq serve` publishes again well before (RENEW_AFTER_MS). */
export const SNAPSHOT_EXPIRY_MS = 30 * 86_400_000;
/** A snapshot older than this is published again even when nothing changed (so the retained one never expires). */
export const RENEW_AFTER_MS = 23 * 86_400_000;

/** The highest contiguous journal seq HQ has stored of each kiosk of `store` (hq/ingest `devices`). */
export async function countedOf(db: Db, store: string): Promise<Record<string, number>> {
  const rows = await db.all<{ device_id: string; contiguous_seq: unknown }>('SELECT device_id, contiguous_seq FROM devices WHERE store_id = ? ORDER BY device_id', [store]);
  const out: Record<string, number> = {};
  for (const r of rows) out[kioskKey(store, r.device_id)] = Number(r.contiguous_seq);
  return out;
}

/**
 * The snapshot body for a store (protocol/members/member-snapshot.ts): every member HQ has a record of, with the
 * balance of the entries this snapshot counts. Of this store's kiosks those are exactly the entries up to `counted`
 * (HQ's contiguous seq of each: an entry ingested above a gap is left to the kiosk's own estimate, which counts what
 * is above `counted`); entries of other stores' kiosks and HQ's own all count. So a kiosk's estimate — snapshot
 * points + its own entries above `counted` — counts each of its own entries exactly once.
 */
export async function snapshotBody(db: Db, store: string): Promise<MemberSnapshot> {
  const counted = await countedOf(db, store);
  const prefix = `${store}/`;
  const entries = (await ledgerRows(db)).filter((e) => !e.source.startsWith(prefix) || e.seq <= (counted[e.source] ?? 0));
  const bal = resolvePoints(entries);
  const members: MemberRow[] = (await allMemberTypes(db)).map(([id, type]) => [id, type, bal.get(id)?.balance ?? 0]);
  return { v: 1, members, counted };
}

/** The sha-256 of a snapshot's member rows (what decides whether it changed). */
export const membersHash = (members: readonly MemberRow[]): string => createHash('sha256').update(canonicalJson(members)).digest('hex');

export interface SnapshotRow {
  store_id: string;
  version: number;
  members: number;
  sha256: string;
  published_by: string;
  published_at: number;
}

/** The store's last published snapshot, if any. */
export async function latestSnapshot(db: Db, store: string): Promise<SnapshotRow | undefined> {
  const r = await db.get<SnapshotRow>('SELECT * FROM member_snapshots WHERE store_id = ? ORDER BY version DESC LIMIT 1', [store]);
  return r ? { ...r, version: Number(r.version), members: Number(r.members), published_at: Number(r.published_at) } : undefined;
}

/** Stores a snapshot goes to: those with a kiosk HQ knows or has ingested from, or one published before. */
export async function snapshotStores(db: Db): Promise<string[]> {
  const rows = await db.all<{ s: string }>('SELECT store_id AS s FROM fleet UNION SELECT store_id AS s FROM devices UNION SELECT store_id AS s FROM member_snapshots ORDER BY s');
  return rows.map((r) => r.s);
}

export interface MembersPublishDeps {
  store: IngestStore;
  mqtt: MqttClient | null;
  hqKey: KeyObject | null;
  clock: Clock;
  audit: AuditLog;
  live?: LiveHub | null;
}

export type MembersPublishResult =
  | { ok: true; store: string; version: number; members: number; topic: string; envelope: Envelope<MemberSnapshot> }
  | { ok: true; store: string; unchanged: true; version: number }
  | { ok: false; store: string; problem: string };

// one publish at a time per process: the version read and the record must not interleave with another publish
let chain: Promise<unknown> = Promise.resolve();

/**
 * Publishes a store's member snapshot: signed (Ed25519, HQ's key, kind `members`, scope the store, valid 30 days),
 * version one above the store's last (at least the signing time in seconds, so a fresh HQ database still goes
 * forward), retained with QoS 1 on `kiosk/v1/{store}/_all/members`; recorded, audited `members.publish`.
 * `onlyIfChanged`: nothing is published when the member rows are those of the last snapshot and it is not due for
 * renewal.
 */
export function publishMembers(deps: MembersPublishDeps, store: string, o: { user: string; onlyIfChanged?: boolean; ip?: string }): Promise<MembersPublishResult> {
  const next = chain.then(() => publishNow(deps, store, o));
  chain = next.catch(() => undefined);
  return next;
}

async function publishNow(deps: MembersPublishDeps, store: string, o: { user: string; onlyIfChanged?: boolean; ip?: string }): Promise<MembersPublishResult> {
  if (!deps.hqKey || !deps.mqtt) return { ok: false, store, problem: `cannot publish: ${!deps.hqKey ? 'no HQ signing key' : 'no broker'}` };
  const topic = membersTopic(store); // throws TypeError on a store id the wire does not allow
  const db = deps.store.db.read;
  const body = await snapshotBody(db, store);
  const problem = checkMemberSnapshot(body);
  if (problem) return { ok: false, store, problem: `snapshot: ${problem}` };
  const sha256 = membersHash(body.members);
  const now = deps.clock.now();
  const last = await latestSnapshot(db, store);
  if (o.onlyIfChanged && last && last.sha256 === sha256 && now - last.published_at < RENEW_AFTER_MS) return { ok: true, store, unchanged: true, version: last.version };
  const version = Math.max((last?.version ?? 0) + 1, Math.floor(now / 1000));
  const envelope = signEnvelope<MemberSnapshot>(
    { kind: 'members', scope: { kind: 'store', store }, version, issuedAt: new Date(now).toISOString(), expiresAt: new Date(now + SNAPSHOT_EXPIRY_MS).toISOString(), body },
    deps.hqKey,
  );
  await deps.mqtt.publishAsync(topic, serializeEnvelope(envelope), { qos: 1, retain: true });
  await writeBesideIngest(deps.store.db, (tx) =>
    tx.run('INSERT INTO member_snapshots (store_id, version, members, sha256, published_by, published_at) VALUES (?, ?, ?, ?, ?, ?)', [store, version, body.members.length, sha256, o.user, now]),
  );
  await deps.audit.record({ actor: o.user, action: 'members.publish', target: `store:${store}`, detail: { version, members: body.members.length, sha256 }, ...(o.ip ? { ip: o.ip } : {}) });
  deps.live?.publish('config', store);
  return { ok: true, store, version, members: body.members.length, topic, envelope };
}

/** {@link publishMembers} for every store a snapshot goes to (or one). */
export async function publishAllMembers(deps: MembersPublishDeps, o: { user: string; onlyIfChanged?: boolean; store?: string }): Promise<MembersPublishResult[]> {
  const stores = o.store !== undefined ? [o.store] : await snapshotStores(deps.store.db.read);
  const out: MembersPublishResult[] = [];
  for (const s of stores) out.push(await publishMembers(deps, s, o));
  return out;
}
