import fc from 'fast-check';
import { gtinCheckDigit } from '../../kernel/gs1-check-digit';
import type { AiComponent } from './ai-table';
import { encodeGs1, formatGs1Hri, GS, GS1_AIS, type AiDefinition } from './gs1';
import { csumAlphaPair } from './gs1-linters';
import { parseScan, parseScanUnguarded } from './parse-scan';
import { redactScanResult, type ScanErrorCode, type ScanResult } from './result';
import { defaultBarcodeRules, type BarcodeRules } from '../../config/barcode-rules';

const R = defaultBarcodeRules;
/** No in-store / member / payment patterns: every valid digit string is a plain GTIN. */
const BARE: BarcodeRules = { ...R, inStore: [], memberCards: [], paymentCodes: [] };

const digit = fc.constantFrom(...'0123456789');
const digits = (minLength: number, maxLength = minLength) => fc.string({ unit: digit, minLength, maxLength });

const ERROR_CODES: ScanErrorCode[] = ['EMPTY', 'BAD_CHECK_DIGIT', 'BAD_LENGTH', 'UNKNOWN_AI', 'MALFORMED_GS1', 'BAD_DATE', 'NOT_NUMERIC', 'UNSUPPORTED'];

/** Structural invariants every result must satisfy. */
function checkShape(raw: string, r: ScanResult): void {
  expect(typeof r.ok).toBe('boolean');
  expect(Array.isArray(r.warnings)).toBe(true);
  if (!r.ok) {
    expect(ERROR_CODES).toContain(r.error.code);
    expect(r.error.message.length).toBeGreaterThan(0);
    if (r.error.position !== undefined) {
      expect(Number.isInteger(r.error.position)).toBe(true);
      expect(r.error.position).toBeGreaterThanOrEqual(0);
      expect(r.error.position).toBeLessThanOrEqual(raw.length);
    }
    return;
  }
  expect(r.raw === raw || r.kind === 'payment_code').toBe(true);
  if (r.kind === 'payment_code') {
    if (r.paymentCode.length > 8) expect(JSON.stringify(redactScanResult(r))).not.toContain(r.paymentCode);
  }
  if (r.kind === 'gtin' || r.kind === 'in_store') expect(r.lookupKey.length).toBeGreaterThan(0);
  expect(() => JSON.stringify(r)).not.toThrow();
}

// Inputs biased towards what scanners send: AIM prefixes, digits, separators, parentheses, line ends.
const fragment = fc.oneof(
  fc.constantFrom(']E0', ']E1', ']E2', ']E3', ']E4', ']C0', ']C1', ']e0', ']Q1', ']Q3', ']d1', ']d2', ']A0', ']I0', ']I1', ']X9', ']', ']E'),
  fc.constantFrom(GS, '\r', '\n', '\r\n', ' ', '\t', '\x00', '\x7f', '(', ')', '(01)', '(17)', '(10)', '01', '17', '10', '21', '3103', '3922', '3932', '8200'),
  fc.constantFrom('4006381333931', '04252614', '96385074', '09506000134352', '2990123456786', 'M0123456789', '281234567890123456'),
  digits(1, 20),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.constantFrom('０１２３', '\uFEFF', '\u3000', '\uD800', '\uDFFF', 'é', '𝟘'),
);
const scannerish = fc.array(fragment, { maxLength: 8 }).map((parts) => parts.join(''));

const ruleSets = fc.constantFrom<BarcodeRules>(R, BARE, { ...R, eightDigitPreference: 'upce' }, {
  ...R,
  inStore: [{ prefix: '02', layout: 'PPIIIIIXVVVVC', value: 'price' }, { prefix: '23', layout: 'PPIIIIXVVVVVC', value: 'weight' }, ...R.inStore],
});

describe('parseScan is total', () => {
  test('never throws on arbitrary strings (full unicode, control characters)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), ruleSets, (raw, rules) => {
        checkShape(raw, parseScanUnguarded(raw, rules));
      }),
      { numRuns: 3000 },
    );
  });

  test('never throws on scanner-shaped input', () => {
    fc.assert(
      fc.property(scannerish, ruleSets, (raw, rules) => {
        checkShape(raw, parseScanUnguarded(raw, rules));
      }),
      { numRuns: 5000 },
    );
  });

  test('the guarded entry point agrees with the unguarded one', () => {
    fc.assert(
      fc.property(scannerish, (raw) => {
        expect(parseScan(raw, R)).toEqual(parseScanUnguarded(raw, R));
      }),
      { numRuns: 500 },
    );
  });
});

