import { createHash, createPublicKey } from 'node:crypto';
import forge from 'node-forge';
import { KioskError } from '../../kernel/errors';
import { parseDevice, type AclDevice } from '../broker-acl';

/** The smallest RSA key the CA certifies. */
export const MIN_RSA_BITS = 2048;

export interface CsrRequest extends AclDevice {
  /** The requested public key (SPKI PEM): the only thing taken from the CSR besides its CN. */
  publicPem: string;
  keySha256: string;
}

/** SHA-256 of a public key's SPKI DER, hex. */
export function publicKeySha256(publicPem: string): string {
  return createHash('sha256').update(createPublicKey(publicPem).export({ type: 'spki', format: 'der' })).digest('hex');
}

const refuse = (message: string): never => {
  throw new KioskError('CA_REFUSED', message);
};

/**
 * Reads a kiosk's certificate signing request (PEM, PKCS#10) for `hq ca sign`: its self-signature must verify (the
 * requester holds the private key), its key must be RSA of at least 2048 bits, and its subject CN must be a kiosk
 * identity `STORE/DEVICE` (letters, digits, . _ -), the broker username the ACL is written for. Only the CN and
 * the public key are used: any other subject field, extension or attribute the CSR asks for is ignored (the CA
 * decides what a kiosk certificate says).
 */
export function readCsr(pem: string): CsrRequest {
  let csr: forge.pki.CertificateSigningRequest;
  try {
    csr = forge.pki.certificationRequestFromPem(pem);
  } catch (e) {
    const msg = (e as Error).message;
    return refuse(/OID is not RSA/i.test(msg) ? 'the CSR key is not RSA: the fleet CA certifies RSA keys (2048 bits or more)' : `not a PEM certificate signing request (${msg})`);
  }
  let verified = false;
  try {
    verified = csr.verify();
  } catch {
    verified = false;
  }
  if (!verified) refuse('the CSR signature does not verify: it was altered, or not made with the key it names');
  const key = csr.publicKey as forge.pki.rsa.PublicKey | null;
  if (!key) return refuse('the CSR has no public key');
  if (key.n.bitLength() < MIN_RSA_BITS) refuse(`the CSR key is ${key.n.bitLength()} bits: at least ${MIN_RSA_BITS} are required`);
  const cns = csr.subject.attributes.filter((a: forge.pki.CertificateField) => a.name === 'commonName');
  if (cns.length !== 1) refuse(`the CSR subject must have exactly one CN (STORE/DEVICE), it has ${cns.length}`);
  const cn = String(cns[0].value);
  let who: AclDevice;
  try {
    who = parseDevice(cn);
  } catch (e) {
    return refuse(`the CSR's CN is not a kiosk identity: ${(e as Error).message}`);
  }
  const publicPem = forge.pki.publicKeyToPem(key);
  return { ...who, publicPem, keySha256: publicKeySha256(publicPem) };
}
