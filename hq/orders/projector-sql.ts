import type { IngestDb } from '../ingest/pg-db';

type Dialect = IngestDb['dialect'];
type ColType = 'text' | 'bigint' | 'int' | 'real';

/** The projection tables' columns (hq/orders/schema.ts), in the order the rows travel as JSON arrays. */
export const COLUMNS = {
  orders: {
    pk: ['store_id', 'device_id', 'order_id'],
    cols: [
      ['store_id', 'text'],
      ['device_id', 'text'],
      ['order_id', 'text'],
      ['receipt_no', 'bigint'],
      ['status', 'text'],
      ['training', 'int'],
      ['opened_at', 'bigint'],
      ['completed_at', 'bigint'],
      ['updated_at', 'bigint'],
      ['total', 'bigint'],
      ['tax_total', 'bigint'],
      ['discount_total', 'bigint'],
      ['refunded', 'bigint'],
      ['items', 'bigint'],
      ['methods', 'text'],
      ['member_id', 'text'],
      ['first_seq', 'bigint'],
      ['last_seq', 'bigint'],
    ],
  },
  order_lines: {
    pk: ['store_id', 'device_id', 'order_id', 'line_id'],
    cols: [
      ['store_id', 'text'],
      ['device_id', 'text'],
      ['order_id', 'text'],
      ['line_id', 'text'],
      ['sku', 'text'],
      ['barcode', 'text'],
      ['name_en', 'text'],
      ['name_zh', 'text'],
      ['quantity', 'bigint'],
      ['weight_grams', 'bigint'],
      ['tax_class', 'text'],
      ['tax_rate', 'real'],
      ['gross', 'bigint'],
      ['discount', 'bigint'],
      ['net', 'bigint'],
      ['tax', 'bigint'],
      ['completed_at', 'bigint'],
      ['training', 'int'],
    ],
  },
  payments: {
    pk: ['store_id', 'device_id', 'attempt_id'],
    cols: [
      ['store_id', 'text'],
      ['device_id', 'text'],
      ['attempt_id', 'text'],
      ['order_id', 'text'],
      ['channel', 'text'],
      ['status', 'text'],
      ['amount', 'bigint'],
      ['started_at', 'bigint'],
      ['resolved_at', 'bigint'],
      ['reason', 'text'],
      ['reference', 'text'],
      ['training', 'int'],
    ],
  },
  refunds: {
    pk: ['store_id', 'device_id', 'seq'],
    cols: [
      ['store_id', 'text'],
      ['device_id', 'text'],
      ['seq', 'bigint'],
      ['order_id', 'text'],
      ['amount', 'bigint'],
      ['channel', 'text'],
      ['ts', 'bigint'],
      ['attendant_id', 'text'],
      ['training', 'int'],
      ['allocations', 'text'],
    ],
  },
} as const satisfies Record<string, { pk: readonly string[]; cols: readonly (readonly [string, ColType])[] }>;

export type ProjectionTable = keyof typeof COLUMNS;
export const PROJECTION_TABLES = Object.keys(COLUMNS) as ProjectionTable[];

const PG_TYPE: Record<ColType, string> = { text: 'text', bigint: 'bigint', int: 'integer', real: 'double precision' };

/**
 * One statement that writes every row of a batch into `table`: the rows travel as ONE JSON array parameter (as
 * hq/ingest/ingest-sql.ts does) and the database unpacks them; an existing row is replaced (the projection of an
 * order is recomputed from all of its stored entries, so the newest write is the whole truth).
 */
export function upsertSql(dialect: Dialect, table: ProjectionTable): string {
  const { pk, cols } = COLUMNS[table];
  const names = cols.map(([c]) => c).join(', ');
  const sets = cols.filter(([c]) => !(pk as readonly string[]).includes(c)).map(([c]) => `${c} = excluded.${c}`).join(', ');
  if (dialect === 'sqlite') {
    const values = cols.map((_c, i) => `r.value ->> ${i}`).join(', ');
    return `INSERT INTO ${table} (${names}) SELECT ${values} FROM json_each(?) r WHERE true ON CONFLICT (${pk.join(', ')}) DO UPDATE SET ${sets}`;
  }
  const values = cols.map(([, t], i) => (t === 'text' ? `r ->> ${i}` : `(r ->> ${i})::${PG_TYPE[t]}`)).join(', ');
  return `INSERT INTO ${table} (${names}) SELECT ${values} FROM json_array_elements(?::json) r ON CONFLICT (${pk.join(', ')}) DO UPDATE SET ${sets}`;
}

/** Every stored entry of the orders named in a JSON array of `[store, device, order]` keys (index sales_events_order). */
export function entriesOfSql(dialect: Dialect): string {
  return dialect === 'sqlite'
    ? `SELECT s.store_id, s.device_id, s.order_id, s.seq, s.ts, s.type, s.payload
       FROM json_each(?) k CROSS JOIN sales_events s INDEXED BY sales_events_order
       WHERE s.store_id = k.value ->> 0 AND s.device_id = k.value ->> 1 AND s.order_id = k.value ->> 2`
    : `SELECT s.store_id, s.device_id, s.order_id, s.seq, s.ts, s.type, s.payload
       FROM json_array_elements(?::json) k JOIN sales_events s
         ON s.store_id = k ->> 0 AND s.device_id = k ->> 1 AND s.order_id = k ->> 2`;
}

/** Deletes the projection rows of the orders named in a JSON array of `[store, device, order]` keys. */
export function deleteOrdersSql(dialect: Dialect, table: ProjectionTable): string {
  return dialect === 'sqlite'
    ? `DELETE FROM ${table} WHERE (store_id, device_id, order_id) IN (SELECT k.value ->> 0, k.value ->> 1, k.value ->> 2 FROM json_each(?) k)`
    : `DELETE FROM ${table} t USING json_array_elements(?::json) k WHERE t.store_id = k ->> 0 AND t.device_id = k ->> 1 AND t.order_id = k ->> 2`;
}
