import fc from 'fast-check';
import { createPrivateKey } from 'node:crypto';
import { isKioskError } from '../../kernel/errors';
import { generateSealKeyPair, hkdfSha256, rawX25519Public, seal, SEAL_ALG, unseal, x25519, x25519PrivateFromRaw, x25519PublicFromRaw } from './seal';

const hex = (h: string) => Buffer.from(h.replace(/\s+/g, ''), 'hex');

function expectSealedInvalid(fn: () => unknown): void {
  let err: unknown = null;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(isKioskError(err) && err.code === 'SEALED_INVALID').toBe(true);
}

describe('known answers', () => {
  // RFC 7748 §6.1 (Curve25519 Diffie-Hellman test vector): https://www.rfc-editor.org/rfc/rfc7748#section-6.1
  const alicePriv = hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
  const alicePub = hex('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
  const bobPriv = hex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
  const bobPub = hex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
  const shared = hex('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742');

  it('X25519: RFC 7748 §6.1 Alice/Bob public keys and shared secret', () => {
    const a = x25519PrivateFromRaw(alicePriv);
    const b = x25519PrivateFromRaw(bobPriv);
    expect(rawX25519Public(a).toString('hex')).toBe(alicePub.toString('hex'));
    expect(rawX25519Public(b).toString('hex')).toBe(bobPub.toString('hex'));
    expect(x25519(a, x25519PublicFromRaw(bobPub)).toString('hex')).toBe(shared.toString('hex'));
    expect(x25519(b, x25519PublicFromRaw(alicePub)).toString('hex')).toBe(shared.toString('hex'));
  });

  it('HKDF-SHA256: RFC 5869 appendix A.1 (test case 1)', () => {
    // https://www.rfc-editor.org/rfc/rfc5869#appendix-A.1
    const okm = hkdfSha256(hex('0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b'), hex('000102030405060708090a0b0c'), hex('f0f1f2f3f4f5f6f7f8f9'), 42);
    expect(okm.toString('hex')).toBe('3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
  });
});

describe('seal / unseal', () => {
  const kiosk = generateSealKeyPair();
  const other = generateSealKeyPair();
  const aad = 'kiosk-channel-secrets/v1|s1|d1|3';

  it('round trip (fast-check): any plaintext and AAD come back, and the ciphertext is not the plaintext', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 2048 }), fc.string({ maxLength: 200 }), (bytes, ad) => {
        const sealed = seal(kiosk.publicKeyPem, Buffer.from(bytes), ad);
        expect(sealed.alg).toBe(SEAL_ALG);
        expect(unseal(kiosk.privateKeyPem, sealed, ad).equals(Buffer.from(bytes))).toBe(true);
        if (bytes.length >= 8) expect(Buffer.from(sealed.ct, 'base64').equals(Buffer.from(bytes))).toBe(false);
      }),
      { numRuns: 100 },
    );
  });

  it('two seals of the same plaintext differ (ephemeral key, random IV)', () => {
    const a = seal(kiosk.publicKeyPem, 'same', aad);
    const b = seal(kiosk.publicKeyPem, 'same', aad);
    expect(a.epk).not.toBe(b.epk);
    expect(a.ct === b.ct && a.iv === b.iv).toBe(false);
  });

  it('another key cannot open it', () => {
    const sealed = seal(kiosk.publicKeyPem, 'merchant key', aad);
    expectSealedInvalid(() => unseal(other.privateKeyPem, sealed, aad));
    expectSealedInvalid(() => unseal(createPrivateKey(other.privateKeyPem), sealed, aad));
  });

  it('another AAD (store, device or version) cannot open it', () => {
    const sealed = seal(kiosk.publicKeyPem, 'merchant key', aad);
    expectSealedInvalid(() => unseal(kiosk.privateKeyPem, sealed, 'kiosk-channel-secrets/v1|s1|d2|3'));
    expectSealedInvalid(() => unseal(kiosk.privateKeyPem, sealed, 'kiosk-channel-secrets/v1|s1|d1|2'));
  });

  it('any flipped bit in epk, iv, ct or tag is refused (fast-check)', () => {
    const sealed = seal(kiosk.publicKeyPem, 'a merchant private key, long enough', aad);
    fc.assert(
      fc.property(fc.constantFrom('epk', 'iv', 'ct', 'tag') as fc.Arbitrary<'epk' | 'iv' | 'ct' | 'tag'>, fc.nat(), fc.integer({ min: 0, max: 7 }), (field, at, bit) => {
        const bytes = Buffer.from(sealed[field], 'base64');
        bytes[at % bytes.length] ^= 1 << bit;
        expectSealedInvalid(() => unseal(kiosk.privateKeyPem, { ...sealed, [field]: bytes.toString('base64') }, aad));
      }),
      { numRuns: 200 },
    );
  });

  it('malformed or oversized sections are refused without throwing anything else', () => {
    const sealed = seal(kiosk.publicKeyPem, 'x', aad);
    for (const bad of [null, 'text', [], {}, { ...sealed, alg: 'none' }, { ...sealed, extra: 1 }, { ...sealed, iv: 'AAAA' }, { ...sealed, ct: 'A'.repeat(300_000) }, { ...sealed, epk: '!!' }]) {
      expectSealedInvalid(() => unseal(kiosk.privateKeyPem, bad, aad));
    }
    // the all-zero (low-order) ephemeral key gives a zero shared secret: refused
    expectSealedInvalid(() => unseal(kiosk.privateKeyPem, { ...sealed, epk: Buffer.alloc(32).toString('base64') }, aad));
    expectSealedInvalid(() => unseal('not a key', sealed, aad));
    expectSealedInvalid(() => seal(kiosk.publicKeyPem, Buffer.alloc(200 * 1024), aad));
  });
});
