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
export async function hashPin(pin: string, params: { N: number; r: number; p: number } = PIN_SCRYPT): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(pin, salt, 32, { ...params, maxmem: Math.max(2 * MAX_SCRYPT_MEM, 256 * params.N * params.r) });
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/**
 * Whether `pin` matches an `scrypt$N$r$p$salt$hash` string, compared in constant time. A malformed hash never
 * matches (and never throws).
 */
export async function verifyPin(pin: string, encoded: string): Promise<boolean> {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  // bounded cost: a hash from a bad config or bundle must not take the kiosk's memory or minutes of CPU per check
  if (![N, r, p].every((x) => Number.isInteger(x) && x > 0) || N < 2 || (N & (N - 1)) !== 0 || 128 * N * r > MAX_SCRYPT_MEM || N * r * p > 1 << 22) return false;
  const salt = Buffer.from(parts[4], 'base64');
  const want = Buffer.from(parts[5], 'base64');
  if (salt.length === 0 || want.length < 16) return false;
  try {
    const got = await scrypt(pin, salt, want.length, { N, r, p, maxmem: 2 * MAX_SCRYPT_MEM });
    return timingSafeEqual(got, want);
  } catch {
    return false;
  }
}
