import { createHash } from 'node:crypto';
import type { IngestDb } from '../ingest/pg-db';
import { isValidTag, selectKiosks } from '../fleet/tags';

/**
 * Which kiosks a rollout targets: the selection (stores, tags, or the whole fleet; retired kiosks left out, as
 * batches do: hq/fleet/tags.ts), the canary group inside it (kiosks carrying the canary tag: always targeted, offered
 * first), and of the rest those whose stable bucket falls under the percentage.
 *
 * The bucket is SHA-256 over `version` and `store/device`, in 0..9999: stable for a release, so a rollout of 10 %
 * followed by one of 50 % (or the same rollout widened to 50 %) keeps the first 10 % and adds others; a different
 * release draws a different 10 % (the same kiosks are not always first).
 */

export interface Selection {
  all: boolean;
  stores: string[];
  tags: string[];
}

export interface TargetKiosk {
  storeId: string;
  deviceId: string;
  canary: boolean;
}

/** 0..9999, stable per (version, kiosk). */
export function rolloutBucket(version: string, storeId: string, deviceId: string): number {
  return createHash('sha256').update(`${version}\n${storeId}/${deviceId}`).digest().readUInt32BE(0) % 10_000;
}

export const inPercent = (version: string, storeId: string, deviceId: string, percent: number): boolean => rolloutBucket(version, storeId, deviceId) < percent * 100;

/** Every kiosk of the selection (sorted store, device), before the percentage. */
export async function selectionKiosks(db: IngestDb, sel: Selection): Promise<{ storeId: string; deviceId: string }[]> {
  const scope = { all: true } as const;
  const stores = sel.all ? [] : sel.stores;
  if (sel.tags.length === 0) return sel.all || stores.length > 0 ? selectKiosks(db, scope, { stores }) : [];
  const seen = new Map<string, { storeId: string; deviceId: string }>();
  for (const tag of sel.tags) for (const k of await selectKiosks(db, scope, { stores, tag })) seen.set(`${k.storeId}/${k.deviceId}`, k);
  return [...seen.values()].sort((a, b) => (a.storeId === b.storeId ? (a.deviceId < b.deviceId ? -1 : 1) : a.storeId < b.storeId ? -1 : 1));
}

/** The kiosks a rollout of `version` targets: canaries (selection ∩ canary tag) and the rest under `percent`. */
export async function rolloutTargets(db: IngestDb, o: { version: string; selection: Selection; percent: number; canaryTag: string | null }): Promise<TargetKiosk[]> {
  const all = await selectionKiosks(db, o.selection);
  const canaries = new Set<string>();
  if (o.canaryTag !== null && isValidTag(o.canaryTag)) {
    for (const k of await selectKiosks(db, { all: true }, { tag: o.canaryTag })) canaries.add(`${k.storeId}/${k.deviceId}`);
  }
  return all
    .map((k) => ({ ...k, canary: canaries.has(`${k.storeId}/${k.deviceId}`) }))
    .filter((k) => k.canary || inPercent(o.version, k.storeId, k.deviceId, o.percent));
}
