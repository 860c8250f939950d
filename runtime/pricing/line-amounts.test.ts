import { lineGross, lineKind } from './line-amounts';
import { counted, labelled, weighed } from '../../test/support/pricing-fixtures';

describe('lineGross', () => {
  test('counted line: quantity × unitPrice', () => {
    // 3 × ¥3.50 = ¥10.50
    expect(lineGross(counted('l', 'COLA', 3, 350))).toBe(1050);
    expect(lineGross(counted('l', 'COLA', 0, 350))).toBe(0);
  });

  test('weighed 0.347 kg at ¥25.80/kg', () => {
    // 2580 × 347 / 1000 = 895.26 → 895 fen (¥8.95)
    expect(lineGross(weighed('l', 'APPLE', 347, 2580))).toBe(895);
  });

  test('weighed amounts round half-even', () => {
    // 2580 × 25 / 1000 = 64.5 → 64 (even; half-up would give 65)
    expect(lineGross(weighed('l', 'APPLE', 25, 2580))).toBe(64);
    // 2580 × 75 / 1000 = 193.5 → 194 (193 is odd, so up)
    expect(lineGross(weighed('l', 'APPLE', 75, 2580))).toBe(194);
    // 2580 × 1 / 1000 = 2.58 → 3
    expect(lineGross(weighed('l', 'APPLE', 1, 2580))).toBe(3);
  });

  test('price-embedded label overrides quantity × unitPrice and weight', () => {
    expect(lineGross(labelled('l', 'BREAD', 1280, 999))).toBe(1280);
    expect(lineGross({ ...weighed('l', 'CHEESE', 347, 2580), embeddedPrice: 777 })).toBe(777);
    expect(lineGross({ ...counted('l', 'X', 4, 100), embeddedPrice: 250 })).toBe(250);
    // null embeddedPrice means "no label"
    expect(lineGross({ ...counted('l', 'X', 4, 100), embeddedPrice: null })).toBe(400);
  });

  test('overflow beyond safe integers is rejected', () => {
    expect(() => lineGross(counted('l', 'X', 2 ** 30, 2 ** 30))).toThrow(/overflows/);
  });

  test('lineKind', () => {
    expect(lineKind(counted('l', 'X', 1, 1))).toBe('counted');
    expect(lineKind(weighed('l', 'X', 1, 1))).toBe('weighed');
    expect(lineKind(labelled('l', 'X', 1))).toBe('labelled');
    expect(lineKind({ ...weighed('l', 'X', 1, 1), embeddedPrice: 5 })).toBe('labelled');
  });
});
