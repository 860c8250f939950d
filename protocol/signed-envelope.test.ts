import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { keyIdOf, MAX_CLOCK_SKEW_MS, signEnvelope, verifyEnvelope } from './signed-envelope';
import { memoryTrust, signed, T0, testKey } from '../test/support/trust';

const hq = testKey();
const trust = memoryTrust(hq);
const body = { tax: { rate: 0.09 }, device: { name: 'Lane 7' } };

describe('signed envelopes', () => {
  it('accepts what a trusted key signed, and derives the keyId from the SPKI DER', () => {
    const raw = signed(hq, { body, version: 3 });
    const r = verifyEnvelope(Buffer.from(raw), trust, T0, { kind: 'config', appliedVersion: 2 });
    expect(r).toEqual({ ok: true, envelope: expect.objectContaining({ kind: 'config', version: 3, body, keyId: hq.keyId }) });
    expect(hq.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(keyIdOf(hq.privateKey)).toBe(hq.keyId);
  });

  it('bad_signature when one byte of the body changes', () => {
    const raw = signed(hq, { body });
    const tampered = raw.replace('Lane 7', 'Lane 8');
    expect(tampered).not.toBe(raw);
    expect(verifyEnvelope(tampered, trust, T0)).toMatchObject({ ok: false, reason: 'bad_signature' });
  });

  it('bad_signature for a signature with malleable base64 padding bits', () => {
    const env = JSON.parse(signed(hq, { body })) as { sig: string };
    const last = env.sig[85];
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const sameBytes = alphabet[(alphabet.indexOf(last) & ~0xf) | ((alphabet.indexOf(last) + 1) & 0xf)];
    const raw = JSON.stringify({ ...env, sig: env.sig.slice(0, 85) + sameBytes + '==' });
    expect(Buffer.from(env.sig.slice(0, 85) + sameBytes + '==', 'base64')).toEqual(Buffer.from(env.sig, 'base64'));
    expect(verifyEnvelope(raw, trust, T0)).toMatchObject({ ok: false, reason: 'bad_signature' });
  });

  it('unknown_key when the signer is not trusted', () => {
    const stranger = testKey();
    expect(verifyEnvelope(signed(stranger, { body }), trust, T0)).toEqual({ ok: false, reason: 'unknown_key', detail: `key ${stranger.keyId} is not trusted` });
  });

  it('bad_signature when a stranger-signed envelope is re-labelled with a trusted keyId', () => {
    const stranger = testKey();
    const env = JSON.parse(signed(stranger, { body })) as Record<string, unknown>;
    expect(verifyEnvelope(JSON.stringify({ ...env, keyId: hq.keyId }), trust, T0)).toMatchObject({ ok: false, reason: 'bad_signature' });
  });

  it('malformed: not JSON, not UTF-8, missing or extra fields', () => {
    expect(verifyEnvelope('{nope', trust, T0)).toMatchObject({ ok: false, reason: 'malformed' });
    expect(verifyEnvelope(Buffer.from([0x7b, 0xff, 0x7d]), trust, T0)).toMatchObject({ ok: false, reason: 'malformed', detail: 'not UTF-8 text' });
    const env = JSON.parse(signed(hq, { body })) as Record<string, unknown>;
    const { body: _b, ...noBody } = env;
    expect(verifyEnvelope(JSON.stringify(noBody), trust, T0)).toMatchObject({ ok: false, reason: 'malformed', detail: expect.stringContaining('body') });
    expect(verifyEnvelope(JSON.stringify({ ...env, extra: 1 }), trust, T0)).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('wrong_kind: a config envelope is not a command (kind is signed)', () => {
    expect(verifyEnvelope(signed(hq, { body }), trust, T0, { kind: 'command' })).toEqual({
      ok: false,
      reason: 'wrong_kind',
      detail: 'expected a command envelope, got config',
    });
    const env = JSON.parse(signed(hq, { body })) as Record<string, unknown>;
    expect(verifyEnvelope(JSON.stringify({ ...env, kind: 'command' }), trust, T0, { kind: 'command' })).toMatchObject({ ok: false, reason: 'bad_signature' });
  });

  it('wrong_scope when the receiver refuses the signed scope', () => {
    const raw = signed(hq, { body, scope: { kind: 'store', store: 's2' } });
    const r = verifyEnvelope(raw, trust, T0, { scope: (s) => (s.kind === 'store' && s.store === 's1' ? null : 'not this store') });
    expect(r).toEqual({ ok: false, reason: 'wrong_scope', detail: 'not this store' });
  });

  it('expired at and after expiresAt', () => {
    const raw = signed(hq, { body, expiresAt: new Date(T0).toISOString() });
    expect(verifyEnvelope(raw, trust, T0)).toMatchObject({ ok: false, reason: 'expired' });
    expect(verifyEnvelope(raw, trust, T0 - 1).ok).toBe(true);
  });

  it('not_yet_valid only beyond 5 minutes of clock skew', () => {
    const raw = signed(hq, { body, issuedAt: new Date(T0 + MAX_CLOCK_SKEW_MS + 1000).toISOString() });
    expect(verifyEnvelope(raw, trust, T0)).toMatchObject({ ok: false, reason: 'not_yet_valid' });
    expect(verifyEnvelope(raw, trust, T0 + 1000).ok).toBe(true);
  });

  it('not_newer for the same version (replay) and a lower one (rollback)', () => {
    const raw = signed(hq, { body, version: 5 });
    expect(verifyEnvelope(raw, trust, T0, { appliedVersion: 5 })).toEqual({ ok: false, reason: 'not_newer', detail: 'version 5 is not newer than 5' });
    expect(verifyEnvelope(raw, trust, T0, { appliedVersion: 6 })).toMatchObject({ ok: false, reason: 'not_newer' });
    expect(verifyEnvelope(raw, trust, T0, { appliedVersion: 4 }).ok).toBe(true);
  });

  it('invalid_body with the detail the body check gives', () => {
    const r = verifyEnvelope(signed(hq, { body }), trust, T0, { body: () => 'tax.rate: expected number ≥ 0 and ≤ 1, got "7%"' });
    expect(r).toEqual({ ok: false, reason: 'invalid_body', detail: 'tax.rate: expected number ≥ 0 and ≤ 1, got "7%"' });
  });

  it('refuses to sign with anything but Ed25519', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    expect(() => signEnvelope({ kind: 'config', scope: { kind: 'fleet' }, version: 1, issuedAt: '2026-01-01T00:00:00Z', expiresAt: '2026-02-01T00:00:00Z', body }, ec)).toThrow(/Ed25519/);
  });

  it('property: no single-byte mutation of a signed envelope is ever accepted', () => {
    const envelopes = [
      Buffer.from(signed(hq, { body, version: 7, scope: { kind: 'device', store: 's1', device: 'd1' } })),
      Buffer.from(signed(hq, { kind: 'command', body: { id: 'c-1', name: 'resend', args: { fromSeq: 12 } }, scope: { kind: 'device', store: 's1', device: 'd1' } })),
      Buffer.from(signed(hq, { body: { device: { name: '收银 3' }, promotions: [], loyalty: { enabled: false, points: 0, per: 100 } } })),
    ];
    for (const original of envelopes) expect(verifyEnvelope(original, trust, T0).ok).toBe(true);
    fc.assert(
      fc.property(fc.nat({ max: envelopes.length - 1 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (which, pos, xor) => {
        const original = envelopes[which];
        const mutated = Buffer.from(original);
        const i = pos % mutated.length;
        mutated[i] = mutated[i] ^ xor;
        expect(verifyEnvelope(mutated, trust, T0).ok).toBe(false);
      }),
      { numRuns: 3000 },
    );
  });
});
