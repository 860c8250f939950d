import type { IngestDb } from '../ingest/pg-db';
import { countedOrderSql } from './counted';

type Dialect = IngestDb['dialect'];

/**
 * The statistics rollups: sums of the order projections (hq/orders/schema.ts) by time bucket, so that a month of a
 * chain's sales is read from a few thousand rows instead of millions of orders, lines and payments. Buckets are UTC
 * quarter hours (`bucket = ts / QUARTER_MS`), UTC days (`ts / DAY_MS`) and weeks of 7 UTC days since the epoch
 * (`ts / WEEK_MS`); every zone's local days and hours since 1986 begin on a quarter hour (offsets are whole quarter
 * hours: +5:30, +5:45, +8:45, +12:45 …), so any local day or hour is a union of quarter buckets, and a range is read as
 * its whole weeks, then whole days, then quarters at the edges (hq/stats/rollup-sales.ts). A range whose bounds are not
 * on a quarter hour (older odd offsets) is answered from the projections directly (hq/stats/sales-stats.ts).
 *
 * `store_id` {@link CHAIN} holds the whole chain's sums (a chain-wide query reads those rows, not one per store).
 * Counted like the raw queries: completed orders (`completed`, `partially_refunded`, `refunded`, never training),
 * by their completion time; their approved non-training payments; non-training lines by the line's completed_at.
 * Rows are kept by adding deltas (hq/stats/rollup-delta.ts, inside the projector's transaction); a row whose count
 * went back to 0 is left in place and skipped by the queries (HAVING … > 0).
 */

export const QUARTER_MS = 900_000;
export const DAY_MS = 86_400_000;
export const WEEK_MS = 7 * DAY_MS;
export const QUARTERS_PER_DAY = DAY_MS / QUARTER_MS;
/** The grains of the rollups with a `width` column: lanes have no quarter grain (their partial days are read from `orders`). */
export const WIDTHS = [QUARTER_MS, DAY_MS, WEEK_MS] as const;
export const LANE_WIDTHS = [DAY_MS, WEEK_MS] as const;
/** The grains of stats_items: every grain for the CHAIN rows, days and weeks for a store's. */
export const itemWidths = (chain: boolean): readonly number[] => (chain ? WIDTHS : LANE_WIDTHS);
/** The `store_id` of the chain-wide rows (a kiosk's store id is never `*`: config/schema.ts allows [A-Za-z0-9._-]). */
export const CHAIN = '*';

type ColType = 'text' | 'bigint';

export interface RollupSpec {
  /** The key columns, in primary-key order. */
  keys: readonly (readonly [string, ColType])[];
  /** Summed columns; the first is the row's count (0 = an empty row, skipped by queries). */
  sums: readonly string[];
  /** Columns set to the newest non-null value written (item names). */
  latest: readonly string[];
}

export const ROLLUPS = {
  /** Sales by store (and CHAIN) and quarter hour: totals, local days, local hours of day. */
  stats_sales: { keys: [['store_id', 'text'], ['bucket', 'bigint']], sums: ['orders', 'gross', 'tax', 'items'], latest: [] },
  /** Sales by lane, by day and week (LANE_WIDTHS): lanes and stores over whole days (partial days come from `orders`). */
  stats_lanes: {
    keys: [['width', 'bigint'], ['bucket', 'bigint'], ['store_id', 'text'], ['device_id', 'text']],
    sums: ['orders', 'gross', 'tax', 'items'],
    latest: [],
  },
  /** Approved payments by channel; `width` = the bucket's grain, one of WIDTHS. */
  stats_methods: { keys: [['width', 'bigint'], ['store_id', 'text'], ['bucket', 'bigint'], ['method', 'text']], sums: ['payments', 'amount'], latest: [] },
  stats_tax: {
    keys: [['width', 'bigint'], ['store_id', 'text'], ['bucket', 'bigint'], ['tax_class', 'text']],
    sums: ['lines', 'quantity', 'sales', 'tax'],
    latest: [],
  },
  /**
   * `item` = sku, else barcode, else ''. Quarter rows for CHAIN only (a store's quarter hours of items would be more
   * rows than its lines): a store's partial days are read from `order_lines` ({@link itemWidths}).
   */
  stats_items: {
    keys: [['width', 'bigint'], ['store_id', 'text'], ['bucket', 'bigint'], ['item', 'text']],
    sums: ['lines', 'quantity', 'amount'],
    latest: ['name_en', 'name_zh'],
  },
} as const satisfies Record<string, RollupSpec>;

export type RollupTable = keyof typeof ROLLUPS;
export const ROLLUP_TABLES = Object.keys(ROLLUPS) as RollupTable[];

/** The columns of a rollup row as it travels (keys, sums, latest). */
export const rollupColumns = (t: RollupTable): string[] => {
  const s: RollupSpec = ROLLUPS[t];
  return [...s.keys.map(([c]) => c), ...s.sums, ...s.latest];
};

function ddl(dialect: Dialect, t: RollupTable): string {
  const s: RollupSpec = ROLLUPS[t];
  const int = dialect === 'sqlite' ? 'INTEGER' : 'BIGINT';
  const cols = [
    ...s.keys.map(([c, ty]) => `${c} ${ty === 'text' ? 'TEXT' : int} NOT NULL`),
    ...s.sums.map((c) => `${c} ${int} NOT NULL`),
    ...s.latest.map((c) => `${c} TEXT`),
  ];
  return `CREATE TABLE ${dialect === 'postgres' ? 'IF NOT EXISTS ' : ''}${t} (\n  ${cols.join(',\n  ')},\n  PRIMARY KEY (${s.keys.map(([c]) => c).join(', ')})\n)${dialect === 'sqlite' ? ' WITHOUT ROWID' : ''};`;
}

