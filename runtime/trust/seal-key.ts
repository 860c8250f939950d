import * as fs from 'node:fs';
import * as path from 'node:path';
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { writeFileAtomic } from '../../kernel/atomic-file';
import { KioskError } from '../../kernel/errors';
import { sealKeyFingerprint } from '../../protocol/sealed/channel-section';
import { generateSealKeyPair } from '../../protocol/sealed/seal';
import { secretsDir } from './identity';

/**
 * The kiosk's own sealing key pair (X25519): HQ seals the payment channels' secrets to its public half
 * (protocol/sealed), and only this kiosk's private half opens them. Made by `kiosk provision`, or at boot for a kiosk
 * provisioned before there were sealing keys (device/live-config.ts). The private key never leaves the kiosk: it is
 * not sent to HQ, not in backups' manifests, not in a support bundle (device/redact-secrets.ts redacts `secrets/`).
 *
 * Files: `<data>/secrets/seal.key` (PKCS#8 PEM, 0600) and `<data>/secrets/seal.pub` (SPKI PEM, 0600 like the rest of
 * `secrets/`, a 0700 folder). The public key travels to HQ in the kiosk's retained birth `state` (`sealKey`).
 */

export const sealKeyPath = (dataDir: string): string => path.join(secretsDir(dataDir), 'seal.key');
export const sealPubPath = (dataDir: string): string => path.join(secretsDir(dataDir), 'seal.pub');

/** Makes a new key pair (replacing any): returns the public key PEM and its fingerprint. */
export function createSealKey(dataDir: string): { publicKeyPem: string; fingerprint: string } {
  fs.mkdirSync(secretsDir(dataDir), { recursive: true, mode: 0o700 });
  fs.chmodSync(secretsDir(dataDir), 0o700);
  const pair = generateSealKeyPair();
  writeFileAtomic(sealKeyPath(dataDir), pair.privateKeyPem, 0o600);
  writeFileAtomic(sealPubPath(dataDir), pair.publicKeyPem, 0o600);
  return { publicKeyPem: pair.publicKeyPem, fingerprint: sealKeyFingerprint(pair.publicKeyPem) };
}

/**
 * The key pair, made when missing (a kiosk provisioned before sealing keys existed). Returns its public half and
 * whether it was made now. A `seal.pub` that is missing or does not match `seal.key` is written again from the key.
 */
export function ensureSealKey(dataDir: string): { publicKeyPem: string; fingerprint: string; created: boolean } {
  if (!fs.existsSync(sealKeyPath(dataDir))) return { ...createSealKey(dataDir), created: true };
  const publicKeyPem = createPublicKey(loadSealPrivateKey(dataDir)).export({ type: 'spki', format: 'pem' }) as string;
  let stored: string | null = null;
  try {
    stored = fs.readFileSync(sealPubPath(dataDir), 'utf8');
  } catch {
    /* rewritten below */
  }
  if (stored !== publicKeyPem) writeFileAtomic(sealPubPath(dataDir), publicKeyPem, 0o600);
  return { publicKeyPem, fingerprint: sealKeyFingerprint(publicKeyPem), created: false };
}

/** The private sealing key. Throws KioskError('SEALED_INVALID') when there is none or it is not an X25519 key. */
export function loadSealPrivateKey(dataDir: string): KeyObject {
  let pem: Buffer;
  try {
    pem = fs.readFileSync(sealKeyPath(dataDir));
  } catch (e) {
    throw new KioskError('SEALED_INVALID', `no sealing key at ${sealKeyPath(dataDir)} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (e) {
    throw new KioskError('SEALED_INVALID', `${sealKeyPath(dataDir)}: not a private key (${(e as Error).message})`);
  }
  if (key.asymmetricKeyType !== 'x25519') throw new KioskError('SEALED_INVALID', `${sealKeyPath(dataDir)}: expected an X25519 key, got ${key.asymmetricKeyType ?? 'unknown'}`);
  return key;
}

/** The public sealing key PEM, or null when this kiosk has none (yet). Never throws. */
export function readSealPublicKey(dataDir: string): string | null {
  try {
    return createPublicKey(loadSealPrivateKey(dataDir)).export({ type: 'spki', format: 'pem' }) as string;
  } catch {
    return null;
  }
}
