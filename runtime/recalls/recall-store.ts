import type { Tx } from '../../kernel/sqlite/database';
import type { RecallList } from '../../protocol/recalls/recall-list';
import type { RecallCandidate } from './match';

/** Rows per `INSERT … SELECT … FROM json_each(?)` (one binding per chunk: the per-call cost dominates, FIELD-NOTES). */
const CHUNK = 5000;

/** The recall list HQ published for this store, in SQLite (tables of migration v12). */

export interface RecallListInForce {
  version: number;
  digest: string;
  recalls: number;
  entries: number;
  appliedAt: number;
}

/** The list in force (its envelope version and the sha256 of the message it came in), or null before the first. */
export async function recallListInForce(q: Pick<Tx, 'get'>): Promise<RecallListInForce | null> {
  const r = await q.get<{ version: number; digest: string; recalls: number; entries: number; applied_at: number }>(
    'SELECT version, digest, recalls, entries, applied_at FROM recall_list WHERE id = 1',
  );
  return r ? { version: r.version, digest: r.digest, recalls: r.recalls, entries: r.entries, appliedAt: r.applied_at } : null;
}

/** Replaces the list in force with `list` (inside the caller's transaction: all of it or nothing). */
export async function replaceRecallList(tx: Tx, version: number, list: RecallList, now: number, digest: string): Promise<void> {
  await tx.run('DELETE FROM recall_entries');
  await tx.run('DELETE FROM recalls');
  for (let i = 0; i < list.recalls.length; i += CHUNK) {
    await tx.run(
      `INSERT INTO recalls (id, reason, since)
       SELECT json_extract(value, '$.id'), json_extract(value, '$.reason'), json_extract(value, '$.since') FROM json_each(?)`,
      [JSON.stringify(list.recalls.slice(i, i + CHUNK))],
    );
  }
  for (let i = 0; i < list.entries.length; i += CHUNK) {
    await tx.run(
      `INSERT INTO recall_entries (gtin14, lot, serial, recall_id)
       SELECT json_extract(value, '$[0]'), coalesce(json_extract(value, '$[1]'), ''), coalesce(json_extract(value, '$[2]'), ''), json_extract(value, '$[3]')
       FROM json_each(?)`,
      [JSON.stringify(list.entries.slice(i, i + CHUNK))],
    );
  }
  await tx.run(
    `INSERT INTO recall_list (id, version, digest, recalls, entries, applied_at) VALUES (1, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET version = excluded.version, digest = excluded.digest, recalls = excluded.recalls,
       entries = excluded.entries, applied_at = excluded.applied_at`,
    [version, digest, list.recalls.length, list.entries.length, now],
  );
}

/** Every entry of the list in force for one GTIN-14 (an indexed read: the lane asks this for every trade-item scan). */
export async function recallCandidates(q: Pick<Tx, 'all'>, gtin14: string): Promise<RecallCandidate[]> {
  const rows = await q.all<{ lot: string; serial: string; recall_id: string; reason: string; since: number }>(
    `SELECT e.lot, e.serial, e.recall_id, r.reason, r.since FROM recall_entries e JOIN recalls r ON r.id = e.recall_id
     WHERE e.gtin14 = ? ORDER BY e.recall_id, e.lot, e.serial`,
    [gtin14],
  );
  return rows.map((r) => ({ recallId: r.recall_id, reason: r.reason, since: Number(r.since), lot: r.lot === '' ? null : r.lot, serial: r.serial === '' ? null : r.serial }));
}
