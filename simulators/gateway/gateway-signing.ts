/**
 * The gateway simulator's own signing code, written from the Alipay open-platform rules for signing without the
 * SDK ("自行实现签名": 1. take every request parameter except byte-type ones, drop `sign` and every parameter whose
 * value is empty, sort by key in ascending ASCII order, character by character; 2. join as `key=value` with `&`,
 * values not URL-encoded — that is the string to sign; 3. RSA2 = SHA256withRSA over its UTF-8 bytes, base64).
 * Source: Alipay Open Platform, 签名与验签 / 自行实现签名 (opendocs.alipay.com), as republished e.g. at
 * https://juejin.cn/post/6844903816484110349, with its worked example (see test/interop/gateway-signing-interop.test.ts).
 * Responses carry `{"<method with _ for .>_response":<json>,"sign":"<base64>"}` (e.g. `alipay_trade_pay_response`;
 * 同步响应 of every open-API method page): the signature covers the exact text of `<json>`.
 *
 * Independent of the kiosk's `protocol/payments/alipay/canonical.ts`: the two must agree on the wire, and the
 * interop test checks that they do.
 */
import { createSign, createVerify, type KeyObject } from 'node:crypto';

export type GatewayParams = Record<string, string | undefined>;
export type GatewayKey = KeyObject | string;

const byAscii = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The string to sign: non-empty parameters except `sign`, ascending ASCII key order, `k=v` joined by `&`. */
export function stringToSign(params: GatewayParams): string {
  const pairs: string[] = [];
  for (const key of Object.keys(params).sort(byAscii)) {
    const value = params[key];
    if (key === 'sign' || value === undefined || value === '') continue;
    pairs.push(`${key}=${value}`);
  }
  return pairs.join('&');
}

/** SHA256withRSA over the UTF-8 bytes of `content`, base64. */
export function rsa2Sign(content: string, privateKey: GatewayKey): string {
  const signer = createSign('sha256');
  signer.update(Buffer.from(content, 'utf8'));
  return signer.sign(privateKey).toString('base64');
}

/** False for any signature that does not verify, malformed ones included. */
export function rsa2Verify(content: string, signatureB64: string, publicKey: GatewayKey): boolean {
  const signature = Buffer.from(signatureB64, 'base64');
  if (signature.length === 0 || signature.toString('base64') !== signatureB64) return false;
  try {
    const verifier = createVerify('sha256');
    verifier.update(Buffer.from(content, 'utf8'));
    return verifier.verify(publicKey, signature);
  } catch {
    return false;
  }
}

/** `params` with `sign` added. */
export function withSignature(params: GatewayParams, privateKey: GatewayKey): GatewayParams {
  return { ...params, sign: rsa2Sign(stringToSign(params), privateKey) };
}

export function signatureValid(params: GatewayParams, publicKey: GatewayKey): boolean {
  return typeof params.sign === 'string' && params.sign !== '' && rsa2Verify(stringToSign(params), params.sign, publicKey);
}

/** The member name a method's answer goes under: `alipay.trade.pay` → `alipay_trade_pay_response`. */
export function responseName(method: string): string {
  return `${method.split('.').join('_')}_response`;
}

/** The response body: the answer's JSON text verbatim under `name`, and the signature over exactly that text. */
export function signedResponseBody(answerJson: string, privateKey: GatewayKey, name: string): string {
  return `{${JSON.stringify(name)}:${answerJson},"sign":${JSON.stringify(rsa2Sign(answerJson, privateKey))}}`;
}
