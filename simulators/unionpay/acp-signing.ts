/**
 * The UnionPay simulator's own ACP 5.1.0 signing code (signMethod 01), written from the ACP rules and independent of
 * the kiosk's protocol/payments/unionpay/unionpay-sign.ts:
 * 1. every field but `signature`, empty values left out, keys in ascending ASCII order, `key=value` joined by `&`;
 * 2. SHA-256 of its UTF-8 bytes written as 64 lower-case hex characters;
 * 3. SHA256withRSA over those 64 bytes, base64 — `signature`. `certId` = the signing certificate's decimal serial.
 * Source: UnionPay open platform 全渠道 ACP 5.1.0 签名说明 and the ACP SDK (AcpService.sign / validate), checked against
 * an answer UnionPay signed (yansongda/pay tests/Traits/UnipayTraitTest.php) in acp-signing.test.ts.
 */
import { createHash, createSign, createVerify, X509Certificate, type KeyObject } from 'node:crypto';

export type AcpMessage = Record<string, string>;

export function stringToSign(msg: Readonly<Record<string, string | undefined>>): string {
  const keys = Object.keys(msg).filter((k) => k !== 'signature' && msg[k] !== undefined && msg[k] !== '');
  keys.sort((a, b) => (a === b ? 0 : a < b ? -1 : 1));
  return keys.map((k) => k + '=' + msg[k]).join('&');
}

function hexDigest(msg: Readonly<Record<string, string | undefined>>): Buffer {
  return Buffer.from(createHash('sha256').update(Buffer.from(stringToSign(msg), 'utf8')).digest('hex'), 'ascii');
}

export function sign(msg: Readonly<Record<string, string | undefined>>, key: KeyObject | string): string {
  const s = createSign('sha256');
  s.update(hexDigest(msg));
  return s.sign(key).toString('base64');
}

/** False for a signature that does not verify or is malformed. */
export function signatureOk(msg: Readonly<Record<string, string | undefined>>, cert: X509Certificate | KeyObject | string): boolean {
  const b64 = msg.signature;
  if (!b64) return false;
  const raw = Buffer.from(b64, 'base64');
  if (raw.length === 0 || raw.toString('base64') !== b64) return false;
  try {
    const v = createVerify('sha256');
    v.update(hexDigest(msg));
    return v.verify(cert instanceof X509Certificate ? cert.publicKey : cert, raw);
  } catch {
    return false;
  }
}

export function decimalSerial(certPem: string): string {
  const hex = new X509Certificate(certPem).serialNumber.replace(/^0+/, '') || '0';
  return BigInt('0x' + hex).toString();
}
