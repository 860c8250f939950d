import type { KeyObject } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import type { Clock } from '../../kernel/clock';
import type { Tx } from '../../kernel/sqlite/database';
import { releaseOfferSchema, type ReleaseOffer, type ReleaseStep } from '../../protocol/releases/release-offer';
import { releaseOfferTopic } from '../../protocol/releases/topics';
import { serializeEnvelope, signEnvelope } from '../../protocol/signed-envelope';
import type { AuditLog } from '../console/types';
import { isValidTag } from '../fleet/tags';
import { writeBesideIngest, type IngestDb } from '../ingest/pg-db';
import { getRelease, packageUrlPath } from './registry';
import { rolloutTargets, type Selection } from './targeting';

/**
 * Rollouts (schema v19 `rollouts`, `rollout_kiosks`): a release offered to the kiosks of a selection, in stages.
 *
 * - Creating one records every targeted kiosk (./targeting.ts) — nothing is sent yet; {@link driveRollout} sends.
 * - {@link driveRollout} is the one place that decides and sends, idempotent, run by whoever has HQ's key and the
 *   broker: the CLI right after a change, and `hq serve`'s release service (./service.ts) on every kiosk report and
 *   every 30 s. Decisions are made in one write transaction (each kiosk's offer is claimed once, with the next
 *   number of its offer sequence), then the signed offers are published retained, QoS 1, on each kiosk's
 *   `release` topic; an offer that could not be published is un-claimed and sent again on the next pass.
 * - active: canaries are offered first; the rest once EVERY canary reports `healthy`. When `max_failures` targeted
 *   kiosks report `failed` or `rolled_back`, the rollout aborts itself (the rest never receive it). Every targeted
 *   kiosk `healthy` → completed. An offer not answered beyond `healthy`/a failure within 23 days is signed again (it
 *   expires after 30).
 * - paused: nothing more is offered. aborted: every kiosk offered the release that did not reach `switching` or
 *   `healthy` is sent `action: 'withdraw'` (once).
 * - One retained `release` topic per kiosk, so ONE rollout at a time speaks to a kiosk. A rollout still holding a
 *   kiosk (active or paused, the kiosk not finished there: not `healthy`/`failed`/`rolled_back`/`withdrawn`) makes a
 *   new rollout targeting it refused (`conflict`) unless the new one is created with `supersede`: then, in the same
 *   write transaction, the older rollout's kiosks are handed over (`superseded_by`): it sends them nothing more —
 *   no offer, and no withdraw either (the newer offer replaces the retained message). An older rollout left with no
 *   kiosk to finish is aborted `superseded by rN`. A kiosk mid-install (`switching`/`health_check`, reported within
 *   {@link MID_INSTALL_HOLD_MS}) is not handed over and no rollout offers it anything until it has finished (see
 *   {@link MID_INSTALL}). Widening a rollout (`resume` with a larger percentage) adds no kiosk another holds. Whenever a rollout claims
 *   an offer for a kiosk, every other rollout's row of that kiosk that could still send it something is handed over
 *   too (an older rollout that aborts later withdraws nothing from it).
 */

export const ROLLOUT_STATES = ['active', 'paused', 'aborted', 'completed'] as const;
export type RolloutState = (typeof ROLLOUT_STATES)[number];

/** How long an offer is valid for a kiosk to accept it. */
export const OFFER_EXPIRY_MS = 30 * 86_400_000;
/** An offer still unanswered this long after it was signed is signed again (before it expires). */
export const OFFER_RENEW_AFTER_MS = 23 * 86_400_000;

