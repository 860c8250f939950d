import type { IngestStore } from '../ingest/store';
import { projectOrders, type OrderKey } from './projector';
import { ROLLUP_TABLES } from '../stats/rollup-tables';
import { PROJECTION_TABLES } from './projector-sql';

export interface RebuildResult {
  devices: number;
  orders: number;
}

/** Orders re-projected per write transaction (ingest may run between them: it re-projects what it touches itself). */
const PER_TX = 2000;

/**
 * Rebuilds orders / order_lines / payments / refunds and the statistics rollups from sales_events: empties them, then re-projects every order
 * device by device, in transactions of {@link PER_TX} orders. Safe while ingest runs: an order ingest touches in
 * between is projected from all of its stored entries either way.
 */
export async function rebuildProjections(store: IngestStore, onProgress?: (r: RebuildResult) => void): Promise<RebuildResult> {
  const db = store.db;
  await db.transaction(async (tx) => {
    // HQ's own channel refunds (negative seq, hq/refunds/refund-rows.ts) are not projected from the journal: they stay
    for (const t of [...PROJECTION_TABLES, ...ROLLUP_TABLES]) await tx.run(t === 'refunds' ? 'DELETE FROM refunds WHERE seq >= 0' : `DELETE FROM ${t}`);
  });
  const devices = await db.read.all<{ store_id: string; device_id: string }>('SELECT store_id, device_id FROM devices ORDER BY store_id, device_id');
  const result: RebuildResult = { devices: 0, orders: 0 };
  for (const d of devices) {
    const ids = await db.read.all<{ order_id: string }>(
      'SELECT DISTINCT order_id FROM sales_events WHERE store_id = ? AND device_id = ? AND order_id IS NOT NULL',
      [d.store_id, d.device_id],
    );
    const keys: OrderKey[] = ids.map((r) => [d.store_id, d.device_id, r.order_id]);
    for (let i = 0; i < keys.length; i += PER_TX) {
      await db.transaction((tx) => projectOrders(tx, db.dialect, keys.slice(i, i + PER_TX)));
    }
    result.devices++;
    result.orders += keys.length;
    onProgress?.(result);
  }
  return result;
}