/** CREATE TABLE for every rollup. */
export const rollupSchema = (dialect: Dialect): string => ROLLUP_TABLES.map((t) => ddl(dialect, t)).join('\n');

const COMPLETED = countedOrderSql('o');
const sum = (c: string) => `CAST(SUM(${c}) AS BIGINT)`;

/**
 * Set-based fill of every rollup from the projections (the rollups must be empty): the schema upgrade of an existing
 * store runs it once, so do `hq orders rebuild` and the bench's seeding. Both dialects (integer division truncates).
 */
export function rollupFillSql(): string[] {
  const out: string[] = [];
  for (const [store, group, chain] of [
    ['o.store_id', 'o.store_id, ', false],
    [`'${CHAIN}'`, '', true],
  ] as const) {
    out.push(`INSERT INTO stats_sales (store_id, bucket, orders, gross, tax, items)
      SELECT ${store}, o.completed_at / ${QUARTER_MS}, COUNT(*), ${sum('o.total')}, ${sum('o.tax_total')}, ${sum('o.items')}
        FROM orders o WHERE ${COMPLETED} GROUP BY ${group}o.completed_at / ${QUARTER_MS}`);
    for (const width of WIDTHS) {
      out.push(`INSERT INTO stats_methods (width, store_id, bucket, method, payments, amount)
        SELECT ${width}, ${store}, o.completed_at / ${width}, p.channel, COUNT(*), ${sum('p.amount')}
          FROM orders o JOIN payments p ON p.store_id = o.store_id AND p.device_id = o.device_id AND p.order_id = o.order_id
         WHERE ${COMPLETED} AND p.status = 'approved' AND p.training = 0
         GROUP BY ${group}o.completed_at / ${width}, p.channel`);
      out.push(`INSERT INTO stats_tax (width, store_id, bucket, tax_class, lines, quantity, sales, tax)
        SELECT ${width}, ${store.replace('o.', 'l.')}, l.completed_at / ${width}, COALESCE(l.tax_class, ''), COUNT(*), ${sum('l.quantity')}, ${sum('l.net')}, ${sum('l.tax')}
          FROM order_lines l WHERE l.training = 0
         GROUP BY ${group.replace('o.', 'l.')}l.completed_at / ${width}, COALESCE(l.tax_class, '')`);
      if (!itemWidths(chain).includes(width)) continue;
      out.push(`INSERT INTO stats_items (width, store_id, bucket, item, lines, quantity, amount, name_en, name_zh)
        SELECT ${width}, ${store.replace('o.', 'l.')}, l.completed_at / ${width}, COALESCE(l.sku, l.barcode, ''), COUNT(*), ${sum('l.quantity')}, ${sum('l.net')},
               MAX(l.name_en), MAX(l.name_zh)
          FROM order_lines l WHERE l.training = 0
         GROUP BY ${group.replace('o.', 'l.')}l.completed_at / ${width}, COALESCE(l.sku, l.barcode, '')`);
    }
  }
  for (const width of LANE_WIDTHS) {
    out.push(`INSERT INTO stats_lanes (width, bucket, store_id, device_id, orders, gross, tax, items)
      SELECT ${width}, o.completed_at / ${width}, o.store_id, o.device_id, COUNT(*), ${sum('o.total')}, ${sum('o.tax_total')}, ${sum('o.items')}
        FROM orders o WHERE ${COMPLETED} GROUP BY o.completed_at / ${width}, o.store_id, o.device_id`);
  }
  return out;
}

/**
 * One statement adding a batch of deltas to `table`: the rows travel as ONE JSON array of arrays (columns as
 * {@link rollupColumns}); sums are added, `latest` columns keep the old value when the new one is null.
 */
export function rollupUpsertSql(dialect: Dialect, table: RollupTable): string {
  const s: RollupSpec = ROLLUPS[table];
  const cols = rollupColumns(table);
  const types: ColType[] = [...s.keys.map(([, t]) => t), ...s.sums.map((): ColType => 'bigint'), ...s.latest.map((): ColType => 'text')];
  const sets = [...s.sums.map((c) => `${c} = ${table}.${c} + excluded.${c}`), ...s.latest.map((c) => `${c} = COALESCE(excluded.${c}, ${table}.${c})`)].join(', ');
  const conflict = `ON CONFLICT (${s.keys.map(([c]) => c).join(', ')}) DO UPDATE SET ${sets}`;
  if (dialect === 'sqlite') {
    return `INSERT INTO ${table} (${cols.join(', ')}) SELECT ${cols.map((_c, i) => `r.value ->> ${i}`).join(', ')} FROM json_each(?) r WHERE true ${conflict}`;
  }
  const values = types.map((t, i) => (t === 'text' ? `r ->> ${i}` : `(r ->> ${i})::bigint`)).join(', ');
  return `INSERT INTO ${table} (${cols.join(', ')}) SELECT ${values} FROM json_array_elements(?::json) r ${conflict}`;
}
