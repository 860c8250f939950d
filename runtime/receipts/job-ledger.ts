import type { PrintJobState } from '../../drivers/contract';
import type { Clock } from '../../kernel/clock';
import type { KioskDb } from '../../kernel/sqlite/database';

export type LedgerState = PrintJobState;

/** A job that has not printed (yet): refused before sending (`failed`), or sent and not confirmed (`in_doubt`). */
export interface UnprintedJob {
  id: string;
  state: Exclude<LedgerState, 'printed'>;
  /** How many times its bytes were sent (0: never reached the printer). */
  sends: number;
  error: string | null;
  createdAt: number;
  updatedAt: number;
}

/**
 * Print-job states in SQLite (table `print_jobs`), so "this receipt was printed" — or "this receipt may not have
 * printed" — survives a crash: a retry never prints a confirmed job twice, and an unprinted one is never forgotten.
 * Each mark is its own committed transaction; `sending` counts a send.
 */
export class SqlitePrintJobLedger {
  constructor(
    private readonly db: KioskDb,
    private readonly clock: Clock,
  ) {}

  async get(id: string): Promise<LedgerState | null> {
    const row = await this.db.read.get<{ state: LedgerState }>('SELECT state FROM print_jobs WHERE id = ?', [id]);
    return row?.state ?? null;
  }

  async mark(id: string, state: LedgerState, info: { printerId?: string; error?: string } = {}): Promise<void> {
    const now = this.clock.now();
    const sent = state === 'sending' ? 1 : 0;
    await this.db.transaction((tx) =>
      tx.run(
        `INSERT INTO print_jobs (id, state, printer_id, error, sends, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET state = excluded.state, printer_id = COALESCE(excluded.printer_id, printer_id),
           error = excluded.error, sends = sends + excluded.sends, updated_at = excluded.updated_at`,
        [id, state, info.printerId ?? null, info.error ?? null, sent, now, now],
      ),
    );
  }

  /** Jobs not printed whose id starts with `prefix` (e.g. `receipt:`), oldest first. */
  async unprinted(prefix: string, limit = 100): Promise<UnprintedJob[]> {
    const rows = await this.db.read.all<{ id: string; state: UnprintedJob['state']; sends: number; error: string | null; created_at: number; updated_at: number }>(
      `SELECT id, state, sends, error, created_at, updated_at FROM print_jobs
       WHERE state <> 'printed' AND substr(id, 1, length(?)) = ? ORDER BY created_at, id LIMIT ?`,
      [prefix, prefix, limit],
    );
    return rows.map((r) => ({ id: r.id, state: r.state, sends: r.sends, error: r.error, createdAt: r.created_at, updatedAt: r.updated_at }));
  }

  /** The states of several jobs at once (ids never seen are absent). */
  async states(ids: readonly string[]): Promise<Map<string, LedgerState>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.read.all<{ id: string; state: LedgerState }>(
      `SELECT id, state FROM print_jobs WHERE id IN (SELECT value FROM json_each(?))`,
      [JSON.stringify(ids)],
    );
    return new Map(rows.map((r) => [r.id, r.state]));
  }
}
