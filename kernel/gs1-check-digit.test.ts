import fc from 'fast-check';
import { gtinCheckDigit, hasValidCheckDigit, isValidGtin, priceCheckDigit } from './gs1-check-digit';

/**
 * Independent reference: GS1 §7.9.1 written as "positions counted from the right, starting at 1 for the
 * check digit; even positions × 3", then the check digit brings the sum up to a multiple of ten.
 */
function referenceCheckDigit(body: string): number {
  const withCheck = body + '0';
  let sum = 0;
  for (let posFromRight = 1; posFromRight <= withCheck.length; posFromRight++) {
    const digit = Number(withCheck[withCheck.length - posFromRight]);
    sum += posFromRight % 2 === 0 ? digit * 3 : digit;
  }
  return Math.ceil(sum / 10) * 10 - sum;
}

describe('gtinCheckDigit / isValidGtin with published codes', () => {
  const published: [string, string][] = [
    ['4006381333931', 'EAN-13 (Wikipedia EAN example)'],
    ['5901234123457', 'EAN-13 (GS1 Poland example)'],
    ['9780201379624', 'ISBN-13 as EAN-13'],
    ['036000291452', 'UPC-A (Wikipedia UPC example)'],
    ['012345678905', 'UPC-A'],
    ['042100005264', 'UPC-A expansion of UPC-E 04252614'],
    ['96385074', 'EAN-8 (Wikipedia EAN-8 example)'],
    ['95012346', 'EAN-8 (GS1 example 9501234 + 6)'],
    ['09506000134352', 'GTIN-14 from the GS1 General Specifications examples'],
  ];

  test.each(published)('%s is valid (%s)', (code) => {
    expect(isValidGtin(code)).toBe(true);
    expect(gtinCheckDigit(code.slice(0, -1))).toBe(Number(code.slice(-1)));
    expect(referenceCheckDigit(code.slice(0, -1))).toBe(Number(code.slice(-1)));
  });

  test.each(published)('%s with any other check digit is invalid', (code) => {
    const right = Number(code.slice(-1));
    for (let d = 0; d <= 9; d++) {
      if (d !== right) expect(isValidGtin(code.slice(0, -1) + d)).toBe(false);
    }
  });

  test('SSCC example from the GS1 General Specifications validates with the same mod-10', () => {
    expect(hasValidCheckDigit('106141411234567897')).toBe(true);
    expect(hasValidCheckDigit('106141411234567898')).toBe(false);
  });

  test('isValidGtin rejects wrong lengths, non-digits and non-strings without throwing', () => {
    for (const bad of ['', '4', '0000000', '000000000', '00000000000', '000000000000000', '40063813339 1', '4006381333931\n', '４００６３８１３３３９３１', 'abcdefghijklm']) {
      expect(isValidGtin(bad)).toBe(false);
    }
    expect(isValidGtin(undefined as unknown as string)).toBe(false);
    expect(hasValidCheckDigit('7')).toBe(false);
  });

  test('a UPC-E is not a GTIN-8 (04252614 has EAN-8 check digit 0, not 4)', () => {
    expect(isValidGtin('04252614')).toBe(false);
    expect(gtinCheckDigit('0425261')).toBe(0);
  });

  test('gtinCheckDigit refuses non-digit input as a caller bug', () => {
    expect(() => gtinCheckDigit('')).toThrow(RangeError);
    expect(() => gtinCheckDigit('12a4')).toThrow(RangeError);
    expect(() => gtinCheckDigit('１２３')).toThrow(RangeError);
  });

  test('property: agrees with the independent reference for any digit string', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 30 }), (body) => {
        expect(gtinCheckDigit(body)).toBe(referenceCheckDigit(body));
      }),
    );
  });

  test('property: leading zeros do not change the check digit (GTIN-8/12/13 embed in GTIN-14)', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 7, maxLength: 13 }), fc.nat(6), (body, zeros) => {
        expect(gtinCheckDigit('0'.repeat(zeros) + body)).toBe(gtinCheckDigit(body));
      }),
    );
  });
});

describe('priceCheckDigit (GS1 §7.9.2–7.9.4)', () => {
  // The weighting factors from their definitions, not from lookup tables.
  const units = (n: number) => n % 10;
  const tens = (n: number) => Math.floor(n / 10);
  const w2minus = (d: number) => (units(2 * d) - tens(2 * d) + 10) % 10;
  const w3 = (d: number) => units(3 * d);
  const w5plus = (d: number) => (units(5 * d) + tens(5 * d)) % 10;
  const w5minus = (d: number) => (units(5 * d) - tens(5 * d) + 10) % 10;

  test('published examples: 2875 → 9 (four digits), 14685 → 6 (five digits)', () => {
    expect(priceCheckDigit('2875')).toBe(9);
    expect(priceCheckDigit('14685')).toBe(6);
  });

  test('every 4-digit price: check = units digit of 3 × (2-, 2-, 3, 5-) sum', () => {
    for (let v = 0; v < 10_000; v++) {
      const s = String(v).padStart(4, '0');
      const d = Array.from(s, Number);
      const sum = w2minus(d[0]) + w2minus(d[1]) + w3(d[2]) + w5minus(d[3]);
      expect(priceCheckDigit(s)).toBe(units(sum * 3));
    }
  });

  test('every 5-digit price: the check digit’s 5- product completes the (5+, 2-, 5-, 5+, 2-) sum to a multiple of 10', () => {
    for (let v = 0; v < 100_000; v++) {
      const s = String(v).padStart(5, '0');
      const d = Array.from(s, Number);
      const sum = w5plus(d[0]) + w2minus(d[1]) + w5minus(d[2]) + w5plus(d[3]) + w2minus(d[4]);
      const c = priceCheckDigit(s);
      if (c === null || units(sum + w5minus(c)) !== 0) throw new Error(`${s} → ${c}`);
    }
  });

  test('other lengths and non-digits give null', () => {
    for (const bad of ['', '123', '123456', '12a4', '１２３４']) expect(priceCheckDigit(bad)).toBeNull();
  });
});
