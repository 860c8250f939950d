import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { merge } from '../../config/load';
import { canonicalJson } from '../../kernel/canonical-json';
import { configTopic } from '../../protocol/control/topics';
import { parseManifest } from '../../protocol/pricebook/manifest';
import type { PriceItem } from '../../protocol/pricebook/price-item';
import { pricebookBase } from '../../protocol/pricebook/topics';
import type { Scope } from '../../protocol/signed-envelope';
import { publishConfig } from '../config/publish';
import { ConfigRegistry } from '../config/registry';
import { bundleProblems } from '../config/validate';
import type { ConsoleContext, StoreScope } from '../console/types';
import { chunkRecords, dirSink } from '../pricebook/chunker';
import { publishPricebook } from '../pricebook/publish';
import { PricebookRegistry } from '../pricebook-console/registry';
import { checkUploadedCsv } from '../pricebook-console/validate-upload';
import { signManifestWithKey } from '../signing';
import { resolveTargets, type Kiosk } from './batches';
import { retainedConfigVersions } from './retained-versions';
import type { KioskSelection } from './tags';

/**
 * Batches that push config or a price book to a selection of kiosks (schema v17: `batches` kind `config` /
 * `pricebook`, one `batch_pushes` row per kiosk with the version published to it). Each kiosk gets its own
 * device-scope publication, signed with HQ's key as hq/config and hq/pricebook-console sign theirs; what each kiosk
 * did with it comes back on its `config/reported` / `pricebook/reported` (./push-status.ts).
 *
 * Delivery is not serial-slow: the versions retained on the broker for all the kiosks' device scopes are read with
 * ONE subscription and ONE wait (./retained-versions.ts), not one 1.5 s wait per kiosk; the price book is cut into
 * chunks once and published to every kiosk's topics concurrently.
 */

export interface PushRequest {
  selection: KioskSelection;
  kiosks?: readonly Kiosk[];
  ip?: string;
}

export type PushOutcome =
  | { ok: true; id: string; kiosks: number; published: number }
  | { ok: false; status: 400 | 404 | 409 | 422 | 503; reason: 'bad_tag' | 'no_kiosk' | 'too_many' | 'unavailable' | 'invalid' | 'unknown_book' | 'other_store'; message: string; problems?: string[] };

type Obj = Record<string, unknown>;

const deviceScope = (k: Kiosk): Scope => ({ kind: 'device', store: k.storeId, device: k.deviceId });

