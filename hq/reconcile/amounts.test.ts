import fc from 'fast-check';
import { feeOf, formatYuan, parseYuan } from './amounts';

describe('yuan strings ↔ integer fen', () => {
  it('parses the bills\' amounts exactly, negative ones and zero included', () => {
    expect(['12.34', '0.07', '-0.07', '0.00', '0', '-12.3', '1000000.01', '9999999999999.99'].map(parseYuan)).toEqual([1234, 7, -7, 0, 0, -1230, 100000001, 999999999999999]);
    // 0.29 and 1.005 are where float arithmetic goes wrong (0.29 × 100 = 28.999…)
    expect(parseYuan('0.29')).toBe(29);
    expect(parseYuan('4.35')).toBe(435);
  });

  it('refuses what is not an amount', () => {
    for (const s of ['', '1.234', '1,00', '+1.00', '1e3', ' 1.00', '1.', '.5', '--1', 'NaN', '0x10', '12345678901234.00']) expect(parseYuan(s)).toBeNull();
  });

  it('round-trips every amount in fen exactly (fast-check)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -999_999_999_999_999, max: 999_999_999_999_999 }), (fen) => {
        const s = formatYuan(fen);
        expect(s).toMatch(/^-?\d+\.\d{2}$/);
        expect(parseYuan(s)).toBe(fen);
      }),
      { numRuns: 2000 },
    );
  });

  it('reads every canonical yuan string back to itself (fast-check)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^(0|[1-9]\d{0,12})\.\d{2}$/), (s) => {
        const fen = parseYuan(s);
        expect(fen).not.toBeNull();
        expect(formatYuan(fen as number)).toBe(s);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('feeOf: round-half-up(amount × bps / 10 000)', () => {
  it('rounds half a fen up, below it down', () => {
    expect(feeOf(1234, 60)).toBe(7); // 7.404
    expect(feeOf(1250, 60)).toBe(8); // 7.5
    expect(feeOf(1249, 60)).toBe(7); // 7.494
    expect(feeOf(500, 38)).toBe(2); // 1.9
    expect(feeOf(0, 60)).toBe(0);
    expect(feeOf(-1250, 60)).toBe(-8);
  });

  it('is within half a fen of the exact fee, ties upward (fast-check)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000_000_000 }), fc.integer({ min: 0, max: 10_000 }), (amount, bps) => {
        const diff = BigInt(feeOf(amount, bps)) * 10000n - BigInt(amount) * BigInt(bps);
        expect(diff > -5000n && diff <= 5000n).toBe(true);
      }),
    );
  });
});
