import type { AuditLog } from '../console/types';
import type { IngestStore } from '../ingest/store';
import { isValidId } from '../../protocol/topics';
import { isRecallReason, LOT_OR_SERIAL_RE, MAX_REASON_CHARS, RECALL_ID_RE, toGtin14 } from '../../protocol/recalls/recall-list';
import { announceRecallChange } from './changes';
import { getRecall } from './registry';

export interface AddRecallRequest {
  gtin: string;
  lot?: string;
  serial?: string;
  reason: string;
  /** Absent: `R-<time in ms>`. Given again with the same reason: adds this item to that recall. */
  id?: string;
  /** Absent: every store. */
  store?: string;
  actor: string;
  now: number;
  ip?: string;
}

export type AddRecallResult =
  | { ok: true; id: string; gtin14: string; created: boolean; added: boolean }
  | { ok: false; problem: 'bad_gtin' | 'bad_lot' | 'bad_serial' | 'lot_and_serial' | 'bad_reason' | 'bad_id' | 'bad_store' | 'reason_differs'; detail: string };

/**
 * Adds a recall item (a GTIN, or one lot / serial of it; every store or one) under a recall id, creating the recall
 * when the id is new; audited `recall.add`. Kiosks get it with the next publication (hq serve: debounced; `hq recall
 * publish`). An item already listed adds nothing (`added: false`).
 */
export async function addRecall(store: IngestStore, audit: AuditLog, req: AddRecallRequest): Promise<AddRecallResult> {
  const gtin14 = toGtin14(req.gtin);
  if (!gtin14) return { ok: false, problem: 'bad_gtin', detail: `${JSON.stringify(req.gtin.slice(0, 40))} is not a GTIN-8/12/13/14 with a valid check digit` };
  if (req.lot !== undefined && !LOT_OR_SERIAL_RE.test(req.lot)) return { ok: false, problem: 'bad_lot', detail: 'a lot (AI 10) is 1–20 characters of the GS1 set' };
  if (req.serial !== undefined && !LOT_OR_SERIAL_RE.test(req.serial)) return { ok: false, problem: 'bad_serial', detail: 'a serial (AI 21) is 1–20 characters of the GS1 set' };
  if (req.lot !== undefined && req.serial !== undefined) return { ok: false, problem: 'lot_and_serial', detail: 'a recall item names a lot or a serial, not both' };
  const reason = req.reason.trim();
  if (!isRecallReason(reason)) return { ok: false, problem: 'bad_reason', detail: `a reason is 1–${MAX_REASON_CHARS} characters of text, no control characters` };
  const id = req.id ?? `R-${req.now}`;
  if (!RECALL_ID_RE.test(id)) return { ok: false, problem: 'bad_id', detail: 'a recall id is 1–40 letters, digits, ".", "_" or "-"' };
  if (req.store !== undefined && !isValidId(req.store)) return { ok: false, problem: 'bad_store', detail: `${JSON.stringify(req.store.slice(0, 80))} is not a store id` };
  const r = await store.db.transaction(async (tx) => {
    const existing = await getRecall(tx, id);
    if (existing && existing.reason !== reason) return { differs: existing.reason };
    if (!existing) await tx.run('INSERT INTO recalls (id, reason, since, created_by) VALUES (?, ?, ?, ?)', [id, reason, req.now, req.actor]);
    const had = await tx.get<{ n: number }>('SELECT 1 AS n FROM recall_items WHERE recall_id = ? AND gtin14 = ? AND lot = ? AND serial = ? AND store_id = ?', [
      id,
      gtin14,
      req.lot ?? '',
      req.serial ?? '',
      req.store ?? '',
    ]);
    if (!had) {
      await tx.run('INSERT INTO recall_items (recall_id, gtin14, lot, serial, store_id, added_at) VALUES (?, ?, ?, ?, ?, ?)', [id, gtin14, req.lot ?? '', req.serial ?? '', req.store ?? '', req.now]);
    }
    return { created: !existing, added: !had };
  });
  if ('differs' in r) return { ok: false, problem: 'reason_differs', detail: `recall ${id} exists with the reason ${JSON.stringify(r.differs)}` };
  const detail = { gtin14, ...(req.lot ? { lot: req.lot } : {}), ...(req.serial ? { serial: req.serial } : {}), store: req.store ?? '*', reason, ...r };
  await audit.record({ actor: req.actor, action: 'recall.add', target: `recall:${id}`, detail, ...(req.ip ? { ip: req.ip } : {}) });
  announceRecallChange(store);
  return { ok: true, id, gtin14, ...r };
}

/** Removes a recall and all its items (the item is sellable again once the stores have the next list); audited `recall.remove`. */
export async function removeRecall(store: IngestStore, audit: AuditLog, req: { id: string; actor: string; ip?: string }): Promise<{ ok: true; items: number } | { ok: false; problem: 'unknown_recall' }> {
  const items = await store.db.transaction(async (tx) => {
    if (!(await getRecall(tx, req.id))) return null;
    const n = await tx.get<{ n: unknown }>('SELECT COUNT(*) AS n FROM recall_items WHERE recall_id = ?', [req.id]);
    await tx.run('DELETE FROM recall_items WHERE recall_id = ?', [req.id]);
    await tx.run('DELETE FROM recalls WHERE id = ?', [req.id]);
    return Number(n?.n ?? 0);
  });
  if (items === null) return { ok: false, problem: 'unknown_recall' };
  await audit.record({ actor: req.actor, action: 'recall.remove', target: `recall:${req.id}`, detail: { items }, ...(req.ip ? { ip: req.ip } : {}) });
  announceRecallChange(store);
  return { ok: true, items };
}
