import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { trickyKeyJson } from '../../test/support/json-arbitrary';
import { canonicalJson } from '../../kernel/canonical-json';
import { JSON_LIMITS } from '../../kernel/json/limits';
import { hashMatches } from '../journal/chain';
import { entryHash, GENESIS_HASH, type JournalEntry } from '../journal/entry';
import { encodeEvent, parseEvent, payloadTravelsAsJson } from './messages';

/** An entry with `text` as its payload, hashed as the kiosk hashes it. */
function entryWith(text: string, seq = 7): JournalEntry {
  const base = { seq, hashStoreId: 'S1', deviceId: 'K1', ts: 1_767_258_000_123, orderId: 'o-7', type: 'order_completed', payload: text, prevHash: GENESIS_HASH };
  return { ...base, hash: entryHash(base) };
}

/** Any UTF-16 code unit (lone surrogates included), and whole astral characters. */
const text = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 10 }),
  fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 8 }).map((us) => String.fromCharCode(...us)),
);
const payloadValue = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(null, true, false, 0, -0),
    fc.maxSafeInteger(),
    fc.integer({ min: Number.MIN_SAFE_INTEGER, max: -1 }),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    text,
    fc.array(tie('node'), { maxLength: 5 }),
    fc.dictionary(text, tie('node'), { maxKeys: 5 }),
  ),
})).node;

describe('events v2: the payload on the wire as JSON', () => {
  it('HQ re-canonicalising the parsed payload reproduces the exact bytes the kiosk hashed', () => {
    fc.assert(
      fc.property(payloadValue, (value) => {
        const e = entryWith(canonicalJson(value));
        const wire = encodeEvent('S1', e);
        const raw = JSON.parse(wire) as { v: number; payload: unknown };
        expect(raw.v).toBe(2);
        expect(typeof raw.payload === 'string' && typeof value !== 'string').toBe(false); // JSON, not a string inside JSON
        const got = parseEvent(Buffer.from(wire, 'utf8'));
        expect(got.payload).toBe(e.payload);
        expect(hashMatches(got)).toBe(true);
        expect(got).toEqual({ v: 2, storeId: 'S1', ...e });
      }),
      { numRuns: 500 },
    );
  });

  it('is the same entry as v1 carried: decoding either gives identical entries', () => {
    fc.assert(
      fc.property(payloadValue, (value) => {
        const e = entryWith(canonicalJson(value));
        const { v: _1, ...fromV1 } = parseEvent(encodeEvent('S1', e, 1));
        const { v: _2, ...fromV2 } = parseEvent(encodeEvent('S1', e));
        expect(fromV2).toEqual(fromV1);
      }),
      { numRuns: 200 },
    );
  });

  it('decides exactly as the full round-trip check, whatever the key order, spacing or key shapes', () => {
    const full = (t: string): boolean => {
      try {
        return canonicalJson(JSON.parse(t)) === t;
      } catch {
        return false;
      }
    };
    const value = trickyKeyJson;
    fc.assert(
      fc.property(value, (v) => {
        for (const t of [canonicalJson(v), JSON.stringify(v), JSON.stringify(v, null, 1)]) {
          expect({ t, travels: payloadTravelsAsJson(t) }).toEqual({ t, travels: full(t) });
        }
        expect(payloadTravelsAsJson(canonicalJson(v))).toBe(true); // every journal text travels as JSON
      }),
      { numRuns: 500 },
    );
  });

  it('falls back to v1 for a payload text that would not come back byte for byte, or nests too deep', () => {
    const notCanonical = ['{"b":1,"a":2}', '{ "a": 1 }', '[1.0]', '"\\u0041"', 'not json'];
    const deep = `${'['.repeat(70)}1${']'.repeat(70)}`;
    for (const t of [...notCanonical, deep]) {
      expect(payloadTravelsAsJson(t)).toBe(false);
      const e = entryWith(t);
      const wire = encodeEvent('S1', e);
      expect(JSON.parse(wire)).toMatchObject({ v: 1, payload: t });
      const got = parseEvent(wire);
      expect(got.payload).toBe(t);
      expect(hashMatches(got)).toBe(true);
    }
    // as deep as fits: v2, and the message passes the parser's depth bound
    const fits = `${'['.repeat(63)}1${']'.repeat(63)}`;
    expect(JSON.parse(encodeEvent('S1', entryWith(fits))).v).toBe(2);
    expect(parseEvent(encodeEvent('S1', entryWith(fits))).payload).toBe(fits);
  });

  it('is smaller than v1 for a typical payload, and bounded as before', () => {
    const e = entryWith(canonicalJson({ total: 1299, lines: [{ sku: 'S-1', name: 'Äpfel "Elstar"', qty: 2, unitMinor: 649 }] }));
    expect(encodeEvent('S1', e).length).toBeLessThan(encodeEvent('S1', e, 1).length);
    const huge = entryWith(canonicalJson({ s: 'x'.repeat(JSON_LIMITS.syncMessage) }));
    expect(() => parseEvent(encodeEvent('S1', huge))).toThrow(/malformed event.*too large/);
  });

  it('refuses a v2 payload with no canonical form, and a v1 payload that is not a string', () => {
    const e = entryWith('{"a":1}');
    const v2 = encodeEvent('S1', e);
    expect(() => parseEvent(v2.replace('"payload":{"a":1}', '"payload":{"a":1e999}'))).toThrow(/malformed event message: payload has no canonical form/);
    expect(() => parseEvent(v2.replace('"v":2', '"v":1'))).toThrow(/malformed event/);
  });
});
