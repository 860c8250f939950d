import fc from 'fast-check';
import { isKioskError } from '../errors';
import { clip, firstLines, joinPath, preview } from './bounded-format';
import { boundedJsonParse, DEFAULT_MAX_DEPTH, depthExceededAt, JsonLimitError, parseJson, tryParseJson } from './bounded-json';

const nested = (depth: number, open = '[', close = ']') => open.repeat(depth) + close.repeat(depth);

describe('bounded JSON parse', () => {
  it('parses what is within both limits, exactly as JSON.parse does', () => {
    const text = '{"a":[1,{"b":"x]]]\\"[[["}],"c":null}';
    expect(tryParseJson(text, { maxBytes: 100 })).toEqual({ ok: true, value: JSON.parse(text) });
    expect(parseJson(Buffer.from(text), { maxBytes: 100, what: 't' })).toEqual(JSON.parse(text));
    expect(tryParseJson(nested(DEFAULT_MAX_DEPTH), { maxBytes: 1000 }).ok).toBe(true);
  });

  it('refuses one level more than the depth limit, naming it and where', () => {
    expect(tryParseJson(nested(DEFAULT_MAX_DEPTH + 1), { maxBytes: 1000 })).toEqual({
      ok: false,
      problem: 'depth',
      message: `too deep: JSON nested deeper than ${DEFAULT_MAX_DEPTH} levels (at character ${DEFAULT_MAX_DEPTH})`,
    });
    expect(tryParseJson('{"a":{"b":{"c":1}}}', { maxBytes: 100, maxDepth: 2 })).toMatchObject({ ok: false, problem: 'depth' });
  });

  it('brackets inside strings (escaped quotes too) do not count toward the depth', () => {
    const text = JSON.stringify({ s: '['.repeat(500) + '"\\' + '{'.repeat(500) });
    expect(depthExceededAt(text, 1)).toBe(-1);
    expect(tryParseJson(text, { maxBytes: 10_000, maxDepth: 1 }).ok).toBe(true);
  });

  it('refuses a 1 000 000-deep payload by the depth scan, before JSON.parse sees it', () => {
    const deep = Buffer.from(nested(1_000_000, '{"a":', '}').replace(/}+$/, (m) => '1' + m));
    const parse = jest.spyOn(JSON, 'parse');
    try {
      const r = tryParseJson(deep, { maxBytes: 16 * 1024 * 1024 });
      expect(r).toMatchObject({ ok: false, problem: 'depth' });
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
  });

  it('refuses input over the size limit by its UTF-8 length, text or bytes', () => {
    expect(tryParseJson('"' + 'é'.repeat(10) + '"', { maxBytes: 21 })).toMatchObject({ ok: false, problem: 'size', message: 'too large: 22 bytes, more than the 21 allowed' });
    expect(tryParseJson('"' + 'é'.repeat(10) + '"', { maxBytes: 22 }).ok).toBe(true);
    expect(tryParseJson(Buffer.alloc(11, 0x20), { maxBytes: 10 })).toMatchObject({ ok: false, problem: 'size' });
    expect(tryParseJson('x'.repeat(50), { maxBytes: 10 })).toMatchObject({ ok: false, problem: 'size', message: 'too large: at least 50 bytes, more than the 10 allowed' });
  });

  it('a refusal is a KioskError with the call site code, what was parsed and which limit', () => {
    let err: unknown;
    try {
      parseJson(nested(100), { maxBytes: 1000, what: 'price book line 3', code: 'PRICEBOOK_INVALID' });
    } catch (e) {
      err = e;
    }
    expect(isKioskError(err, 'PRICEBOOK_INVALID')).toBe(true);
    expect((err as Error).message).toBe('price book line 3: too deep: JSON nested deeper than 64 levels (at character 64)');
    expect((err as { details: unknown }).details).toEqual({ what: 'price book line 3', limit: 'depth' });
    expect(() => parseJson('{nope', { maxBytes: 100, what: 'ack message' })).toThrow(/^ack message: invalid JSON: /);
    try {
      parseJson('{nope', { maxBytes: 100, what: 'x' });
    } catch (e) {
      expect(isKioskError(e, 'PROTOCOL')).toBe(true);
    }
  });

  it('boundedJsonParse: JSON.parse with the limits, its SyntaxError kept', () => {
    expect(boundedJsonParse('[1]', { maxBytes: 10 })).toEqual([1]);
    expect(() => boundedJsonParse('[1', { maxBytes: 10 })).toThrow(SyntaxError);
    expect(() => boundedJsonParse(nested(3), { maxBytes: 10, maxDepth: 2 })).toThrow(new JsonLimitError('depth', 'too deep: JSON nested deeper than 2 levels (at character 2)'));
    expect(() => boundedJsonParse('[1,2,3]', { maxBytes: 3 })).toThrow(/^too large: at least 7 bytes/);
  });

  it('never throws and agrees with JSON.parse on anything within the limits (fast-check)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.json(), fc.string(), fc.jsonValue().map((v) => JSON.stringify(v))), (text) => {
        const r = tryParseJson(text, { maxBytes: 1 << 20 });
        let expected: unknown;
        let valid = true;
        try {
          expected = JSON.parse(text);
        } catch {
          valid = false;
        }
        if (r.ok) expect(r.value).toEqual(expected);
        else expect(valid && r.problem !== 'depth').toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});

describe('bounded formatting of offending values', () => {
  it('preview of a 100 000-deep array or a huge string is short and does not overflow the stack', () => {
    let deep: unknown = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(preview(deep)).toBe('[[[[[[[…]]]]]]]');
    expect(preview('x'.repeat(1_000_000), 10)).toBe('"xxxxxx...');
    const wide = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, i]));
    expect(preview(wide, 30)).toHaveLength(30);
    expect(preview({ a: [1, 'b', null, true], n: NaN, u: undefined })).toBe('{"a":[1,"b",null,true],"n":NaN,"u":undefined}');
  });

  it('joinPath, clip and firstLines keep messages short', () => {
    expect(joinPath(['a', 0, 'b'])).toBe('a.0.b');
    expect(joinPath(Array.from({ length: 10_000 }, () => 'segment'), 20)).toHaveLength(20);
    expect(clip('abcdef', 5)).toBe('ab...');
    expect(firstLines(['1', '2', '3'], 2)).toEqual(['1', '2', '… and 1 more']);
  });
});
