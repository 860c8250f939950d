import { assertTopicId, underRoot } from '../topics';

/**
 * MQTT topics of price-book sync (root and id rules: ../topics.ts). A book is published under one scope, a whole
 * store (`_all`) or one device; a kiosk follows whichever of the two manifests HQ signed last
 * (runtime/pricebook/sync/newest-manifest.ts):
 *
 *   kiosk/v1/{store}/{device|_all}/pricebook/manifest          retained, signed manifest
 *   kiosk/v1/{store}/{device|_all}/pricebook/{version}/{index} retained, gzip NDJSON chunk (QoS 1)
 *   kiosk/v1/{store}/{device}/pricebook/reported               kiosk → HQ, retained, QoS 1: {@link PricebookReported}
 */
export const ALL_DEVICES = '_all';

export type PricebookScope = { store: string } | { store: string; device: string };

/** `kiosk/v1/{store}/{device|_all}/pricebook`; throws TypeError on an invalid id. */
export function pricebookBase(scope: PricebookScope): string {
  assertTopicId('store', scope.store);
  if ('device' in scope) assertTopicId('device', scope.device);
  return underRoot(scope.store, 'device' in scope ? scope.device : ALL_DEVICES, 'pricebook');
}

export const manifestTopic = (base: string): string => `${base}/manifest`;
export const chunkTopic = (base: string, version: string, index: number): string => `${base}/${version}/${index}`;

/**
 * `kiosk/v1/{store}/{device}/pricebook/reported`: the kiosk's own outcome for the last price book it was offered
 * (`hq pricebook push --wait` waits for it). Throws TypeError on an invalid id.
 */
export function pricebookReportedTopic(store: string, device: string): string {
  assertTopicId('store', store);
  assertTopicId('device', device);
  return underRoot(store, device, 'pricebook', 'reported');
}

/**
 * The retained `pricebook/reported` payload: `downloading` when a manifest was accepted and chunks are coming,
 * `applied` (with the catalog's item count) or `rejected` (with the receiver's reason, e.g. `not_newer`,
 * `bad_signature`, `invalid_book`, and a detail). `version` is null when the manifest could not be believed (its
 * signature did not verify).
 */
export interface PricebookReported {
  v: 1;
  version: string | null;
  status: 'downloading' | 'applied' | 'rejected';
  reason?: string;
  detail?: string;
  ts: number;
  items?: number;
  /** With `version` null: the version the refused manifest claimed, unverified (so HQ knows which push was refused). */
  claimedVersion?: string;
  /** While downloading: chunks stored so far and the book's chunk count. */
  received?: number;
  total?: number;
}

const REPORTED_STATUSES: readonly PricebookReported['status'][] = ['downloading', 'applied', 'rejected'];

/** Lenient reader of a `pricebook/reported` payload (already JSON-parsed): null when it is not one. */
export function readPricebookReported(value: unknown): PricebookReported | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const o = value as Record<string, unknown>;
  if (o.v !== 1 || !(typeof o.version === 'string' || o.version === null) || !REPORTED_STATUSES.includes(o.status as PricebookReported['status'])) return null;
  if (typeof o.ts !== 'number') return null;
  const num = (x: unknown) => (typeof x === 'number' && Number.isSafeInteger(x) && x >= 0 ? x : undefined);
  const text = (x: unknown) => (typeof x === 'string' ? x.slice(0, 300) : undefined);
  const out: PricebookReported = { v: 1, version: o.version as string | null, status: o.status as PricebookReported['status'], ts: o.ts };
  const claimed = typeof o.claimedVersion === 'string' && /^[\w.:-]{1,128}$/.test(o.claimedVersion) ? o.claimedVersion : undefined;
  const extra = { reason: text(o.reason), detail: text(o.detail), items: num(o.items), received: num(o.received), total: num(o.total), claimedVersion: claimed };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) Object.assign(out, { [k]: v });
  return out;
}
