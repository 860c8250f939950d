import fc from 'fast-check';
import { isKioskError } from '../../kernel/errors';
import { lineTax, taxBreakdown, taxRateFor } from './tax';

describe('lineTax', () => {
  test('inclusive 13 % and 9 % (CNY)', () => {
    // 1050 × 13/113 = 120.796… → 121
    expect(lineTax(1050, 0.13, 'inclusive')).toBe(121);
    // 895 × 9/109 = 73.899… → 74
    expect(lineTax(895, 0.09, 'inclusive')).toBe(74);
    expect(lineTax(0, 0.13, 'inclusive')).toBe(0);
    expect(lineTax(1000, 0, 'inclusive')).toBe(0);
  });

  test('inclusive exact halves go to even (20 %: tax = net / 6)', () => {
    expect(lineTax(1503, 0.2, 'inclusive')).toBe(250); // 250.5 → 250 (even down; half-up gives 251)
    expect(lineTax(1509, 0.2, 'inclusive')).toBe(252); // 251.5 → 252 (odd up)
    expect(lineTax(3, 0.2, 'inclusive')).toBe(0); // 0.5 → 0
    expect(lineTax(9, 0.2, 'inclusive')).toBe(2); // 1.5 → 2
  });

  test('exclusive 7.25 %', () => {
    expect(lineTax(3998, 0.0725, 'exclusive')).toBe(290); // 289.855 → 290
    expect(lineTax(200, 0.0725, 'exclusive')).toBe(14); // 14.5 → 14 (even down; half-up gives 15)
    expect(lineTax(600, 0.0725, 'exclusive')).toBe(44); // 43.5 → 44 (odd up)
    expect(lineTax(199, 0.0725, 'exclusive')).toBe(14); // 14.4275 → 14
  });

  test('is the nearest integer to the exact rational, ties to even (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.integer({ min: 0, max: 500_000 }),
        fc.constantFrom<'inclusive' | 'exclusive'>('inclusive', 'exclusive'),
        (net, ppm, mode) => {
          const tax = BigInt(lineTax(net, ppm / 1_000_000, mode));
          const den = mode === 'inclusive' ? 1_000_000n + BigInt(ppm) : 1_000_000n;
          const diff2 = 2n * (BigInt(net) * BigInt(ppm) - tax * den); // 2 × (exact − tax) × den
          const absDiff2 = diff2 < 0n ? -diff2 : diff2;
          expect(absDiff2 <= den).toBe(true);
          if (absDiff2 === den) expect(tax % 2n).toBe(0n);
        },
      ),
    );
  });
});

describe('taxRateFor', () => {
  test('returns the configured rate', () => {
    expect(taxRateFor({ std: 0.13 }, 'std')).toBe(0.13);
  });

  test('unknown class is PRICEBOOK_INVALID and names the class', () => {
    let error: unknown;
    try {
      taxRateFor({ std: 0.13 }, 'luxury');
    } catch (e) {
      error = e;
    }
    expect(isKioskError(error, 'PRICEBOOK_INVALID')).toBe(true);
    expect((error as Error).message).toContain('luxury');
  });

  test('inherited object keys are not tax classes', () => {
    expect(() => taxRateFor({ std: 0.13 }, 'toString')).toThrow(/unknown tax class "toString"/);
  });

  test.each([[-0.1], [Number.NaN], [0.1234567]])('invalid rate %p is rejected', (rate) => {
    expect(() => taxRateFor({ x: rate }, 'x')).toThrow(/invalid rate/);
  });
});

describe('taxBreakdown', () => {
  test('sums base and tax per class, sorted by class id', () => {
    const out = taxBreakdown([
      { taxClass: 'std', taxRate: 0.13, net: 1050, tax: 121 },
      { taxClass: 'food', taxRate: 0.09, net: 895, tax: 74 },
      { taxClass: 'food', taxRate: 0.09, net: 1280, tax: 106 },
    ]);
    expect(out).toEqual([
      { taxClass: 'food', rate: 0.09, base: 2175, tax: 180 },
      { taxClass: 'std', rate: 0.13, base: 1050, tax: 121 },
    ]);
  });

  test('empty', () => {
    expect(taxBreakdown([])).toEqual([]);
  });
});
