import fc from 'fast-check';

/**
 * JSON values whose object keys trip canonical ordering: integer-like keys (JS enumerates "9" before "10", canonical
 * order puts "10" first), unicode and astral keys, short random strings.
 */
export const trickyKeyJson: fc.Arbitrary<unknown> = (() => {
  const key = fc.oneof(fc.string({ maxLength: 4 }), fc.integer({ min: 0, max: 20 }).map(String), fc.constantFrom('a', 'B', 'é', '\ud83d\ude00', '_'));
  return fc.letrec((tie) => ({
    v: fc.oneof({ depthSize: 'small' }, fc.jsonValue({ maxDepth: 1 }), fc.array(tie('v'), { maxLength: 4 }), fc.dictionary(key, tie('v'), { maxKeys: 5 })),
  })).v;
})();
