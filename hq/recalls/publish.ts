import { createHash, type KeyObject } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import type { Clock } from '../../kernel/clock';
import { canonicalJson } from '../../kernel/canonical-json';
import { JSON_LIMITS } from '../../kernel/json/limits';
import { checkRecallList, recallsTopic, type RecallList } from '../../protocol/recalls/recall-list';
import { serializeEnvelope, signEnvelope, type Envelope } from '../../protocol/signed-envelope';
import type { AuditLog, LiveHub } from '../console/types';
import type { IngestStore } from '../ingest/store';
import { recallListFor, recallStores } from './registry';
import { writeBesideIngest } from '../ingest/pg-db';

/** How long a list is valid for a kiosk to accept it; `hq serve` publishes again well before (RENEW_AFTER_MS). */
export const RECALLS_EXPIRY_MS = 30 * 86_400_000;
/** A list older than this is published again even when nothing changed (so the retained one never expires). */
export const RECALLS_RENEW_AFTER_MS = 23 * 86_400_000;

export interface RecallListRow {
  store_id: string;
  version: number;
  entries: number;
  sha256: string;
  published_by: string;
  published_at: number;
}

/** The store's last published list, if any. */
export async function latestRecallList(db: IngestStore['db']['read'], store: string): Promise<RecallListRow | undefined> {
  const r = await db.get<RecallListRow>('SELECT * FROM recall_lists WHERE store_id = ? ORDER BY version DESC LIMIT 1', [store]);
  return r ? { ...r, version: Number(r.version), entries: Number(r.entries), published_at: Number(r.published_at) } : undefined;
}

export interface RecallsPublishDeps {
  store: IngestStore;
  mqtt: MqttClient | null;
  hqKey: KeyObject | null;
  clock: Clock;
  audit: AuditLog;
  live?: LiveHub | null;
}

export type RecallsPublishResult =
  | { ok: true; store: string; version: number; recalls: number; entries: number; topic: string; envelope: Envelope<RecallList> }
  | { ok: true; store: string; unchanged: true; version: number }
  | { ok: false; store: string; problem: string };

// one publish at a time per process: the version read and the record must not interleave with another publish
let chain: Promise<unknown> = Promise.resolve();

/**
 * Publishes a store's recall list: signed (Ed25519, HQ's key, kind `recalls`, scope the store, valid 30 days),
 * version one above the store's last (at least the signing time in seconds, so a fresh HQ database still goes
 * forward), retained with QoS 1 on `kiosk/v1/{store}/_all/recalls`; recorded, audited `recalls.publish`. An empty
 * list is published too (it is how a removed recall leaves the lanes). `onlyIfChanged`: nothing is published when
 * the body is that of the last list and it is not due for renewal.
 */
export function publishRecalls(deps: RecallsPublishDeps, store: string, o: { user: string; onlyIfChanged?: boolean; ip?: string }): Promise<RecallsPublishResult> {
  const next = chain.then(() => publishNow(deps, store, o));
  chain = next.catch(() => undefined);
  return next;
}

async function publishNow(deps: RecallsPublishDeps, store: string, o: { user: string; onlyIfChanged?: boolean; ip?: string }): Promise<RecallsPublishResult> {
  if (!deps.hqKey || !deps.mqtt) return { ok: false, store, problem: `cannot publish: ${!deps.hqKey ? 'no HQ signing key' : 'no broker'}` };
  const topic = recallsTopic(store); // throws TypeError on a store id the wire does not allow
  const db = deps.store.db.read;
  const body = await recallListFor(db, store);
  const problem = checkRecallList(body);
  if (problem) return { ok: false, store, problem: `recall list: ${problem}` };
  const sha256 = createHash('sha256').update(canonicalJson(body)).digest('hex');
  const now = deps.clock.now();
  const last = await latestRecallList(db, store);
  if (o.onlyIfChanged && last && last.sha256 === sha256 && now - last.published_at < RECALLS_RENEW_AFTER_MS) return { ok: true, store, unchanged: true, version: last.version };
  // nothing was ever published and there is nothing to recall: no list needed yet
  if (o.onlyIfChanged && !last && body.entries.length === 0) return { ok: true, store, unchanged: true, version: 0 };
  const version = Math.max((last?.version ?? 0) + 1, Math.floor(now / 1000));
  const envelope = signEnvelope<RecallList>(
    { kind: 'recalls', scope: { kind: 'store', store }, version, issuedAt: new Date(now).toISOString(), expiresAt: new Date(now + RECALLS_EXPIRY_MS).toISOString(), body },
    deps.hqKey,
  );
  const payload = serializeEnvelope(envelope);
  if (Buffer.byteLength(payload) > JSON_LIMITS.envelope) return { ok: false, store, problem: `recall list: ${Buffer.byteLength(payload)} bytes, more than a kiosk accepts (${JSON_LIMITS.envelope})` };
  await deps.mqtt.publishAsync(topic, payload, { qos: 1, retain: true });
  await writeBesideIngest(deps.store.db, (tx) =>
    tx.run('INSERT INTO recall_lists (store_id, version, entries, sha256, published_by, published_at) VALUES (?, ?, ?, ?, ?, ?)', [store, version, body.entries.length, sha256, o.user, now]),
  );
  await deps.audit.record({ actor: o.user, action: 'recalls.publish', target: `store:${store}`, detail: { version, recalls: body.recalls.length, entries: body.entries.length, sha256 }, ...(o.ip ? { ip: o.ip } : {}) });
  deps.live?.publish('config', store);
  return { ok: true, store, version, recalls: body.recalls.length, entries: body.entries.length, topic, envelope };
}

/** {@link publishRecalls} for every store a list goes to (or one). */
export async function publishAllRecalls(deps: RecallsPublishDeps, o: { user: string; onlyIfChanged?: boolean; store?: string }): Promise<RecallsPublishResult[]> {
  const stores = o.store !== undefined ? [o.store] : await recallStores(deps.store.db.read);
  const out: RecallsPublishResult[] = [];
  for (const s of stores) out.push(await publishRecalls(deps, s, o));
  return out;
}
