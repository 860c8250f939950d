import { createHash } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);

/** One journal row as stored. `payload` is canonical JSON text (kernel/canonical-json.ts, version 1). */
export interface JournalEntry {
  seq: number;
  /**
   * The store the entry was written in, covered by its hash. null (or absent) marks an entry written before the hash
   * covered the store (journal column `store_id`, migration 9): it keeps its original hash and verifies by the
   * formula without the store — a fiscal chain is never rehashed.
   */
  hashStoreId?: string | null;
  deviceId: string;
  ts: number;
  orderId: string | null;
  type: string;
  payload: string;
  prevHash: string;
  hash: string;
}

/**
 * SHA-256 (hex) over the canonical row: every column but the hash itself, in a fixed order —
 * `[seq, storeId, deviceId, ts, orderId, type, payload, prevHash]` for an entry with a store, and for an entry
 * written before the store was hashed (hashStoreId null/absent) its original `[seq, deviceId, ts, orderId, type,
 * payload, prevHash]`. The two arrays differ in length, so no row of one form reads as the other.
 */
export function entryHash(e: Omit<JournalEntry, 'hash'>): string {
  const row =
    typeof e.hashStoreId === 'string'
      ? [e.seq, e.hashStoreId, e.deviceId, e.ts, e.orderId, e.type, e.payload, e.prevHash]
      : [e.seq, e.deviceId, e.ts, e.orderId, e.type, e.payload, e.prevHash];
  return createHash('sha256').update(JSON.stringify(row)).digest('hex');
}
