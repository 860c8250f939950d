import { offsetAt } from '../../kernel/local-time';

/**
 * Local days and hours of day in SQL, on both dialects, without the database knowing any time zone (SQLite has no
 * zone database; PostgreSQL has one, but its version need not agree with Node's ICU). The zone's UTC offset over a
 * range of instants is a short list of segments (one per daylight-saving change); the column's local wall time is
 * then `col + CASE WHEN col < t1 THEN o0 WHEN col < t2 THEN o1 … ELSE on END`, and the local day / hour of day are
 * integer divisions of it — the same on both dialects (BIGINT / BIGINT truncates on PostgreSQL, INTEGER / INTEGER
 * on SQLite; every value here is positive).
 */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export interface OffsetSegment {
  /** First instant of the segment (epoch ms, inclusive). */
  from: number;
  /** The zone's offset from UTC during the segment (ms). */
  offset: number;
}

/** Offsets change at most a few times a year; sampling every 6 hours cannot step over two changes. */
const SAMPLE_MS = 6 * HOUR_MS;

/** The first instant in (lo, hi] whose offset differs from the offset at lo (there is exactly one change there). */
function changeBetween(lo: number, hi: number, zone: string): number {
  const before = offsetAt(lo, zone);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetAt(mid, zone) === before) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** The zone's offsets over [from, to): the first segment starts at `from`; each further one at an offset change. */
export function offsetSegments(from: number, to: number, zone: string): OffsetSegment[] {
  const out: OffsetSegment[] = [{ from, offset: offsetAt(from, zone) }];
  let t = from;
  while (t < to) {
    const next = Math.min(t + SAMPLE_MS, to);
    if (offsetAt(next, zone) !== out[out.length - 1].offset) {
      const at = changeBetween(t, next, zone);
      out.push({ from: at, offset: offsetAt(at, zone) });
    }
    t = next;
  }
  return out;
}

/** SQL for the local wall time (ms) of the integer column `col`, and its parameters (in order of appearance). */
export function wallTimeSql(col: string, segments: readonly OffsetSegment[]): { sql: string; params: number[] } {
  if (segments.length === 1) return { sql: `(${col} + CAST(? AS BIGINT))`, params: [segments[0].offset] };
  const params: number[] = [];
  let sql = `(${col} + CASE`;
  for (let i = 1; i < segments.length; i++) {
    sql += ` WHEN ${col} < CAST(? AS BIGINT) THEN CAST(? AS BIGINT)`;
    params.push(segments[i].from, segments[i - 1].offset);
  }
  sql += ' ELSE CAST(? AS BIGINT) END)';
  params.push(segments[segments.length - 1].offset);
  return { sql, params };
}

/** `YYYY-MM-DD` of a local day number (wall ms / DAY_MS), as the SQL above yields it. */
export const dayNumberToDate = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

/** The local day number of a `YYYY-MM-DD` date. */
export const dateToDayNumber = (date: string): number => Date.parse(`${date}T00:00:00Z`) / DAY_MS;
