/**
 * The two text forms of the UnionPay ACP 5.1.0 API (全渠道 ACP, open.unionpay.com), bounded and never throwing on
 * what comes from the network:
 *
 * - requests and backUrl notifications: `application/x-www-form-urlencoded` (percent-encoded, `+` = space);
 * - synchronous answers: the ACP "k=v&k=v" text with values NOT encoded (the SDK's
 *   `SDKUtil.convertResultStringToMap`): a pair ends at an `&` outside `{…}` / `[…]`, the key ends at the first `=`
 *   (values such as the base64 `signPubKeyCert` contain `=`, `+`, `/` and CR LF as they are). Public example: the
 *   UnionPay test answer quoted in yansongda/pay `tests/Traits/UnipayTraitTest.php`.
 */

export type AcpFields = Record<string, string>;

/** Limits of one decoded message: an ACP answer is a few KiB (the certificate is the largest field, ~1.7 KiB). */
export const ACP_FORM_LIMITS = { maxBytes: 64 * 1024, maxFields: 64, maxKeyLength: 64 } as const;

const KEY = /^[A-Za-z][A-Za-z0-9_]*$/;

function acceptable(fields: AcpFields, key: string, count: number): boolean {
  return (
    count < ACP_FORM_LIMITS.maxFields &&
    key.length <= ACP_FORM_LIMITS.maxKeyLength &&
    KEY.test(key) &&
    !Object.prototype.hasOwnProperty.call(fields, key)
  );
}

/** Percent-encodes every field (form-urlencoded body); empty values are left out, as the SDK does. */
export function encodeForm(fields: AcpFields): string {
  return Object.keys(fields)
    .filter((k) => fields[k] !== '')
    .map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(fields[k])}`)
    .join('&');
}

function decodeComponent(s: string): string | null {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

/**
 * Decodes a form-urlencoded body; null when it is too large, has too many fields, a bad key, a repeated key or a
 * malformed escape. Never throws.
 */
export function decodeForm(text: unknown): AcpFields | null {
  if (typeof text !== 'string' || Buffer.byteLength(text) > ACP_FORM_LIMITS.maxBytes) return null;
  const fields: AcpFields = Object.create(null) as AcpFields;
  if (text === '') return fields;
  let count = 0;
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decodeComponent(eq < 0 ? pair : pair.slice(0, eq));
    const value = decodeComponent(eq < 0 ? '' : pair.slice(eq + 1));
    if (key === null || value === null || !acceptable(fields, key, count)) return null;
    fields[key] = value;
    count++;
  }
  return fields;
}

/** The ACP answer text: `k=v` pairs joined by `&`, values as they are (the caller keeps `&` out of them). */
export function encodeAcpText(fields: AcpFields): string {
  return Object.keys(fields)
    .map((k) => `${k}=${fields[k]}`)
    .join('&');
}

/**
 * Parses an ACP answer text (see the file comment); null when it is too large, has too many fields, a bad or repeated
 * key, or unbalanced braces. Never throws.
 */
export function parseAcpText(text: unknown): AcpFields | null {
  if (typeof text !== 'string' || Buffer.byteLength(text) > ACP_FORM_LIMITS.maxBytes) return null;
  const fields: AcpFields = Object.create(null) as AcpFields;
  let count = 0;
  let depth = 0;
  let start = 0;
  const take = (end: number): boolean => {
    const pair = text.slice(start, end);
    start = end + 1;
    if (pair === '') return true;
    const eq = pair.indexOf('=');
    if (eq <= 0) return false;
    const key = pair.slice(0, eq);
    if (!acceptable(fields, key, count)) return false;
    fields[key] = pair.slice(eq + 1);
    count++;
    return true;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      if (--depth < 0) return null;
    } else if (c === '&' && depth === 0 && !take(i)) return null;
  }
  if (depth !== 0 || !take(text.length)) return null;
  return fields;
}
