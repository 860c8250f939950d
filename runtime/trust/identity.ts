import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { KioskError } from '../../kernel/errors';
import { writeFileAtomic } from '../../kernel/atomic-file';
import { joinPath } from '../../kernel/json/bounded-format';
import { boundedJsonParse } from '../../kernel/json/bounded-json';
import { JSON_LIMITS } from '../../kernel/json/limits';

const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { error: 'expected an id (letters, digits, . _ -)' });

const authSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }).strict(),
  /** `passwordFile` is relative to the data dir, mode 0600. */
  z.object({ kind: z.literal('password'), username: z.string().min(1), passwordFile: z.string().min(1) }).strict(),
  /** Files copied into the data dir at provisioning, relative to it, mode 0600. */
  z.object({ kind: z.literal('cert'), certFile: z.string().min(1), keyFile: z.string().min(1), caFile: z.string().min(1) }).strict(),
]);

export const identitySchema = z
  .object({
    v: z.literal(1),
    store: id,
    device: id,
    broker: z.object({ url: z.string().regex(/^(mqtts?|wss?|tcp|tls):\/\//, { error: 'expected a broker URL (mqtt://, mqtts://, ws://, wss://)' }), auth: authSchema }).strict(),
    provisionedAt: z.string(),
  })
  .strict();

/** Who this kiosk is and how it reaches HQ: `<dataDir>/identity.json`, written by `kiosk provision`. */
export type Identity = z.infer<typeof identitySchema>;
export type BrokerAuth = Identity['broker']['auth'];

export const identityPath = (dataDir: string): string => path.join(dataDir, 'identity.json');
/** Where provisioning keeps the secrets (broker password, client key and certificates). */
export const secretsDir = (dataDir: string): string => path.join(dataDir, 'secrets');

/** The identity, or null when the kiosk was never provisioned. Throws KioskError IDENTITY_INVALID when unreadable. */
export function readIdentity(dataDir: string): Identity | null {
  const file = identityPath(dataDir);
  if (!fs.existsSync(file)) return null;
  let json: unknown;
  try {
    json = boundedJsonParse(fs.readFileSync(file), { maxBytes: JSON_LIMITS.localStateFile });
  } catch (e) {
    throw new KioskError('IDENTITY_INVALID', `${file}: not valid JSON (${(e as Error).message})`);
  }
  const parsed = identitySchema.safeParse(json);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new KioskError('IDENTITY_INVALID', `${file}: ${joinPath(i.path) || '(root)'}: ${i.message}`);
  }
  return parsed.data;
}

/**
 * Writes identity.json atomically, 0600: it names the secrets' files, not the secrets, but its broker URL may carry
 * credentials (`mqtts://user:pass@host`) and it says who this lane is at HQ.
 */
export function writeIdentity(dataDir: string, identity: Identity): void {
  writeFileAtomic(identityPath(dataDir), `${JSON.stringify(identity, null, 2)}\n`, 0o600);
}

/** The mqtt.js connection options for the identity's broker (reads the secret files). */
export function brokerCredentials(dataDir: string, auth: BrokerAuth): { username?: string; password?: string; cert?: Buffer; key?: Buffer; ca?: Buffer } {
  const read = (f: string) => fs.readFileSync(path.resolve(dataDir, f));
  if (auth.kind === 'password') return { username: auth.username, password: read(auth.passwordFile).toString('utf8') };
  if (auth.kind === 'cert') return { cert: read(auth.certFile), key: read(auth.keyFile), ca: read(auth.caFile) };
  return {};
}
