import fc from 'fast-check';
import { MAX_ALIPAY_FEN, fenToYuan, yuanToFen } from './yuan';

describe('Alipay yuan amounts ⇄ integer fen', () => {
  it('worked values', () => {
    expect(fenToYuan(1234)).toBe('12.34');
    expect(fenToYuan(1)).toBe('0.01');
    expect(fenToYuan(10)).toBe('0.10');
    expect(fenToYuan(100)).toBe('1.00');
    expect(fenToYuan(0)).toBe('0.00');
    expect(fenToYuan(MAX_ALIPAY_FEN)).toBe('100000000.00');
    expect(yuanToFen('12.34')).toBe(1234);
    expect(yuanToFen('0.01')).toBe(1);
    expect(yuanToFen('12.3')).toBe(1230);
    expect(yuanToFen('12')).toBe(1200);
    // 0.29 * 100 is 28.999999999999996 as a float: the conversion never goes through one
    expect(yuanToFen('0.29')).toBe(29);
    expect(yuanToFen('1.13')).toBe(113);
  });

  it('property: every amount round-trips exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_ALIPAY_FEN }), (fen) => yuanToFen(fenToYuan(fen)) === fen),
      { numRuns: 2000 },
    );
  });

  it('property: every two-decimal string round-trips to itself', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 99_999_999 }), fc.integer({ min: 0, max: 99 }), (yuan, cents) => {
        const text = `${yuan}.${String(cents).padStart(2, '0')}`;
        return fenToYuan(yuanToFen(text)!) === text;
      }),
      { numRuns: 2000 },
    );
  });

  it.each(['12.345', '-1', '-0.01', '1e3', '1E3', '0x10', ' 1.00', '1.00 ', '01.00', '1.', '.5', '+1', '1,00', '', 'NaN', 'Infinity', '100000000.01', '9999999999'])(
    'rejects %j',
    (text) => {
      expect(yuanToFen(text)).toBeNull();
    },
  );

  it('rejects what is not a string (a JSON number is not an Alipay amount)', () => {
    expect(yuanToFen(12.34)).toBeNull();
    expect(yuanToFen(null)).toBeNull();
    expect(yuanToFen(undefined)).toBeNull();
  });

  it.each([-1, 1.5, Number.NaN, MAX_ALIPAY_FEN + 1, Number.MAX_SAFE_INTEGER + 2])('fenToYuan refuses %p', (fen) => {
    expect(() => fenToYuan(fen)).toThrow(RangeError);
  });
});
