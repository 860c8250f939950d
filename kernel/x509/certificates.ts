/**
 * X.509 certificates for loopback TLS: a self-signed CA, and server / client certificates it issues. Keys are made
 * by node:crypto (fast, native); node-forge only builds and signs the certificate structures. Used by the channel
 * simulators (HTTPS with mutual TLS, a channel's signing certificate) and by tests; everything is PEM.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

export interface KeyAndCert {
  /** PKCS#8 PEM private key. */
  keyPem: string;
  certPem: string;
}

export interface IssueOptions {
  commonName: string;
  /** Extra subject attributes (e.g. organizationName, organizationalUnitName). */
  subject?: Record<string, string>;
  /** IP addresses / DNS names the certificate is valid for (server certificates). */
  ips?: string[];
  dns?: string[];
  /** Validity; default from one day before `now` to 825 days after it. */
  now?: Date;
  days?: number;
  /** Serial number as hex; default random 16 bytes (positive). */
  serialHex?: string;
  /** RSA modulus length; default 2048. */
  bits?: number;
}

function newKeyPair(bits: number): { keyPem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return {
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

function randomSerial(): string {
  const b = randomBytes(16);
  b[0] &= 0x7f; // positive INTEGER
  return b.toString('hex');
}

function attrs(o: IssueOptions): forge.pki.CertificateField[] {
  return [{ name: 'commonName', value: o.commonName }, ...Object.entries(o.subject ?? {}).map(([name, value]) => ({ name, value }))];
}

function build(o: IssueOptions, publicPem: string, issuer: forge.pki.CertificateField[] | null): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicPem);
  cert.serialNumber = o.serialHex ?? randomSerial();
  const now = o.now ?? new Date();
  cert.validity.notBefore = new Date(now.getTime() - 86_400_000);
  cert.validity.notAfter = new Date(now.getTime() + (o.days ?? 825) * 86_400_000);
  const subject = attrs(o);
  cert.setSubject(subject);
  cert.setIssuer(issuer ?? subject);
  return cert;
}

function sign(cert: forge.pki.Certificate, issuerKeyPem: string): string {
  cert.sign(forge.pki.privateKeyFromPem(issuerKeyPem) as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

/** A self-signed certificate authority. */
export function createCa(o: IssueOptions): KeyAndCert {
  const k = newKeyPair(o.bits ?? 2048);
  const cert = build(o, k.publicPem, null);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  return { keyPem: k.keyPem, certPem: sign(cert, k.keyPem) };
}

/**
 * A certificate issued by `ca` for the given use: `server` (TLS server auth, with the IP / DNS names as subject
 * alternative names), `client` (TLS client auth) or `signing` (digital signatures, e.g. a channel's message-signing
 * certificate). `publicPem` certifies an existing key (a CSR's, so the private key never leaves its owner);
 * without it a new key pair is made and returned.
 */
export function issueCertificate(ca: KeyAndCert, use: 'server' | 'client' | 'signing', o: IssueOptions & { publicPem?: string }): KeyAndCert {
  const k = o.publicPem ? { keyPem: '', publicPem: o.publicPem } : newKeyPair(o.bits ?? 2048);
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const cert = build(o, k.publicPem, caCert.subject.attributes);
  const altNames = [...(o.ips ?? []).map((ip) => ({ type: 7, ip })), ...(o.dns ?? []).map((value) => ({ type: 2, value }))];
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    use === 'signing'
      ? { name: 'keyUsage', digitalSignature: true, nonRepudiation: true, critical: true }
      : { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    ...(use === 'signing' ? [] : [{ name: 'extKeyUsage', serverAuth: use === 'server', clientAuth: use === 'client' }]),
    ...(altNames.length ? [{ name: 'subjectAltName', altNames }] : []),
  ]);
  return { keyPem: k.keyPem, certPem: sign(cert, ca.keyPem) };
}
