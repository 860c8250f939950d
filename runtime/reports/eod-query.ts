import type { KioskDb } from '../../kernel/sqlite/database';
import { businessDayBounds, businessDayOf as localBusinessDayOf, formatLocal } from '../../kernel/local-time';
import type { Order } from '../orders/order';
import { terminalTotalsIn } from '../payments/terminal-eod';
import { eodModel, type EodModel, type EodOptions, type EodPeriod } from './eod-report';

/** How the store cuts time into business days: its IANA zone and the local hour a day starts (config `timezone`, `reports.dayStartHour`). */
export interface BusinessDayRule {
  timeZone: string;
  dayStartHour: number;
}

/** The business day (`YYYY-MM-DD`) that holds the instant `ms` in the store's zone. */
export const businessDayOf = (ms: number, rule: BusinessDayRule): string => localBusinessDayOf(ms, rule.timeZone, rule.dayStartHour);

/** Business day `date`'s bounds: the instants (ISO UTC) and the store's local wall times, with the zone. */
export function businessDayPeriod(date: string, rule: BusinessDayRule): EodPeriod & { fromMs: number; toMs: number } {
  const b = businessDayBounds(date, rule.timeZone, rule.dayStartHour);
  return {
    timeZone: rule.timeZone,
    dayStartHour: rule.dayStartHour,
    from: new Date(b.from).toISOString(),
    to: new Date(b.to).toISOString(),
    localFrom: formatLocal(b.from, rule.timeZone).slice(0, 16),
    localTo: formatLocal(b.to, rule.timeZone).slice(0, 16),
    hours: (b.to - b.from) / 3_600_000,
    fromMs: b.from,
    toMs: b.to,
  };
}

/**
 * The end-of-day (Z) report of one business day from the kiosk's database: the orders created within the day's
 * bounds (local day-start hour to the next, in the store's zone — 23 or 25 hours across a DST change) and the
 * terminal's end-of-day totals journaled within them. The one query behind `kiosk report eod` and HQ's `eod` command.
 */
export async function endOfDayReport(
  db: KioskDb,
  date: string,
  opts: Omit<EodOptions, 'date' | 'terminalTotals' | 'period'> & BusinessDayRule,
): Promise<{ model: EodModel; orders: number }> {
  const { timeZone, dayStartHour, ...rest } = opts;
  const { fromMs, toMs, ...period } = businessDayPeriod(date, { timeZone, dayStartHour });
  const rows = await db.read.all<{ snapshot: string }>('SELECT snapshot FROM orders WHERE created_at >= ? AND created_at < ? ORDER BY created_at', [fromMs, toMs]);
  const terminal = await terminalTotalsIn(db, { from: fromMs, to: toMs });
  const model = eodModel(
    rows.map((r) => JSON.parse(r.snapshot) as Order),
    { ...rest, date, period, ...(terminal ? { terminalTotals: { amount: terminal.amount } } : {}) },
  );
  return { model, orders: rows.length };
}
