import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { canonicalJson } from '../../kernel/canonical-json';
import { ChainCheck, type ChainFault } from './chain';
import { entryHash, GENESIS_HASH, type JournalEntry } from './entry';

/** A valid chain of `payloads.length` entries; entries from `storeFrom` on cover the store in their hash. */
function buildChain(payloads: unknown[], storeFrom: number): JournalEntry[] {
  const out: JournalEntry[] = [];
  let prevHash = GENESIS_HASH;
  payloads.forEach((p, i) => {
    const seq = i + 1;
    const base = { seq, hashStoreId: seq >= storeFrom ? 'S1' : null, deviceId: 'K1', ts: 1_767_258_000_000 + seq, orderId: seq % 3 ? `o${seq}` : null, type: 'order_completed', payload: canonicalJson(p), prevHash };
    const e = { ...base, hash: entryHash(base) };
    out.push(e);
    prevHash = e.hash;
  });
  return out;
}

/** Runs the check over `entries`; the first fault, or null. */
function firstFault(entries: JournalEntry[]): ChainFault | null {
  const check = new ChainCheck();
  for (const e of entries) {
    const f = check.next(e);
    if (f) return f;
  }
  return null;
}

const payload = fc.jsonValue({ maxDepth: 3 }).map((v) => ({ v }));
const chainArb = fc.tuple(fc.array(payload, { minLength: 2, maxLength: 25 }), fc.integer({ min: 1, max: 30 })).map(([ps, from]) => buildChain(ps, from));

describe('journal chain check (the one copy)', () => {
  it('a random chain verifies, to its head', () => {
    fc.assert(
      fc.property(chainArb, (entries) => {
        const check = new ChainCheck();
        for (const e of entries) expect(check.next(e)).toBeNull();
        expect(check.entries).toBe(entries.length);
        expect(check.headHash).toBe(entries[entries.length - 1].hash);
      }),
      { numRuns: 200 },
    );
  });

  it('any single mutation is detected at the right seq: a payload byte, prev, a seq gap, a reorder', () => {
    const mutation = fc.constantFrom('payload', 'prev', 'gap', 'reorder', 'store');
    fc.assert(
      fc.property(chainArb, fc.nat(), mutation, fc.nat(), (entries, at, kind, byte) => {
        const i = at % (entries.length - 1); // never the last: a deleted tail is the dangling-reference check's job
        const seq = i + 1;
        const copy = entries.map((e) => ({ ...e }));
        let expected: Pick<ChainFault, 'seq' | 'kind'>;
        if (kind === 'payload') {
          const p = copy[i].payload;
          const k = byte % p.length;
          copy[i].payload = p.slice(0, k) + String.fromCharCode(p.charCodeAt(k) ^ 1) + p.slice(k + 1);
          expected = { seq, kind: 'hash' };
        } else if (kind === 'prev') {
          copy[i].prevHash = copy[i].prevHash.replace(/^./, (c) => (c === '0' ? '1' : '0'));
          expected = { seq, kind: 'link' };
        } else if (kind === 'gap') {
          copy.splice(i, 1);
          expected = { seq, kind: 'missing' };
        } else if (kind === 'reorder') {
          [copy[i], copy[i + 1]] = [copy[i + 1], copy[i]];
          expected = { seq, kind: 'missing' };
        } else {
          // the store an entry's hash covers: replaying it as another store's entry breaks it
          copy[i].hashStoreId = copy[i].hashStoreId === 'S1' ? 'S2' : 'S1';
          expected = { seq, kind: 'hash' };
        }
        expect(firstFault(copy)).toMatchObject(expected);
      }),
      { numRuns: 400 },
    );
  });

  it('resumes after a declared gap only at the hash it was told', () => {
    const entries = buildChain([1, 2, 3, 4], 1);
    const check = new ChainCheck();
    expect(check.next(entries[0])).toBeNull();
    check.resumeAt(3, entries[1].hash);
    expect(check.next(entries[2])).toBeNull();
    const other = new ChainCheck(undefined, { seq: 2, hash: 'f'.repeat(64) });
    expect(other.next(entries[2])).toMatchObject({ seq: 3, kind: 'link' });
  });
});
