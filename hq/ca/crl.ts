/**
 * An X.509 v2 certificate revocation list (RFC 5280 §5), signed by the fleet CA: what Mosquitto's `crlfile` reads.
 * node-forge builds certificates but not CRLs, so the structure is written out here with its ASN.1 helpers and
 * signed with node:crypto (sha256WithRSAEncryption, the CA's key).
 *
 *   CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm, signatureValue BIT STRING }
 *   TBSCertList ::= SEQUENCE { version v2, signature, issuer, thisUpdate, nextUpdate,
 *                              revokedCertificates SEQUENCE OF SEQUENCE { serial, revocationDate, crlEntryExtensions } OPTIONAL,
 *                              crlExtensions [0] EXPLICIT Extensions }  -- authorityKeyIdentifier, cRLNumber
 */
import { createSign } from 'node:crypto';
import forge from 'node-forge';

const { asn1 } = forge;
const U = asn1.Class.UNIVERSAL;
const T = asn1.Type;

/** RFC 5280 CRLReason values `hq ca revoke --reason` accepts. */
export const REVOCATION_REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
} as const;
export type RevocationReason = keyof typeof REVOCATION_REASONS;

export interface RevokedEntry {
  /** The certificate's serial number, hex (as in the CA's index). */
  serialHex: string;
  revokedAt: Date;
  reason?: RevocationReason;
}

export interface CrlInput {
  caKeyPem: string;
  caCertPem: string;
  revoked: RevokedEntry[];
  /** cRLNumber: grows with every CRL the CA writes. */
  number: number;
  thisUpdate: Date;
  nextUpdate: Date;
}

const seq = (items: forge.asn1.Asn1[]) => asn1.create(U, T.SEQUENCE, true, items);
const oid = (o: string) => asn1.create(U, T.OID, false, asn1.oidToDer(o).getBytes());
const octets = (bytes: string) => asn1.create(U, T.OCTETSTRING, false, bytes);
const der = (a: forge.asn1.Asn1) => asn1.toDer(a).getBytes();

/** RFC 5280: UTCTime through 2049, GeneralizedTime from 2050. */
function time(d: Date): forge.asn1.Asn1 {
  return d.getUTCFullYear() < 2050 ? asn1.create(U, T.UTCTIME, false, asn1.dateToUtcTime(d)) : asn1.create(U, T.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(d));
}

/** A DER INTEGER from a hex serial (minimal: no redundant leading zero byte, a zero byte added when the top bit is set). */
function serialInteger(hex: string): forge.asn1.Asn1 {
  let bytes = forge.util.hexToBytes(hex.length % 2 ? `0${hex}` : hex);
  while (bytes.length > 1 && bytes.charCodeAt(0) === 0 && bytes.charCodeAt(1) < 0x80) bytes = bytes.slice(1);
  if (bytes.charCodeAt(0) >= 0x80) bytes = `\u0000${bytes}`;
  return asn1.create(U, T.INTEGER, false, bytes);
}

function extension(id: string, valueDer: string): forge.asn1.Asn1 {
  return seq([oid(id), octets(valueDer)]);
}

/** The CRL as PEM (`-----BEGIN X509 CRL-----`). */
export function buildCrl(input: CrlInput): string {
  const caCert = forge.pki.certificateFromPem(input.caCertPem);
  const sha256WithRsa = seq([oid(forge.pki.oids.sha256WithRSAEncryption), asn1.create(U, T.NULL, false, '')]);
  const entries = input.revoked.map((r) => {
    const fields = [serialInteger(r.serialHex), time(r.revokedAt)];
    if (r.reason !== undefined) {
      const reason = asn1.create(U, T.ENUMERATED, false, String.fromCharCode(REVOCATION_REASONS[r.reason]));
      fields.push(seq([extension('2.5.29.21', der(reason))]));
    }
    return seq(fields);
  });
  const ski = (caCert.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier?: string } | null)?.subjectKeyIdentifier;
  const exts = [
    ...(ski ? [extension('2.5.29.35', der(seq([asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, false, forge.util.hexToBytes(ski))])))] : []),
    extension('2.5.29.20', der(asn1.create(U, T.INTEGER, false, asn1.integerToDer(input.number).getBytes()))),
  ];
  const tbs = seq([
    asn1.create(U, T.INTEGER, false, asn1.integerToDer(1).getBytes()), // v2
    sha256WithRsa,
    forge.pki.distinguishedNameToAsn1(caCert.subject),
    time(input.thisUpdate),
    time(input.nextUpdate),
    ...(entries.length ? [seq(entries)] : []), // an empty list is left out, not written empty (RFC 5280 §5.1.2.6)
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [seq(exts)]),
  ]);
  const tbsDer = der(tbs);
  const signature = createSign('sha256').update(Buffer.from(tbsDer, 'binary')).sign(input.caKeyPem);
  const list = seq([tbs, sha256WithRsa, asn1.create(U, T.BITSTRING, false, `\u0000${signature.toString('binary')}`)]);
  return forge.pem.encode({ type: 'X509 CRL', body: der(list) });
}
