import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { trickyKeyJson } from '../test/support/json-arbitrary';
import { canonicalJson, canonicalJsonOfParsed, CanonicalJsonError, jcs } from './canonical-json';

const ieee754 = (hex: string): number => Buffer.from(hex, 'hex').readDoubleBE(0);

/** Any UTF-16 code unit, lone surrogates included. */
const anyUnitString = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 12 }).map((us) => String.fromCharCode(...us));

describe('RFC 8785 JCS', () => {
  // RFC 8785 §3.2.2 / §3.2.4 example; the same input/output pair is testdata/{input,output}/values.json of the
  // reference implementation, github.com/cyberphone/json-canonicalization @ 19d51d7
  it('serialises the RFC §3.2.2 example byte for byte', () => {
    const input = String.raw`{
      "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
      "literals": [null, true, false]
    }`;
    // the UTF-8 bytes (RFC §3.2.4; reference testdata/outhex/values.txt)
    const expected = Buffer.from(
      '7b226c69746572616c73223a5b6e756c6c2c747275652c66616c73655d2c226e756d62657273223a5b3333333333333333332e333333333333332c31652b33302c342e352c302e3030322c31652d32375d2c22737472696e67223a22e282ac245c75303030665c6e4127425c225c5c5c5c5c222f227d',
      'hex',
    );
    expect(Buffer.from(jcs(JSON.parse(input)), 'utf8')).toEqual(expected);
    expect(Buffer.from(canonicalJson(JSON.parse(input)), 'utf8')).toEqual(expected);
  });

  // RFC 8785 §3.2.3 (members sorted by UTF-16 code units: the emoji's lead surrogate d83d sorts before U+FB33);
  // reference testdata/{input,output}/weird.json (cyberphone/json-canonicalization @ 19d51d7) adds \n and </script>
  it('sorts members by UTF-16 code units (RFC §3.2.3 and the reference weird.json)', () => {
    const input = String.raw`{
      "\u20ac": "Euro Sign", "\r": "Carriage Return", "\u000a": "Newline", "1": "One", "\u0080": "Control\u007f",
      "\ud83d\ude02": "Smiley", "\u00f6": "Latin Small Letter O With Diaeresis", "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "</script>": "Browser Challenge"
    }`;
    const expected = Buffer.from(
      '7b225c6e223a224e65776c696e65222c225c72223a2243617272696167652052657475726e222c2231223a224f6e65222c223c2f7363726970743e223a2242726f77736572204368616c6c656e6765222c22c280223a22436f6e74726f6c7f222c22c3b6223a224c6174696e20536d616c6c204c6574746572204f205769746820446961657265736973222c22e282ac223a224575726f205369676e222c22f09f9882223a22536d696c6579222c22efacb3223a22486562726577204c65747465722044616c6574205769746820446167657368227d',
      'hex',
    ); // reference testdata/outhex/weird.txt
    expect(Buffer.from(jcs(JSON.parse(input)), 'utf8')).toEqual(expected);
    expect(Buffer.from(canonicalJson(JSON.parse(input)), 'utf8')).toEqual(expected);
  });

  // RFC 8785 Appendix B, "Number Serialization Samples" (IEEE 754 bits → text); the same table is in the reference
  // implementation's number tests and in go-json-experiment/json's RFC 8785 vectors
  const APPENDIX_B: [string, string][] = [
    ['0000000000000000', '0'],
    ['8000000000000000', '0'],
    ['0000000000000001', '5e-324'],
    ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'],
    ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'],
    ['c340000000000000', '-9007199254740992'],
    ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'],
    ['44b52d02c7e14af6', '1e+23'],
    ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'],
    ['444b1ae4d6e2ef4f', '999999999999999900000'],
    ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
    ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'],
    ['41b3de4355555554', '333333333.33333325'],
    ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'],
    ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'],
    ['43143ff3c1cb0959', '1424953923781206.2'],
  ];

  it.each(APPENDIX_B)('Appendix B: %s → %s', (hex, text) => {
    expect(jcs(ieee754(hex))).toBe(text);
    expect(canonicalJson(ieee754(hex))).toBe(text);
    expect(jcs({ n: [ieee754(hex)] })).toBe(`{"n":[${text}]}`);
  });

  it('refuses NaN and Infinity (Appendix B 7fffffffffffffff, 7ff0000000000000), both versions', () => {
    for (const hex of ['7fffffffffffffff', '7ff0000000000000', 'fff0000000000000']) {
      expect(() => jcs([ieee754(hex)])).toThrow(CanonicalJsonError);
      expect(() => canonicalJson({ a: ieee754(hex) })).toThrow(TypeError);
    }
  });

  it('refuses what is outside I-JSON, naming where', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const cases: [unknown, RegExp][] = [
      [{ a: '\ud800' }, /\$\.a: lone surrogate/],
      [{ ['\udc00x']: 1 }, /lone surrogate/],
      [[1, undefined], /\$\[1\]: a undefined/],
      [{ a: () => 1 }, /a function/],
      [{ a: 1n }, /a bigint/],
      [{ d: new Date(0) }, /\$\.d: not a plain object/],
      [cyclic, /cycle/],
    ];
    for (const [value, message] of cases) expect(() => jcs(value)).toThrow(message);
    expect(jcs({ pair: '\ud83d\ude02' })).toBe('{"pair":"😂"}');
    expect(jcs(Object.assign(Object.create(null) as object, { b: 1, a: 2 }))).toBe('{"a":2,"b":1}');
  });
});

