/** Channel bills write Beijing time: UTC+8, no daylight saving. */
export const BEIJING_OFFSET_MS = 8 * 3_600_000;
const DAY_MS = 86_400_000;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A calendar day `YYYY-MM-DD` that exists; null otherwise. */
export function parseDay(day: string): { y: number; m: number; d: number } | null {
  const m = DATE.exec(day);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d ? { y, m: mo, d } : null;
}

/** The channel business day D: [D 00:00, D+1 00:00) Beijing time, epoch ms. */
export function beijingDay(day: string): { from: number; to: number } | null {
  const p = parseDay(day);
  if (!p) return null;
  const from = Date.UTC(p.y, p.m - 1, p.d) - BEIJING_OFFSET_MS;
  return { from, to: from + DAY_MS };
}

/** A Beijing wall time to epoch ms, or null when a part is out of range (month 13, 25 o'clock, 31 February …). */
export function beijingWall(y: number, mo: number, d: number, h: number, mi: number, s: number): number | null {
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return null;
  const t = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(t);
  if (back.getUTCDate() !== d || back.getUTCMonth() !== mo - 1) return null;
  return t - BEIJING_OFFSET_MS;
}

const DATETIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

/** `yyyy-MM-dd HH:mm:ss` Beijing time to epoch ms; null when it is not one. */
export function parseBeijingDateTime(s: string): number | null {
  const m = DATETIME.exec(s);
  if (!m) return null;
  return beijingWall(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

/** The Beijing calendar day of an instant, `YYYY-MM-DD`. */
export function beijingDayOf(ms: number): string {
  return new Date(ms + BEIJING_OFFSET_MS).toISOString().slice(0, 10);
}
