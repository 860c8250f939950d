import type { Tx } from '../../kernel/sqlite/database';
import { entryHash, GENESIS_HASH } from './entry';

export type VerifyResult =
  | { ok: true; entries: number; headHash: string }
  | { ok: false; entries: number; brokenAt: number; reason: string };

interface Row {
  seq: number;
  /** null: written before the hash covered the store (see JournalEntry.hashStoreId). */
  store_id: string | null;
  device_id: string;
  ts: number;
  order_id: string | null;
  type: string;
  payload: string;
  prev_hash: string;
  hash: string;
}

/** A `storage_accepted` entry naming exactly this chain's head as what survived (runtime/db/storage-accept.ts). */
function acceptedGap(r: Row, headSeq: number, headHash: string): boolean {
  if (r.type !== 'storage_accepted' || r.seq <= headSeq + 1) return false;
  try {
    const p = JSON.parse(r.payload) as { restoredHead?: { seq?: unknown; hash?: unknown }; lost?: { from?: unknown; to?: unknown } };
    return p.restoredHead?.seq === headSeq && p.restoredHead.hash === headHash && p.lost?.from === headSeq + 1 && p.lost.to === r.seq - 1;
  } catch {
    return false;
  }
}

/**
 * Recomputes the whole chain in pages. Detects an edited row (hash mismatch), a deleted row (gap in seq, or
 * a broken prev_hash link), and a deleted tail (an order or outbox row that points past the journal's end).
 */
export async function verifyJournal(read: Tx, pageSize = 5000): Promise<VerifyResult> {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let entries = 0;
  for (;;) {
    const rows = await read.all<Row>('SELECT * FROM journal WHERE seq >= ? ORDER BY seq LIMIT ?', [expectedSeq, pageSize]);
    for (const r of rows) {
      if (r.seq !== expectedSeq && acceptedGap(r, expectedSeq - 1, prevHash)) {
        // `kiosk storage accept` after a database went backwards: the skipped seqs were used (HQ may hold them) and
        // are never issued again; the entry links to the lost head's hash, so it is taken as the link here
        expectedSeq = r.seq;
        prevHash = r.prev_hash;
      }
      if (r.seq !== expectedSeq) {
        return { ok: false, entries, brokenAt: expectedSeq, reason: `entry ${expectedSeq} is missing (next entry is ${r.seq})` };
      }
      if (r.prev_hash !== prevHash) {
        return { ok: false, entries, brokenAt: r.seq, reason: `entry ${r.seq} does not link to entry ${r.seq - 1} (prev_hash differs)` };
      }
      const h = entryHash({
        seq: r.seq,
        hashStoreId: r.store_id,
        deviceId: r.device_id,
        ts: r.ts,
        orderId: r.order_id,
        type: r.type,
        payload: r.payload,
        prevHash: r.prev_hash,
      });
      if (h !== r.hash) return { ok: false, entries, brokenAt: r.seq, reason: `entry ${r.seq} was altered (hash differs)` };
      prevHash = r.hash;
      expectedSeq++;
      entries++;
    }
    if (rows.length < pageSize) break;
  }
  const dangling = await read.get<{ seq: number }>(
    `SELECT MIN(seq) AS seq FROM (
       SELECT last_seq AS seq FROM orders WHERE last_seq >= ?1
       UNION ALL SELECT seq FROM outbox WHERE seq >= ?1)`,
    [expectedSeq],
  );
  if (dangling?.seq != null) {
    return { ok: false, entries, brokenAt: expectedSeq, reason: `entry ${expectedSeq} is missing (referenced beyond the journal's end)` };
  }
  return { ok: true, entries, headHash: prevHash };
}
