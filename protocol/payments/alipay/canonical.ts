/**
 * The QR-pay gateway's signing rules (the Alipay open-API scheme, RSA2). Pure functions, no I/O.
 *
 * - Requests and notifications: every parameter except `sign` and empty values, sorted by key (code-unit order),
 *   joined as `k=v` with `&`; values are NOT url-encoded in the canonical string. RSA-SHA256, base64.
 * - Responses: `{"<method>_response":<text>,"sign":"<base64>"}` (e.g. `alipay_trade_pay_response`) where the
 *   signature covers the exact bytes of `<text>` (Alipay open API, 自行实现验签: 同步返回验签).
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

/** The response key of a method: `alipay.trade.pay` → `alipay_trade_pay_response`. */
export function responseKey(method: string): string {
  return `${method.replace(/\./g, '_')}_response`;
}

/**
 * The signed response envelope `{"<method>_response":<text>,"sign":"<base64>"}`, built so the signed text appears
 * verbatim in the body (Alipay open API 同步响应: the signature covers the exact text of the response object).
 */
export function encodeEnvelope(responseText: string, privateKey: SigningKey, key = 'response'): string {
  return `{${JSON.stringify(key)}:${responseText},"sign":${JSON.stringify(signRsa2(responseText, privateKey))}}`;
}

/** End index (exclusive) of the JSON string starting at `i` (a quote), or -1. */
function skipString(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    const c = text[j];
    if (c === '\\') j++;
    else if (c === '"') return j + 1;
  }
  return -1;
}

/** End index (exclusive) of the JSON value starting at `i`, or -1 (the text is already known to be valid JSON). */
function skipValue(text: string, i: number): number {
  if (text[i] === '"') return skipString(text, i);
  if (text[i] === '{' || text[i] === '[') {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const c = text[j];
      if (c === '"') {
        j = skipString(text, j) - 1;
        if (j < 0) return -1;
      } else if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return -1;
  }
  let j = i;
  while (j < text.length && !',}] \t\r\n'.includes(text[j])) j++;
  return j;
}

const WS = /\s/;

/** The exact text of the top-level member `key` of the JSON object `body` (valid JSON), or null. */
export function rawMember(body: string, key: string): string | null {
  let i = body.indexOf('{');
  if (i < 0) return null;
  i++;
  for (;;) {
    while (i < body.length && (WS.test(body[i]) || body[i] === ',')) i++;
    if (body[i] !== '"') return null;
    const keyEnd = skipString(body, i);
    if (keyEnd < 0) return null;
    const name: unknown = JSON.parse(body.slice(i, keyEnd));
    i = keyEnd;
    while (i < body.length && WS.test(body[i])) i++;
    if (body[i] !== ':') return null;
    i++;
    while (i < body.length && WS.test(body[i])) i++;
    const end = skipValue(body, i);
    if (end < 0) return null;
    if (name === key) return body.slice(i, end);
    i = end;
  }
}

/**
 * Verifies an envelope and returns the parsed response object (the member named by one of `keys`) with the key it
 * came under, or null when the body is malformed, has none of the keys, its signature does not verify, or the
 * signed text is not a JSON object.
 */
export function openEnvelope(
  body: string,
  publicKey: SigningKey,
  keys: readonly string[] = ['response'],
): Record<string, unknown> | null {
  let parsed: unknown;
  try {
    parsed = boundedJsonParse(body, { maxBytes: JSON_LIMITS.gatewayResponse });
  } catch {
    return null;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
  const envelope = parsed as Record<string, unknown>;
  const sign = envelope.sign;
  if (typeof sign !== 'string') return null;
  const key = keys.find((k) => Object.prototype.hasOwnProperty.call(envelope, k));
  if (key === undefined) return null;
  const responseText = rawMember(body, key);
  if (responseText === null || !verifyRsa2(responseText, sign, publicKey)) return null;
  let response: unknown;
  try {
    // the verified text itself, never the envelope's parse (a duplicate key later in the body could differ)
    response = boundedJsonParse(responseText, { maxBytes: JSON_LIMITS.gatewayResponse });
  } catch {
    return null;
  }
  if (response === null || typeof response !== 'object' || Array.isArray(response)) return null;
  return response as Record<string, unknown>;
}
