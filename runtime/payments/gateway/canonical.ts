/**
 * The QR-pay gateway's signing rules (the Alipay open-API scheme, RSA2). Pure functions, no I/O.
 *
 * - Requests and notifications: every parameter except `sign` and empty values, sorted by key (code-unit order),
 *   joined as `k=v` with `&`; values are NOT url-encoded in the canonical string. RSA-SHA256, base64.
 * - Responses: `{"response":<text>,"sign":"<base64>"}` where the signature covers the exact bytes of `<text>`.
 */
import { createSign, createVerify, type KeyObject } from 'node:crypto';
import { boundedJsonParse } from '../../../kernel/json/bounded-json';
import { JSON_LIMITS } from '../../../kernel/json/limits';

export type Params = Record<string, string | undefined>;
export type SigningKey = KeyObject | string;

export function canonicalString(params: Params): string {
  return Object.keys(params)
    .filter((k) => k !== 'sign' && params[k] !== undefined && params[k] !== '')
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
}

export function signRsa2(content: string, privateKey: SigningKey): string {
  return createSign('RSA-SHA256').update(content, 'utf8').sign(privateKey, 'base64');
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Never throws: a malformed signature or key is simply "not verified". */
export function verifyRsa2(content: string, signature: string, publicKey: SigningKey): boolean {
  if (typeof signature !== 'string' || !BASE64.test(signature)) return false;
  try {
    return createVerify('RSA-SHA256').update(content, 'utf8').verify(publicKey, signature, 'base64');
  } catch {
    return false;
  }
}

/** Returns a copy of `params` with `sign` set over their canonical string. */
export function signParams(params: Params, privateKey: SigningKey): Params {
  return { ...params, sign: signRsa2(canonicalString(params), privateKey) };
}

export function verifyParams(params: Params, publicKey: SigningKey): boolean {
  const sign = params.sign;
  if (!sign) return false;
  return verifyRsa2(canonicalString(params), sign, publicKey);
}

/** The signed response envelope, built so the signed text appears verbatim in the body. */
export function encodeEnvelope(responseText: string, privateKey: SigningKey): string {
  return `{"response":${responseText},"sign":${JSON.stringify(signRsa2(responseText, privateKey))}}`;
}

const ENVELOPE = /^\{"response":([\s\S]*),"sign":"([A-Za-z0-9+/=]*)"\}$/;

/**
 * Verifies an envelope and returns the parsed `response` object, or null when the body is malformed, the signature
 * does not verify, or the signed text is not a JSON object.
 */
export function openEnvelope(body: string, publicKey: SigningKey): Record<string, unknown> | null {
  const m = ENVELOPE.exec(body.trim());
  if (!m) return null;
  const [, responseText, sign] = m;
  if (!verifyRsa2(responseText, sign, publicKey)) return null;
  try {
    const parsed: unknown = boundedJsonParse(responseText, { maxBytes: JSON_LIMITS.gatewayResponse });
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
    return parsed as Record<string, unknown>;
  } catch {
    return null;
  }
}
