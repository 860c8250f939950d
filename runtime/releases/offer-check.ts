import { verifyEnvelope, type RejectReason, type TrustedKeys } from '../../protocol/signed-envelope';
import { compareReleaseVersions, releaseOfferSchema, RELEASE_VERSION_RE, type ReleaseOffer } from '../../protocol/releases/release-offer';

/**
 * Checks a release offer as received on `kiosk/v1/{store}/{device}/release`, in this order (the first failure is the
 * reason): the signed envelope (trusted HQ key, signature, kind `release`, scope this very device — an offer signed
 * for another kiosk is not replayed here —, not expired, envelope version newer than the last offer accepted, body
 * schema), then what only the kiosk knows: the release reads this kiosk's config schema (`minConfigSchema`), and an
 * install offer is not of the version already running. Never throws.
 */

/** Why an offer was refused: the envelope's reasons, and the kiosk's own. */
export type OfferRefusal = RejectReason | 'config_schema_too_old' | 'already_running' | 'not_side_by_side';

export type OfferCheck =
  | { ok: true; offer: ReleaseOffer; envelopeVersion: number }
  | {
      ok: false;
      reason: OfferRefusal;
      detail: string;
      /** What the refused body claimed, when it parsed (for the report). */
      claimed?: { rollout: string; version: string };
      /** Set when the envelope verified and only the kiosk's own checks refused it: it counts as seen (no replay). */
      envelopeVersion?: number;
    };

export interface OfferContext {
  trust: TrustedKeys;
  now: number;
  store: string;
  device: string;
  /** The envelope version of the last offer this kiosk accepted (null: none yet). */
  acceptedOfferVersion: number | null;
  /** This kiosk's CONFIG_SCHEMA_VERSION. */
  configSchema: number;
  /** The release this kiosk runs. */
  running: string;
}

function claimedOf(body: unknown): { rollout: string; version: string } | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Record<string, unknown>;
  const ok = (v: unknown, re: RegExp) => typeof v === 'string' && re.test(v);
  return ok(b.rollout, /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/) && ok(b.version, RELEASE_VERSION_RE) ? { rollout: b.rollout as string, version: b.version as string } : undefined;
}

export function checkReleaseOffer(raw: Buffer | string, ctx: OfferContext): OfferCheck {
  let claimed: { rollout: string; version: string } | undefined;
  const r = verifyEnvelope<ReleaseOffer>(raw, ctx.trust, ctx.now, {
    kind: 'release',
    scope: (s) => (s.kind === 'device' && s.store === ctx.store && s.device === ctx.device ? null : 'the release offer is not addressed to this kiosk'),
    appliedVersion: ctx.acceptedOfferVersion,
    body: (b) => {
      claimed = claimedOf(b);
      const p = releaseOfferSchema.safeParse(b);
      if (p.success) return null;
      const issue = p.error.issues[0];
      return `${issue.path.join('.') || '(body)'}: ${issue.message}`;
    },
  });
  if (!r.ok) return { ok: false, reason: r.reason, detail: r.detail, ...(claimed ? { claimed } : {}) };
  const offer = releaseOfferSchema.parse(r.envelope.body);
  const who = { rollout: offer.rollout, version: offer.version };
  if (offer.action === 'install') {
    if (offer.minConfigSchema > ctx.configSchema) {
      return { ok: false, reason: 'config_schema_too_old', detail: `release ${offer.version} reads config schema ${offer.minConfigSchema}; this kiosk has ${ctx.configSchema}`, claimed: who, envelopeVersion: r.envelope.version };
    }
    if (RELEASE_VERSION_RE.test(ctx.running) && compareReleaseVersions(offer.version, ctx.running) === 0) {
      return { ok: false, reason: 'already_running', detail: `release ${offer.version} is the one running`, claimed: who, envelopeVersion: r.envelope.version };
    }
  }
  return { ok: true, offer, envelopeVersion: r.envelope.version };
}
