import type { PrintJobState } from '../../../drivers/contract/printer';
import type { PrintJobLedger } from '../../../drivers/printer/job-ledger';

/**
 * TEST HELPER ONLY: a `PrintJobLedger` in a Map — not durable, so it cannot keep the at-most-once promise across
 * a restart. The runtime's ledger is the SQLite one. `history` records every mark for assertions.
 */
export class MapPrintJobLedger implements PrintJobLedger {
  readonly states = new Map<string, PrintJobState>();
  readonly history: [string, PrintJobState][] = [];

  async get(id: string): Promise<PrintJobState | null> {
    return this.states.get(id) ?? null;
  }

  async mark(id: string, state: PrintJobState): Promise<void> {
    this.states.set(id, state);
    this.history.push([id, state]);
  }
}
