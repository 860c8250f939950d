import type { KioskDb } from '../../kernel/sqlite/database';
import { matchRecall, type RecallVerdict } from './match';
import { recallCandidates } from './recall-store';

/** What the lane asks of the recall list for one scanned unit. */
export interface RecallLookup {
  check(unit: { gtin14: string; lot?: string | null; serial?: string | null }): Promise<RecallVerdict>;
}

/** The recall list in force in the kiosk's database (one indexed read per trade-item scan). */
export function recallLookup(db: Pick<KioskDb, 'read'>): RecallLookup {
  return {
    async check(unit) {
      return matchRecall(await recallCandidates(db.read, unit.gtin14), unit);
    },
  };
}
