/**
 * UnionPay ACP 5.1.0 message signatures, signMethod=01 (RSA with SHA-256). Pure functions, no I/O.
 *
 * Rule (ACP 5.1.0 SDK `AcpService.sign` / `SDKUtil.signBySecureKey…`; open.unionpay.com 全渠道 签名/验签说明):
 * 1. take every field except `signature` whose value is not empty, sort the keys in ascending ASCII order and join
 *    them as `key=value` with `&` (values as they are, not URL-encoded) — the string to sign;
 * 2. digest = lower-case hex of SHA-256 over its UTF-8 bytes (64 ASCII characters);
 * 3. signature = base64( SHA256withRSA over the bytes of that hex string ).
 * `certId` is the signing certificate's serial number in decimal. An answer carries the UnionPay signing
 * certificate in `signPubKeyCert`; it is trusted only when it was issued by the configured UnionPay root, is within
 * its validity, and the answer's signature verifies with its key.
 *
 * Checked against a message UnionPay itself signed (published in yansongda/pay tests/Traits/UnipayTraitTest.php)
 * and against the `openssl` CLI (unionpay-sign.test.ts).
 */
import { createHash, createSign, createVerify, X509Certificate, type KeyObject } from 'node:crypto';
import type { AcpFields } from './unionpay-form';

export type AcpKey = KeyObject | string;

const byAscii = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The string to sign. */
export function acpSignString(fields: Readonly<Record<string, string | undefined>>): string {
  return Object.keys(fields)
    .filter((k) => k !== 'signature' && fields[k] !== undefined && fields[k] !== '')
    .sort(byAscii)
    .map((k) => `${k}=${fields[k]}`)
    .join('&');
}

/** Lower-case hex SHA-256 of the string to sign (what the RSA signature covers). */
export function acpDigestHex(fields: Readonly<Record<string, string | undefined>>): string {
  return createHash('sha256').update(acpSignString(fields), 'utf8').digest('hex');
}

export function acpSignature(fields: Readonly<Record<string, string | undefined>>, privateKey: AcpKey): string {
  return createSign('RSA-SHA256').update(acpDigestHex(fields), 'utf8').sign(privateKey, 'base64');
}

/** `fields` with `signature` set. */
export function signFields(fields: AcpFields, privateKey: AcpKey): AcpFields {
  const { signature: _drop, ...rest } = fields;
  void _drop;
  return { ...rest, signature: acpSignature(rest, privateKey) };
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** True when `fields.signature` verifies with `publicKey`; false for anything malformed. Never throws. */
export function verifyFields(fields: Readonly<Record<string, string | undefined>>, publicKey: AcpKey | X509Certificate): boolean {
  const sig = fields.signature;
  if (typeof sig !== 'string' || sig.length > 4096 || !BASE64.test(sig)) return false;
  try {
    const key = publicKey instanceof X509Certificate ? publicKey.publicKey : publicKey;
    return createVerify('RSA-SHA256').update(acpDigestHex(fields), 'utf8').verify(key, sig, 'base64');
  } catch {
    return false;
  }
}

/** The certificate's serial number in decimal (the ACP `certId`). */
export function certIdOf(certPem: string): string {
  return BigInt(`0x${new X509Certificate(certPem).serialNumber}`).toString(10);
}

/** Parses a PEM certificate; null when it is not one. Never throws. */
export function parseCertificate(pem: unknown): X509Certificate | null {
  if (typeof pem !== 'string' || pem.length > 16_384) return null;
  try {
    return new X509Certificate(pem);
  } catch {
    return null;
  }
}

/**
 * True when `cert` was issued and signed by `root` (a CA certificate) and is valid at `nowMs`. Never throws.
 */
export function chainsTo(cert: X509Certificate, root: X509Certificate, nowMs: number): boolean {
  try {
    if (!root.ca) return false;
    if (!cert.checkIssued(root) || !cert.verify(root.publicKey)) return false;
    const from = Date.parse(cert.validFrom);
    const to = Date.parse(cert.validTo);
    return Number.isFinite(from) && Number.isFinite(to) && nowMs >= from && nowMs <= to;
  } catch {
    return false;
  }
}

/**
 * Verifies a UnionPay answer or notification: its `signPubKeyCert` chains to `root` at `nowMs` and the signature
 * verifies with that certificate's key. Never throws.
 */
export function verifyAnswer(fields: Readonly<Record<string, string | undefined>>, root: X509Certificate, nowMs: number): boolean {
  const cert = parseCertificate(fields.signPubKeyCert);
  if (!cert || !chainsTo(cert, root, nowMs)) return false;
  return verifyFields(fields, cert);
}
