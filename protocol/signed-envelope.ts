import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson } from '../kernel/canonical-json';
import { joinPath } from '../kernel/json/bounded-format';
import { tryParseJson } from '../kernel/json/bounded-json';
import { JSON_LIMITS } from '../kernel/json/limits';

/**
 * Signed envelopes: how HQ tells a kiosk anything that changes it (configuration, price books, commands).
 *
 * Rules:
 * - Ed25519 (node:crypto) only. `sig` is the base64 signature over `canonicalJson` of the envelope without `sig`, so
 *   every other field — `kind` included — is covered: a signature for one kind cannot be replayed as another.
 * - `keyId` is the first 16 hex digits of SHA-256 over the signer's raw public key (SPKI DER).
 * - A verifier checks, in this order: well-formed → known key → signature → kind → scope → not expired → not issued
 *   more than 5 minutes in the future → version newer than the one applied → body. The first failure is the reason.
 */

/** Why an envelope was refused. */
export type RejectReason =
  | 'malformed'
  | 'unknown_key'
  | 'bad_signature'
  | 'wrong_scope'
  | 'expired'
  | 'not_yet_valid'
  | 'not_newer'
  | 'invalid_body'
  | 'already_executed'
  | 'wrong_kind';

export type EnvelopeKind = 'config' | 'pricebook' | 'command' | 'members' | 'recalls' | 'release';

/** Who an envelope is for: one device, every device of a store, or the whole fleet. */
export type Scope = { kind: 'device'; store: string; device: string } | { kind: 'store'; store: string } | { kind: 'fleet' };

export interface Envelope<B = unknown> {
  kind: EnvelopeKind;
  scope: Scope;
  /** Positive integer; for config, monotonic per scope level. */
  version: number;
  /** ISO 8601 date-times. */
  issuedAt: string;
  expiresAt: string;
  keyId: string;
  body: B;
  /** Base64 Ed25519 signature. */
  sig: string;
}

export type UnsignedEnvelope<B = unknown> = Omit<Envelope<B>, 'sig'>;
/** What the signer provides; `keyId` is derived from the key. */
export type EnvelopeFields<B = unknown> = Omit<Envelope<B>, 'sig' | 'keyId'>;

export type VerifyResult<B = unknown> = { ok: true; envelope: Envelope<B> } | { ok: false; reason: RejectReason; detail: string };

/** The public keys a verifier trusts, by keyId. */
export interface TrustedKeys {
  get(keyId: string): KeyObject | undefined;
}

/** What the receiver expects of an envelope beyond a valid signature. Every field is optional. */
export interface VerifyExpectations {
  kind?: EnvelopeKind;
  /** Checks the (signature-verified) scope; returns a detail string when it is not acceptable. */
  scope?: (scope: Scope) => string | null;
  /** The version already applied at this envelope's level; the envelope must be strictly newer. */
  appliedVersion?: number | null;
  /** Checks the body; returns a detail (`field: problem`) when it is not acceptable. */
  body?: (body: unknown) => string | null;
}

/** How far in the future `issuedAt` may be (clock skew between HQ and the kiosk). */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

const SCOPE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const scopeId = z.string().regex(SCOPE_ID);
export const scopeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('device'), store: scopeId, device: scopeId }).strict(),
  z.object({ kind: z.literal('store'), store: scopeId }).strict(),
  z.object({ kind: z.literal('fleet') }).strict(),
]);

const isoTime = z.iso.datetime({ offset: true });
const envelopeSchema = z
  .object({
    kind: z.enum(['config', 'pricebook', 'command', 'members', 'recalls', 'release']),
    scope: scopeSchema,
    version: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    issuedAt: isoTime,
    expiresAt: isoTime,
    keyId: z.string().regex(/^[0-9a-f]{16}$/),
    body: z.unknown().refine((b) => b !== undefined, { error: 'body is required' }),
    sig: z.string(),
  })
  .strict();

/** First 16 hex digits of SHA-256 over the public key's SPKI DER. */
export function keyIdOf(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

/** Parses a PEM public key and insists it is Ed25519. Throws otherwise. */
export function parsePublicKeyPem(pem: string): KeyObject {
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`expected an Ed25519 public key, got ${key.asymmetricKeyType ?? 'unknown'}`);
  return key;
}

