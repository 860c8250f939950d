import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Cookies for the console (RFC 6265), written here rather than with @fastify/cookie: its v11 loads the ESM-only
 * `cookie` package with a dynamic import(), which jest's CommonJS runtime cannot do. The console needs only to read
 * a few named cookies and to set them with fixed attributes.
 */
export interface CookieOptions {
  httpOnly?: boolean;
  secure?: boolean;
  sameSite?: 'Strict' | 'Lax';
  path?: string;
  /** Seconds; 0 deletes the cookie. */
  maxAge?: number;
}

const NAME_RE = /^[A-Za-z0-9_-]{1,64}$/;
/** Cookie values the console writes are base64url tokens, language tags: no `;`, `,`, spaces, quotes or controls. */
const VALUE_RE = /^[A-Za-z0-9._~-]{0,200}$/;

/** `a=1; b=2` → {a: '1', b: '2'}; the first of a repeated name wins; malformed pairs and oversized headers are ignored. */
export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  if (!header || header.length > 8192) return out;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const name = part.slice(0, i).trim();
    let value = part.slice(i + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (!NAME_RE.test(name) || name in out) continue;
    out[name] = value;
  }
  return out;
}

export function serializeCookie(name: string, value: string, o: CookieOptions): string {
  if (!NAME_RE.test(name) || !VALUE_RE.test(value)) throw new TypeError(`cookie ${name}: unsafe name or value`);
  const parts = [`${name}=${value}`, `Path=${o.path ?? '/'}`];
  if (o.maxAge !== undefined) {
    parts.push(`Max-Age=${Math.trunc(o.maxAge)}`);
    if (o.maxAge <= 0) parts.push('Expires=Thu, 01 Jan 1970 00:00:00 GMT');
  }
  if (o.httpOnly) parts.push('HttpOnly');
  if (o.secure) parts.push('Secure');
  parts.push(`SameSite=${o.sameSite ?? 'Strict'}`);
  return parts.join('; ');
}

export function requestCookie(req: FastifyRequest, name: string): string | undefined {
  const r = req as FastifyRequest & { consoleCookies?: Record<string, string> };
  r.consoleCookies ??= parseCookies(req.headers.cookie);
  return r.consoleCookies[name];
}

/** Adds a Set-Cookie header (several may be set on one reply). */
export function setCookie(reply: FastifyReply, name: string, value: string, o: CookieOptions): void {
  reply.header('set-cookie', serializeCookie(name, value, o)); // Fastify appends set-cookie values, never replaces them
}

export const clearCookie = (reply: FastifyReply, name: string, o: CookieOptions): void => setCookie(reply, name, '', { ...o, maxAge: 0 });
