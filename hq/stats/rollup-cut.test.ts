import fc from 'fast-check';
import { cutRange } from './rollup-sales';
import { DAY_MS, QUARTER_MS, WEEK_MS } from './rollup-tables';

/** cutRange: the pieces of a quarter-aligned range tile it exactly, in order, with the fewest buckets at each edge. */
describe('cutting a range into weeks, days and quarter hours', () => {
  it('tiles any quarter-aligned range exactly, in time order, coarse in the middle', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200_000 }), fc.integer({ min: 1, max: 40_000 }), (q0, len) => {
        const from = q0 * QUARTER_MS;
        const to = (q0 + len) * QUARTER_MS;
        const pieces = cutRange(from, to);
        let at = from;
        for (const p of pieces) {
          expect(p.from).toBeLessThan(p.to);
          expect(p.from * p.width).toBe(at);
          at = p.to * p.width;
        }
        expect(at).toBe(to);
        // at most: quarters, days, weeks, days, quarters; quarters only at the ends, fewer than a day's worth each
        expect(pieces.length).toBeLessThanOrEqual(5);
        for (const p of pieces.slice(1, -1)) expect(p.width).not.toBe(QUARTER_MS);
        // quarter pieces: less than a day each beside whole days; without a whole UTC day, less than two days
        const coarse = pieces.some((x) => x.width !== QUARTER_MS);
        for (const p of pieces.filter((x) => x.width === QUARTER_MS)) expect(p.to - p.from).toBeLessThan(coarse ? 96 : 192);
        for (const p of pieces.filter((x) => x.width === DAY_MS)) expect(p.to - p.from).toBeLessThan(pieces.some((x) => x.width === WEEK_MS) ? 7 : Infinity);
      }),
      { numRuns: 2000 },
    );
  });

  it('reads a year of Shanghai days as weeks and two partial days, and a spring as weeks, days and two partial days', () => {
    const span = (from: string, to: string) => cutRange(Date.parse(from), Date.parse(to)).map((p) => [p.width / QUARTER_MS, p.to - p.from]);
    // 2026-01-01 00:00 to 2027-01-01 00:00 in Shanghai; 1 January 2026 is a Thursday, and epoch weeks start on Thursdays
    expect(span('2025-12-31T16:00:00Z', '2026-12-31T16:00:00Z')).toEqual([
      [1, 32], // 16:00–24:00 UTC on 31 December 2025
      [WEEK_MS / QUARTER_MS, 52],
      [1, 64], // 00:00–16:00 UTC on 31 December 2026
    ]);
    // Monday 2 March to Saturday 2 May 2026 in Shanghai
    expect(span('2026-03-01T16:00:00Z', '2026-05-02T16:00:00Z')).toEqual([
      [1, 32],
      [DAY_MS / QUARTER_MS, 3], // Mon 2 – Wed 4 March (UTC days)
      [WEEK_MS / QUARTER_MS, 8], // Thu 5 March – Wed 29 April
      [DAY_MS / QUARTER_MS, 2], // Thu 30 April, Fri 1 May
      [1, 64],
    ]);
  });
});
