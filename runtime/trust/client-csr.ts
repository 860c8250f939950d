import { createPrivateKey, createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import forge from 'node-forge';
import { writeFileAtomic } from '../../kernel/atomic-file';
import { KioskError } from '../../kernel/errors';
import { secretsDir } from './identity';

/**
 * The kiosk's own TLS client key for certificate provisioning without the key ever leaving the kiosk:
 * `kiosk provision --csr` makes the key here (`<data>/secrets/csr.key`, 0600) and prints a CSR (PKCS#10, CN
 * `STORE/DEVICE`); HQ signs it (`hq ca sign`); `kiosk provision --cert signed.crt --ca ca.crt` (no --key) then
 * takes the certificate only if it certifies this very key, and moves the key to `secrets/client.key`.
 * RSA 2048: what the fleet CA certifies.
 */
export const pendingKeyPath = (dataDir: string): string => path.join(secretsDir(dataDir), 'csr.key');

/** The pending key, made (0600, in a 0700 secrets folder) when there is none or `fresh` is asked for. */
export function ensurePendingKey(dataDir: string, fresh = false): { keyPem: string; created: boolean } {
  const file = pendingKeyPath(dataDir);
  if (!fresh && fs.existsSync(file)) return { keyPem: fs.readFileSync(file, 'utf8'), created: false };
  fs.mkdirSync(secretsDir(dataDir), { recursive: true, mode: 0o700 });
  fs.chmodSync(secretsDir(dataDir), 0o700);
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  writeFileAtomic(file, keyPem, 0o600);
  return { keyPem, created: true };
}

/** A CSR (PEM) for kiosk `store/device`, signed with `keyPem` (proof that the requester holds the key). */
export function clientCsr(keyPem: string, store: string, device: string): string {
  const key = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  csr.setSubject([{ name: 'commonName', value: `${store}/${device}` }]);
  csr.sign(key, forge.md.sha256.create());
  return forge.pki.certificationRequestToPem(csr);
}

/** What a client certificate says, read for provisioning. */
export interface ClientCertInfo {
  commonName: string | null;
  notAfter: Date;
  /** It certifies this private key (its public key is the key's public half). */
  matches: (keyPem: string) => boolean;
  /** It was signed by this CA certificate. */
  signedBy: (caPem: string) => boolean;
}

/** Reads a PEM client certificate; throws KioskError IDENTITY_INVALID when it is not one. */
export function readClientCert(pem: string | Buffer): ClientCertInfo {
  let x: X509Certificate;
  try {
    x = new X509Certificate(pem);
  } catch (e) {
    throw new KioskError('IDENTITY_INVALID', `not a PEM certificate (${(e as Error).message})`);
  }
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(x.subject)?.[1] ?? null;
  const spki = (k: ReturnType<typeof createPublicKey>) => k.export({ type: 'spki', format: 'der' }).toString('hex');
  return {
    commonName: cn,
    notAfter: new Date(x.validTo),
    matches: (keyPem) => {
      try {
        return spki(createPublicKey(createPrivateKey(keyPem))) === spki(x.publicKey);
      } catch {
        return false;
      }
    },
    signedBy: (caPem) => {
      try {
        const ca = new X509Certificate(caPem);
        return x.checkIssued(ca) && x.verify(ca.publicKey);
      } catch {
        return false;
      }
    },
  };
}
