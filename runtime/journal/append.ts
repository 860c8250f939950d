import type { Tx } from '../db/database';
import { canonicalJson, entryHash, GENESIS_HASH, type JournalEntry } from './entry';

export interface JournalHead {
  seq: number;
  hash: string;
}

/** The head the caller believed in was not the journal's head (another writer appended): retry with a fresh read. */
export class StaleHeadError extends Error {
  constructor() {
    super('journal head moved');
    this.name = 'StaleHeadError';
  }
}

/**
 * Appends one entry inside the caller's transaction, and queues it in the outbox for HQ. Without `knownHead` the
 * head is read inside the same transaction (BEGIN IMMEDIATE holds the write lock). With it (`null` = empty journal)
 * the read is skipped: if anyone appended since, seq `knownHead.seq + 1` is taken and the insert fails with
 * StaleHeadError — so even two processes on one file can never fork the chain.
 */
export async function appendJournal(
  tx: Tx,
  e: { deviceId: string; ts: number; orderId: string | null; type: string; payload: unknown },
  knownHead?: JournalHead | null,
): Promise<JournalEntry> {
  const head =
    knownHead !== undefined ? knownHead : await tx.get<JournalHead>('SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1');
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
  try {
    await tx.run(
      'INSERT INTO journal (seq, device_id, ts, order_id, type, payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [full.seq, full.deviceId, full.ts, full.orderId, full.type, full.payload, full.prevHash, full.hash],
    );
  } catch (err) {
    if (knownHead !== undefined && /UNIQUE|PRIMARY KEY/.test(String(err))) throw new StaleHeadError();
    throw err;
  }
  await tx.run('INSERT INTO outbox (seq, created_at) VALUES (?, ?)', [full.seq, full.ts]);
  return full;
}
