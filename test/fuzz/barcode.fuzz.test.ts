/**
 * Fuzz target (issue 11): barcode parsing (runtime/barcodes/parse-scan.ts, without its safety net) — EAN/UPC,
 * GS1 (FNC1 and HRI, and GS1 Digital Link URIs), AIM prefixes, in-store labels, member cards, payment codes, full-width input. Inputs:
 * valid scans of every kind, mutated, glued; plus arbitrary strings (all of Unicode, lone surrogates).
 * Asserted: parseScanUnguarded never throws (parseScan's catch-all is never needed), the result has a known error
 * code and a bounded message, and a payment code's digits never appear in the printed (redacted) result.
 */
import fc from 'fast-check';
import { parseScanUnguarded } from '../../runtime/barcodes/parse-scan';
import { redactScanResult } from '../../runtime/barcodes/result';
import { defaultBarcodeRules } from '../../config/barcode-rules';
import { MAX_MESSAGE, params, textFrom } from '../support/fuzz';

const SAMPLES = [
  '6901000000059',
  ']E06901000000059',
  '4006381333931',
  '96385074',
  '012345678905',
  '01234565',
  ']C1010950110153000317261231' + '\u001d' + '10ABC123',
  '(01)09501101530003(17)261231(10)ABC',
  ']d2010950110153000310LOT7\u001d21SER9',
  '2800123004505',
  '0212345678901',
  '２８００１２３００４５０５',
  'ATT0001',
  '134567890123456789',
  '281234567890123456',
  'https://example.com/receipt?id=1',
  ']Q1hello',
  ']Q1https://id.gs1.org/01/09520123456788/10/ABC1/21/12345?17=180426&3103=000195',
  'HTTPS://brand.example.com/stem/01/9520123456788?3922=0299&99=X%2FY#frag',
  ']d1https://a/00/006141411234567890?02=09520123456788&37=25',
  ']e0' + '0109506000134352' + '8003' + '02112345678900ABC' + '\u001d' + '91INT',
];

describe('fuzz: barcode parse', () => {
  it('never throws; bounded result; a known error code', () => {
    fc.assert(
      fc.property(textFrom(SAMPLES, 200), (raw) => {
        const r = parseScanUnguarded(raw, defaultBarcodeRules);
        expect(typeof r.ok).toBe('boolean');
        if (!r.ok) {
          expect(['EMPTY', 'BAD_CHECK_DIGIT', 'BAD_LENGTH', 'UNKNOWN_AI', 'MALFORMED_GS1', 'BAD_DATE', 'NOT_NUMERIC', 'UNSUPPORTED']).toContain(r.error.code);
          expect(r.error.message.length).toBeLessThanOrEqual(MAX_MESSAGE);
        }
        expect(JSON.stringify(redactScanResult(r)).length).toBeLessThanOrEqual(raw.length * 12 + MAX_MESSAGE * 2);
      }),
      params,
    );
  });

  it('a payment code never shows its digits in the redacted result', () => {
    fc.assert(
      fc.property(fc.constantFrom('13', '28', '25'), fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 16, maxLength: 16 }), (prefix, rest) => {
        const raw = prefix + rest;
        const r = parseScanUnguarded(raw, defaultBarcodeRules);
        if (r.ok && r.kind === 'payment_code') expect(JSON.stringify(redactScanResult(r))).not.toContain(raw);
      }),
      params,
    );
  });
});
