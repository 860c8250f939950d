import type { Lang } from './types';
import { formatLocal, isTimeZone } from '../../kernel/local-time';

/**
 * The console's one way to show money, times and ages. Money is integer minor units (never floats): 1234 CNY → `¥12.34`.
 */

const SYMBOLS: Record<string, string> = { CNY: '¥', JPY: '¥', EUR: '€', USD: '$', GBP: '£', HKD: 'HK$', TWD: 'NT$', KRW: '₩', CHF: 'CHF ' };

const digitsCache = new Map<string, number>();
/** The currency's minor-unit digits (ISO 4217 via Intl: CNY 2, JPY 0, KWD 3); 2 for an unknown code. */
export function minorDigits(currency: string): number {
  let d = digitsCache.get(currency);
  if (d === undefined) {
    try {
      d = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    } catch {
      d = 2;
    }
    digitsCache.set(currency, d);
  }
  return d;
}

const group = (digits: string): string => digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** `formatMoney(1234)` → `¥12.34`, `formatMoney(-5)` → `-¥0.05`, `formatMoney(123456, 'EUR')` → `€1,234.56`. */
export function formatMoney(minor: number | bigint, currency = 'CNY', lang: Lang = 'en'): string {
  void lang; // both languages write ¥1,234.56
  let v = typeof minor === 'bigint' ? minor : BigInt(Number.isFinite(minor) ? Math.trunc(minor) : 0);
  const negative = v < 0n;
  if (negative) v = -v;
  const d = minorDigits(currency);
  const s = v.toString().padStart(d + 1, '0');
  const whole = group(s.slice(0, s.length - d));
  const frac = d > 0 ? '.' + s.slice(s.length - d) : '';
  const sym = SYMBOLS[currency] ?? `${currency} `;
  return `${negative ? '-' : ''}${sym}${whole}${frac}`;
}

/** The zone, or UTC when this platform does not know it. */
const zoneOrUtc = (zone: string): string => (isTimeZone(zone) ? zone : 'UTC');

/** `2026-12-06 13:57:05` in the zone (both languages: unambiguous, sortable). An unknown zone falls back to UTC. */
export function formatTime(ms: number, timeZone = 'UTC', lang: Lang = 'en'): string {
  void lang;
  if (!Number.isFinite(ms)) return '—';
  return formatLocal(ms, zoneOrUtc(timeZone));
}

/** `13:57` in the zone. */
export function formatClock(ms: number, timeZone = 'UTC'): string {
  return formatLocal(ms, zoneOrUtc(timeZone)).slice(11, 16);
}

const AGO: Record<Lang, { now: string; s: string; min: string; h: string; d: string }> = {
  en: { now: 'just now', s: '{n} s ago', min: '{n} min ago', h: '{n} h ago', d: '{n} d ago' },
  'zh-CN': { now: '刚刚', s: '{n} 秒前', min: '{n} 分钟前', h: '{n} 小时前', d: '{n} 天前' },
};

/** `5 min ago` / `5 分钟前`; a time in the future or under a second reads "just now". */
export function formatAgo(ms: number, now: number, lang: Lang = 'en'): string {
  const w = AGO[lang] ?? AGO.en;
  const s = Math.floor((now - ms) / 1000);
  if (!Number.isFinite(s) || s < 1) return w.now;
  const [unit, n] = s < 60 ? (['s', s] as const) : s < 3600 ? (['min', Math.floor(s / 60)] as const) : s < 86_400 ? (['h', Math.floor(s / 3600)] as const) : (['d', Math.floor(s / 86_400)] as const);
  return w[unit].replace('{n}', String(n));
}
