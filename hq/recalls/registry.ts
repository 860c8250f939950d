import type { Tx } from '../../kernel/sqlite/database';
import type { RecallEntry, RecallInfo, RecallList } from '../../protocol/recalls/recall-list';

type Db = Pick<Tx, 'get' | 'all'>;

/**
 * HQ's recalls (tables of ingest schema v18): a recall (id, reason, since) and the items it stops — a GTIN-14, one
 * lot or one serial of it, for every store or one. '' stands for "none" in lot / serial / store_id.
 */

export interface RecallItemRow {
  gtin14: string;
  lot: string | null;
  serial: string | null;
  /** null: every store. */
  store: string | null;
}

export interface RecallRecord extends RecallInfo {
  createdBy: string;
  items: RecallItemRow[];
}

export async function getRecall(db: Db, id: string): Promise<{ id: string; reason: string; since: number } | null> {
  const r = await db.get<{ id: string; reason: string; since: unknown }>('SELECT id, reason, since FROM recalls WHERE id = ?', [id]);
  return r ? { id: r.id, reason: r.reason, since: Number(r.since) } : null;
}

/** Every recall with its items, by id. */
export async function listRecalls(db: Db): Promise<RecallRecord[]> {
  const recalls = await db.all<{ id: string; reason: string; since: unknown; created_by: string }>('SELECT id, reason, since, created_by FROM recalls ORDER BY id');
  const items = await db.all<{ recall_id: string; gtin14: string; lot: string; serial: string; store_id: string }>(
    'SELECT recall_id, gtin14, lot, serial, store_id FROM recall_items ORDER BY recall_id, gtin14, lot, serial, store_id',
  );
  const by = new Map<string, RecallItemRow[]>();
  for (const i of items) {
    const list = by.get(i.recall_id) ?? [];
    list.push({ gtin14: i.gtin14, lot: i.lot || null, serial: i.serial || null, store: i.store_id || null });
    by.set(i.recall_id, list);
  }
  return recalls.map((r) => ({ id: r.id, reason: r.reason, since: Number(r.since), createdBy: r.created_by, items: by.get(r.id) ?? [] }));
}

/** The list a store's kiosks get: the chain-wide items and the store's own, each entry once, sorted. */
export async function recallListFor(db: Db, store: string): Promise<RecallList> {
  const rows = await db.all<{ recall_id: string; gtin14: string; lot: string; serial: string; reason: string; since: unknown }>(
    `SELECT DISTINCT i.recall_id, i.gtin14, i.lot, i.serial, r.reason, r.since FROM recall_items i JOIN recalls r ON r.id = i.recall_id
     WHERE i.store_id = '' OR i.store_id = ? ORDER BY i.recall_id, i.gtin14, i.lot, i.serial`,
    [store],
  );
  const recalls: RecallInfo[] = [];
  const entries: RecallEntry[] = [];
  for (const r of rows) {
    if (recalls.at(-1)?.id !== r.recall_id) recalls.push({ id: r.recall_id, reason: r.reason, since: Number(r.since) });
    entries.push([r.gtin14, r.lot || null, r.serial || null, r.recall_id]);
  }
  return { v: 1, recalls, entries };
}

/** Stores a list goes to: those with a kiosk HQ knows or has ingested from, named by a recall, or published to before. */
export async function recallStores(db: Db): Promise<string[]> {
  const rows = await db.all<{ s: string }>(
    `SELECT store_id AS s FROM fleet UNION SELECT store_id AS s FROM devices UNION SELECT store_id AS s FROM recall_lists
     UNION SELECT store_id AS s FROM recall_items WHERE store_id <> '' ORDER BY s`,
  );
  return rows.map((r) => r.s);
}