describe('canonicalJson (version 1, the journal hash and signature bytes)', () => {
  /** Version 1 exactly as it was written before it moved to kernel/ (protocol/journal/entry.ts, commit 1c016aa). */
  function reference(value: unknown): string {
    if (value === null || typeof value !== 'object') {
      if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('non-finite number in journal payload');
      return JSON.stringify(value) ?? 'null';
    }
    if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${reference(obj[k])}`).join(',')}}`;
  }

  it('writes the same bytes as version 1 always did, for any value (lone surrogates, holes, undefined, Dates…)', () => {
    const leaf = fc.oneof(
      fc.constantFrom<unknown>(null, true, false, 0, -0, undefined, new Date(0), () => 1, Symbol('s')),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.maxSafeInteger(),
      anyUnitString,
      fc.string({ unit: 'grapheme', maxLength: 8 }),
    );
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        leaf,
        fc.array(tie('node'), { maxLength: 4 }),
        fc.sparseArray(tie('node'), { maxLength: 4 }),
        fc.dictionary(fc.oneof(anyUnitString, fc.constantFrom('__proto__', '1', '01', 'a"b', 'z')), tie('node'), { maxKeys: 4 }),
      ),
    })).node;
    fc.assert(
      fc.property(value, (v) => {
        expect(canonicalJson(v)).toBe(reference(v));
      }),
      { numRuns: 1000 },
    );
  });

  it('is jcs() for every I-JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => {
        expect(canonicalJson(v)).toBe(jcs(v));
      }),
      { numRuns: 300 },
    );
  });

  it('survives a parse: re-canonicalising the parsed text gives the same bytes, lone surrogates included', () => {
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        fc.constantFrom(null, true, false),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.maxSafeInteger(),
        anyUnitString,
        fc.array(tie('node'), { maxLength: 4 }),
        fc.dictionary(anyUnitString, tie('node'), { maxKeys: 4 }),
      ),
    })).node;
    fc.assert(
      fc.property(value, (v) => {
        const text = canonicalJson(v);
        expect(canonicalJson(JSON.parse(text))).toBe(text);
      }),
      { numRuns: 300 },
    );
  });

  it('where JCS refuses, keeps the bytes it always wrote (frozen)', () => {
    expect(canonicalJson({ s: 'a\ud800b' })).toBe('{"s":"a\\ud800b"}');
    expect(canonicalJson({ a: undefined, b: [undefined, () => 1] })).toBe('{"b":[null,null]}');
    expect(canonicalJson({ d: new Date(0) })).toBe('{"d":{}}');
    // a journal-like payload: its hash was computed with the function as it stood before it moved to kernel/
    const payload = { event: { attendantId: 'att-7', lines: [{ sku: 'Ü-1', qty: 2, unitMinor: 1999 }] }, z: -0, a: 1e21, m: 'x\u2028\u0000' };
    expect(canonicalJson(payload)).toBe(
      '{"a":1e+21,"event":{"attendantId":"att-7","lines":[{"qty":2,"sku":"Ü-1","unitMinor":1999}]},"m":"x\u2028\\u0000","z":0}',
    );
    expect(createHash('sha256').update(canonicalJson(payload)).digest('hex')).toBe('29b55df3ac3bca623ab14e6c37476c93d32fc8009560a92ba15efc89ebde1cfb');
  });
});

describe('canonicalJsonOfParsed (the sync path: native serialiser when it writes the same bytes)', () => {
  const outcome = (f: () => string): string => {
    try {
      return f();
    } catch (e) {
      return `throws ${(e as Error).name}`;
    }
  };
  const value = trickyKeyJson;

  it('gives exactly canonicalJson of the parsed value, for canonical and non-canonical texts alike', () => {
    fc.assert(
      fc.property(value, (v) => {
        for (const text of [canonicalJson(v), JSON.stringify(v)]) {
          const parsed: unknown = JSON.parse(text);
          expect(outcome(() => canonicalJsonOfParsed(parsed))).toBe(outcome(() => canonicalJson(parsed)));
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses what canonicalJson refuses (a number JSON.parse makes infinite) instead of writing null', () => {
    for (const text of ['1e400', '{"a":[-1e999]}']) {
      expect(() => canonicalJsonOfParsed(JSON.parse(text))).toThrow(TypeError);
    }
    expect(canonicalJsonOfParsed(JSON.parse('{"b":1,"a":{"10":0,"9":[1.5e300,"\\u2028"]}}'))).toBe('{"a":{"10":0,"9":[1.5e+300,"\u2028"]},"b":1}');
  });
});
