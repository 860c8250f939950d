import { createPrivateKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import * as fs from 'node:fs';
import { COMMAND_ARGS, type CommandBody, type CommandName } from '../protocol/control/commands';
import { keyIdOf, scopeSchema, serializeEnvelope, signEnvelope, type Envelope, type Scope } from '../protocol/signed-envelope';

/** A new Ed25519 key pair for HQ: PKCS8 private PEM, SPKI public PEM and its keyId. */
export function generateHqKeyPair(): { privatePem: string; publicPem: string; keyId: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    keyId: keyIdOf(publicKey),
  };
}

/** Reads an Ed25519 private key (PEM PKCS8). Throws with the file name when it is anything else. */
export function loadPrivateKey(file: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not a private key (${(e as Error).message})`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${file}: expected an Ed25519 key, got ${key.asymmetricKeyType ?? 'unknown'}`);
  return key;
}

/** `fleet`, `store:S` or `device:S/D`. */
export function parseScopeArg(text: string): Scope {
  let candidate: unknown;
  if (text === 'fleet') candidate = { kind: 'fleet' };
  else if (text.startsWith('store:')) candidate = { kind: 'store', store: text.slice(6) };
  else if (text.startsWith('device:')) {
    const [store, device, ...rest] = text.slice(7).split('/');
    candidate = rest.length ? null : { kind: 'device', store, device };
  }
  const parsed = scopeSchema.safeParse(candidate);
  if (!parsed.success) throw new Error(`bad scope "${text}": expected fleet, store:STORE or device:STORE/DEVICE`);
  return parsed.data;
}

/** `S/D` → store and device. */
export function parseTarget(text: string): { store: string; device: string } {
  const scope = parseScopeArg(`device:${text}`);
  if (scope.kind !== 'device') throw new Error(`bad target "${text}"`);
  return { store: scope.store, device: scope.device };
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `10m`, `12h`, `30d` → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+)([smhd])$/.exec(text.trim());
  if (!m || Number(m[1]) <= 0) throw new Error(`bad duration "${text}": expected a number and s, m, h or d (e.g. 30d)`);
  return Number(m[1]) * UNITS[m[2]];
}

/** `k=v` pairs → args; a value that parses as JSON (numbers, true, objects) is taken as such, anything else as text. */
export function parseArgPairs(pairs: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0) throw new Error(`bad --arg "${p}": expected key=value`);
    const raw = p.slice(i + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      /* plain text */
    }
    out[p.slice(0, i)] = value;
  }
  return out;
}

/** A signed config bundle. */
export function signConfigBundle(o: { scope: Scope; version: number; body: Record<string, unknown>; key: KeyObject; now: number; expiresInMs: number }): Envelope {
  if (!Number.isSafeInteger(o.version) || o.version < 1) throw new Error(`bad version ${o.version}: expected an integer ≥ 1`);
  return signEnvelope(
    { kind: 'config', scope: o.scope, version: o.version, issuedAt: new Date(o.now).toISOString(), expiresAt: new Date(o.now + o.expiresInMs).toISOString(), body: o.body },
    o.key,
  );
}

/** How long a command stays valid. */
export const COMMAND_TTL_MS = 10 * 60_000;

/** A signed command for one device, with a random id and a 10-minute expiry. Args are checked as the kiosk will. */
export function signCommand(o: { store: string; device: string; name: string; args: Record<string, unknown>; key: KeyObject; now: number; id?: string }): Envelope<CommandBody> {
  if (!(o.name in COMMAND_ARGS)) throw new Error(`unknown command "${o.name}": expected one of ${Object.keys(COMMAND_ARGS).join(', ')}`);
  const name = o.name as CommandName;
  const args = COMMAND_ARGS[name].safeParse(o.args);
  if (!args.success) throw new Error(`bad args for ${name}: ${args.error.issues.map((i) => `${i.path.map(String).join('.') || '(args)'}: ${i.message}`).join('; ')}`);
  return signEnvelope<CommandBody>(
    {
      kind: 'command',
      scope: { kind: 'device', store: o.store, device: o.device },
      version: 1,
      issuedAt: new Date(o.now).toISOString(),
      expiresAt: new Date(o.now + COMMAND_TTL_MS).toISOString(),
      body: { id: o.id ?? randomUUID(), name, args: o.args },
    },
    o.key,
  );
}

/**
 * Signs a price-book manifest (envelope kind `pricebook`) for a store (`_all`) or one device. The envelope version
 * is the signing time in seconds; the kiosk orders price books by the manifest's own version.
 */
export function signManifest(manifest: unknown, keyFile: string, scope: { store: string; device?: string }, now = Date.now()): Buffer {
  return signManifestWithKey(manifest, loadPrivateKey(keyFile), scope, now);
}

/** {@link signManifest} with the key already loaded (the console signs with `hq serve --key`). */
export function signManifestWithKey(manifest: unknown, key: KeyObject, scope: { store: string; device?: string }, now: number): Buffer {
  const env = signEnvelope(
    {
      kind: 'pricebook',
      scope: scope.device ? { kind: 'device', store: scope.store, device: scope.device } : { kind: 'store', store: scope.store },
      version: Math.max(1, Math.floor(now / 1000)),
      issuedAt: new Date(now).toISOString(),
      expiresAt: new Date(now + 30 * 86_400_000).toISOString(),
      body: manifest,
    },
    key,
  );
  return Buffer.from(serializeEnvelope(env));
}
