/**
 * The kiosk's UnionPay signing (protocol/payments/unionpay/unionpay-sign.ts) and the simulator's
 * (simulators/unionpay/acp-signing.ts) are written apart; they must build the same string to sign and accept each
 * other's signatures.
 */
import { X509Certificate } from 'node:crypto';
import fc from 'fast-check';
import { createCa, issueCertificate } from '../../kernel/x509/certificates';
import { acpSignString, certIdOf, signFields, verifyFields } from '../../protocol/payments/unionpay/unionpay-sign';
import { decimalSerial, sign, signatureOk, stringToSign } from '../../simulators/unionpay/acp-signing';

describe('UnionPay signing: kiosk and simulator agree', () => {
  const ca = createCa({ commonName: 'root' });
  const k = issueCertificate(ca, 'signing', { commonName: 'signer' });
  const cert = new X509Certificate(k.certPem);

  it('same string to sign, same certId, and each verifies the other', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{0,10}$/), fc.string({ unit: 'grapheme', maxLength: 30 }), { maxKeys: 10 }), (d) => {
        expect(acpSignString(d)).toBe(stringToSign(d));
        const kiosk = signFields(d, k.keyPem);
        expect(signatureOk(kiosk, cert)).toBe(true);
        expect(verifyFields({ ...d, signature: sign(d, k.keyPem) }, cert)).toBe(true);
      }),
      { numRuns: 40 },
    );
    expect(certIdOf(k.certPem)).toBe(decimalSerial(k.certPem));
  });
});
