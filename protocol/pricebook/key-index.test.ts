import fc from 'fast-check';
import { KeyIndex } from './key-index';

test('behaves like a Map<string, number> for any keys, across growth and rehashing', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.string({ unit: 'grapheme', maxLength: 12 }), fc.nat()), { maxLength: 3000 }), (pairs) => {
      const idx = new KeyIndex();
      const ref = new Map<string, number>();
      for (const [k, v] of pairs) {
        const e = idx.find(k);
        expect(e === -1).toBe(!ref.has(k));
        if (e === -1) {
          idx.add(k, v);
          ref.set(k, v);
        } else {
          expect(idx.keyAt(e)).toBe(k);
          expect(idx.valueAt(e)).toBe(ref.get(k));
        }
      }
      expect(idx.size).toBe(ref.size);
      for (const [k, v] of ref) expect(idx.valueAt(idx.find(k))).toBe(v);
    }),
    { numRuns: 30 },
  );
});

test('100 000 keys: all found, absent keys are not, adding a present key throws', () => {
  const idx = new KeyIndex();
  let wrong = 0;
  for (let i = 0; i < 100_000; i++) if (idx.add(`SKU-${i}`, i * 2) !== i) wrong++;
  expect(wrong).toBe(0);
  for (let i = 0; i < 100_000; i += 997) {
    const e = idx.find(`SKU-${i}`);
    expect(idx.keyAt(e)).toBe(`SKU-${i}`);
    expect(idx.valueAt(e)).toBe(i * 2);
  }
  expect(idx.find('SKU-100000')).toBe(-1);
  expect(idx.find('')).toBe(-1);
  expect(() => idx.add('SKU-5', 0)).toThrow(/duplicate key/);
});
