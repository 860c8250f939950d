import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../../kernel/atomic-file';
import { KioskError } from '../../kernel/errors';

/**
 * HQ's secrets key: 32 random bytes (base64 in a 0600 file) under which HQ keeps the payment channels' secrets
 * encrypted at rest (AES-256-GCM, a random 96-bit IV per value, AAD naming what the value is). By default the file
 * `hq-secrets.key` beside the HQ SQLite database, created on first use; `--secrets-key FILE` names another (required
 * with PostgreSQL). Losing it loses the stored channel secrets (they are entered again); it is never in the database.
 */
export interface HqSecretsKey {
  key: Buffer;
  /** First 8 hex digits of SHA-256 over the key: which key a stored value needs. */
  keyId: string;
  file: string;
}

/** The default key file for an HQ database (`--db`): beside the SQLite file; null for PostgreSQL. */
export function defaultSecretsKeyFile(db: string): string | null {
  return /^postgres(ql)?:\/\//.test(db) ? null : path.join(path.dirname(path.resolve(db)), 'hq-secrets.key');
}

/** Reads the key file, or creates it (0600) when `create` and it is missing. Throws KioskError('CONFIG_INVALID'). */
export function loadSecretsKey(file: string, opts: { create: boolean }): HqSecretsKey {
  if (!fs.existsSync(file)) {
    if (!opts.create) throw new KioskError('CONFIG_INVALID', `no HQ secrets key at ${file}`);
    writeFileAtomic(file, `${randomBytes(32).toString('base64')}\n`, 0o600);
  }
  const st = fs.statSync(file);
  if ((st.mode & 0o077) !== 0) throw new KioskError('CONFIG_INVALID', `${file}: the HQ secrets key must be readable by its owner only (mode ${(st.mode & 0o777).toString(8)}; chmod 600)`);
  const text = fs.readFileSync(file, 'utf8').trim();
  const key = Buffer.from(text, 'base64');
  if (key.length !== 32 || key.toString('base64') !== text) throw new KioskError('CONFIG_INVALID', `${file}: expected 32 bytes in base64`);
  return { key, keyId: createHash('sha256').update(key).digest('hex').slice(0, 8), file };
}

/** Encrypts `plaintext` at rest; the text stored is `{v, keyId, iv, ct, tag}` JSON (base64 fields). */
export function encryptAtRest(k: HqSecretsKey, plaintext: string, aad: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', k.key, iv, { authTagLength: 16 });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return JSON.stringify({ v: 1, keyId: k.keyId, iv: iv.toString('base64'), ct: ct.toString('base64'), tag: cipher.getAuthTag().toString('base64') });
}

/** Decrypts what {@link encryptAtRest} stored under the same key and AAD. Throws KioskError('SEALED_INVALID') otherwise. */
export function decryptAtRest(k: HqSecretsKey, stored: string, aad: string): string {
  let box: { v?: unknown; keyId?: unknown; iv?: unknown; ct?: unknown; tag?: unknown };
  try {
    box = JSON.parse(stored) as typeof box;
  } catch {
    throw new KioskError('SEALED_INVALID', 'a stored channel secret is not readable');
  }
  if (box.keyId !== k.keyId) throw new KioskError('SEALED_INVALID', `a stored channel secret needs HQ secrets key ${String(box.keyId)}, this is ${k.keyId}`);
  if (typeof box.iv !== 'string' || typeof box.ct !== 'string' || typeof box.tag !== 'string') throw new KioskError('SEALED_INVALID', 'a stored channel secret is malformed');
  try {
    const d = createDecipheriv('aes-256-gcm', k.key, Buffer.from(box.iv, 'base64'), { authTagLength: 16 });
    d.setAAD(Buffer.from(aad, 'utf8'));
    d.setAuthTag(Buffer.from(box.tag, 'base64'));
    return Buffer.concat([d.update(Buffer.from(box.ct, 'base64')), d.final()]).toString('utf8');
  } catch {
    throw new KioskError('SEALED_INVALID', 'a stored channel secret does not decrypt (altered, or another key)');
  }
}
