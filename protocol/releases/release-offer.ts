import { z } from 'zod';

/**
 * Over-the-air software releases: what HQ offers one kiosk (the body of a signed envelope of kind `release`, scope
 * `device`, so an offer signed for one kiosk cannot be replayed to another), and what the kiosk reports back.
 *
 * An offer names one release: its version, the package's SHA-256 and size (the kiosk refuses anything else), the
 * HTTPS URL HQ serves it from (Range requests: resumable), and the lowest config schema the release reads. The
 * envelope's `version` is HQ's offer sequence for that kiosk (strictly increasing: a replayed older offer is
 * refused); `action: 'withdraw'` tells a kiosk that has not switched yet to drop the download (a paused or aborted
 * rollout); a kiosk that already runs the release keeps it (rolling back a healthy kiosk is a new offer of the older
 * release).
 */

/** `MAJOR.MINOR.PATCH` with an optional `-pre.release` tag; no build metadata (it would not order). */
export const RELEASE_VERSION_RE = /^(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})(?:-([0-9A-Za-z-]{1,20}(?:\.[0-9A-Za-z-]{1,20}){0,4}))?$/;

/** The largest package HQ may offer (a kiosk's disk is small; bounded before a byte is downloaded). */
export const MAX_PACKAGE_BYTES = 512 * 1024 * 1024;

export const releaseVersionSchema = z.string().regex(RELEASE_VERSION_RE, { error: 'expected a version MAJOR.MINOR.PATCH[-tag]' });

export const releaseOfferSchema = z
  .object({
    action: z.enum(['install', 'withdraw']),
    /** The rollout this offer belongs to (HQ's id), echoed in every report. */
    rollout: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/),
    version: releaseVersionSchema,
    package: z
      .object({
        url: z.string().regex(/^https:\/\/[^\s]{1,2000}$/, { error: 'expected an https:// URL' }),
        sha256: z.string().regex(/^[0-9a-f]{64}$/),
        size: z.number().int().min(1).max(MAX_PACKAGE_BYTES),
      })
      .strict(),
    /** The lowest `configSchema` the release reads; a kiosk whose config is older refuses the offer. */
    minConfigSchema: z.number().int().min(1),
    notes: z.string().max(2000).optional(),
  })
  .strict();

export type ReleaseOffer = z.infer<typeof releaseOfferSchema>;

/** The kiosk's steps, in order; `failed` and `rolled_back` end a release that did not stay. */
export const RELEASE_STEPS = [
  'offered',
  'downloading',
  'downloaded',
  'verified',
  'installed',
  'waiting_for_idle',
  'switching',
  'health_check',
  'healthy',
  'failed',
  'rolled_back',
  'withdrawn',
] as const;
export type ReleaseStep = (typeof RELEASE_STEPS)[number];

/** `kiosk/v1/{store}/{device}/release/reported` (kiosk → HQ, retained, QoS 1): the latest step of the latest offer. */
export const releaseReportedSchema = z
  .object({
    v: z.literal(1),
    rollout: z.string().max(64),
    /** The offered version this report is about. */
    version: z.string().max(64),
    step: z.enum(RELEASE_STEPS),
    /** The version the kiosk runs now (after a switch: the new one; after a rollback: the old one). */
    running: z.string().max(64),
    /** Why, for `failed` / `rolled_back` / a refused offer: a stable code and a sentence for staff. */
    reason: z.string().max(64).optional(),
    detail: z.string().max(500).optional(),
    /** While downloading: bytes stored so far and the package size. */
    received: z.number().int().min(0).optional(),
    total: z.number().int().min(0).optional(),
    ts: z.number().int().min(0),
  })
  .strict();

export type ReleaseReported = z.infer<typeof releaseReportedSchema>;

/** Orders two release versions (semver precedence, numeric parts, a pre-release before its release). */
export function compareReleaseVersions(a: string, b: string): number {
  const pa = RELEASE_VERSION_RE.exec(a);
  const pb = RELEASE_VERSION_RE.exec(b);
  if (!pa || !pb) throw new TypeError(`not a release version: ${JSON.stringify(pa ? b : a)}`);
  for (let i = 1; i <= 3; i++) {
    const d = Number(pa[i]) - Number(pb[i]);
    if (d !== 0) return Math.sign(d);
  }
  if (pa[4] === undefined || pb[4] === undefined) return pa[4] === pb[4] ? 0 : pa[4] === undefined ? 1 : -1;
  const xa = pa[4].split('.');
  const xb = pb[4].split('.');
  for (let i = 0; i < Math.max(xa.length, xb.length); i++) {
    if (xa[i] === undefined) return -1;
    if (xb[i] === undefined) return 1;
    const na = /^\d+$/.test(xa[i]);
    const nb = /^\d+$/.test(xb[i]);
    if (na && nb) {
      const d = Number(xa[i]) - Number(xb[i]);
      if (d !== 0) return Math.sign(d);
    } else if (na !== nb) return na ? -1 : 1;
    else if (xa[i] !== xb[i]) return xa[i] < xb[i] ? -1 : 1;
  }
  return 0;
}
