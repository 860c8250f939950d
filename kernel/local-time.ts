/**
 * The store's local time: wall-clock time of an instant in an IANA time zone, and the UTC bounds of a business day.
 * Pure, on the platform's Intl (full ICU in Node 20) — no time-zone library. Instants are epoch milliseconds (UTC);
 * a local wall time is carried as "wall milliseconds": the same calendar fields read as if they were UTC.
 */

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** True when `zone` is an IANA time-zone name this platform knows (e.g. "Asia/Shanghai", "UTC"). */
export function isTimeZone(zone: string): boolean {
  if (typeof zone !== 'string' || zone === '' || zone.length > 64) return false;
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

/** The machine's own zone (the `timezone` default); "UTC" when the platform cannot say. */
export function systemTimeZone(): string {
  const zone = new Intl.DateTimeFormat().resolvedOptions().timeZone;
  return zone && isTimeZone(zone) ? zone : 'UTC';
}

/** The local calendar fields of the instant `ms` in `zone`, as wall milliseconds. */
function wallMs(ms: number, zone: string): number {
  const p: Record<string, number> = {};
  for (const part of formatter(zone).formatToParts(new Date(ms))) {
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  }
  const whole = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return whole + (((ms % 1000) + 1000) % 1000);
}

/** The zone's offset from UTC at the instant `ms`, in milliseconds (+08:00 → 28 800 000). */
export function offsetAt(ms: number, zone: string): number {
  return wallMs(ms, zone) - ms;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

function fields(wall: number): { date: string; hour: number; time: string } {
  const d = new Date(wall);
  const date = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  return { date, hour: d.getUTCHours(), time: `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}` };
}

/** `YYYY-MM-DD HH:MM:SS`, the wall-clock time of `ms` in `zone` (what a receipt prints). */
export function formatLocal(ms: number, zone: string): string {
  const f = fields(wallMs(ms, zone));
  return `${f.date} ${f.time}`;
}

/** `±HH:MM` for an offset in milliseconds. */
export function formatOffset(offsetMs: number): string {
  const sign = offsetMs < 0 ? '-' : '+';
  const minutes = Math.round(Math.abs(offsetMs) / 60_000);
  return `${sign}${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
}

/** `YYYY-MM-DD HH:MM:SS +08:00`: the local time with its offset, unambiguous also in the repeated hour of a DST change. */
export function formatLocalWithOffset(ms: number, zone: string): string {
  return `${formatLocal(ms, zone)} ${formatOffset(offsetAt(ms, zone))}`;
}

/** True for a real calendar date written `YYYY-MM-DD` (2026-02-29 and 2026-13-45 are not). */
export function isCalendarDate(date: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

function dateWall(date: string): number {
  if (!isCalendarDate(date)) throw new RangeError(`not a calendar date (YYYY-MM-DD): ${JSON.stringify(date)}`);
  return Date.parse(`${date}T00:00:00Z`);
}

/** The calendar date `days` after `date` (negative: before). */
export function addDays(date: string, days: number): string {
  return fields(dateWall(date) + days * DAY_MS).date;
}

/**
 * The first instant whose local wall time in `zone` is at or after `wall`: the instant itself when that wall time
 * exists once; the earlier of the two when it exists twice (the repeated hour when clocks go back); the moment the
 * clocks jump when it does not exist at all (the skipped hour when they go forward).
 */
export function instantOfWall(wall: number, zone: string): number {
  // a zone's offset changes at most once within a day either side of a wall time (offsets lie within ±14 h)
  const around = [offsetAt(wall - DAY_MS, zone), offsetAt(wall, zone), offsetAt(wall + DAY_MS, zone)];
  const exact = [...new Set(around)].map((o) => wall - o).filter((t) => wallMs(t, zone) === wall);
  if (exact.length) return Math.min(...exact);
  // a gap: the wall time was skipped. Before the jump the wall clock reads less than `wall`, after it more.
  let lo = wall - Math.max(...around); // wall clock < wall here
  let hi = wall - Math.min(...around); // wall clock > wall here
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (wallMs(mid, zone) < wall) lo = mid;
    else hi = mid;
  }
  return hi;
}

export interface BusinessDayBounds {
  /** The business day, `YYYY-MM-DD` (the local date on which it starts). */
  date: string;
  /** First instant of the day (epoch ms, inclusive). */
  from: number;
  /** First instant of the next day (epoch ms, exclusive). */
  to: number;
}

function checkHour(dayStartHour: number): void {
  if (!Number.isInteger(dayStartHour) || dayStartHour < 0 || dayStartHour > 23) throw new RangeError(`dayStartHour must be an integer 0–23, got ${dayStartHour}`);
}

/**
 * Business day `date` in `zone` runs from `date` dayStartHour:00 local to the next date's dayStartHour:00 local —
 * 24 hours, or 23 / 25 (or 23.5 / 24.5 on Lord Howe Island) across a daylight-saving change.
 */
export function businessDayBounds(date: string, zone: string, dayStartHour = 0): BusinessDayBounds {
  checkHour(dayStartHour);
  const start = dateWall(date) + dayStartHour * HOUR_MS;
  return { date, from: instantOfWall(start, zone), to: instantOfWall(start + DAY_MS, zone) };
}

/** The business day (`YYYY-MM-DD`) that holds the instant `ms`: `from ≤ ms < to` of {@link businessDayBounds}. */
export function businessDayOf(ms: number, zone: string, dayStartHour = 0): string {
  checkHour(dayStartHour);
  const local = fields(wallMs(ms, zone));
  let date = local.hour >= dayStartHour ? local.date : addDays(local.date, -1);
  // the wall clock can read the same hour twice (clocks going back): settle on the day whose bounds hold ms
  for (let i = 0; i < 3; i++) {
    const b = businessDayBounds(date, zone, dayStartHour);
    if (ms < b.from) date = addDays(date, -1);
    else if (ms >= b.to) date = addDays(date, 1);
    else break;
  }
  return date;
}
