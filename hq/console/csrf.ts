import { timingSafeEqual } from 'node:crypto';

/** Constant-time comparison of two tokens (false when either is missing or their lengths differ). */
export function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (typeof a !== 'string' || typeof b !== 'string' || a.length === 0 || a.length > 200 || b.length > 200) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * A POST is refused when its Origin header is present and not the console's own (the Host it was sent to). Browsers
 * send Origin on every cross-site POST, so a page elsewhere cannot submit a console form even with a stolen token.
 * `null` (sandboxed frames, some redirects) is foreign.
 */
export function foreignOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return false;
  if (!host) return true;
  try {
    const u = new URL(origin);
    return (u.protocol !== 'http:' && u.protocol !== 'https:') || u.host.toLowerCase() !== host.toLowerCase();
  } catch {
    return true;
  }
}
