import type { JournalEntry } from './entry';

/**
 * The kiosk journal's SQLite row (table `journal`, runtime/db/migrations.ts) and its mapping to a
 * {@link JournalEntry} — the one copy: the kiosk's `journal verify`, the outbox publisher and the benches read
 * rows through it, appendJournal writes them through it.
 */
export interface JournalRow {
  seq: number;
  /** null: written before the hash covered the store (see JournalEntry.hashStoreId). */
  store_id: string | null;
  device_id: string;
  ts: number;
  order_id: string | null;
  type: string;
  /** Canonical JSON text (kernel/canonical-json.ts, version 1). */
  payload: string;
  prev_hash: string;
  hash: string;
}

/** The columns of {@link JournalRow} in insert order. */
export const JOURNAL_COLUMNS = ['seq', 'store_id', 'device_id', 'ts', 'order_id', 'type', 'payload', 'prev_hash', 'hash'] as const;

export const rowToEntry = (r: JournalRow): JournalEntry => ({
  seq: r.seq,
  hashStoreId: r.store_id,
  deviceId: r.device_id,
  ts: r.ts,
  orderId: r.order_id,
  type: r.type,
  payload: r.payload,
  prevHash: r.prev_hash,
  hash: r.hash,
});

/** The values of {@link JOURNAL_COLUMNS} for `e`, in that order. */
export const entryToRowValues = (e: JournalEntry): (string | number | null)[] => [
  e.seq,
  e.hashStoreId ?? null,
  e.deviceId,
  e.ts,
  e.orderId,
  e.type,
  e.payload,
  e.prevHash,
  e.hash,
];

/** `INSERT INTO journal (…) VALUES (?, …)` for {@link entryToRowValues}. */
export const INSERT_JOURNAL_ROW = `INSERT INTO journal (${JOURNAL_COLUMNS.join(', ')}) VALUES (${JOURNAL_COLUMNS.map(() => '?').join(', ')})`;
