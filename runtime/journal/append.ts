import type { Tx } from '../../kernel/sqlite/database';
import { canonicalJson } from '../../kernel/canonical-json';
import { entryHash, GENESIS_HASH, type JournalEntry } from '../../protocol/journal/entry';
import { entryToRowValues, INSERT_JOURNAL_ROW } from '../../protocol/journal/row';

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

/** The `meta` key naming the store this kiosk's journal entries are written in (their hash covers it). */
export const JOURNAL_STORE_KEY = 'journal.store_id';

/**
 * The store id per writer connection, read once from `meta` (appends are the hot path: no extra read per entry).
 * Only {@link setJournalStore} changes the meta row, and it updates this too.
 */
const storeOf = new WeakMap<Tx, string | null>();

/** Records the store the journal's new entries are written in (at boot, from the kiosk's identity/config). */
export async function setJournalStore(tx: Tx, storeId: string): Promise<void> {
  await tx.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [JOURNAL_STORE_KEY, storeId]);
  storeOf.set(tx, storeId);
}

async function journalStore(tx: Tx): Promise<string | null> {
  const known = storeOf.get(tx);
  if (known !== undefined) return known;
  const row = await tx.get<{ value: string }>('SELECT value FROM meta WHERE key = ?', [JOURNAL_STORE_KEY]);
  const storeId = row?.value ?? null;
  storeOf.set(tx, storeId);
  return storeId;
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
  // the hash covers the store once the kiosk has recorded it (setJournalStore at boot); before that, the old formula
  const storeId = await journalStore(tx);
  const entry: Omit<JournalEntry, 'hash'> = {
    seq: (head?.seq ?? 0) + 1,
    hashStoreId: storeId,
    deviceId: e.deviceId,
    ts: e.ts,
    orderId: e.orderId,
    type: e.type,
    payload: canonicalJson(e.payload),
    prevHash: head?.hash ?? GENESIS_HASH,
  };
  const full: JournalEntry = { ...entry, hash: entryHash(entry) };
  try {
    await tx.run(INSERT_JOURNAL_ROW, entryToRowValues(full));
  } catch (err) {
    if (knownHead !== undefined && /UNIQUE|PRIMARY KEY/.test(String(err))) throw new StaleHeadError();
    throw err;
  }
  await tx.run('INSERT INTO outbox (seq, created_at) VALUES (?, ?)', [full.seq, full.ts]);
  return full;
}
