/**
 * The simulated WeChat Pay's APIv3 signatures, its own code (independent of runtime/payments/wechat/v3/v3-sign.ts),
 * from WeChat Pay's rules:
 * - verifying a merchant request (https://pay.weixin.qq.com/docs/partner/development/interface-rules/signature-generation.html):
 *   `Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",signature="…",timestamp="…",serial_no="…"`,
 *   signature = Base64 SHA256withRSA over `METHOD\nURL\ntimestamp\nnonce\nbody\n` (URL = path + query as sent),
 *   checked with the merchant API certificate whose serial is serial_no; a bad one → 401 SIGN_ERROR;
 * - signing an answer with the WeChat Pay private key (微信支付公钥 mode,
 *   https://pay.weixin.qq.com/docs/merchant/development/interface-rules/signature-verification.html):
 *   `Wechatpay-Timestamp`, `Wechatpay-Nonce`, `Wechatpay-Serial` (= PUB_KEY_ID_…), `Wechatpay-Signature` over
 *   `timestamp\nnonce\nbody\n`.
 */
import { createHash, createPrivateKey, createPublicKey, createSign, createVerify, X509Certificate, type KeyObject } from 'node:crypto';

export interface ParsedAuthorization {
  mchid: string;
  nonce_str: string;
  signature: string;
  timestamp: string;
  serial_no: string;
}

/** Parses the Authorization header; null when it is not the WECHATPAY2-SHA256-RSA2048 schema with all five fields. */
export function parseAuthorization(header: string | undefined): ParsedAuthorization | null {
  if (!header) return null;
  const m = /^WECHATPAY2-SHA256-RSA2048\s+(.*)$/.exec(header.trim());
  if (!m) return null;
  const out: Record<string, string> = {};
  const pair = /\s*([a-z_]+)="([^"]*)"\s*(?:,|$)/gy;
  let hit: RegExpExecArray | null;
  let consumed = 0;
  while ((hit = pair.exec(m[1])) !== null) {
    out[hit[1]] = hit[2];
    consumed = pair.lastIndex;
    if (consumed >= m[1].length) break;
  }
  if (consumed !== m[1].length) return null;
  for (const k of ['mchid', 'nonce_str', 'signature', 'timestamp', 'serial_no']) if (!out[k]) return null;
  return out as unknown as ParsedAuthorization;
}

/** The merchant certificate's serial as WeChat Pay shows it (upper-case hex, no leading zero byte quirks). */
export function certificateSerial(certPem: string): string {
  return new X509Certificate(certPem).serialNumber.toUpperCase();
}

export function requestSignatureValid(auth: ParsedAuthorization, method: string, url: string, body: string, merchantCertPem: string): boolean {
  try {
    const signed = [method, url, auth.timestamp, auth.nonce_str, body].join('\n') + '\n';
    const key = new X509Certificate(merchantCertPem).publicKey;
    return createVerify('sha256WithRSAEncryption').update(Buffer.from(signed, 'utf8')).verify(key, Buffer.from(auth.signature, 'base64'));
  } catch {
    return false;
  }
}

export function signAnswer(timestamp: string, nonce: string, body: string, wechatpayPrivateKey: KeyObject | string): string {
  const key = typeof wechatpayPrivateKey === 'string' ? createPrivateKey(wechatpayPrivateKey) : wechatpayPrivateKey;
  return createSign('sha256WithRSAEncryption').update(Buffer.from(`${timestamp}\n${nonce}\n${body}\n`, 'utf8')).sign(key).toString('base64');
}

/** A public key id in WeChat's shape: PUB_KEY_ID_ + 32+ digits, derived from the key. */
export function publicKeyIdOf(publicPem: string): string {
  const der = createPublicKey(publicPem).export({ type: 'spki', format: 'der' });
  const digits = BigInt(`0x${createHash('sha256').update(der).digest('hex').slice(0, 28)}`).toString().padStart(34, '0').slice(0, 34);
  return `PUB_KEY_ID_01${digits}`;
}
