import fc from 'fast-check';
import { canonicalJson } from '../../kernel/canonical-json';
import { entryHash, GENESIS_HASH } from './entry';

/**
 * Training mode puts `training: true` into the (hashed) payload of a training order's entries and nothing into a
 * real order's: the entry format and hash formula are unchanged, so every journal written before still verifies.
 */
describe('entryHash and the training flag', () => {
  const v1 = {
    seq: 7,
    deviceId: 'lane-01',
    ts: 1_767_258_000_000,
    orderId: 'o-1',
    type: 'order_completed',
    payload: '{"from":"paid","to":"completed","total":1999,"version":6}',
    prevHash: GENESIS_HASH,
  };

  it('hashes an entry without the field exactly as before (golden values, both formulas)', () => {
    // sha256 of JSON.stringify([seq, storeId, deviceId, ts, orderId, type, payload, prevHash]) (and without storeId)
    expect(entryHash({ ...v1, hashStoreId: 'store-001' })).toBe('76ed67057eebc23c5a377130fea3b59ef1b3a866adefb970442a7368e99c0cd3');
    expect(entryHash(v1)).toBe('0ce851866db25fecff62cca0957c22a8c18e158e33285c6c948e788a171dbd59');
  });

  it('covers the flag: for any payload, adding training: true changes the hash, and a payload without it is untouched', () => {
    const payload = fc.dictionary(
      fc.string({ minLength: 1, maxLength: 8 }).filter((k) => k !== 'training' && k !== '__proto__'),
      fc.oneof(fc.integer(), fc.string({ maxLength: 12 }), fc.boolean(), fc.constant(null)),
      { maxKeys: 6 },
    );
    fc.assert(
      fc.property(payload, fc.option(fc.constantFrom('S1', 'store-001'), { nil: null }), (p, store) => {
        const plain = { ...v1, hashStoreId: store, payload: canonicalJson(p) };
        const flagged = { ...plain, payload: canonicalJson({ ...p, training: true }) };
        expect(entryHash(flagged)).not.toBe(entryHash(plain));
        // the plain entry's hash is the formula over its own fields, nothing else
        expect(entryHash(plain)).toBe(entryHash({ ...plain }));
        expect(JSON.parse(plain.payload)).not.toHaveProperty('training');
      }),
      { numRuns: 200 },
    );
  });
});
