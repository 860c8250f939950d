import { gtinCheckDigit } from '../../kernel/gs1-check-digit';
import { matchInStore } from './in-store';
import { validateInStorePattern } from '../../config/barcode-rules';
import type { InStorePattern } from '../../config/barcode-rules';

const withCheck = (body: string) => body + gtinCheckDigit(body);

const price21: InStorePattern = { prefix: '21', layout: 'PPIIIIIVVVVVC', value: 'price' };
const weight22: InStorePattern = { prefix: '22', layout: 'PPIIIIIVVVVVC', value: 'weight' };
// UPC-A number system 2 (GTIN-13 "02…"): 2 IIIII X VVVV C with a 4-digit price verifier.
const upcPrice: InStorePattern = { prefix: '02', layout: 'PPIIIIIXVVVVC', value: 'price' };
// 5-digit price with verifier.
const price23x: InStorePattern = { prefix: '23', layout: 'PPIIIIXVVVVVC', value: 'price' };

describe('matchInStore', () => {
  test('price label: item reference, lookup key = prefix + item, price in minor units', () => {
    const code = withCheck('21' + '12345' + '01234');
    expect(matchInStore(code, [price21, weight22], 0)).toEqual({
      ok: true,
      match: { pattern: price21, itemRef: '12345', lookupKey: '2112345', amount: 1234, priceCheckDigit: 'none' },
    });
  });

  test('weight label: grams', () => {
    const r = matchInStore(withCheck('22' + '00042' + '01250'), [price21, weight22], 0);
    expect(r).toMatchObject({ ok: true, match: { pattern: weight22, itemRef: '00042', lookupKey: '2200042', amount: 1250 } });
  });

  test('4-digit verifier (published example price 2875 → 9) is checked', () => {
    const good = withCheck('02' + '12345' + '9' + '2875');
    expect(matchInStore(good, [upcPrice], 0)).toMatchObject({ ok: true, match: { amount: 2875, priceCheckDigit: 'verified', lookupKey: '0212345' } });
    const bad = withCheck('02' + '12345' + '8' + '2875');
    expect(matchInStore(bad, [upcPrice], -1)).toEqual({
      ok: false,
      error: expect.objectContaining({ code: 'BAD_CHECK_DIGIT', expected: '9', found: '8', position: 6 }),
    });
  });

  test('5-digit verifier (published example 14685 → 6) is checked', () => {
    expect(matchInStore(withCheck('23' + '1234' + '6' + '14685'), [price23x], 0)).toMatchObject({ ok: true, match: { amount: 14685, priceCheckDigit: 'verified' } });
    const r = matchInStore(withCheck('23' + '1234' + '7' + '14685'), [price23x], 0);
    expect(r).toMatchObject({ ok: false, error: { code: 'BAD_CHECK_DIGIT', expected: '6', found: '7' } });
    expect(r && !r.ok && r.error.message).toMatch(/verifier digit is 7 but price 14685 requires 6/);
  });

  test('no pattern for the prefix → null (ordinary restricted-circulation GTIN)', () => {
    expect(matchInStore(withCheck('25' + '1234567890'), [price21, weight22], 0)).toBeNull();
    expect(matchInStore(withCheck('400638133393'), [price21], 0)).toBeNull();
  });

  test('first matching pattern wins; invalid patterns are skipped', () => {
    const broken: InStorePattern = { prefix: '21', layout: 'PPIIIIIVVVVV', value: 'price' };
    const weightFirst: InStorePattern = { prefix: '21', layout: 'PPIIIIIVVVVVC', value: 'weight' };
    const code = withCheck('21' + '12345' + '01234');
    expect(matchInStore(code, [broken, weightFirst, price21], 0)).toMatchObject({ ok: true, match: { pattern: weightFirst } });
  });
});

describe('validateInStorePattern', () => {
  test('the documented layouts are valid', () => {
    for (const p of [price21, weight22, upcPrice, price23x]) expect(validateInStorePattern(p)).toEqual([]);
    expect(validateInStorePattern({ prefix: '2', layout: 'PIIIIIIVVVVVC', value: 'price' })).toEqual([]);
  });

  test.each([
    [{ prefix: '40', layout: 'PPIIIIIVVVVVC', value: 'price' }, /must be digits starting with 2/],
    [{ prefix: '03', layout: 'PPIIIIIVVVVVC', value: 'price' }, /must be digits starting with 2/],
    [{ prefix: '21', layout: 'PPIIIIIVVVVV', value: 'price' }, /13 characters/],
    [{ prefix: '21', layout: 'PPIIIIIVVVVVQ', value: 'price' }, /13 characters/],
    [{ prefix: '21', layout: 'PIIIIIIVVVVVC', value: 'price' }, /exactly 2 P/],
    [{ prefix: '21', layout: 'PPIIIIIVVVVCV', value: 'price' }, /end with the check digit/],
    [{ prefix: '21', layout: 'PPVVVVVVVVVVC', value: 'price' }, /no item-reference/],
    [{ prefix: '21', layout: 'PPIIIIIIIIIIC', value: 'price' }, /no value digits/],
    [{ prefix: '21', layout: 'PPIIIXVVVVVVC', value: 'price' }, /needs exactly 4 or 5 V/],
    [{ prefix: '21', layout: 'PPIIIXXVVVVVC', value: 'price' }, /more than one verifier/],
    [{ prefix: '21', layout: 'PPIIIIIIVVVVC', value: 'price' }, /8 digits, which would collide/],
    [{ prefix: '21', layout: 'PPIIIIIVVVVVC', value: 'count' }, /"price" or "weight"/],
  ])('%o is rejected', (p, why) => {
    const problems = validateInStorePattern(p as InStorePattern);
    expect(problems.join('\n')).toMatch(why);
  });
});
