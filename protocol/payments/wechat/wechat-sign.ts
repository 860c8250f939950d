/**
 * WeChat Pay v2 signing (签名算法, "安全规范" of the v2 API rules,
 * https://pay.weixin.qq.com/wiki/doc/api/micropay.php?chapter=4_3). Pure functions, no I/O.
 *
 * 1. Every parameter whose value is not empty, except `sign`, sorted by parameter name in ASCII order, joined as
 *    `k=v` with `&` (values as they are, not URL-encoded): stringA.
 * 2. stringSignTemp = stringA + `&key=<API key>`.
 * 3. MD5(stringSignTemp) or HMAC-SHA256(stringSignTemp, key = the API key), upper-case hex.
 * Verification recomputes the sign and compares in constant time.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type WechatSignType = 'MD5' | 'HMAC-SHA256';
export type WechatParams = Record<string, string | undefined>;

const ascii = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** stringA: non-empty parameters except `sign`, ASCII order of names, `k=v` joined by `&`. */
export function canonicalString(params: WechatParams): string {
  return Object.keys(params)
    .filter((k) => k !== 'sign' && params[k] !== undefined && params[k] !== '')
    .sort(ascii)
    .map((k) => `${k}=${params[k]}`)
    .join('&');
}

/** The sign of `params` with the merchant's API key: upper-case hex MD5 or HMAC-SHA256 of stringA&key=…. */
export function wechatSign(params: WechatParams, apiKey: string, type: WechatSignType): string {
  const temp = `${canonicalString(params)}&key=${apiKey}`;
  const digest = type === 'MD5' ? createHash('md5').update(temp, 'utf8') : createHmac('sha256', apiKey).update(temp, 'utf8');
  return digest.digest('hex').toUpperCase();
}

/** `params` with `sign` set (and `sign_type` left as given). */
export function signWechat(params: WechatParams, apiKey: string, type: WechatSignType): WechatParams {
  return { ...params, sign: wechatSign(params, apiKey, type) };
}

/** True when `params.sign` is the sign of `params` with `apiKey` and `type`; constant-time comparison, never throws. */
export function verifyWechat(params: WechatParams, apiKey: string, type: WechatSignType): boolean {
  const given = params.sign;
  if (typeof given !== 'string' || given.length === 0 || given.length > 64) return false;
  const expected = Buffer.from(wechatSign(params, apiKey, type), 'utf8');
  const actual = Buffer.from(given, 'utf8');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** The sign type a message declares (`sign_type`; absent means MD5, per the rules), or null for anything else. */
export function declaredSignType(params: WechatParams): WechatSignType | null {
  const t = params.sign_type;
  if (t === undefined || t === '' || t === 'MD5') return 'MD5';
  return t === 'HMAC-SHA256' ? 'HMAC-SHA256' : null;
}
