import type { Tx } from '../db/database';
import { canonicalJson, entryHash, GENESIS_HASH, type JournalEntry } from './entry';

/**
 * Appends one entry inside the caller's transaction, and queues it in the outbox for HQ. The head is read inside
 * the same transaction (BEGIN IMMEDIATE holds the write lock), so even two processes on one file cannot fork the chain.
 */
export async function appendJournal(
  tx: Tx,
  e: { deviceId: string; ts: number; orderId: string | null; type: string; payload: unknown },
): Promise<JournalEntry> {
  const head = await tx.get<{ seq: number; hash: string }>('SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1');
  const entry: Omit<JournalEntry, 'hash'> = {
    seq: (head?.seq ?? 0) + 1,
    deviceId: e.deviceId,
    ts: e.ts,
    orderId: e.orderId,
    type: e.type,
    payload: canonicalJson(e.payload),
    prevHash: head?.hash ?? GENESIS_HASH,
  };
  const full: JournalEntry = { ...entry, hash: entryHash(entry) };
  await tx.run(
    'INSERT INTO journal (seq, device_id, ts, order_id, type, payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    [full.seq, full.deviceId, full.ts, full.orderId, full.type, full.payload, full.prevHash, full.hash],
  );
  await tx.run('INSERT INTO outbox (seq, created_at) VALUES (?, ?)', [full.seq, full.ts]);
  return full;
}
