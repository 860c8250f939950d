import type { KioskDb } from '../../kernel/sqlite/database';
import type { Order } from '../orders/order';
import { terminalTotalsOn } from '../payments/terminal-eod';
import { eodModel, type EodModel, type EodOptions } from './eod-report';

const DAY_MS = 86_400_000;

/** The business day (UTC, `YYYY-MM-DD`) that holds the instant `ms`. */
export const businessDayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/**
 * The end-of-day (Z) report of one business day (UTC) from the kiosk's database: the orders created that day and
 * the terminal's end-of-day totals journaled that day. The one query behind `kiosk report eod` and HQ's `eod` command.
 */
export async function endOfDayReport(
  db: KioskDb,
  date: string,
  opts: Omit<EodOptions, 'date' | 'terminalTotals'>,
): Promise<{ model: EodModel; orders: number }> {
  const from = Date.parse(`${date}T00:00:00Z`);
  const rows = await db.read.all<{ snapshot: string }>('SELECT snapshot FROM orders WHERE created_at >= ? AND created_at < ? ORDER BY created_at', [from, from + DAY_MS]);
  const terminal = await terminalTotalsOn(db, date);
  const model = eodModel(
    rows.map((r) => JSON.parse(r.snapshot) as Order),
    { ...opts, date, ...(terminal ? { terminalTotals: { amount: terminal.amount } } : {}) },
  );
  return { model, orders: rows.length };
}
