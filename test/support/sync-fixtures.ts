import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KioskDb } from '../../kernel/sqlite/database';
import { migrate } from '../../runtime/db/migrations';
import { appendJournal } from '../../runtime/journal/append';
import { ChainCheck } from '../../protocol/journal/chain';
import { entryHash, GENESIS_HASH, type JournalEntry } from '../../protocol/journal/entry';
import type { EventMessage } from '../../protocol/sync/messages';
import { IngestStore } from '../../hq/ingest/store';

export const tmpDir = (prefix = 'sync-'): string => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

/** A migrated kiosk database in `dir`. */
export async function kioskDb(dir: string, name = 'kiosk.sqlite'): Promise<KioskDb> {
  const db = await KioskDb.open(path.join(dir, name));
  await migrate(db);
  return db;
}

/** Appends `n` plain `order_completed` entries, one transaction each (as the engine would). */
export async function appendEntries(db: KioskDb, deviceId: string, n: number, ts = 1_767_258_000_000): Promise<JournalEntry[]> {
  const out: JournalEntry[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      await db.transaction((tx) =>
        appendJournal(tx, { deviceId, ts: ts + i, orderId: `o-${ts + i}`, type: 'order_completed', payload: { total: 100 + i, lines: [{ sku: 'S1', qty: 1 }] } }),
      ),
    );
  }
  return out;
}

/** Appends `n` entries in one transaction (fast setup of a big backlog). */
export async function appendBulk(db: KioskDb, deviceId: string, n: number, ts = 1_767_258_000_000): Promise<void> {
  await db.transaction(async (tx) => {
    for (let i = 0; i < n; i++) {
      await appendJournal(tx, { deviceId, ts: ts + i, orderId: `o-${i}`, type: 'order_completed', payload: { total: 100 + i } });
    }
  });
}

export function toEvent(storeId: string, e: JournalEntry): EventMessage {
  return { v: 1, storeId, ...e };
}

/** Builds a valid chain of events without a database. */
export function chain(storeId: string, deviceId: string, n: number): EventMessage[] {
  const out: EventMessage[] = [];
  let prevHash = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const base = { seq, deviceId, ts: 1_767_258_000_000 + seq, orderId: `o${seq}`, type: 'order_completed', payload: `{"total":${seq}}`, prevHash };
    const hash = entryHash(base);
    out.push({ v: 1, storeId, ...base, hash });
    prevHash = hash;
  }
  return out;
}

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface IngestedChain {
  count: number;
  maxSeq: number;
  /** null when every seq 1..maxSeq is there once, links to its predecessor and hashes correctly. */
  problem: string | null;
}

/** The entry's hash by either formula: covering the store (entries since it was hashed) or not (those before). */
export function hashesOf(storeId: string, e: Omit<JournalEntry, 'hash' | 'hashStoreId'>): string[] {
  return [entryHash({ ...e, hashStoreId: storeId }), entryHash(e)];
}

/**
 * Re-verifies one device's whole chain from the ingest database with the journal's one chain check
 * (protocol/journal/chain.ts). HQ's rows do not record which hash formula an entry used, so both are tried.
 */
export async function verifyIngested(store: IngestStore, storeId: string, deviceId: string): Promise<IngestedChain> {
  const rows = await store.db.read.all<{ seq: number; ts: number; order_id: string | null; type: string; payload: string; prev_hash: string; hash: string }>(
    'SELECT * FROM sales_events WHERE store_id = ? AND device_id = ? ORDER BY seq',
    [storeId, deviceId],
  );
  const check = new ChainCheck((e) => hashesOf(storeId, e).includes(e.hash));
  let problem: string | null = null;
  for (const r of rows) {
    const fault = check.next({ seq: r.seq, deviceId, ts: r.ts, orderId: r.order_id, type: r.type, payload: r.payload, prevHash: r.prev_hash, hash: r.hash });
    if (fault) {
      problem = fault.reason;
      break;
    }
  }
  return { count: rows.length, maxSeq: rows.length ? rows[rows.length - 1].seq : 0, problem };
}
