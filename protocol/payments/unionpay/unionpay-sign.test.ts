import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync, X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { createCa, issueCertificate } from '../../../kernel/x509/certificates';
import {
  PUBLISHED_ANSWER_FIELDS,
  PUBLISHED_ANSWER_TEXT,
  PUBLISHED_SIGNATURE,
  UNIONPAY_TEST_CERT_ID,
  UNIONPAY_TEST_CERT_PEM,
} from '../../../test/support/unionpay-vector';
import { parseAcpText } from './unionpay-form';
import { acpDigestHex, acpSignString, acpSignature, certIdOf, chainsTo, signFields, verifyAnswer, verifyFields } from './unionpay-sign';

const published = { ...PUBLISHED_ANSWER_FIELDS, signature: PUBLISHED_SIGNATURE };
let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'up-sign-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The openssl CLI as the independent oracle: SHA256withRSA over the given bytes. */
function opensslSign(keyPem: string, data: string): string {
  fs.writeFileSync(path.join(dir, 'key.pem'), keyPem);
  fs.writeFileSync(path.join(dir, 'data'), data);
  return execFileSync('openssl', ['dgst', '-sha256', '-sign', path.join(dir, 'key.pem'), path.join(dir, 'data')]).toString('base64');
}
function opensslVerify(certPem: string, data: string, signatureB64: string): boolean {
  fs.writeFileSync(path.join(dir, 'cert.pem'), certPem);
  execFileSync('sh', ['-c', `openssl x509 -in "${dir}/cert.pem" -pubkey -noout > "${dir}/pub.pem"`]);
  fs.writeFileSync(path.join(dir, 'data'), data);
  fs.writeFileSync(path.join(dir, 'sig'), Buffer.from(signatureB64, 'base64'));
  try {
    execFileSync('openssl', ['dgst', '-sha256', '-verify', `${dir}/pub.pem`, '-signature', `${dir}/sig`, `${dir}/data`], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

describe('UnionPay ACP signMethod 01: the published UnionPay-signed answer', () => {
  it('verifies with the certificate it carries (and so does openssl over the hex digest)', () => {
    expect(verifyFields(published, new X509Certificate(UNIONPAY_TEST_CERT_PEM))).toBe(true);
    expect(opensslVerify(UNIONPAY_TEST_CERT_PEM, acpDigestHex(published), PUBLISHED_SIGNATURE)).toBe(true);
  });

  it('the signature covers the lower-hex SHA-256 of the sorted string, not the string itself', () => {
    const s = acpSignString(published);
    expect(s.startsWith('accNo=')).toBe(true);
    expect(s).not.toContain('signature=');
    expect(s.endsWith('&txnType=01&version=5.1.0')).toBe(true);
    expect(acpDigestHex(published)).toBe(createHash('sha256').update(s, 'utf8').digest('hex'));
    expect(opensslVerify(UNIONPAY_TEST_CERT_PEM, s, PUBLISHED_SIGNATURE)).toBe(false);
  });

  it('one changed field, or an empty field that is not left out, breaks it', () => {
    const cert = new X509Certificate(UNIONPAY_TEST_CERT_PEM);
    expect(verifyFields({ ...published, txnAmt: '2' }, cert)).toBe(false);
    expect(verifyFields({ ...published, reserved: '' }, cert)).toBe(true); // empty values are not signed
    expect(verifyFields({ ...published, reserved: 'x' }, cert)).toBe(false);
    expect(verifyFields({ ...published, signature: 'not base64!' }, cert)).toBe(false);
  });

  it('the wire text parses back to the same fields (values as they are, CR LF in the certificate)', () => {
    const fields = parseAcpText(PUBLISHED_ANSWER_TEXT);
    expect(fields).toEqual(published);
    expect(fields?.signPubKeyCert).toContain('\r\n');
  });

  it('certId is the decimal serial number', () => {
    expect(certIdOf(UNIONPAY_TEST_CERT_PEM)).toBe(UNIONPAY_TEST_CERT_ID);
  });

  it('is not trusted without a chain to the configured root', () => {
    const root = new X509Certificate(createCa({ commonName: 'our root' }).certPem);
    expect(verifyAnswer(published, root, Date.UTC(2024, 0, 1))).toBe(false);
  });
});

describe('UnionPay ACP signMethod 01: signing', () => {
  const ca = createCa({ commonName: 'UnionPay test root' });
  const signer = issueCertificate(ca, 'signing', { commonName: 'merchant', serialHex: '1039308534' });

  it('equals the openssl CLI signature over the hex digest (PKCS#1 v1.5 is deterministic)', () => {
    const fields = { merId: '777290058110048', orderId: 'a1b2c3d4e5f6', txnAmt: '1234', txnTime: '20261206120000', respMsg: '成功[0000000]', empty: '' };
    expect(acpSignature(fields, signer.keyPem)).toBe(opensslSign(signer.keyPem, acpDigestHex(fields)));
    expect(certIdOf(signer.certPem)).toBe(UNIONPAY_TEST_CERT_ID);
  });

  it('sign → verify round trip for any field values', () => {
    const cert = new X509Certificate(signer.certPem);
    fc.assert(
      fc.property(fc.dictionary(fc.stringMatching(/^[a-z][A-Za-z]{0,8}$/), fc.string({ maxLength: 40 }), { maxKeys: 8 }), (d) => {
        const signed = signFields({ ...d, orderId: 'x1234567' }, signer.keyPem);
        expect(verifyFields(signed, cert)).toBe(true);
      }),
      { numRuns: 30 },
    );
  });
});

describe('UnionPay answers: certificate chain', () => {
  const root = createCa({ commonName: 'UnionPay root' });
  const upSigning = issueCertificate(root, 'signing', { commonName: 'UnionPay signing' });
  const rootCert = new X509Certificate(root.certPem);
  const answer = (certPem: string, keyPem: string) => signFields({ respCode: '00', orderId: 'abc12345', signPubKeyCert: certPem }, keyPem);
  const now = Date.now();

  it('an answer signed by a certificate issued by the root verifies', () => {
    expect(verifyAnswer(answer(upSigning.certPem, upSigning.keyPem), rootCert, now)).toBe(true);
  });

  it('the genuine certificate with another key, a certificate of another CA, or an expired one do not', () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(verifyAnswer(answer(upSigning.certPem, other), rootCert, now)).toBe(false);
    const otherCa = createCa({ commonName: 'UnionPay root' }); // same name, other key
    const forged = issueCertificate(otherCa, 'signing', { commonName: 'UnionPay signing' });
    expect(verifyAnswer(answer(forged.certPem, forged.keyPem), rootCert, now)).toBe(false);
    const old = issueCertificate(root, 'signing', { commonName: 'old', now: new Date(now - 900 * 86_400_000), days: 30 });
    expect(verifyAnswer(answer(old.certPem, old.keyPem), rootCert, now)).toBe(false);
    // a leaf is not a root
    expect(chainsTo(new X509Certificate(upSigning.certPem), new X509Certificate(upSigning.certPem), now)).toBe(false);
  });

  it('hostile fields never throw and never verify', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 12 }), fc.string({ maxLength: 200 }), { maxKeys: 6 }), (d) => {
        expect(verifyAnswer(d, rootCert, now)).toBe(false);
        expect(verifyAnswer({ ...d, signPubKeyCert: upSigning.certPem }, rootCert, now)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});
