import type { Tx } from '../../kernel/sqlite/database';
import type { IngestDb } from '../ingest/pg-db';
import { countedOrderSql } from './counted';
import { RollupDeltas, type OrderContribution } from './rollup-delta';
import { ROLLUP_TABLES, rollupFillSql, rollupUpsertSql } from './rollup-tables';

type Dialect = IngestDb['dialect'];

/** `FROM <keys> k CROSS JOIN <table> t WHERE t is k's order` for a JSON array of `[store, device, order]` keys. */
function byKeys(dialect: Dialect, table: string, index?: string): string {
  return dialect === 'sqlite'
    ? `FROM json_each(?) k CROSS JOIN ${table} t${index ? ` INDEXED BY ${index}` : ''}
       WHERE t.store_id = k.value ->> 0 AND t.device_id = k.value ->> 1 AND t.order_id = k.value ->> 2`
    : `FROM json_array_elements(?::json) k JOIN ${table} t ON t.store_id = k ->> 0 AND t.device_id = k ->> 1 AND t.order_id = k ->> 2
       WHERE true`;
}

/**
 * What the stored projection rows of these orders (a JSON array of keys) add to the rollups now: the counted orders,
 * their approved non-training payments, the non-training lines (three reads through the primary keys / payments_order).
 */
export async function readContributions(tx: Pick<Tx, 'all'>, dialect: Dialect, keys: string): Promise<OrderContribution[]> {
  const orders = await tx.all<OrderContribution['order'] & { order_id: string }>(
    `SELECT t.store_id, t.device_id, t.order_id, t.status, t.training, t.completed_at, t.total, t.tax_total, t.items ${byKeys(dialect, 'orders')}
       AND ${countedOrderSql('t')}`,
    [keys],
  );
  const lines = await tx.all<OrderContribution['lines'][number] & { store_id: string; device_id: string; order_id: string }>(
    `SELECT t.store_id, t.device_id, t.order_id, t.sku, t.barcode, t.name_en, t.name_zh, t.quantity, t.tax_class, t.net, t.tax, t.completed_at, t.training
       ${byKeys(dialect, 'order_lines')} AND t.training = 0`,
    [keys],
  );
  const payments = orders.length
    ? await tx.all<OrderContribution['payments'][number] & { store_id: string; device_id: string; order_id: string }>(
        `SELECT t.store_id, t.device_id, t.order_id, t.channel, t.status, t.amount, t.training
           ${byKeys(dialect, 'payments', 'payments_order')} AND t.status = 'approved' AND t.training = 0`,
        [keys],
      )
    : [];
  const out = new Map<string, OrderContribution>();
  const of = (r: { store_id: string; device_id: string; order_id: string }) => JSON.stringify([r.store_id, r.device_id, r.order_id]);
  for (const o of orders) out.set(of(o), { order: o, lines: [], payments: [] });
  for (const p of payments) out.get(of(p))?.payments.push(p);
  // lines count by themselves (as the raw line queries do): an order that is not counted still brings its lines
  const none: OrderContribution['order'] = { store_id: '', device_id: '', status: '', training: 1, completed_at: null, total: 0, tax_total: 0, items: 0 };
  for (const l of lines) {
    const k = of(l);
    let c = out.get(k);
    if (!c) out.set(k, (c = { order: { ...none, store_id: l.store_id, device_id: l.device_id }, lines: [], payments: [] }));
    c.lines.push(l);
  }
  return [...out.values()];
}

/** Writes what is left of the deltas: one upsert per rollup that has rows. */
export async function writeRollupDeltas(tx: Pick<Tx, 'run'>, dialect: Dialect, deltas: RollupDeltas): Promise<void> {
  for (const t of ROLLUP_TABLES) {
    const rows = deltas.rows(t);
    if (rows.length > 0) await tx.run(rollupUpsertSql(dialect, t), [JSON.stringify(rows)]);
  }
}

/**
 * Runs `write` (which rewrites the projections of the orders in `keys`, a JSON array) and moves the rollups by the
 * difference it made: the orders' contributions read before and after, in the same transaction.
 */
export async function withRollups(tx: Tx, dialect: Dialect, keys: string, write: () => Promise<void>): Promise<void> {
  const deltas = new RollupDeltas();
  for (const c of await readContributions(tx, dialect, keys)) deltas.add(c, -1);
  await write();
  for (const c of await readContributions(tx, dialect, keys)) deltas.add(c, 1);
  await writeRollupDeltas(tx, dialect, deltas);
}

/** Empties the rollups and fills them again from the projections, set-based (in the caller's transaction). */
export async function refillRollups(tx: Pick<Tx, 'run'>): Promise<void> {
  for (const t of ROLLUP_TABLES) await tx.run(`DELETE FROM ${t}`);
  for (const sql of rollupFillSql()) await tx.run(sql);
}