const signedBytes = (e: UnsignedEnvelope): Buffer => Buffer.from(canonicalJson(e), 'utf8');

/** Signs `fields` with an Ed25519 private key; the keyId is derived from the key. */
export function signEnvelope<B>(fields: EnvelopeFields<B>, privateKey: KeyObject): Envelope<B> {
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('signing key must be Ed25519');
  const unsigned: UnsignedEnvelope<B> = { ...fields, keyId: keyIdOf(privateKey) };
  const sig = sign(null, signedBytes(unsigned), privateKey).toString('base64');
  return { ...unsigned, sig };
}

/** The wire form of an envelope (canonical JSON, UTF-8). */
export function serializeEnvelope(e: Envelope): string {
  return canonicalJson(e);
}

/** Human-readable scope, e.g. `device s1/d1`. */
export function describeScope(s: Scope): string {
  return s.kind === 'device' ? `device ${s.store}/${s.device}` : s.kind === 'store' ? `store ${s.store}` : 'fleet';
}

const reject = (reason: RejectReason, detail: string): VerifyResult<never> => ({ ok: false, reason, detail });

/** A base64 string that decodes to exactly 64 bytes and re-encodes to itself (no malleable padding bits). */
function decodeSignature(sig: string): Buffer | null {
  if (!/^[A-Za-z0-9+/]{86}==$/.test(sig)) return null;
  const buf = Buffer.from(sig, 'base64');
  return buf.length === 64 && buf.toString('base64') === sig ? buf : null;
}

/**
 * Verifies an envelope received as bytes or text, at time `now` (ms since epoch), against trusted keys and the
 * receiver's expectations. Never throws: every problem is a `RejectReason` with a detail for the report.
 */
export function verifyEnvelope<B = unknown>(raw: Buffer | string, trust: TrustedKeys, now: number, expect: VerifyExpectations = {}): VerifyResult<B> {
  let text: string;
  try {
    text = typeof raw === 'string' ? raw : new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    return reject('malformed', 'not UTF-8 text');
  }
  // bounded (size and nesting) before JSON.parse: a 1M-deep payload is refused in one linear scan
  const json = tryParseJson(text, { maxBytes: JSON_LIMITS.envelope });
  if (!json.ok) return reject('malformed', json.problem === 'syntax' ? `not JSON (${json.message})` : json.message);
  const parsed = envelopeSchema.safeParse(json.value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return reject('malformed', `${joinPath(issue.path) || '(root)'}: ${issue.message}`);
  }
  const env = parsed.data as Envelope<B>;
  const key = trust.get(env.keyId);
  if (!key) return reject('unknown_key', `key ${env.keyId} is not trusted`);
  const sig = decodeSignature(env.sig);
  if (!sig) return reject('bad_signature', 'sig is not a base64 Ed25519 signature');
  const { sig: _sig, ...unsigned } = env;
  let bytes: Buffer;
  try {
    bytes = signedBytes(unsigned);
  } catch (e) {
    return reject('malformed', (e as Error).message);
  }
  if (!verify(null, bytes, key, sig)) return reject('bad_signature', `signature does not match key ${env.keyId}`);

  if (expect.kind && env.kind !== expect.kind) return reject('wrong_kind', `expected a ${expect.kind} envelope, got ${env.kind}`);
  const scopeProblem = expect.scope?.(env.scope);
  if (scopeProblem) return reject('wrong_scope', scopeProblem);
  const issuedAt = Date.parse(env.issuedAt);
  const expiresAt = Date.parse(env.expiresAt);
  if (expiresAt <= now) return reject('expired', `expired at ${env.expiresAt}`);
  if (issuedAt > now + MAX_CLOCK_SKEW_MS) return reject('not_yet_valid', `issued at ${env.issuedAt}, more than 5 minutes in the future`);
  if (expect.appliedVersion !== undefined && expect.appliedVersion !== null && env.version <= expect.appliedVersion) {
    return reject('not_newer', `version ${env.version} is not newer than ${expect.appliedVersion}`);
  }
  const bodyProblem = expect.body?.(env.body);
  if (bodyProblem) return reject('invalid_body', bodyProblem);
  return { ok: true, envelope: env };
}
