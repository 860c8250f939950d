import { createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { KioskError } from '../../kernel/errors';

/**
 * Sealing a payload to one recipient's X25519 public key (an ECIES in the style of HPKE base mode, RFC 9180, built
 * from node:crypto only):
 *
 * 1. an ephemeral X25519 key pair; `shared = X25519(ephemeral private, recipient public)` (RFC 7748 §6.1);
 * 2. `key = HKDF-SHA256(ikm = shared, salt = epk ‖ recipient public key (raw, 32 + 32 bytes), info = INFO, 32)`
 *    (RFC 5869): the key is bound to both public keys;
 * 3. AES-256-GCM with a random 96-bit IV and the caller's AAD (e.g. store, device and version: a section sealed for
 *    one kiosk and version cannot be presented as another's), 128-bit tag.
 *
 * The wire form is `{alg, epk, iv, ct, tag}`, each binary field base64. `unseal` throws `KioskError('SEALED_INVALID')`
 * on any problem — malformed, oversized, wrong key, wrong AAD, a flipped byte — and never says which secret it held.
 */

export const SEAL_ALG = 'X25519-HKDF-SHA256-A256GCM';
const INFO = Buffer.from('kiosk-sealed/v1 X25519-HKDF-SHA256-A256GCM', 'utf8');
/** The largest plaintext sealed (channel secrets are a few PEM blocks; the schema bounds each at 16 KiB). */
export const MAX_SEALED_PLAINTEXT = 192 * 1024;
const MAX_CT_B64 = Math.ceil(MAX_SEALED_PLAINTEXT / 3) * 4;
const MAX_AAD = 1024;

/** A base64 string of exactly `bytes` bytes that re-encodes to itself. */
const b64Exact = (bytes: number) =>
  z.string().refine((s) => /^[A-Za-z0-9+/]*={0,2}$/.test(s) && Buffer.from(s, 'base64').length === bytes && Buffer.from(s, 'base64').toString('base64') === s, {
    error: `expected base64 of ${bytes} bytes`,
  });

export const sealedSchema = z
  .object({
    alg: z.literal(SEAL_ALG),
    epk: b64Exact(32),
    iv: b64Exact(12),
    ct: z
      .string()
      .max(MAX_CT_B64)
      .refine((s) => /^[A-Za-z0-9+/]*={0,2}$/.test(s) && Buffer.from(s, 'base64').toString('base64') === s, { error: 'expected base64' }),
    tag: b64Exact(16),
  })
  .strict();

export type Sealed = z.infer<typeof sealedSchema>;

/** The 32 raw bytes of an X25519 public key (from its KeyObject, public or private). */
export function rawX25519Public(key: KeyObject): Buffer {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  if (pub.asymmetricKeyType !== 'x25519') throw new KioskError('SEALED_INVALID', `expected an X25519 key, got ${pub.asymmetricKeyType ?? 'unknown'}`);
  return Buffer.from(pub.export({ format: 'jwk' }).x as string, 'base64url');
}

/** An X25519 public KeyObject from its 32 raw bytes. */
export function x25519PublicFromRaw(raw: Buffer): KeyObject {
  if (raw.length !== 32) throw new KioskError('SEALED_INVALID', `an X25519 public key is 32 bytes, got ${raw.length}`);
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: raw.toString('base64url') }, format: 'jwk' });
}

/** PKCS#8 DER header of an X25519 private key (RFC 8410 §7): the 32 raw bytes follow. */
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

/** An X25519 private KeyObject from its 32 raw bytes (the scalar as RFC 7748 gives it). */
export function x25519PrivateFromRaw(raw: Buffer): KeyObject {
  if (raw.length !== 32) throw new KioskError('SEALED_INVALID', `an X25519 private key is 32 bytes, got ${raw.length}`);
  return createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, raw]), format: 'der', type: 'pkcs8' });
}

/** Parses a PEM (SPKI) public key and insists it is X25519. Throws KioskError('SEALED_INVALID') otherwise. */
export function parseSealPublicKeyPem(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (e) {
    throw new KioskError('SEALED_INVALID', `not a public key (${(e as Error).message})`);
  }
  if (key.asymmetricKeyType !== 'x25519') throw new KioskError('SEALED_INVALID', `expected an X25519 public key, got ${key.asymmetricKeyType ?? 'unknown'}`);
  return key;
}

