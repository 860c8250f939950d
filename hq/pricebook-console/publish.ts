import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import type { Clock } from '../../kernel/clock';
import { compareVersions, parseManifest } from '../../protocol/pricebook/manifest';
import type { PriceItem } from '../../protocol/pricebook/price-item';
import { pricebookBase } from '../../protocol/pricebook/topics';
import type { AuditLog, LiveHub } from '../console/types';
import type { IngestStore } from '../ingest/store';
import { chunkRecords, dirSink } from '../pricebook/chunker';
import { publishPricebook } from '../pricebook/publish';
import { signManifestWithKey } from '../signing';
import { PricebookRegistry } from './registry';

export interface BookPublishDeps {
  store: IngestStore;
  mqtt: MqttClient | null;
  hqKey: KeyObject | null;
  clock: Clock;
  audit: AuditLog;
  live: LiveHub;
}

export interface BookPublishRequest {
  store: string;
  version: string;
  /** The uploaded text, already validated into `items` by checkUploadedCsv. */
  csv: string;
  items: readonly PriceItem[];
  user: string;
  ip?: string;
}

export type BookPublishResult = { ok: true; version: string; items: number; chunks: number; previous: string | null } | { ok: false; refusal: 'not_newer' | 'unavailable'; problem: string };

/** A version a kiosk takes: the characters a `pricebook/reported` may echo (protocol/pricebook/topics.ts). */
export const BOOK_VERSION_RE = /^[\w.:-]{1,128}$/;

/** The items as the one batch chunkRecords reads. */
async function* once(items: readonly PriceItem[]): AsyncGenerator<readonly PriceItem[]> {
  yield items;
}

// one publish at a time per process: the version check and the record must not interleave with another publish
let chain: Promise<unknown> = Promise.resolve();

/**
 * Publishes a full price book to a store's kiosks through the same path as `hq pricebook push --scope store:S`:
 * cut into gzip chunks (hq/pricebook/chunker.ts), manifest signed with HQ's key, manifest then chunks retained QoS 1
 * on `kiosk/v1/{store}/_all/pricebook/…` (hq/pricebook/publish.ts). The version must be newer (compareVersions, as the
 * kiosk orders them) than the store's last book from the console — a kiosk would refuse it as `not_newer`. Then it is
 * recorded (for the next diff), audited `pricebook.publish` and open pages are told (`config`).
 */
export function publishBook(deps: BookPublishDeps, req: BookPublishRequest): Promise<BookPublishResult> {
  const next = chain.then(() => publishNow(deps, req));
  chain = next.catch(() => undefined);
  return next;
}

async function publishNow(deps: BookPublishDeps, req: BookPublishRequest): Promise<BookPublishResult> {
  if (!deps.hqKey || !deps.mqtt) return { ok: false, refusal: 'unavailable', problem: `cannot publish: ${!deps.hqKey ? 'no HQ signing key' : 'no broker'}` };
  const last = await new PricebookRegistry(deps.store.db.read).latest(req.store);
  if (last && compareVersions(req.version, last.version) <= 0) {
    return { ok: false, refusal: 'not_newer', problem: `version ${req.version} is not newer than ${last.version}, the last book published to ${req.store}: kiosks would refuse it` };
  }
  const dir = await mkdtemp(join(tmpdir(), 'hq-pricebook-console-'));
  try {
    const manifest = await chunkRecords(once(req.items), { version: req.version, kind: 'full' }, dirSink(dir));
    const checked = parseManifest(manifest);
    if (!checked.ok) throw new Error(`manifest: ${checked.detail}`);
    const now = deps.clock.now();
    const signed = signManifestWithKey(manifest, deps.hqKey, { store: req.store }, now);
    await publishPricebook(deps.mqtt, pricebookBase({ store: req.store }), manifest, signed, dir);
    await deps.store.db.transaction((tx) =>
      PricebookRegistry.insert(tx, { store_id: req.store, version: req.version, csv: req.csv, items: manifest.items, sha256: manifest.sha256, published_by: req.user, published_at: now }),
    );
    await deps.audit.record({
      actor: req.user,
      action: 'pricebook.publish',
      target: `store:${req.store}`,
      detail: { version: req.version, items: manifest.items, chunks: manifest.chunkCount, sha256: manifest.sha256, ...(last ? { previous: last.version } : {}) },
      ...(req.ip ? { ip: req.ip } : {}),
    });
    deps.live.publish('config', req.store);
    return { ok: true, version: req.version, items: manifest.items, chunks: manifest.chunkCount, previous: last?.version ?? null };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
