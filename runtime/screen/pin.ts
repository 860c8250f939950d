import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

function scrypt(pin: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCb(pin, salt, keylen, opts, (e, key) => (e ? reject(e) : resolve(key))));
}

/** The most memory one PIN check may use (scrypt needs 128·N·r bytes). */
const MAX_SCRYPT_MEM = 64 * 1024 * 1024;

/** Cost parameters for new hashes (N = 2^14: about 16 MiB, tens of ms per check). */
export const PIN_SCRYPT = { N: 16384, r: 8, p: 1 } as const;

/**
 * Hashes an attendant PIN for config `attendant.pins`: `scrypt$N$r$p$saltB64$hashB64` (16-byte random salt,
 * 32-byte key). The PIN itself is never stored.
 */
export async function hashPin(pin: string, params: { N: number; r: number; p: number } = PIN_SCRYPT, salt: Buffer = randomBytes(16)): Promise<string> {
  if (salt.length < 16) throw new RangeError('the salt must be at least 16 bytes');
  const key = await scrypt(pin, salt, 32, { ...params, maxmem: Math.max(2 * MAX_SCRYPT_MEM, 256 * params.N * params.r) });
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/**
 * Whether `pin` matches an `scrypt$N$r$p$salt$hash` string, compared in constant time. A malformed hash never
 * matches (and never throws).
 */
export async function verifyPin(pin: string, encoded: string): Promise<boolean> {
  const h = parseScrypt(encoded);
  if (!h) return false;
  const got = await derive(pin, h);
  return got !== null && timingSafeEqual(got, h.want);
}

/** A parsed `scrypt$N$r$p$salt$hash`, within bounds; `group` names what the derived key depends on. */
interface ScryptHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  want: Buffer;
  group: string;
}

function parseScrypt(encoded: string): ScryptHash | null {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  // bounded cost: a hash from a bad config or bundle must not take the kiosk's memory or minutes of CPU per check
  if (![N, r, p].every((x) => Number.isInteger(x) && x > 0) || N < 2 || (N & (N - 1)) !== 0 || 128 * N * r > MAX_SCRYPT_MEM || N * r * p > 1 << 22) return null;
  const salt = Buffer.from(parts[4], 'base64');
  const want = Buffer.from(parts[5], 'base64');
  if (salt.length === 0 || want.length < 16 || want.length > 64) return null;
  return { N, r, p, salt, want, group: `${N}$${r}$${p}$${salt.toString('base64')}$${want.length}` };
}

async function derive(secret: string, h: ScryptHash): Promise<Buffer | null> {
  try {
    return await scrypt(secret, h.salt, h.want.length, { N: h.N, r: h.r, p: h.p, maxmem: 2 * MAX_SCRYPT_MEM });
  } catch {
    return null;
  }
}

/**
 * The first credential (in the given order) whose hash `secret` matches, or null. Entries that share cost
 * parameters and salt (e.g. a store's badges hashed with one `--salt`) cost one scrypt together, so checking a scan
 * against many badges stays one slow hash, not one per badge. Malformed hashes never match.
 */
export async function matchSecret<T extends { hash: string }>(secret: string, creds: readonly T[]): Promise<T | null> {
  const keys = new Map<string, Buffer | null>();
  for (const c of creds) {
    const h = parseScrypt(c.hash);
    if (!h) continue;
    if (!keys.has(h.group)) keys.set(h.group, await derive(secret, h));
    const got = keys.get(h.group);
    if (got && timingSafeEqual(got, h.want)) return c;
  }
  return null;
}

/**
 * Hashes an attendant badge code for config `attendant.badges`: the same bounded scrypt format as a PIN (a badge
 * code is short and guessable offline, so it gets a slow salted hash, never a plain digest). Verify with verifyPin.
 */
export async function hashBadge(code: string, params: { N: number; r: number; p: number } = PIN_SCRYPT, salt?: Buffer): Promise<string> {
  return hashPin(code, params, salt);
}