async function recordBatch(ctx: ConsoleContext, kind: 'config' | 'pricebook', name: string, args: string, r: PushRequest, targets: readonly Kiosk[], user: string, now: number): Promise<string> {
  const id = randomUUID();
  const selection = { stores: r.selection.stores ?? [], tag: r.selection.tag ?? null, kiosks: targets.map((k) => `${k.storeId}/${k.deviceId}`) };
  await ctx.store.db.transaction((tx) =>
    tx.run('INSERT INTO batches (id, kind, name, args, selection, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [id, kind, name, args, JSON.stringify(selection), user, now]),
  );
  return id;
}

async function recordPushes(ctx: ConsoleContext, id: string, rows: readonly { k: Kiosk; version: string | null; error: string | null }[], now: number): Promise<void> {
  await ctx.store.db.transaction(async (tx) => {
    for (const r of rows) {
      await tx.run('INSERT INTO batch_pushes (batch_id, store_id, device_id, version, error, sent_at) VALUES (?, ?, ?, ?, ?, ?)', [id, r.k.storeId, r.k.deviceId, r.version, r.error, now]);
    }
  });
}

/**
 * Publishes the config change `body` (config sections, as the config form builds it) at device scope to every kiosk
 * of the selection. A device level holds ONE body, so each kiosk's new body is its device body in force (registry)
 * with the change merged over it as the kiosk merges levels (deep, arrays replace): its own sections and its sealed
 * channel secrets (hq/channels/deliver.ts) stay. A change may not carry `sealed` (sealed to one kiosk's key). Refused
 * as a whole — nothing signed, nothing recorded — when any selected kiosk would refuse its new body
 * (hq/config/validate.ts with the fleet and store bodies in force under it). Each kiosk's version is one more than
 * the highest known for its device scope (registry and broker). Audited `batch.config` (and each publish
 * `config.publish`, as hq/config does).
 */
export async function pushConfigBatch(ctx: ConsoleContext, user: string, scope: StoreScope, body: Obj, source: string, r: PushRequest): Promise<PushOutcome> {
  const resolved = await resolveTargets(ctx, scope, r.selection, r.kiosks);
  if (!resolved.ok) return resolved;
  const targets = resolved.targets;
  if ('sealed' in body) return { ok: false, status: 422, reason: 'invalid', message: 'a batch cannot push sealed channel secrets (each is sealed to one kiosk: /channels)', problems: ['sealed: not in a batch'] };
  const registry = new ConfigRegistry(ctx.store.db.read);
  const layers = new Map<string, Obj[]>();
  const bodies = new Map<Kiosk, { body: Obj; known: number }>();
  for (const k of targets) {
    if (!layers.has(k.storeId)) layers.set(k.storeId, await registry.layersUnder(deviceScope(k)));
    const current = await registry.latest(deviceScope(k));
    const next = merge(current ? (JSON.parse(current.body) as Obj) : {}, body) as Obj;
    const problems = bundleProblems(next, { before: layers.get(k.storeId) });
    if (problems.length) return { ok: false, status: 422, reason: 'invalid', message: `kiosk ${k.storeId}/${k.deviceId} would refuse this config`, problems };
    bodies.set(k, { body: next, known: current?.version ?? 0 });
  }
  const retained = await retainedConfigVersions(ctx.mqtt!, targets.map(deviceScope));
  const now = ctx.clock.now();
  const sections = Object.keys(body).sort();
  const id = await recordBatch(ctx, 'config', 'config', canonicalJson(body), r, targets, user, now);
  await ctx.audit.record({ actor: user, action: 'batch.config', target: id, detail: { source, sections, stores: r.selection.stores ?? [], tag: r.selection.tag ?? null, kiosks: targets.length }, ...(r.ip ? { ip: r.ip } : {}) });
  // publishConfig runs one publish at a time (its version check); each is a few round trips on the broker, the
  // retained versions were read above for all kiosks at once, so no per-kiosk wait (retainedWaitMs 0)
  const deps = { ...ctx, retainedWaitMs: 0 };
  const results = await Promise.all(
    targets.map(async (k) => {
      const s = deviceScope(k);
      const next = bodies.get(k)!;
      const version = Math.max(next.known, retained.get(configTopic(s)) ?? 0) + 1;
      try {
        const p = await publishConfig(deps, { scope: s, body: next.body, version, user, kind: 'publish', ...(r.ip ? { ip: r.ip } : {}) });
        return p.ok ? { k, version: String(p.version), error: null } : { k, version: null, error: p.problems.join('; ').slice(0, 500) };
      } catch (e) {
        return { k, version: null, error: `not published: ${(e as Error).message}`.slice(0, 500) };
      }
    }),
  );
  await recordPushes(ctx, id, results, now);
  ctx.live.publish('commands');
  return { ok: true, id, kiosks: targets.length, published: results.filter((x) => x.version !== null).length };
}

/**
 * Publishes the console price book `version` of `store` (hq/pricebook-console registry, read again with the kiosk's
 * reader) at device scope to every kiosk of the selection — all of them in that store (a book is checked against
 * its store's tax classes). The book is chunked once; each kiosk gets its own signed manifest (device scope) and the
 * chunks on its own topics, all kiosks concurrently. A kiosk follows whichever of its device-level and store-level
 * manifests HQ signed last (the envelope's `issuedAt`; runtime/pricebook/sync/newest-manifest.ts): this push wins
 * over the store's book until the next store publish, which wins again — nothing here has to be cleared later.
 * Audited `batch.pricebook`.
 */
export async function pushBookBatch(ctx: ConsoleContext, user: string, scope: StoreScope, store: string, version: string, r: PushRequest): Promise<PushOutcome> {
  const resolved = await resolveTargets(ctx, scope, r.selection, r.kiosks);
  if (!resolved.ok) return resolved;
  const targets = resolved.targets;
  const other = targets.find((k) => k.storeId !== store);
  if (other) return { ok: false, status: 400, reason: 'other_store', message: `the price book of ${store} goes to ${store}'s kiosks only (${other.storeId}/${other.deviceId} is selected)` };
  const book = (await new PricebookRegistry(ctx.store.db.read).history(store, 500)).find((b) => b.version === version);
  if (!book) return { ok: false, status: 404, reason: 'unknown_book', message: `no price book ${version} was published to ${store} from the console` };
  const checked = await checkUploadedCsv(book.csv);
  if (!checked.ok) return { ok: false, status: 422, reason: 'invalid', message: `price book ${version} no longer reads`, problems: checked.problems.map((p) => `${p.line ?? ''} ${p.field ?? ''} ${p.reason}`.trim()) };
  const now = ctx.clock.now();
  const id = await recordBatch(ctx, 'pricebook', version, JSON.stringify({ store, version }), r, targets, user, now);
  const dir = await mkdtemp(join(tmpdir(), 'hq-batch-book-'));
  try {
    const manifest = await chunkRecords(once(checked.items), { version, kind: 'full' }, dirSink(dir));
    const parsed = parseManifest(manifest);
    if (!parsed.ok) throw new Error(`manifest: ${parsed.detail}`);
    await ctx.audit.record({ actor: user, action: 'batch.pricebook', target: id, detail: { store, version, items: manifest.items, sha256: manifest.sha256, tag: r.selection.tag ?? null, kiosks: targets.length }, ...(r.ip ? { ip: r.ip } : {}) });
    const results = await Promise.all(
      targets.map(async (k) => {
        try {
          const signed = signManifestWithKey(manifest, ctx.hqKey!, { store: k.storeId, device: k.deviceId }, now);
          await publishPricebook(ctx.mqtt!, pricebookBase({ store: k.storeId, device: k.deviceId }), manifest, signed, dir);
          return { k, version, error: null };
        } catch (e) {
          return { k, version: null, error: `not published: ${(e as Error).message}`.slice(0, 500) };
        }
      }),
    );
    await recordPushes(ctx, id, results, now);
    ctx.live.publish('commands');
    return { ok: true, id, kiosks: targets.length, published: results.filter((x) => x.version !== null).length };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function* once(items: readonly PriceItem[]): AsyncGenerator<readonly PriceItem[]> {
  yield items;
}
