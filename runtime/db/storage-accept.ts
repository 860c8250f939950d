import type { Clock } from '../../kernel/clock';
import { KioskError } from '../../kernel/errors';
import { appendJournal } from '../journal/append';
import { GENESIS_HASH } from '../../protocol/journal/entry';
import { dataVerdict, probeDatabase } from './boot-check';
import { KioskDb } from '../../kernel/sqlite/database';
import { readMarker, writeMarker, type DataMarker } from './data-marker';
import { latestVersion, migrate, schemaNewer } from './migrations';

/** The journal entry that records an accepted loss: the numbers it skips were used and are never issued again. */
export const STORAGE_ACCEPTED = 'storage_accepted';

export interface AcceptResult {
  /** What was wrong before the accept. */
  verdict: string;
  /** The database's journal head before (what survived). */
  restored: { seq: number; hash: string };
  /** The journal entries that are gone from this database (they were used: HQ may hold them). */
  lost: { from: number; to: number } | null;
  /** The `storage_accepted` entry (its seq follows the marker's, its prev_hash is the marker's hash). */
  acceptedSeq: number | null;
  /** The receipt counter now (never below the marker's): the next receipt is this + 1. */
  receiptNo: number;
  created: boolean;
}

/**
 * The technician's way back after the database went backwards or vanished (`kiosk storage accept`): the database
 * as it is now (restored from a backup, or a new empty one when the file is gone) is accepted, and numbering goes on
 * AFTER everything the marker says was used, never reusing a journal seq or a receipt number:
 * - the receipt counter is raised to at least the marker's;
 * - when the journal ends below the marker, one `storage_accepted` entry is appended at the marker's seq + 1, its
 *   prev_hash the marker's hash (so HQ's copy of the chain links on) and its payload naming the restored head and
 *   the lost range (journal verify accepts exactly this gap, see protocol/journal/verify.ts);
 * - the marker then names this database.
 * A database whose history differs from the marker's at the marker's seq (another lane's, a fork) is refused: going
 * on would fork HQ's chain. Storage faults (not a database, corrupt) are refused too: fix or remove the file first.
 */
export async function acceptDatabase(
  dataDir: string,
  file: string,
  opts: { clock: Clock; deviceId: string; attendantId: string; reason: string },
): Promise<AcceptResult | { nothing: string }> {
  const marker = readMarker(dataDir);
  if (marker === null) return { nothing: 'no data marker: there is nothing to compare the database with' };
  const state = await probeDatabase(file, { hashOf: 'error' in marker ? undefined : marker.journalSeq });
  if (state.userVersion > latestVersion()) throw schemaNewer(state.userVersion, latestVersion());
  const m: DataMarker | null = 'error' in marker ? null : marker;
  const verdict = 'error' in marker ? `data marker unreadable (${marker.error})` : dataVerdict(marker, state, file);
  if (verdict === null) return { nothing: 'the database matches the data marker: nothing to accept' };
  if (m && state.journalSeq >= m.journalSeq && m.journalSeq > 0 && state.hashOf !== m.journalHash) {
    throw new KioskError('DATA_BEHIND', `refused: ${file} holds a different history at journal entry ${m.journalSeq} (another lane's or a fork); going on would fork HQ's chain: restore this lane's backup`);
  }
  const created = !state.exists || state.size === 0;
  const db = await KioskDb.open(file);
  try {
    await migrate(db);
    const r = await db.transaction(async (tx) => {
      await tx.run("INSERT OR IGNORE INTO meta (key, value) VALUES ('db_id', lower(hex(randomblob(16))))");
      const id = (await tx.get<{ value: string }>("SELECT value FROM meta WHERE key = 'db_id'"))!.value;
      const head = (await tx.get<{ seq: number; hash: string }>('SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1')) ?? { seq: 0, hash: GENESIS_HASH };
      const markerReceipt = m?.receiptNo ?? 0;
      await tx.run("UPDATE counters SET value = MAX(value, ?) WHERE name = 'receipt'", [markerReceipt]);
      const receiptNo = (await tx.get<{ value: number }>("SELECT value FROM counters WHERE name = 'receipt'"))!.value;
      let accepted: { seq: number; hash: string } | null = null;
      let lost: AcceptResult['lost'] = null;
      if (m && head.seq < m.journalSeq) {
        lost = { from: head.seq + 1, to: m.journalSeq };
        const e = await appendJournal(
          tx,
          {
            deviceId: opts.deviceId,
            ts: opts.clock.now(),
            orderId: null,
            type: STORAGE_ACCEPTED,
            payload: {
              restoredHead: head,
              lost,
              marker: { dbId: m.dbId, journalSeq: m.journalSeq, receiptNo: m.receiptNo, writtenAt: m.writtenAt },
              receiptNo,
              attendantId: opts.attendantId,
              reason: opts.reason,
              verdict,
            },
          },
          { seq: m.journalSeq, hash: m.journalHash || GENESIS_HASH },
        );
        accepted = { seq: e.seq, hash: e.hash };
      }
      const last = accepted ?? head;
      return { id, head, accepted, lost, receiptNo, last };
    });
    await writeMarker(dataDir, { v: 1, dbId: r.id, journalSeq: r.last.seq, journalHash: r.last.seq > 0 ? r.last.hash : '', receiptNo: r.receiptNo, writtenAt: opts.clock.now() });
    return { verdict, restored: r.head, lost: r.lost, acceptedSeq: r.accepted?.seq ?? null, receiptNo: r.receiptNo, created };
  } finally {
    await db.close();
  }
}
