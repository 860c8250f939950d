/**
 * WeChat Pay APIv3 request signing and answer verification (the kiosk's side), from WeChat Pay's signing rules:
 * - 签名生成 https://pay.weixin.qq.com/docs/partner/development/interface-rules/signature-generation.html: the message is
 *   `HTTP method\nURL path with query\ntimestamp\nnonce\nbody\n` (GET: empty body line), signed SHA256withRSA with
 *   the private key of the merchant's API certificate, Base64; sent as
 *   `Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",signature="…",timestamp="…",serial_no="…"`
 *   where serial_no is the merchant API certificate's serial number.
 * - 验签 with the WeChat Pay public key (微信支付公钥, 2024):
 *   https://pay.weixin.qq.com/docs/merchant/development/interface-rules/signature-verification.html
 *   (also https://wechatpay-api.gitbook.io/wechatpay-api-v3/qian-ming-zhi-nan-1/qian-ming-yan-zheng) — the message is
 *   `Wechatpay-Timestamp\nWechatpay-Nonce\nbody\n` (an empty body: the last line is just `\n`), the signature is the
 *   Base64 `Wechatpay-Signature` header, and `Wechatpay-Serial` names the key: the public key id `PUB_KEY_ID_…`.
 *   No platform-certificate download is needed in this mode.
 * Never logs keys or signatures.
 */
import { createPrivateKey, createPublicKey, createSign, createVerify, randomBytes, type KeyObject } from 'node:crypto';

export const V3_SCHEMA = 'WECHATPAY2-SHA256-RSA2048';

/** How far an answer's Wechatpay-Timestamp may be from our clock (WeChat's SDKs: 5 minutes). */
export const V3_MAX_SKEW_S = 300;

/** `METHOD\nURL\ntimestamp\nnonce\nbody\n` (签名串). `url` is the absolute path with its query string. */
export function v3RequestMessage(method: string, url: string, timestamp: string, nonce: string, body: string): string {
  return `${method.toUpperCase()}\n${url}\n${timestamp}\n${nonce}\n${body}\n`;
}

/** `timestamp\nnonce\nbody\n` (验签名串 of an answer or a notification). */
export function v3AnswerMessage(timestamp: string, nonce: string, body: string): string {
  return `${timestamp}\n${nonce}\n${body}\n`;
}

/** SHA256withRSA (PKCS#1 v1.5) over the UTF-8 message, Base64. */
export function v3Sign(message: string, privateKey: KeyObject | string): string {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  return createSign('RSA-SHA256').update(message, 'utf8').sign(key, 'base64');
}

/** True when `signatureB64` is a valid SHA256withRSA signature of `message` under `publicKey`; never throws. */
export function v3Verify(message: string, signatureB64: string, publicKey: KeyObject | string): boolean {
  try {
    const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(signatureB64)) return false;
    return createVerify('RSA-SHA256').update(message, 'utf8').verify(key, Buffer.from(signatureB64, 'base64'));
  } catch {
    return false;
  }
}

/** 32 random hex characters (nonce_str). */
export function v3Nonce(): string {
  return randomBytes(16).toString('hex');
}

export interface V3Authorization {
  mchid: string;
  nonce: string;
  timestamp: string;
  serialNo: string;
  signature: string;
}

/** The Authorization header value of a signed request. */
export function v3AuthorizationHeader(a: V3Authorization): string {
  return `${V3_SCHEMA} mchid="${a.mchid}",nonce_str="${a.nonce}",signature="${a.signature}",timestamp="${a.timestamp}",serial_no="${a.serialNo}"`;
}

/** Signs one request: the Authorization header for `method url body` at `timestamp` (Unix seconds). */
export function v3Authorize(o: { method: string; url: string; body: string; mchid: string; serialNo: string; privateKey: KeyObject | string; timestamp: string; nonce?: string }): string {
  const nonce = o.nonce ?? v3Nonce();
  const signature = v3Sign(v3RequestMessage(o.method, o.url, o.timestamp, nonce, o.body), o.privateKey);
  return v3AuthorizationHeader({ mchid: o.mchid, nonce, timestamp: o.timestamp, serialNo: o.serialNo, signature });
}

export type AnswerCheck = 'ok' | 'missing-headers' | 'unknown-key' | 'stale' | 'bad-signature';

/**
 * Checks an answer's (or notification's) signature headers against the WeChat Pay public key `publicKeyId`.
 * `nowS`: our clock in Unix seconds.
 */
export function v3CheckAnswer(
  headers: Record<string, string | string[] | undefined>,
  body: string,
  key: { publicKey: KeyObject | string; publicKeyId: string },
  nowS: number,
): AnswerCheck {
  const h = (n: string): string | undefined => {
    const v = headers[n.toLowerCase()];
    return Array.isArray(v) ? v[0] : v;
  };
  const timestamp = h('Wechatpay-Timestamp');
  const nonce = h('Wechatpay-Nonce');
  const signature = h('Wechatpay-Signature');
  const serial = h('Wechatpay-Serial');
  if (!timestamp || !nonce || !signature || !serial || !/^\d{1,12}$/.test(timestamp)) return 'missing-headers';
  if (serial !== key.publicKeyId) return 'unknown-key';
  if (Math.abs(nowS - Number(timestamp)) > V3_MAX_SKEW_S) return 'stale';
  return v3Verify(v3AnswerMessage(timestamp, nonce, body), signature, key.publicKey) ? 'ok' : 'bad-signature';
}
