import fc from 'fast-check';
import { addDays, businessDayBounds, businessDayOf, formatLocal, formatLocalWithOffset, formatOffset, isCalendarDate, isTimeZone, offsetAt } from './local-time';

const ZONES = ['Asia/Shanghai', 'Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata', 'Pacific/Chatham', 'America/St_Johns', 'UTC'] as const;
const HOUR = 3_600_000;
const at = (iso: string) => Date.parse(iso);

/** The offset Intl itself prints (`GMT+08:00`), an independent reading of the same zone data. */
function intlOffset(ms: number, zone: string): string {
  const name = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' }).formatToParts(new Date(ms)).find((p) => p.type === 'timeZoneName')!.value;
  return name === 'GMT' ? '+00:00' : name.slice(3);
}

const instant = fc.integer({ min: at('1971-01-01T00:00:00Z'), max: at('2099-12-31T00:00:00Z') });
const zone = fc.constantFrom(...ZONES);
const hour = fc.integer({ min: 0, max: 23 });

describe('local time', () => {
  it('knows IANA names and refuses others', () => {
    for (const z of ZONES) expect(isTimeZone(z)).toBe(true);
    for (const z of ['Mars/Olympus', 'Asia/Shanghia', '', '+08:00 nonsense']) expect(isTimeZone(z)).toBe(false);
  });

  it('prints a sale at 15:30Z / 16:30Z as 23:30 on the 6th / 00:30 on the 7th in Shanghai', () => {
    expect(formatLocal(at('2026-12-06T15:30:00Z'), 'Asia/Shanghai')).toBe('2026-12-06 23:30:00');
    expect(formatLocal(at('2026-12-06T16:30:00Z'), 'Asia/Shanghai')).toBe('2026-12-07 00:30:00');
    expect(formatLocalWithOffset(at('2026-12-06T16:30:00Z'), 'Asia/Shanghai')).toBe('2026-12-07 00:30:00 +08:00');
    expect(formatLocalWithOffset(at('2026-07-01T12:00:00Z'), 'America/New_York')).toBe('2026-07-01 08:00:00 -04:00');
  });

  it('assigns the business day by the local day-start hour', () => {
    const a = at('2026-12-06T15:30:00Z');
    const b = at('2026-12-06T16:30:00Z');
    expect([businessDayOf(a, 'Asia/Shanghai', 0), businessDayOf(b, 'Asia/Shanghai', 0)]).toEqual(['2026-12-06', '2026-12-07']);
    expect([businessDayOf(a, 'Asia/Shanghai', 4), businessDayOf(b, 'Asia/Shanghai', 4)]).toEqual(['2026-12-06', '2026-12-06']);
    expect(businessDayOf(b, 'UTC', 0)).toBe('2026-12-06');
    expect(businessDayBounds('2026-12-06', 'Asia/Shanghai', 4)).toEqual({ date: '2026-12-06', from: at('2026-12-05T20:00:00Z'), to: at('2026-12-06T20:00:00Z') });
  });

  it('makes daylight-saving days 23 or 25 hours long (30 minutes on Lord Howe Island)', () => {
    const hours = (date: string, z: string, h = 0) => {
      const b = businessDayBounds(date, z, h);
      return (b.to - b.from) / HOUR;
    };
    expect(businessDayBounds('2026-10-25', 'Europe/Berlin')).toEqual({ date: '2026-10-25', from: at('2026-10-24T22:00:00Z'), to: at('2026-10-25T23:00:00Z') });
    expect(hours('2026-10-25', 'Europe/Berlin')).toBe(25);
    expect(hours('2026-03-29', 'Europe/Berlin')).toBe(23);
    expect(hours('2026-03-08', 'America/New_York')).toBe(23);
    expect(hours('2026-11-01', 'America/New_York')).toBe(25);
    expect(hours('2026-10-04', 'Australia/Lord_Howe')).toBe(23.5);
    expect(hours('2026-04-05', 'Australia/Lord_Howe')).toBe(24.5);
    // a day that starts in the skipped hour starts when the clocks jump (02:00 CET → 03:00 CEST)
    expect(businessDayBounds('2026-03-29', 'Europe/Berlin', 2).from).toBe(at('2026-03-29T01:00:00Z'));
    // …and one that starts in the repeated hour starts at its first occurrence (02:00 CEST, not 02:00 CET)
    expect(businessDayBounds('2026-10-25', 'Europe/Berlin', 2).from).toBe(at('2026-10-25T00:00:00Z'));
    expect(hours('2026-10-25', 'Europe/Berlin', 2)).toBe(25);
  });

  it('property: an instant lies inside the business day it is assigned to', () => {
    fc.assert(
      fc.property(instant, zone, hour, (ms, z, h) => {
        const day = businessDayOf(ms, z, h);
        const b = businessDayBounds(day, z, h);
        return b.from <= ms && ms < b.to;
      }),
      { numRuns: 1500 },
    );
  });

  it('property: business days tile time without gap or overlap, each 22–26 hours long', () => {
    fc.assert(
      fc.property(instant, zone, hour, (ms, z, h) => {
        const day = businessDayOf(ms, z, h);
        const prev = businessDayBounds(addDays(day, -1), z, h);
        const cur = businessDayBounds(day, z, h);
        const next = businessDayBounds(addDays(day, 1), z, h);
        const long = cur.to - cur.from;
        return prev.to === cur.from && cur.to === next.from && long >= 22 * HOUR && long <= 26 * HOUR;
      }),
      { numRuns: 1500 },
    );
  });

  it('property: the first and last instants of a day belong to it, the ones around them to its neighbours', () => {
    fc.assert(
      fc.property(instant, zone, hour, (ms, z, h) => {
        const day = businessDayOf(ms, z, h);
        const b = businessDayBounds(day, z, h);
        return (
          businessDayOf(b.from, z, h) === day &&
          businessDayOf(b.to - 1, z, h) === day &&
          businessDayOf(b.from - 1, z, h) === addDays(day, -1) &&
          businessDayOf(b.to, z, h) === addDays(day, 1)
        );
      }),
      { numRuns: 1000 },
    );
  });

  it('property: the offset agrees with the one Intl prints, and local time is the instant shifted by it', () => {
    fc.assert(
      fc.property(instant, zone, (ms, z) => {
        const off = offsetAt(ms, z);
        const shifted = new Date(ms - (ms % 1000) + off).toISOString().slice(0, 19).replace('T', ' ');
        return formatOffset(off) === intlOffset(ms, z) && formatLocal(ms, z) === shifted;
      }),
      { numRuns: 1500 },
    );
  });

  it('checks calendar dates', () => {
    expect(['2026-12-06', '2028-02-29'].every(isCalendarDate)).toBe(true);
    expect(['2026-13-45', '2026-02-29', '2026-12-6', 'today', '2026-12-06T00:00'].some(isCalendarDate)).toBe(false);
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2028-03-01', -1)).toBe('2028-02-29');
    expect(() => businessDayBounds('2026-13-45', 'UTC')).toThrow(RangeError);
  });
});