/** A new X25519 key pair: the private key as PKCS#8 PEM, the public key as SPKI PEM. */
export function generateSealKeyPair(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  return { privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string };
}

/** X25519(priv, pub): the 32-byte shared secret (RFC 7748 §5/§6.1). */
export function x25519(privateKey: KeyObject, publicKey: KeyObject): Buffer {
  return diffieHellman({ privateKey, publicKey });
}

/** HKDF-SHA256 (RFC 5869): extract with `salt`, expand with `info` to `length` bytes. */
export function hkdfSha256(ikm: Buffer, salt: Buffer, info: Buffer, length: number): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, length));
}

function deriveKey(shared: Buffer, epk: Buffer, recipient: Buffer): Buffer {
  // an all-zero shared secret means a low-order public key (RFC 7748 §6.1): refuse it
  if (shared.every((b) => b === 0)) throw new KioskError('SEALED_INVALID', 'the X25519 shared secret is zero (a low-order key)');
  return hkdfSha256(shared, Buffer.concat([epk, recipient]), INFO, 32);
}

/** Seals `plaintext` to the X25519 public key `publicKeyPem` (or KeyObject), bound to `aad`. */
export function seal(publicKeyPem: string | KeyObject, plaintext: Buffer | string, aad: Buffer | string): Sealed {
  const recipient = typeof publicKeyPem === 'string' ? parseSealPublicKeyPem(publicKeyPem) : publicKeyPem;
  const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
  const ad = typeof aad === 'string' ? Buffer.from(aad, 'utf8') : aad;
  if (data.length > MAX_SEALED_PLAINTEXT) throw new KioskError('SEALED_INVALID', `plaintext of ${data.length} bytes (at most ${MAX_SEALED_PLAINTEXT})`);
  if (ad.length > MAX_AAD) throw new KioskError('SEALED_INVALID', `AAD of ${ad.length} bytes (at most ${MAX_AAD})`);
  const eph = generateKeyPairSync('x25519');
  const epk = rawX25519Public(eph.publicKey);
  const key = deriveKey(x25519(eph.privateKey, recipient), epk, rawX25519Public(recipient));
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
  cipher.setAAD(ad);
  const ct = Buffer.concat([cipher.update(data), cipher.final()]);
  return { alg: SEAL_ALG, epk: epk.toString('base64'), iv: iv.toString('base64'), ct: ct.toString('base64'), tag: cipher.getAuthTag().toString('base64') };
}

/**
 * Opens a sealed section with the recipient's X25519 private key (KeyObject or PKCS#8 PEM) and the same `aad`.
 * Throws KioskError('SEALED_INVALID') on anything wrong; never returns a partial or unauthenticated plaintext.
 */
export function unseal(privateKey: KeyObject | string, sealed: unknown, aad: Buffer | string): Buffer {
  const parsed = sealedSchema.safeParse(sealed);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new KioskError('SEALED_INVALID', `malformed sealed section: ${i.path.join('.') || '(root)'}: ${i.message}`);
  }
  const s = parsed.data;
  const ad = typeof aad === 'string' ? Buffer.from(aad, 'utf8') : aad;
  if (ad.length > MAX_AAD) throw new KioskError('SEALED_INVALID', `AAD of ${ad.length} bytes (at most ${MAX_AAD})`);
  let priv: KeyObject;
  try {
    priv = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  } catch (e) {
    throw new KioskError('SEALED_INVALID', `not a private key (${(e as Error).message})`);
  }
  if (priv.type !== 'private' || priv.asymmetricKeyType !== 'x25519') throw new KioskError('SEALED_INVALID', 'expected an X25519 private key');
  const epk = Buffer.from(s.epk, 'base64');
  let shared: Buffer;
  try {
    shared = x25519(priv, x25519PublicFromRaw(epk));
  } catch (e) {
    throw new KioskError('SEALED_INVALID', `bad ephemeral key (${(e as Error).message})`);
  }
  const key = deriveKey(shared, epk, rawX25519Public(priv));
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(s.iv, 'base64'), { authTagLength: 16 });
  decipher.setAAD(ad);
  decipher.setAuthTag(Buffer.from(s.tag, 'base64'));
  try {
    return Buffer.concat([decipher.update(Buffer.from(s.ct, 'base64')), decipher.final()]);
  } catch {
    throw new KioskError('SEALED_INVALID', 'the sealed section does not open with this key and context (another recipient, another context, or altered)');
  }
}
