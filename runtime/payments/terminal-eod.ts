import type { PaymentTerminal } from '../../drivers/contract';
import type { Clock } from '../../kernel/clock';
import type { KioskDb } from '../../kernel/sqlite/database';
import { KioskError } from '../../kernel/errors';
import { appendJournal } from '../journal/append';
import type { Minor } from '../../kernel/money';

export interface TerminalEodResult {
  /** What the terminal settled since its previous end-of-day (payments − refunds), as it reports it. */
  amount: Minor;
  traceNumber: number | null;
  /** Card payments this end-of-day settled (their attempts are now `captured`). */
  captured: number;
  seq: number;
}

/**
 * Runs the terminal's end-of-day (06 50): the acquirer settles every approved card payment since the last one.
 * In the same transaction the kiosk marks its approved card attempts `captured` (they can no longer be reversed,
 * only refunded) and journals the terminal's totals, which the Z report compares with the local ones. When the
 * terminal reported totals per card scheme (ZVT BMP 60), the payload carries them as `totals: [{ scheme, count,
 * amount }]` in the terminal's order — what HQ reconciles per scheme; without them `totals` is left out.
 */
export async function runTerminalEndOfDay(db: KioskDb, terminal: PaymentTerminal, opts: { clock: Clock; deviceId: string }): Promise<TerminalEodResult> {
  const r = await terminal.endOfDay();
  if (!r.approved) throw new KioskError('PAYMENT_DECLINED', `terminal end-of-day failed: ${r.text ?? `result code ${r.resultCode}`}`, { resultCode: r.resultCode });
  return db.transaction(async (tx) => {
    const { changes } = await tx.run(`UPDATE payment_attempts SET state = 'captured', updated_at = ? WHERE method = 'card' AND state = 'approved'`, [opts.clock.now()]);
    const payload: Record<string, unknown> = { amount: r.amount ?? 0, traceNumber: r.traceNumber ?? null, captured: changes, terminalId: r.terminalId ?? null };
    if (r.totals) payload.totals = r.totals.map((t) => ({ scheme: t.scheme, count: t.count, amount: t.amount }));
    const entry = await appendJournal(tx, { deviceId: opts.deviceId, ts: opts.clock.now(), orderId: null, type: 'terminal_end_of_day', payload });
    return { amount: r.amount ?? 0, traceNumber: r.traceNumber ?? null, captured: changes, seq: entry.seq };
  });
}

/**
 * The terminal's end-of-day totals journaled within one business day's bounds (epoch ms, `from` inclusive, `to`
 * exclusive: kernel/local-time.ts `businessDayBounds`), summed — what the Z report compares with.
 */
export async function terminalTotalsIn(db: KioskDb, day: { from: number; to: number }): Promise<{ amount: Minor; runs: number } | null> {
  const rows = await db.read.all<{ payload: string }>(`SELECT payload FROM journal WHERE type = 'terminal_end_of_day' AND ts >= ? AND ts < ? ORDER BY seq`, [
    day.from,
    day.to,
  ]);
  if (rows.length === 0) return null;
  return { amount: rows.reduce((s, r) => s + (JSON.parse(r.payload) as { amount: number }).amount, 0), runs: rows.length };
}
