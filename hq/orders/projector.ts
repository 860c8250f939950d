import type { Tx } from '../../kernel/sqlite/database';
import type { IngestDb } from '../ingest/pg-db';
import { withRollups } from '../stats/rollup-writer';
import { foldOrder, type OrderProjection, type StoredEntry } from './fold';
import { COLUMNS, deleteOrdersSql, entriesOfSql, PROJECTION_TABLES, upsertSql, type ProjectionTable } from './projector-sql';

type Dialect = IngestDb['dialect'];

/** `[store, device, order]` */
export type OrderKey = readonly [string, string, string];

/** Orders re-projected per round trip (bounds the entries read into memory at once). */
const CHUNK = 500;

const keyOf = (k: OrderKey) => JSON.stringify(k);

/**
 * Projects the orders that `events` (the entries acceptBatch NEWLY stored in this batch, inside its transaction,
 * after the inserts) belong to. Each touched order is recomputed from ALL of its stored entries (one read for the
 * batch, through the sales_events_order index) and written with one statement per table: the projection is a
 * function of the stored set, so entries arriving out of order (seq 5 before 4), or again, give what in-order
 * delivery gives. Entries without an order (price-book imports, end of day …) project nothing.
 */
export async function projectEvents(
  tx: Tx,
  dialect: Dialect,
  events: readonly { storeId: string; deviceId: string; orderId: string | null }[],
): Promise<void> {
  const keys = new Map<string, OrderKey>();
  for (const e of events) {
    if (typeof e.orderId !== 'string' || e.orderId === '') continue;
    const k: OrderKey = [e.storeId, e.deviceId, e.orderId];
    keys.set(keyOf(k), k);
  }
  await projectOrders(tx, dialect, [...keys.values()]);
}

/**
 * Recomputes the projection of these orders from sales_events, and the statistics rollups by the difference. `replace`: their rows are deleted first (entries
 * left the journal — moved to quarantine — or a rebuild), so an order with no entry left disappears.
 */
export async function projectOrders(tx: Tx, dialect: Dialect, keys: readonly OrderKey[], opts: { replace?: boolean } = {}): Promise<void> {
  for (let i = 0; i < keys.length; i += CHUNK) {
    const chunk = keys.slice(i, i + CHUNK);
    const param = JSON.stringify(chunk);
    const rows = await tx.all<{ store_id: string; device_id: string; order_id: string; seq: number; ts: number; type: string; payload: string }>(
      entriesOfSql(dialect),
      [param],
    );
    const byOrder = new Map<string, StoredEntry[]>();
    for (const r of rows) {
      const k = keyOf([r.store_id, r.device_id, r.order_id]);
      const list = byOrder.get(k);
      const e = { seq: Number(r.seq), ts: Number(r.ts), type: r.type, payload: r.payload };
      if (list) list.push(e);
      else byOrder.set(k, [e]);
    }
    const projections: OrderProjection[] = [];
    for (const k of chunk) {
      const p = foldOrder(k[0], k[1], k[2], byOrder.get(keyOf(k)) ?? []);
      if (p) projections.push(p);
    }
    // the statistics rollups move by what this write changes (hq/stats/rollup-tables.ts)
    await withRollups(tx, dialect, param, async () => {
      if (opts.replace) for (const t of PROJECTION_TABLES) await tx.run(deleteOrdersSql(dialect, t), [param]);
      await writeProjections(tx, dialect, projections);
    });
  }
}

/** Where a projection's rows go: one JSON array per table (only the tables that have rows). */
export function projectionRows(projections: readonly OrderProjection[]): Record<ProjectionTable, unknown[][]> {
  const out: Record<ProjectionTable, unknown[][]> = { orders: [], order_lines: [], payments: [], refunds: [] };
  const row = (t: ProjectionTable, values: Record<string, unknown>) => out[t].push(COLUMNS[t].cols.map(([c]) => values[c] ?? null));
  for (const p of projections) {
    const o = p.order;
    const ids = { store_id: o.store_id, device_id: o.device_id, order_id: o.order_id };
    row('orders', { ...o });
    for (const l of p.lines) row('order_lines', { ...ids, ...l });
    for (const x of p.payments) row('payments', { ...ids, ...x });
    for (const r of p.refunds) row('refunds', { ...ids, ...r });
  }
  return out;
}

async function writeProjections(tx: Tx, dialect: Dialect, projections: readonly OrderProjection[]): Promise<void> {
  if (projections.length === 0) return;
  const rows = projectionRows(projections);
  for (const t of PROJECTION_TABLES) {
    if (rows[t].length > 0) await tx.run(upsertSql(dialect, t), [JSON.stringify(rows[t])]);
  }
}

/**
 * The orders whose entries acceptBatch just moved from the journal to quarantine (a conflicting chain found above a
 * gap): their projection is recomputed from what is left.
 */
export async function reprojectEvicted(tx: Tx, dialect: Dialect, storeId: string, deviceId: string, seqs: readonly number[]): Promise<void> {
  if (seqs.length === 0) return;
  const rows = await tx.all<{ order_id: string | null }>(
    dialect === 'sqlite'
      ? 'SELECT DISTINCT order_id FROM quarantine WHERE store_id = ? AND device_id = ? AND seq IN (SELECT value FROM json_each(?))'
      : 'SELECT DISTINCT order_id FROM quarantine WHERE store_id = ? AND device_id = ? AND seq IN (SELECT x::bigint FROM json_array_elements_text(?::json) x)',
    [storeId, deviceId, JSON.stringify(seqs)],
  );
  const keys = rows.flatMap((r): OrderKey[] => (r.order_id ? [[storeId, deviceId, r.order_id]] : []));
  await projectOrders(tx, dialect, keys, { replace: true });
}