describe('EAN-13 properties', () => {
  const ean13 = digits(12).map((body) => body + gtinCheckDigit(body));

  test('any 12-digit body + computed check digit parses as a valid EAN-13', () => {
    fc.assert(
      fc.property(ean13, fc.constantFrom('', ']E0'), fc.constantFrom('', '\r\n', '\n'), (code, aim, suffix) => {
        const r = parseScanUnguarded(aim + code + suffix, BARE);
        expect(r).toMatchObject({ ok: true, kind: 'gtin', format: 'EAN-13', gtin: code, gtin14: '0' + code });
        // …and with the default rules it is still accepted (maybe as in-store label or member card)
        const d = parseScanUnguarded(aim + code, R);
        expect(d.ok).toBe(true);
        expect(['gtin', 'in_store', 'member_card']).toContain(d.ok && d.kind);
      }),
      { numRuns: 2000 },
    );
  });

  test('changing any single digit of a valid EAN-13 always yields BAD_CHECK_DIGIT', () => {
    fc.assert(
      fc.property(ean13, fc.nat(12), fc.integer({ min: 1, max: 9 }), fc.constantFrom(R, BARE), (code, i, delta, rules) => {
        const changed = code.slice(0, i) + ((Number(code[i]) + delta) % 10) + code.slice(i + 1);
        const r = parseScanUnguarded(changed, rules);
        expect(r.ok).toBe(false);
        expect(!r.ok && r.error.code).toBe('BAD_CHECK_DIGIT');
        expect(!r.ok && r.error.position).toBe(12);
      }),
      { numRuns: 2000 },
    );
  });

  test('UPC-A and its GTIN-13 / GTIN-14 forms share the lookup key', () => {
    fc.assert(
      fc.property(digits(11), (body) => {
        const upcA = body + gtinCheckDigit(body);
        const keys = [upcA, '0' + upcA, '00' + upcA].map((c) => {
          const r = parseScanUnguarded(c, BARE);
          return r.ok && r.kind === 'gtin' ? r.lookupKey : `error ${JSON.stringify(r)}`;
        });
        expect(keys).toEqual(['0' + upcA, '0' + upcA, '0' + upcA]);
      }),
    );
  });

  test('in-store price labels round-trip item and price', () => {
    fc.assert(
      fc.property(digits(5), digits(5), (item, price) => {
        const body = '21' + item + price;
        const r = parseScanUnguarded(body + gtinCheckDigit(body), R);
        expect(r).toMatchObject({ ok: true, kind: 'in_store', lookupKey: '21' + item, itemRef: item, embeddedPrice: Number(price) });
      }),
    );
  });
});

describe('payment codes', () => {
  test('any default-channel code is recognised and never leaks through redactScanResult', () => {
    const code = fc.oneof(
      fc.tuple(fc.integer({ min: 25, max: 30 }), digits(14, 22)).map(([p, rest]) => `${p}${rest}`),
      fc.tuple(fc.integer({ min: 10, max: 15 }), digits(16)).map(([p, rest]) => `${p}${rest}`),
      digits(17).map((rest) => `62${rest}`),
    );
    fc.assert(
      fc.property(code, fc.constantFrom('', ']Q1', ']C0'), (c, aim) => {
        const r = parseScanUnguarded(aim + c, R);
        expect(r).toMatchObject({ ok: true, kind: 'payment_code', paymentCode: c });
        const shown = JSON.stringify({ ...redactScanResult(r) });
        expect(shown).not.toContain(c);
      }),
    );
  });
});

