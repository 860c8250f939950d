/**
 * Reading requests (form-urlencoded, bounded; never throws) and writing answers (the ACP answer text: `k=v` joined by
 * `&`, values as they are) for the UnionPay simulator. Independent of the kiosk's codec.
 */
const MAX_BODY = 64 * 1024;
const MAX_FIELDS = 64;

/** The request's fields, or null when it is too large, repeats a key or is malformed. */
export function readRequest(body: string): Record<string, string> | null {
  if (body.length > MAX_BODY) return null;
  const out = new Map<string, string>();
  for (const part of body.split('&')) {
    if (!part) continue;
    if (out.size >= MAX_FIELDS) return null;
    const i = part.indexOf('=');
    let k: string;
    let v: string;
    try {
      k = decodeURIComponent((i < 0 ? part : part.slice(0, i)).replace(/\+/g, ' '));
      v = i < 0 ? '' : decodeURIComponent(part.slice(i + 1).replace(/\+/g, ' '));
    } catch {
      return null;
    }
    if (!/^[A-Za-z]\w{0,63}$/.test(k) || out.has(k)) return null;
    out.set(k, v);
  }
  return Object.fromEntries(out);
}

/** The answer text (values must not contain `&`). */
export function writeAnswer(msg: Record<string, string>): string {
  return Object.entries(msg)
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/** A notification body (form-urlencoded). */
export function writeForm(msg: Record<string, string>): string {
  return new URLSearchParams(msg).toString();
}
