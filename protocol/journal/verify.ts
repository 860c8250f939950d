import type { Tx } from '../../kernel/sqlite/database';
import { ChainCheck } from './chain';
import { rowToEntry, type JournalRow } from './row';

export type VerifyResult =
  | { ok: true; entries: number; headHash: string }
  | { ok: false; entries: number; brokenAt: number; reason: string };

/** A `storage_accepted` entry naming exactly this chain's head as what survived (runtime/db/storage-accept.ts). */
function acceptedGap(r: JournalRow, headSeq: number, headHash: string): boolean {
  if (r.type !== 'storage_accepted' || r.seq <= headSeq + 1) return false;
  try {
    const p = JSON.parse(r.payload) as { restoredHead?: { seq?: unknown; hash?: unknown }; lost?: { from?: unknown; to?: unknown } };
    return p.restoredHead?.seq === headSeq && p.restoredHead.hash === headHash && p.lost?.from === headSeq + 1 && p.lost.to === r.seq - 1;
  } catch {
    return false;
  }
}

/**
 * Recomputes the whole chain in pages (the rules: ./chain.ts). Detects an edited row (hash mismatch), a deleted
 * row (gap in seq, or a broken prev_hash link), and a deleted tail (an order or outbox row that points past the
 * journal's end).
 */
export async function verifyJournal(read: Tx, pageSize = 5000): Promise<VerifyResult> {
  const chain = new ChainCheck();
  for (;;) {
    const rows = await read.all<JournalRow>('SELECT * FROM journal WHERE seq >= ? ORDER BY seq LIMIT ?', [chain.nextSeq, pageSize]);
    for (const r of rows) {
      if (r.seq !== chain.nextSeq && acceptedGap(r, chain.nextSeq - 1, chain.headHash)) {
        // `kiosk storage accept` after a database went backwards: the skipped seqs were used (HQ may hold them) and
        // are never issued again; the entry links to the lost head's hash, so it is taken as the link here
        chain.resumeAt(r.seq, r.prev_hash);
      }
      const fault = chain.next(rowToEntry(r));
      if (fault) return { ok: false, entries: chain.entries, brokenAt: fault.seq, reason: fault.reason };
    }
    if (rows.length < pageSize) break;
  }
  const next = chain.nextSeq;
  const dangling = await read.get<{ seq: number }>(
    `SELECT MIN(seq) AS seq FROM (
       SELECT last_seq AS seq FROM orders WHERE last_seq >= ?1
       UNION ALL SELECT seq FROM outbox WHERE seq >= ?1)`,
    [next],
  );
  if (dangling?.seq != null) {
    return { ok: false, entries: chain.entries, brokenAt: next, reason: `entry ${next} is missing (referenced beyond the journal's end)` };
  }
  return { ok: true, entries: chain.entries, headHash: chain.headHash };
}