const FAILED_STEPS: readonly string[] = ['failed', 'rolled_back'] satisfies ReleaseStep[];
const KEEPS_RELEASE: readonly string[] = ['switching', 'health_check', 'healthy'] satisfies ReleaseStep[];
const SETTLED: readonly string[] = ['healthy', 'failed', 'rolled_back', 'withdrawn'] satisfies ReleaseStep[];
/**
 * A kiosk that reported one of these steps under a rollout is mid-install: it switched `current` and restarted, and
 * its health check decides between keeping the release and rolling back (minutes, bounded by the kiosk's window).
 * Supersede does not hand such a kiosk over and no other rollout offers it anything meanwhile: a new offer then
 * would make the kiosk stop the work it is doing in the middle of a switch (runtime/releases/release-agent.ts), and
 * a lane that has just restarted on a new release must be left to prove it or roll back — a store expects a
 * switch, once begun, to finish undisturbed. Refusing the whole superseding rollout instead would make it
 * unlaunchable on a large fleet where some lane is always switching; so the newer rollout targets the kiosk and
 * offers it its release once the kiosk reports `healthy` (or a failure) under the older one.
 */
export const MID_INSTALL: readonly string[] = ['switching', 'health_check'] satisfies ReleaseStep[];
/**
 * A mid-install report older than this (HQ's clock when recorded) holds the kiosk no longer: the health window is
 * minutes (`updates.healthWindowMs`, 2 min by default), so a kiosk silent this long after a switch lost its report or
 * is off; it must not block newer rollouts for ever.
 */
export const MID_INSTALL_HOLD_MS = 3_600_000;
/** A kiosk with one of these steps under a rollout is finished there: the rollout holds it no longer. */
const FINISHED: readonly string[] = ['healthy', 'failed', 'rolled_back', 'withdrawn'] satisfies ReleaseStep[];
const sqlList = (xs: readonly string[]): string => xs.map((x) => `'${x}'`).join(', ');

export interface RolloutRow {
  id: string;
  version: string;
  selection: Selection;
  percent: number;
  canaryTag: string | null;
  maxFailures: number;
  url: string;
  state: RolloutState;
  reason: string | null;
  createdBy: string;
  createdAt: number;
  updatedAt: number;
}

export interface RolloutKioskRow {
  storeId: string;
  deviceId: string;
  canary: boolean;
  offerSeq: number | null;
  offeredAt: number | null;
  withdrawnAt: number | null;
  step: ReleaseStep | null;
  stepTs: number | null;
  running: string | null;
  reason: string | null;
  detail: string | null;
  received: number | null;
  total: number | null;
  reportedAt: number | null;
  /** The newer rollout this kiosk was handed over to: this rollout sends it nothing more. */
  supersededBy: string | null;
}

const n = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