describe('GS1 round trip', () => {
  const CS82 = `!"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz`;

  function dateArb(): fc.Arbitrary<string> {
    return fc.tuple(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 31 })).map(([y, m, d]) => {
      const dim = new Date(Date.UTC(2000 + y, m, 0)).getUTCDate();
      const pad = (n: number) => String(n).padStart(2, '0');
      return pad(y) + pad(m) + pad(Math.min(d, dim));
    });
  }

  const pad2 = (n: number) => String(n).padStart(2, '0');
  const dayDateArb = dateArb().map((v) => (v.endsWith('00') ? v.slice(0, 4) + '01' : v));
  /** Linters the generator knows how to satisfy; AIs using any other linter are left out of the random pool. */
  const GENERATED_LINTERS = new Set(['csum', 'csumalpha', 'yymmd0', 'yymmdd', 'yyyymmdd', 'hhmi', 'hh', 'mi', 'ss', 'gcppos1', 'gcppos2', 'iso4217', 'iso3166', 'iso3166999', 'iso3166alpha2', 'pcenc']);
  const CS39 = '#-/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

  /** A valid value for one dictionary component (`alphabet` = the CSET 82 characters allowed in X components). */
  function componentArb(c: AiComponent, alphabet: string): fc.Arbitrary<string> {
    const ls = c.linters;
    const len = { minLength: c.min, maxLength: c.max };
    if (ls.includes('csum')) return digits(c.max - 1).map((b) => b + gtinCheckDigit(b));
    if (ls.includes('yymmd0')) return dateArb();
    if (ls.includes('yymmdd')) return dayDateArb;
    if (ls.includes('yyyymmdd')) return dayDateArb.map((v) => '20' + v);
    if (ls.includes('hhmi')) return fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 })).map(([h, m]) => pad2(h) + pad2(m));
    if (ls.includes('hh')) return fc.integer({ min: 0, max: 23 }).map(pad2);
    if (ls.includes('mi') || ls.includes('ss')) return fc.integer({ min: 0, max: 59 }).map(pad2);
    if (ls.includes('iso4217')) return fc.constantFrom('156', '392', '840', '978');
    if (ls.includes('iso3166')) return fc.constantFrom('156', '276', '392', '840');
    if (ls.includes('iso3166999')) return fc.constantFrom('156', '999');
    if (ls.includes('iso3166alpha2')) return fc.constantFrom('CN', 'DE', 'JP', 'US');
    const chars = c.charset === 'N' ? '0123456789' : c.charset === 'Y' ? CS39 : c.charset === 'Z' ? B64 : ls.includes('pcenc') ? alphabet.replace('%', '') : alphabet;
    const gcp = ls.includes('gcppos1') ? 4 : ls.includes('gcppos2') ? 5 : 0;
    if (ls.includes('csumalpha')) {
      return fc.tuple(digits(4), fc.string({ unit: fc.constantFrom(...alphabet), minLength: 0, maxLength: c.max - 6 })).map(([p, b]) => p + b + csumAlphaPair(p + b));
    }
    if (gcp > 0) return fc.tuple(digits(gcp), fc.string({ unit: fc.constantFrom(...chars), minLength: Math.max(0, c.min - gcp), maxLength: c.max - gcp })).map(([p, b]) => p + b);
    return fc.string({ unit: fc.constantFrom(...chars), ...len });
  }

  function valueArb(d: AiDefinition, alphabet: string): fc.Arbitrary<string> {
    const required = d.components.filter((c) => !c.optional);
    const optional = d.components.filter((c) => c.optional);
    return fc
      .tuple(fc.tuple(...required.map((c) => componentArb(c, alphabet))), fc.integer({ min: 0, max: optional.length }))
      .chain(([req, k]) => fc.tuple(...optional.slice(0, k).map((c) => componentArb(c, alphabet))).map((opt) => [...req, ...opt].join('')));
  }

  const POOL = [...GS1_AIS.values()].filter((d) => d.components.every((c) => c.linters.every((l) => GENERATED_LINTERS.has(l))));

  function elementsArb(alphabet: string) {
    const one = fc.constantFrom(...POOL).chain((d) => valueArb(d, alphabet).map((value) => ({ ai: d.ai, value })));
    return fc.uniqueArray(one, { minLength: 1, maxLength: 6, selector: (e) => e.ai });
  }

  test('GS-separated strings built from random valid AI/value lists parse back to the same list', () => {
    fc.assert(
      fc.property(elementsArb(CS82), fc.constantFrom(']C1', ']e0', ']Q3', ']d2', ']d2' + GS, GS), (els, prefix) => {
        const r = parseScanUnguarded(prefix + encodeGs1(els), R);
        if (!r.ok || r.kind !== 'gs1') throw new Error(JSON.stringify(r));
        expect(r.ais.map((e) => ({ ai: e.ai, value: e.value }))).toEqual(els);
        expect(r.hri).toBe(formatGs1Hri(els));
        const gtin = els.find((e) => e.ai === '01');
        expect(r.gtin).toBe(gtin?.value);
      }),
      { numRuns: 2000 },
    );
  });

  test('human-readable strings round-trip too (values without "(")', () => {
    fc.assert(
      fc.property(elementsArb(CS82.replace('(', '')), (els) => {
        const r = parseScanUnguarded(formatGs1Hri(els), R);
        if (!r.ok || r.kind !== 'gs1') throw new Error(JSON.stringify(r));
        expect(r.ais.map((e) => ({ ai: e.ai, value: e.value }))).toEqual(els);
      }),
      { numRuns: 1000 },
    );
  });
});
