import { addDays, businessDayBounds, businessDayOf, isCalendarDate } from '../../kernel/local-time';
import type { StoreScope } from '../console/types';
import { scopeWhere } from '../console/scope-sql';
import { inScope } from '../console/types';

/** What a statistics query covers: local days `from`..`to` (inclusive) in `timezone`, the user's stores, maybe one store. */
export interface StatsFilter {
  from: string;
  to: string;
  timezone: string;
  /** One store (must be in scope), or undefined for every store of the scope. */
  storeId?: string;
  scope: StoreScope;
}

/** Longest range a query may cover (a year and a day: a leap year's comparison with the year before). */
export const MAX_RANGE_DAYS = 367;
/** Default range: the last 7 local days, today included. */
export const DEFAULT_RANGE_DAYS = 7;

export type FilterResult = { ok: true; filter: StatsFilter } | { ok: false; status: 400 | 404; message: string };

const dayCount = (from: string, to: string): number => Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1;

/**
 * Reads `from`, `to` (YYYY-MM-DD) and `store` from a query string; defaults to the last 7 local days. A store outside
 * the user's scope is "not found" (404), as if it did not exist — the same answer a path with another store gets.
 */
export function parseStatsFilter(query: Record<string, string | undefined>, scope: StoreScope, timezone: string, now: number): FilterResult {
  const today = businessDayOf(now, timezone);
  const to = query.to?.trim() || today;
  const from = query.from?.trim() || addDays(to, -(DEFAULT_RANGE_DAYS - 1));
  if (!isCalendarDate(from) || !isCalendarDate(to)) return { ok: false, status: 400, message: 'from and to must be dates (YYYY-MM-DD)' };
  if (from > to) return { ok: false, status: 400, message: 'from must not be after to' };
  if (dayCount(from, to) > MAX_RANGE_DAYS) return { ok: false, status: 400, message: `at most ${MAX_RANGE_DAYS} days` };
  const store = query.store?.trim() || undefined;
  if (store !== undefined && (store.length > 64 || !inScope(scope, store))) return { ok: false, status: 404, message: 'no such store' };
  return { ok: true, filter: { from, to, timezone, storeId: store, scope } };
}

/** The instants [from, to) the filter's local days cover (23- and 25-hour days included as they are). */
export function filterBounds(f: Pick<StatsFilter, 'from' | 'to' | 'timezone'>): { from: number; to: number } {
  return { from: businessDayBounds(f.from, f.timezone).from, to: businessDayBounds(f.to, f.timezone).to };
}

/** Every local date of the filter, in order. */
export function filterDates(f: Pick<StatsFilter, 'from' | 'to'>): string[] {
  const out: string[] = [];
  for (let d = f.from; d <= f.to; d = addDays(d, 1)) out.push(d);
  return out;
}

/**
 * The SQL condition restricting `col` (a store id column) to the filter's stores, with its parameters: one store, the
 * scope's list, or nothing (every store). An empty scope matches no row.
 */
export function storeCondition(col: string, f: Pick<StatsFilter, 'storeId' | 'scope'>): { sql: string; params: string[] } {
  if (f.storeId !== undefined) return inScope(f.scope, f.storeId) ? { sql: `${col} = ?`, params: [f.storeId] } : { sql: '1 = 0', params: [] };
  return scopeWhere(f.scope, col);
}