const toRollout = (r: Record<string, unknown>): RolloutRow => ({
  id: String(r.id),
  version: String(r.version),
  selection: JSON.parse(String(r.selection)) as Selection,
  percent: Number(r.percent),
  canaryTag: r.canary_tag === null || r.canary_tag === undefined ? null : String(r.canary_tag),
  maxFailures: Number(r.max_failures),
  url: String(r.url),
  state: String(r.state) as RolloutState,
  reason: r.reason === null || r.reason === undefined ? null : String(r.reason),
  createdBy: String(r.created_by),
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

const toKiosk = (r: Record<string, unknown>): RolloutKioskRow => ({
  storeId: String(r.store_id),
  deviceId: String(r.device_id),
  canary: Number(r.canary) === 1,
  offerSeq: n(r.offer_seq),
  offeredAt: n(r.offered_at),
  withdrawnAt: n(r.withdrawn_at),
  step: (r.step ?? null) as ReleaseStep | null,
  stepTs: n(r.step_ts),
  running: (r.running ?? null) as string | null,
  reason: (r.reason ?? null) as string | null,
  detail: (r.detail ?? null) as string | null,
  received: n(r.received),
  total: n(r.total),
  reportedAt: n(r.reported_at),
  supersededBy: r.superseded_by === null || r.superseded_by === undefined ? null : String(r.superseded_by),
});

export async function getRollout(db: Pick<Tx, 'get'>, id: string): Promise<RolloutRow | undefined> {
  const r = await db.get<Record<string, unknown>>('SELECT * FROM rollouts WHERE id = ?', [id]);
  return r ? toRollout(r) : undefined;
}

export async function listRollouts(db: Pick<Tx, 'all'>, limit = 200): Promise<RolloutRow[]> {
  return (await db.all<Record<string, unknown>>('SELECT * FROM rollouts ORDER BY created_at DESC, id DESC LIMIT ?', [limit])).map(toRollout);
}

export async function rolloutKiosks(db: Pick<Tx, 'all'>, id: string): Promise<RolloutKioskRow[]> {
  return (await db.all<Record<string, unknown>>('SELECT * FROM rollout_kiosks WHERE rollout_id = ? ORDER BY canary DESC, store_id, device_id', [id])).map(toKiosk);
}

/** A kiosk's step as shown: `superseded` (handed over), `waiting` (not offered yet), `offered` (no report yet), or the step it reported. */
export const shownStep = (k: RolloutKioskRow): string => (k.supersededBy !== null ? 'superseded' : k.offerSeq === null ? 'waiting' : (k.step ?? 'offered'));

/** Kiosks per step (as {@link shownStep}). */
export function stepCounts(kiosks: readonly RolloutKioskRow[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of kiosks) {
    const s = shownStep(k);
    out[s] = (out[s] ?? 0) + 1;
  }
  return out;
}

/** An older rollout's kiosks among a new rollout's targets that it has not finished. */
export interface Holder {
  id: string;
  version: string;
  state: RolloutState;
  /** Its kiosks among the targets not finished there. */
  kiosks: number;
  /** Of which mid-install ({@link MID_INSTALL}): never handed over, they finish first. */
  midInstall: number;
}

interface HeldRow {
  rollout_id: string;
  version: string;
  state: string;
  store_id: string;
  device_id: string;
  step: string | null;
  reported_at: unknown;
}

/** Mid-install ({@link MID_INSTALL}) and reported within {@link MID_INSTALL_HOLD_MS} of `now`. */
const midInstall = (x: { step: string | null; reported_at: unknown }, now: number): boolean => x.step !== null && MID_INSTALL.includes(x.step) && x.reported_at !== null && Number(x.reported_at) >= now - MID_INSTALL_HOLD_MS;

/** Rows of active/paused rollouts (other than `except`) whose kiosk is not finished and not handed over. */
async function unfinishedRows(tx: Pick<Tx, 'all'>, except?: string): Promise<HeldRow[]> {
  return tx.all<HeldRow>(
    `SELECT k.rollout_id, r.version, r.state, k.store_id, k.device_id, k.step, k.reported_at FROM rollout_kiosks k JOIN rollouts r ON r.id = k.rollout_id
     WHERE r.state IN ('active', 'paused') AND k.superseded_by IS NULL AND (k.step IS NULL OR k.step NOT IN (${sqlList(FINISHED)}))${except !== undefined ? ' AND k.rollout_id <> ?' : ''}
     ORDER BY r.created_at, r.id`,
    except !== undefined ? [except] : [],
  );
}

const kioskKey = (storeId: string, deviceId: string): string => `${storeId}/${deviceId}`;

function holdersOf(rows: readonly HeldRow[], now: number): Holder[] {
  const by = new Map<string, Holder>();
  for (const r of rows) {
    const h = by.get(r.rollout_id) ?? { id: r.rollout_id, version: r.version, state: r.state as RolloutState, kiosks: 0, midInstall: 0 };
    h.kiosks++;
    if (midInstall(r, now)) h.midInstall++;
    by.set(r.rollout_id, h);
  }
  return [...by.values()];
}

/** The `conflict` message: who holds how many of the kiosks, and the ways on. */
export function conflictMessage(holders: readonly Holder[]): string {
  const who = holders.map((h) => `${h.id} (release ${h.version}, ${h.state}) still holds ${h.kiosks} of these kiosks${h.midInstall ? `, ${h.midInstall} of them mid-install` : ''}`).join('; ');
  const ids = holders.map((h) => h.id).join(', ');
  return `${who}: one rollout at a time per kiosk. Let ${ids} finish, abort ${holders.length > 1 ? 'them' : 'it'} (hq release abort ${holders[0]!.id}), or supersede: hq release rollout … --supersede (the console: "supersede older rollouts") hands the kiosks not yet finished over to the new rollout; kiosks mid-install finish first.`;
}

export interface CreateRolloutRequest {
  version: string;
  selection: Selection;
  percent?: number;
  canaryTag?: string;
  maxFailures?: number;
  /** HQ's public HTTPS base URL (`https://hq.example:8443`): offers carry base + /releases/files/<sha256>.tgz. */
  baseUrl: string;
  actor: string;
  now: number;
  /** Take over the kiosks older active/paused rollouts have not finished (otherwise such an overlap is a `conflict`). */
  supersede?: boolean;
  /** The console user's address, for the audit. */
  ip?: string;
}

/** What a superseding rollout took over from one older rollout. */
export interface Superseded {
  id: string;
  version: string;
  /** Kiosks handed over. */
  kiosks: number;
  /** Kiosks left to finish their install under it (handed over by the first offer after). */
  midInstall: number;
  /** The older rollout had nothing left to finish: aborted `superseded by rN`. */
  aborted: boolean;
}

export type CreateOutcome =
  | { ok: true; rollout: RolloutRow; kiosks: number; canaries: number; superseded: Superseded[] }
  | { ok: false; problem: 'unknown_release' | 'bad_request' | 'no_kiosk'; message: string }
  | { ok: false; problem: 'conflict'; message: string; holders: Holder[] };

/**
 * Checks and records a rollout and its targeted kiosks (state active; nothing sent: {@link driveRollout}); refused
 * (`conflict`) when older rollouts hold some of the kiosks, unless `supersede` (the module comment). Audited
 * `release.rollout` (with what it superseded) and, per superseded rollout, `release.supersede`.
 */
export async function createRollout(db: IngestDb, audit: AuditLog, r: CreateRolloutRequest): Promise<CreateOutcome> {
  const bad = (message: string): CreateOutcome => ({ ok: false, problem: 'bad_request', message });
  const percent = r.percent ?? 100;
  const maxFailures = r.maxFailures ?? 1;
  if (!Number.isInteger(percent) || percent < 1 || percent > 100) return bad(`bad percentage ${percent}: expected 1 to 100`);
  if (!Number.isInteger(maxFailures) || maxFailures < 1) return bad(`bad max failures ${maxFailures}: expected an integer ≥ 1`);
  if (r.canaryTag !== undefined && !isValidTag(r.canaryTag)) return bad(`bad canary tag "${r.canaryTag}"`);
  for (const t of r.selection.tags) if (!isValidTag(t)) return bad(`bad tag "${t}"`);
  if (!r.selection.all && r.selection.stores.length === 0 && r.selection.tags.length === 0) return bad('select kiosks: stores, tags or all');
  const base = r.baseUrl.replace(/\/+$/, '');
  const release = await getRelease(db.read, r.version);
  if (!release) return { ok: false, problem: 'unknown_release', message: `no release ${r.version}: publish it first (hq release publish)` };
  const url = `${base}${packageUrlPath(release.sha256)}`;
  const probe: ReleaseOffer = { action: 'install', rollout: 'r1', version: release.version, package: { url, sha256: release.sha256, size: release.size }, minConfigSchema: release.minConfigSchema };
  const checked = releaseOfferSchema.safeParse(probe);
  if (!checked.success) return bad(`a kiosk would refuse the offer: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const targets = await rolloutTargets(db, { version: r.version, selection: r.selection, percent, canaryTag: r.canaryTag ?? null });
  if (targets.length === 0) return { ok: false, problem: 'no_kiosk', message: 'no kiosk is selected (known to HQ, not retired, in the stores / tags, under the percentage)' };
  const wanted = new Set(targets.map((k) => kioskKey(k.storeId, k.deviceId)));
  const done = await writeBesideIngest(db, async (tx) => {
    // read in the write transaction: a rollout made or driven meanwhile by another process is seen
    const held = (await unfinishedRows(tx)).filter((x) => wanted.has(kioskKey(x.store_id, x.device_id)));
    const holders = holdersOf(held, r.now);
    if (holders.length > 0 && r.supersede !== true) return { conflict: holders, rollout: null, superseded: [] as Superseded[] };
    const last = await tx.all<{ id: string }>("SELECT id FROM rollouts WHERE id LIKE 'r%'");
    const next = 1 + Math.max(0, ...last.map((x) => (/^r(\d{1,9})$/.exec(x.id) ? Number(x.id.slice(1)) : 0)));
    const id = `r${next}`;
    await tx.run(
      'INSERT INTO rollouts (id, version, selection, percent, canary_tag, max_failures, url, state, reason, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)',
      [id, r.version, JSON.stringify(r.selection), percent, r.canaryTag ?? null, maxFailures, url, 'active', r.actor, r.now, r.now],
    );
    for (const k of targets) await tx.run('INSERT INTO rollout_kiosks (rollout_id, store_id, device_id, canary) VALUES (?, ?, ?, ?)', [id, k.storeId, k.deviceId, k.canary ? 1 : 0]);
    const superseded: Superseded[] = [];
    for (const h of holders) {
      // handed over: the older rollout's kiosks among the targets it could still send something to (an offer, or a
      // withdraw were it aborted): not mid-install (they finish first), not healthy (kept), not withdrawn already
      const rows = await tx.all<{ store_id: string; device_id: string; step: string | null; reported_at: unknown }>(
        "SELECT store_id, device_id, step, reported_at FROM rollout_kiosks WHERE rollout_id = ? AND superseded_by IS NULL AND withdrawn_at IS NULL AND (step IS NULL OR step <> 'healthy')",
        [h.id],
      );
      let kiosks = 0;
      for (const x of rows) {
        if (!wanted.has(kioskKey(x.store_id, x.device_id)) || midInstall(x, r.now)) continue;
        kiosks += (await tx.run('UPDATE rollout_kiosks SET superseded_by = ? WHERE rollout_id = ? AND store_id = ? AND device_id = ?', [id, h.id, x.store_id, x.device_id])).changes;
      }
      const left = (await unfinishedRows(tx)).some((x) => x.rollout_id === h.id);
      if (!left) await tx.run("UPDATE rollouts SET state = 'aborted', reason = ?, updated_at = ? WHERE id = ? AND state IN ('active', 'paused')", [`superseded by ${id}`, r.now, h.id]);
      superseded.push({ id: h.id, version: h.version, kiosks, midInstall: h.midInstall, aborted: !left });
    }
    return { conflict: null, rollout: (await getRollout(tx, id))!, superseded };
  });
  const { rollout, superseded } = done;
  if (done.conflict !== null || rollout === null) return { ok: false, problem: 'conflict', message: conflictMessage(done.conflict ?? []), holders: done.conflict ?? [] };
  const canaries = targets.filter((k) => k.canary).length;
  const ip = r.ip ? { ip: r.ip } : {};
  await audit.record({
    actor: r.actor,
    action: 'release.rollout',
    target: rollout.id,
    detail: { version: r.version, selection: r.selection, percent, canaryTag: r.canaryTag ?? null, maxFailures, kiosks: targets.length, canaries, ...(r.supersede ? { supersede: true, superseded } : {}) },
    ...ip,
  });
  for (const s of superseded) {
    await audit.record({ actor: r.actor, action: 'release.supersede', target: s.id, detail: { version: s.version, by: rollout.id, byVersion: r.version, kiosks: s.kiosks, midInstall: s.midInstall, aborted: s.aborted }, ...ip });
  }
  return { ok: true, rollout, kiosks: targets.length, canaries, superseded };
}

export type StateChange = 'pause' | 'resume' | 'abort';
export type ChangeOutcome = { ok: true; rollout: RolloutRow; added: number } | { ok: false; problem: 'unknown_rollout' | 'bad_state' | 'bad_request'; message: string };

/**
 * pause (active → paused), resume (paused or active → active, optionally widened to a larger `percent`: the kiosks
 * newly under it are added), abort (active or paused → aborted). Audited `release.pause|resume|abort`.
 */
export async function changeRollout(db: IngestDb, audit: AuditLog, id: string, change: StateChange, o: { actor: string; now: number; percent?: number; reason?: string; ip?: string }): Promise<ChangeOutcome> {
  const current = await getRollout(db.read, id);
  if (!current) return { ok: false, problem: 'unknown_rollout', message: `no rollout ${id}` };
  if (o.percent !== undefined && (change !== 'resume' || !Number.isInteger(o.percent) || o.percent < current.percent || o.percent > 100)) {
    return { ok: false, problem: 'bad_request', message: `bad percentage ${o.percent}: resume widens a rollout to ${current.percent}..100 %` };
  }
  const widened = o.percent !== undefined && o.percent > current.percent ? await rolloutTargets(db, { version: current.version, selection: current.selection, percent: o.percent, canaryTag: current.canaryTag }) : [];
  const from: Record<StateChange, RolloutState[]> = { pause: ['active'], resume: ['paused', 'active'], abort: ['active', 'paused'] };
  const to: Record<StateChange, RolloutState> = { pause: 'paused', resume: 'active', abort: 'aborted' };
  const r = await writeBesideIngest(db, async (tx) => {
    const row = (await getRollout(tx, id))!;
    if (!from[change].includes(row.state)) return null;
    let added = 0;
    // widening adds no kiosk another rollout holds (one rollout at a time per kiosk: the module comment)
    const held = widened.length ? new Set((await unfinishedRows(tx, id)).map((x) => kioskKey(x.store_id, x.device_id))) : new Set<string>();
    const targets = widened.filter((k) => !held.has(kioskKey(k.storeId, k.deviceId)));
    for (const k of targets) added += (await tx.run('INSERT INTO rollout_kiosks (rollout_id, store_id, device_id, canary) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING', [id, k.storeId, k.deviceId, k.canary ? 1 : 0])).changes;
    await tx.run('UPDATE rollouts SET state = ?, reason = ?, percent = ?, updated_at = ? WHERE id = ?', [to[change], change === 'abort' ? (o.reason ?? `aborted by ${o.actor}`) : row.reason, o.percent ?? row.percent, o.now, id]);
    return { rollout: (await getRollout(tx, id))!, added };
  });
  if (!r) return { ok: false, problem: 'bad_state', message: `rollout ${id} is ${current.state}: cannot ${change} it` };
  await audit.record({ actor: o.actor, action: `release.${change}`, target: id, detail: { version: current.version, ...(o.percent !== undefined ? { percent: o.percent, added: r.added } : {}) }, ...(o.ip ? { ip: o.ip } : {}) });
  return { ok: true, ...r };
}

export interface DriveDeps {
  db: IngestDb;
  mqtt: MqttClient;
  hqKey: KeyObject;
  clock: Clock;
  audit: AuditLog;
}

interface Send {
  storeId: string;
  deviceId: string;
  seq: number;
  action: 'install' | 'withdraw';
}

export interface DriveResult {
  state: RolloutState;
  offered: number;
  withdrawn: number;
  failedToSend: number;
}

async function nextSeq(tx: Tx, storeId: string, deviceId: string): Promise<number> {
  await tx.run('INSERT INTO release_offer_seq (store_id, device_id, seq) VALUES (?, ?, 1) ON CONFLICT (store_id, device_id) DO UPDATE SET seq = release_offer_seq.seq + 1', [storeId, deviceId]);
  return Number((await tx.get<{ seq: unknown }>('SELECT seq FROM release_offer_seq WHERE store_id = ? AND device_id = ?', [storeId, deviceId]))!.seq);
}

interface Plan {
  /** Why the rollout aborts itself now, if it does. */
  abort: string | null;
  install: RolloutKioskRow[];
  withdraw: RolloutKioskRow[];
  complete: boolean;
}

/**
 * What a rollout's state and its kiosks' steps call for at `now` (pure: the module comment's rules). Kiosks handed
 * over to a newer rollout count for nothing here; `busy` (`store/device`) are kiosks mid-install under another
 * rollout: not offered anything now.
 */
export function planRollout(rollout: RolloutRow, all: readonly RolloutKioskRow[], now: number, busy: ReadonlySet<string> = new Set()): Plan {
  const plan: Plan = { abort: null, install: [], withdraw: [], complete: false };
  const kiosks = all.filter((k) => k.supersededBy === null);
  let state = rollout.state;
  if (state === 'active') {
    const failures = kiosks.filter((k) => k.offerSeq !== null && k.step !== null && FAILED_STEPS.includes(k.step)).length;
    if (failures >= rollout.maxFailures) {
      state = 'aborted';
      plan.abort = `${failures} kiosk(s) failed or rolled back (max ${rollout.maxFailures})`;
    }
  }
  if (state === 'active') {
    const canariesHealthy = kiosks.filter((k) => k.canary).every((k) => k.step === 'healthy');
    plan.install = kiosks.filter(
      (k) =>
        !busy.has(kioskKey(k.storeId, k.deviceId)) &&
        ((k.offerSeq === null && (k.canary || canariesHealthy)) ||
          (k.offerSeq !== null && k.offeredAt !== null && now - k.offeredAt >= OFFER_RENEW_AFTER_MS && (k.step === null || !SETTLED.includes(k.step)))),
    );
    plan.complete = kiosks.length > 0 && kiosks.every((k) => k.step === 'healthy');
  } else if (state === 'aborted') {
    plan.withdraw = kiosks.filter((k) => k.offerSeq !== null && k.withdrawnAt === null && !(k.step !== null && KEEPS_RELEASE.includes(k.step)));
  }
  return plan;
}

const idle = (p: Plan): boolean => p.abort === null && p.install.length === 0 && p.withdraw.length === 0 && !p.complete;

/** This rollout's kiosks that are mid-install ({@link MID_INSTALL}) under another rollout (`store/device`). */
async function busyElsewhere(db: Pick<Tx, 'all'>, id: string, now: number): Promise<Set<string>> {
  const rows = await db.all<{ store_id: string; device_id: string }>(
    `SELECT k.store_id, k.device_id FROM rollout_kiosks k JOIN rollout_kiosks o ON o.store_id = k.store_id AND o.device_id = k.device_id AND o.rollout_id <> k.rollout_id
     WHERE k.rollout_id = ? AND o.step IN (${sqlList(MID_INSTALL)}) AND o.reported_at >= ?`,
    [id, now - MID_INSTALL_HOLD_MS],
  );
  return new Set(rows.map((r) => kioskKey(r.store_id, r.device_id)));
}

/** Decides and sends what a rollout's state calls for now (see the module comment). Safe to run at any time, anywhere. */
export async function driveRollout(deps: DriveDeps, id: string): Promise<DriveResult | null> {
  const now = deps.clock.now();
  // looked at first without a write transaction: most passes have nothing to do (the rollout tables are written
  // beside the ingest batches on PostgreSQL — no batch writes them — one such write at a time)
  const seen = await getRollout(deps.db.read, id);
  if (!seen) return null;
  if (idle(planRollout(seen, await rolloutKiosks(deps.db.read, id), now, await busyElsewhere(deps.db.read, id, now)))) return { state: seen.state, offered: 0, withdrawn: 0, failedToSend: 0 };
  const decided = await writeBesideIngest(deps.db, async (tx) => {
    const rollout = await getRollout(tx, id);
    if (!rollout) return null;
    const plan = planRollout(rollout, await rolloutKiosks(tx, id), now, await busyElsewhere(tx, id, now));
    let state = rollout.state;
    if (plan.abort) {
      state = 'aborted';
      await tx.run("UPDATE rollouts SET state = 'aborted', reason = ?, updated_at = ? WHERE id = ?", [plan.abort, now, id]);
    }
    const sends: Send[] = [];
    for (const k of plan.install) {
      const seq = await nextSeq(tx, k.storeId, k.deviceId);
      await tx.run('UPDATE rollout_kiosks SET offer_seq = ?, offered_at = ? WHERE rollout_id = ? AND store_id = ? AND device_id = ?', [seq, now, id, k.storeId, k.deviceId]);
      // this offer replaces the kiosk's retained message: any other rollout that could still send it something (an
      // offer, or a withdraw after an abort) hands it over now, in the same transaction (a kiosk mid-install under
      // another rollout is not offered: `busy`; a mid-install report found here is older than MID_INSTALL_HOLD_MS)
      await tx.run(
        "UPDATE rollout_kiosks SET superseded_by = ? WHERE store_id = ? AND device_id = ? AND rollout_id <> ? AND superseded_by IS NULL AND withdrawn_at IS NULL AND (step IS NULL OR step <> 'healthy')",
        [id, k.storeId, k.deviceId, id],
      );
      sends.push({ storeId: k.storeId, deviceId: k.deviceId, seq, action: 'install' });
    }
    for (const k of plan.withdraw) {
      const seq = await nextSeq(tx, k.storeId, k.deviceId);
      await tx.run('UPDATE rollout_kiosks SET withdraw_seq = ?, withdrawn_at = ? WHERE rollout_id = ? AND store_id = ? AND device_id = ?', [seq, now, id, k.storeId, k.deviceId]);
      sends.push({ storeId: k.storeId, deviceId: k.deviceId, seq, action: 'withdraw' });
    }
    if (plan.complete) {
      state = 'completed';
      await tx.run("UPDATE rollouts SET state = 'completed', updated_at = ? WHERE id = ?", [now, id]);
    }
    return { rollout, state, sends, autoAbort: plan.abort };
  });
  if (!decided) return null;
  const { rollout, state, sends, autoAbort } = decided;
  if (autoAbort) await deps.audit.record({ actor: 'system', action: 'release.abort', target: id, detail: { version: rollout.version, reason: autoAbort } });
  const release = await getRelease(deps.db.read, rollout.version);
  if (!release) throw new Error(`rollout ${id}: release ${rollout.version} is gone`);
  const failed: Send[] = [];
  await Promise.all(
    sends.map(async (s) => {
      const body: ReleaseOffer = {
        action: s.action,
        rollout: id,
        version: release.version,
        package: { url: rollout.url, sha256: release.sha256, size: release.size },
        minConfigSchema: release.minConfigSchema,
        ...(release.notes ? { notes: release.notes } : {}),
      };
      const env = signEnvelope(
        { kind: 'release', scope: { kind: 'device', store: s.storeId, device: s.deviceId }, version: s.seq, issuedAt: new Date(now).toISOString(), expiresAt: new Date(now + OFFER_EXPIRY_MS).toISOString(), body },
        deps.hqKey,
      );
      try {
        await deps.mqtt.publishAsync(releaseOfferTopic(s.storeId, s.deviceId), serializeEnvelope(env), { qos: 1, retain: true });
      } catch {
        failed.push(s);
      }
    }),
  );
  if (failed.length) {
    // not sent: un-claimed, so the next pass sends them (with a new sequence number: numbers only have to increase)
    await writeBesideIngest(deps.db, async (tx) => {
      for (const s of failed) {
        if (s.action === 'install') await tx.run('UPDATE rollout_kiosks SET offer_seq = NULL, offered_at = NULL WHERE rollout_id = ? AND store_id = ? AND device_id = ? AND offer_seq = ?', [id, s.storeId, s.deviceId, s.seq]);
        else await tx.run('UPDATE rollout_kiosks SET withdraw_seq = NULL, withdrawn_at = NULL WHERE rollout_id = ? AND store_id = ? AND device_id = ? AND withdraw_seq = ?', [id, s.storeId, s.deviceId, s.seq]);
      }
    });
  }
  const sent = sends.filter((s) => !failed.includes(s));
  return { state, offered: sent.filter((s) => s.action === 'install').length, withdrawn: sent.filter((s) => s.action === 'withdraw').length, failedToSend: failed.length };
}

/** Rollouts a pass must look at: active ones, and aborted ones with withdraws not sent yet. */
export async function rolloutsToDrive(db: Pick<Tx, 'all'>): Promise<string[]> {
  const rows = await db.all<{ id: string }>(
    `SELECT id FROM rollouts r WHERE state = 'active'
       OR (state = 'aborted' AND EXISTS (SELECT 1 FROM rollout_kiosks k WHERE k.rollout_id = r.id AND k.offer_seq IS NOT NULL AND k.withdrawn_at IS NULL AND k.superseded_by IS NULL
             AND (k.step IS NULL OR k.step NOT IN ('switching', 'health_check', 'healthy'))))
     ORDER BY created_at`,
  );
  return rows.map((r) => r.id);
}
