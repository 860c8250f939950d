import { compareVersions } from '../../../protocol/pricebook/manifest';

/** The two levels a kiosk hears price-book manifests on: its own device topic and its store's `_all` topic. */
export type ManifestLevel = 'device' | 'store';

/**
 * One retained manifest a kiosk holds for a level, as far as choosing between the levels needs it. `verified`: the
 * signature checked out and the body is a manifest; then `issuedAt` is when HQ signed it (the envelope's signed
 * `issuedAt`, ms; null when the verifier does not say) and `version` the book's version.
 */
export interface ManifestCandidate {
  level: ManifestLevel;
  verified: boolean;
  issuedAt: number | null;
  version: string | null;
}

/**
 * Which of a kiosk's device-level and store-level manifests it follows: **the one HQ published last**.
 *
 * 1. A verified manifest beats one that did not verify (bad signature, expired, not a manifest) or none at all: a
 *    manifest the kiosk cannot believe never hides one it can.
 * 2. Two verified ones: the later `issuedAt` (signed by HQ, so a later store publish reaches a kiosk that took a
 *    batch push before, and a later batch push overrides the store's book again — nothing at HQ has to be cleared).
 *    When the times are equal or unknown, the newer version (compareVersions: the console numbers a store's books
 *    monotonically and a batch push re-sends one of them); when those are equal too, the device level.
 * 3. Neither verified: the device one if any, else the store one — offered only so that its refusal is reported.
 *
 * The kiosk's receiver then applies the chosen book only if it is newer than the book in force (its own rule).
 */
export function newestManifest<C extends ManifestCandidate>(device: C | null, store: C | null): C | null {
  if (!device || !store) return device ?? store;
  if (device.verified !== store.verified) return device.verified ? device : store;
  if (!device.verified) return device;
  if (device.issuedAt !== null && store.issuedAt !== null && device.issuedAt !== store.issuedAt) return device.issuedAt > store.issuedAt ? device : store;
  const byVersion = device.version !== null && store.version !== null ? compareVersions(device.version, store.version) : 0;
  return byVersion < 0 ? store : device;
}
