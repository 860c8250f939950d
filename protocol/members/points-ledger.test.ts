import fc from 'fast-check';
import { comparePointsEntries, resolvePoints, type PointsEntry } from './points-ledger';

const e = (over: Partial<PointsEntry>): PointsEntry => ({ memberId: 'M1', source: 's1/k1', seq: 1, ts: 1000, kind: 'earn', points: 10, ...over });

describe('points ledger', () => {
  it('earns, redeems and adjusts into a balance', () => {
    const m = resolvePoints([e({ kind: 'adjust', points: 100, source: 'hq', ts: 0 }), e({ seq: 2, points: 30 }), e({ seq: 3, ts: 2000, kind: 'redeem', points: 50 })]).get('M1')!;
    expect(m).toMatchObject({ balance: 80, earned: 30, redeemed: 50, adjusted: 100, conflicts: [] });
  });

  it('two offline kiosks redeeming the same points: both honoured, the later one (by ts) is the overdrawn conflict', () => {
    const entries = [
      e({ source: 'hq', seq: 1, ts: 0, kind: 'adjust', points: 100 }),
      e({ source: 's1/k2', seq: 7, ts: 5000, kind: 'redeem', points: 100 }),
      e({ source: 's1/k1', seq: 3, ts: 4000, kind: 'redeem', points: 80 }),
    ];
    const m = resolvePoints(entries).get('M1')!;
    expect(m.balance).toBe(-80);
    expect(m.conflicts).toEqual([{ kind: 'overdrawn', entry: entries[1], balanceBefore: 20, shortfall: 80 }]);
  });

  it('ties on ts are broken by source, then seq', () => {
    const a = e({ source: 's1/a', seq: 9, ts: 1, kind: 'redeem', points: 5 });
    const b = e({ source: 's1/b', seq: 1, ts: 1, kind: 'redeem', points: 5 });
    expect(comparePointsEntries(a, b)).toBeLessThan(0);
    const m = resolvePoints([b, a, e({ source: 'hq', ts: 0, kind: 'adjust', points: 5 })]).get('M1')!;
    expect(m.conflicts.map((c) => c.entry.source)).toEqual(['s1/b']);
  });

  it('a reverse (points a refund took back) subtracts; when the member had spent them it is an overdrawn conflict', () => {
    const earn = e({ source: 's1/k1', seq: 4, ts: 1000, kind: 'earn', points: 60 });
    const spend = e({ source: 's1/k2', seq: 9, ts: 2000, kind: 'redeem', points: 50 });
    const back = e({ source: 's1/k1', seq: 7, ts: 3000, kind: 'reverse', points: 20 });
    const m = resolvePoints([back, spend, earn]).get('M1')!;
    expect(m).toMatchObject({ balance: -10, earned: 60, redeemed: 50, reversed: 20, adjusted: 0 });
    expect(m.conflicts).toEqual([{ kind: 'overdrawn', entry: back, balanceBefore: 10, shortfall: 10 }]);
    // same source and seq as an earn: a different fact (kind is part of the key), ordered after it
    const same = e({ source: 's1/k1', seq: 4, ts: 1000, kind: 'reverse', points: 60 });
    expect(comparePointsEntries(earn, same)).toBeLessThan(0);
    expect(resolvePoints([same, earn]).get('M1')).toMatchObject({ balance: 0, reversed: 60, conflicts: [] });
  });

  const entryArb = fc.record({
    memberId: fc.constantFrom('M1', 'M2'),
    source: fc.constantFrom('hq', 's1/k1', 's1/k2', 's2/k1'),
    seq: fc.integer({ min: 1, max: 6 }),
    ts: fc.integer({ min: 0, max: 5 }),
    kind: fc.constantFrom('earn' as const, 'redeem' as const, 'adjust' as const, 'reverse' as const),
    points: fc.integer({ min: 1, max: 200 }),
  });

  it('is a function of the set of entries: any arrival order and any duplicates give the same balances and conflicts', () => {
    fc.assert(
      fc.property(fc.array(entryArb, { maxLength: 30 }), fc.integer(), fc.array(fc.nat(), { maxLength: 10 }), (entries, seed, dups) => {
        // one fact per (source, seq, kind, member), as journals guarantee
        const facts = [...new Map(entries.map((x) => [`${x.source}|${x.seq}|${x.kind}|${x.memberId}`, x])).values()];
        const shuffled = [...facts, ...dups.filter(() => facts.length > 0).map((i) => ({ ...facts[i % facts.length] }))];
        let s = seed;
        for (let i = shuffled.length - 1; i > 0; i--) {
          s = (s * 1103515245 + 12345) & 0x7fffffff;
          const j = s % (i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
        }
        const norm = (m: Map<string, unknown>) => JSON.stringify([...m.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
        expect(norm(resolvePoints(shuffled))).toBe(norm(resolvePoints(facts)));
        // the balance is the plain sum, conflicts or not
        for (const [id, m] of resolvePoints(facts)) {
          const sum = facts.filter((x) => x.memberId === id).reduce((t, x) => t + (x.kind === 'redeem' || x.kind === 'reverse' ? -x.points : x.points), 0);
          expect(m.balance).toBe(sum);
        }
      }),
    );
  });
});
