import { businessDayBounds } from '../../kernel/local-time';
import { dateToDayNumber, dayNumberToDate, offsetSegments, wallTimeSql } from './local-time-sql';

describe('local time in SQL', () => {
  it('finds each daylight-saving change of a year to the millisecond', () => {
    const from = businessDayBounds('2026-01-01', 'Europe/Berlin').from;
    const to = businessDayBounds('2026-12-31', 'Europe/Berlin').to;
    expect(offsetSegments(from, to, 'Europe/Berlin')).toEqual([
      { from, offset: 3_600_000 },
      { from: Date.parse('2026-03-29T01:00:00Z'), offset: 7_200_000 },
      { from: Date.parse('2026-10-25T01:00:00Z'), offset: 3_600_000 },
    ]);
  });

  it('has one segment in a zone without daylight saving', () => {
    const from = Date.parse('2026-01-01T00:00:00Z');
    expect(offsetSegments(from, from + 366 * 86_400_000, 'Asia/Shanghai')).toEqual([{ from, offset: 28_800_000 }]);
    expect(wallTimeSql('c', [{ from, offset: 28_800_000 }])).toEqual({ sql: '(c + CAST(? AS BIGINT))', params: [28_800_000] });
  });

  it('writes a CASE over the segments, parameters in order', () => {
    const w = wallTimeSql('t', [
      { from: 0, offset: 1 },
      { from: 10, offset: 2 },
      { from: 20, offset: 3 },
    ]);
    expect(w.sql).toBe('(t + CASE WHEN t < CAST(? AS BIGINT) THEN CAST(? AS BIGINT) WHEN t < CAST(? AS BIGINT) THEN CAST(? AS BIGINT) ELSE CAST(? AS BIGINT) END)');
    expect(w.params).toEqual([10, 1, 20, 2, 3]);
  });

  it('converts day numbers and dates both ways', () => {
    expect(dayNumberToDate(dateToDayNumber('2026-03-29'))).toBe('2026-03-29');
    expect(dateToDayNumber('1970-01-02')).toBe(1);
  });
});
