import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { keyIdOf, serializeEnvelope, signEnvelope, type EnvelopeFields, type Scope, type TrustedKeys } from '../../protocol/signed-envelope';

/** For tests: an Ed25519 key pair with its keyId and PEM public key. */
export interface TestKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicPem: string;
  keyId: string;
}

export function testKey(): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), keyId: keyIdOf(publicKey) };
}

/** Trusted keys held in memory. */
export function memoryTrust(...keys: TestKey[]): TrustedKeys {
  const m = new Map(keys.map((k) => [k.keyId, k.publicKey]));
  return { get: (id) => m.get(id) };
}

export const T0 = Date.UTC(2026, 0, 1, 9, 0, 0);

/** A signed envelope's wire text with sensible defaults (valid from T0 - 1 min for a day). */
export function signed(key: TestKey, over: Partial<EnvelopeFields> & { body: unknown }, now = T0): string {
  const fields: EnvelopeFields = {
    kind: 'config',
    scope: { kind: 'fleet' } as Scope,
    version: 1,
    issuedAt: new Date(now - 60_000).toISOString(),
    expiresAt: new Date(now + 86_400_000).toISOString(),
    ...over,
  };
  return serializeEnvelope(signEnvelope(fields, key.privateKey));
}
