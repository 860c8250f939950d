import type { Clock } from '../clock';
import type { KioskDb } from '../db/database';

export type LedgerState = 'queued' | 'sending' | 'printed' | 'failed';

/**
 * Print-job states in SQLite, so "this receipt was printed" survives a crash and a retry never prints twice.
 * Each mark is its own committed transaction.
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
    await this.db.transaction((tx) =>
      tx.run(
        `INSERT INTO print_jobs (id, state, printer_id, error, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET state = excluded.state, printer_id = COALESCE(excluded.printer_id, printer_id),
           error = excluded.error, updated_at = excluded.updated_at`,
        [id, state, info.printerId ?? null, info.error ?? null, now, now],
      ),
    );
  }
}
