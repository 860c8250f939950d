import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { createCa, issueCertificate } from '../../kernel/x509/certificates';
import { PUBLISHED_ANSWER_FIELDS, PUBLISHED_SIGNATURE, UNIONPAY_TEST_CERT_ID, UNIONPAY_TEST_CERT_PEM } from '../../test/support/unionpay-vector';
import { readRequest, writeAnswer } from './acp-form';
import { decimalSerial, sign, signatureOk, stringToSign } from './acp-signing';

describe('UnionPay simulator signing (its own code) against the published vector and openssl', () => {
  it('verifies the answer UnionPay signed, and not a changed one', () => {
    const cert = new X509Certificate(UNIONPAY_TEST_CERT_PEM);
    expect(signatureOk({ ...PUBLISHED_ANSWER_FIELDS, signature: PUBLISHED_SIGNATURE }, cert)).toBe(true);
    expect(signatureOk({ ...PUBLISHED_ANSWER_FIELDS, respMsg: 'fail', signature: PUBLISHED_SIGNATURE }, cert)).toBe(false);
    expect(decimalSerial(UNIONPAY_TEST_CERT_PEM)).toBe(UNIONPAY_TEST_CERT_ID);
  });

  it('signs exactly as `openssl dgst -sha256 -sign` over the hex SHA-256 of the string to sign', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acp-sim-'));
    try {
      const ca = createCa({ commonName: 'sim root' });
      const k = issueCertificate(ca, 'signing', { commonName: 'UnionPay signing' });
      const msg = { orderId: 'abcdef0123456789', txnAmt: '1', respMsg: '成功[0000000]', reserved: '' };
      const s = stringToSign(msg);
      expect(s).toBe('orderId=abcdef0123456789&respMsg=成功[0000000]&txnAmt=1');
      fs.writeFileSync(path.join(dir, 'k.pem'), k.keyPem);
      fs.writeFileSync(path.join(dir, 'hex'), execFileSync('sh', ['-c', `printf '%s' "$1" | openssl dgst -sha256 -r | cut -c1-64`, 'sh', s]).toString().trim());
      const oracle = execFileSync('openssl', ['dgst', '-sha256', '-sign', path.join(dir, 'k.pem'), path.join(dir, 'hex')]).toString('base64');
      expect(sign(msg, k.keyPem)).toBe(oracle);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('request reader is bounded and never throws', () => {
    expect(readRequest('a=1&b=%E4%B8%AD')).toEqual({ a: '1', b: '中' });
    expect(readRequest('a=1&a=2')).toBeNull();
    expect(readRequest('a=%ZZ')).toBeNull();
    expect(readRequest('x'.repeat(70_000))).toBeNull();
    expect(writeAnswer({ a: '1', b: 'x=y' })).toBe('a=1&b=x=y');
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' })), (x) => {
        expect(() => readRequest(x)).not.toThrow();
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.dictionary(fc.stringMatching(/^[A-Za-z]\w{0,10}$/), fc.string({ unit: 'grapheme', maxLength: 30 }), { maxKeys: 10 }), (d) => {
        expect(readRequest(new URLSearchParams(d).toString())).toEqual(d);
      }),
    );
  });
});
