import { memoryTrust, signed, T0, testKey } from '../../test/support/trust';
import { checkReleaseOffer, type OfferContext } from './offer-check';

const hq = testKey();
const stranger = testKey();
const body = {
  action: 'install',
  rollout: 'r1',
  version: '0.2.0',
  package: { url: 'https://hq.example:8443/releases/0.2.0.tgz', sha256: 'a'.repeat(64), size: 1000 },
  minConfigSchema: 1,
};
const me = { kind: 'device', store: 'S1', device: 'K1' } as const;
const ctx: OfferContext = { trust: memoryTrust(hq), now: T0, store: 'S1', device: 'K1', acceptedOfferVersion: null, configSchema: 1, running: '0.1.0' };
const offer = (over: Record<string, unknown> = {}, b: unknown = body, key = hq) => signed(key, { kind: 'release', scope: me, version: 5, body: b, ...over });

describe('release offer checks', () => {
  it('accepts a signed offer for this kiosk, newer than the last, of another version than the running one', () => {
    expect(checkReleaseOffer(offer(), ctx)).toEqual({ ok: true, offer: body, envelopeVersion: 5 });
    expect(checkReleaseOffer(offer(), { ...ctx, acceptedOfferVersion: 4 }).ok).toBe(true);
  });

  it.each([
    ['an unknown key', offer({}, body, stranger), ctx, 'unknown_key'],
    ['another kind', offer({ kind: 'config' }), ctx, 'wrong_kind'],
    ['another kiosk', offer({ scope: { kind: 'device', store: 'S1', device: 'K2' } }), ctx, 'wrong_scope'],
    ['the whole store', offer({ scope: { kind: 'store', store: 'S1' } }), ctx, 'wrong_scope'],
    ['a replay of an offer already accepted', offer(), { ...ctx, acceptedOfferVersion: 5 }, 'not_newer'],
    ['an expired offer', offer({ expiresAt: new Date(T0 - 1).toISOString() }), ctx, 'expired'],
    ['a plain-HTTP URL', offer({}, { ...body, package: { ...body.package, url: 'http://hq/x.tgz' } }), ctx, 'invalid_body'],
    ['a release needing a newer config schema', offer({}, { ...body, minConfigSchema: 2 }), ctx, 'config_schema_too_old'],
    ['the release already running', offer(), { ...ctx, running: '0.2.0' }, 'already_running'],
  ])('refuses %s', (_what, raw, c, reason) => {
    const r = checkReleaseOffer(raw, c);
    expect(r).toMatchObject({ ok: false, reason });
  });

  it('says what a refused body claimed, and whether the envelope itself verified', () => {
    expect(checkReleaseOffer(offer({}, { ...body, minConfigSchema: 2 }), ctx)).toMatchObject({ claimed: { rollout: 'r1', version: '0.2.0' }, envelopeVersion: 5 });
    const bad = checkReleaseOffer(offer({}, { ...body, extra: 1 }), ctx);
    expect(bad).toMatchObject({ ok: false, reason: 'invalid_body', claimed: { rollout: 'r1', version: '0.2.0' } });
    expect(bad).not.toHaveProperty('envelopeVersion');
  });

  it('lets a withdraw of the running version through (the kiosk keeps it; nothing is cancelled)', () => {
    expect(checkReleaseOffer(offer({}, { ...body, action: 'withdraw' }), { ...ctx, running: '0.2.0' }).ok).toBe(true);
  });

  it('never throws on garbage', () => {
    for (const raw of ['', '{', 'null', Buffer.from([0xff, 0xfe]), JSON.stringify({ kind: 'release' })]) expect(checkReleaseOffer(raw, ctx)).toMatchObject({ ok: false, reason: 'malformed' });
  });
});
