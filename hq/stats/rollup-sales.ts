import { HOUR_MS, offsetSegments } from './local-time-sql';
import { COMPLETED, SALES_COLS } from './raw-sales';
import { CHAIN, DAY_MS, itemWidths, QUARTER_MS, QUARTERS_PER_DAY, WEEK_MS } from './rollup-tables';
import { n, TOP_ITEMS, TOP_ORDER, type ItemRow, type SalesRows, type StatsDb } from './sales-rows';
import { filterBounds, storeCondition, type StatsFilter } from './stats-filter';

/**
 * The sales breakdowns from the rollups (hq/stats/rollup-tables.ts), for a range whose bounds are quarter hours.
 * The range is cut into its whole weeks, the whole UTC days around them and the quarter hours at the edges
 * ({@link cutRange}; a range without a whole UTC day is all quarters). Local days and hours come from the quarter rows
 * of stats_sales, shifted by the zone's offset in JavaScript. Lanes: whole days and weeks from stats_lanes, the
 * partial days from `orders` (at most a day's worth of orders). A chain-wide query reads the CHAIN rows; a store or a store manager's
 * stores read theirs. Refunds are read by hq/stats/sales-stats.ts from the refunds projection.
 */

/** A piece of a range at one grain: buckets [from, to) of width `width`. */
export interface Piece {
  width: number;
  from: number;
  to: number;
}

/**
 * The range [from, to) (quarter-hour aligned) as the fewest buckets: its whole weeks, the whole UTC days around them,
 * the quarter hours at the edges. Non-empty pieces, in time order; they tile the range exactly.
 */
export function cutRange(from: number, to: number): Piece[] {
  const q = (f: number, t: number): Piece => ({ width: QUARTER_MS, from: f, to: t });
  const d = (f: number, t: number): Piece => ({ width: DAY_MS, from: f, to: t });
  const q0 = from / QUARTER_MS;
  const q1 = to / QUARTER_MS;
  const d0 = Math.ceil(from / DAY_MS);
  const d1 = Math.floor(to / DAY_MS);
  let pieces: Piece[];
  if (d0 >= d1) pieces = [q(q0, q1)];
  else {
    const w0 = Math.ceil(d0 / 7);
    const w1 = Math.floor(d1 / 7);
    const days = w0 >= w1 ? [d(d0, d1)] : [d(d0, w0 * 7), { width: WEEK_MS, from: w0, to: w1 }, d(w1 * 7, d1)];
    pieces = [q(q0, d0 * QUARTERS_PER_DAY), ...days, q(d1 * QUARTERS_PER_DAY, q1)];
  }
  return pieces.filter((p) => p.from < p.to);
}

/** Is the filter the whole chain (read the CHAIN rows)? */
const chainWide = (f: StatsFilter): boolean => f.storeId === undefined && f.scope.all;

/** The rollup rows of the filter's stores: the chain's own rows when it is the whole chain. */
function rollupStores(f: StatsFilter): { sql: string; params: string[] } {
  return chainWide(f) ? { sql: 'store_id = ?', params: [CHAIN] } : storeCondition('store_id', f);
}

export async function rollupSalesRows(store: StatsDb, f: StatsFilter): Promise<SalesRows> {
  const db = store.read;
  const b = filterBounds(f);
  const cut = cutRange(b.from, b.to);
  const st = rollupStores(f);

  /** `cols` of `table` over the cut: one index range per piece, UNION ALL. */
  const pieces = (table: string, cols: string) => ({
    sql: cut.map(() => `SELECT ${cols} FROM ${table} WHERE width = ? AND ${st.sql} AND bucket >= ? AND bucket < ?`).join(' UNION ALL '),
    params: cut.flatMap((p) => [p.width, ...st.params, p.from, p.to]),
  });

  // local days and hours: the quarter rows, each shifted by the zone's offset at its start
  const quarterRows = await db.all<{ bucket: unknown; orders: unknown; gross: unknown; tax: unknown }>(
    `SELECT bucket, CAST(SUM(orders) AS BIGINT) AS orders, CAST(SUM(gross) AS BIGINT) AS gross, CAST(SUM(tax) AS BIGINT) AS tax
       FROM stats_sales WHERE ${st.sql} AND bucket >= ? AND bucket < ? GROUP BY bucket HAVING SUM(orders) > 0 ORDER BY bucket`,
    [...st.params, b.from / QUARTER_MS, b.to / QUARTER_MS],
  );
  const segs = offsetSegments(b.from, b.to, f.timezone);
  const dayHours: SalesRows['dayHours'] = [];
  let seg = 0;
  for (const r of quarterRows) {
    const at = n(r.bucket) * QUARTER_MS;
    while (seg + 1 < segs.length && segs[seg + 1].from <= at) seg++;
    const wall = at + segs[seg].offset;
    dayHours.push({ d: Math.floor(wall / DAY_MS), h: Math.floor(wall / HOUR_MS) % 24, orders: r.orders, gross: r.gross, tax: r.tax });
  }

  // lanes, summed over the pieces
  const ls = storeCondition('store_id', f);
  const lanes = new Map<string, SalesRows['lanes'][number]>();
  const addLane = (r: SalesRows['lanes'][number]) => {
    const k = JSON.stringify([r.store_id, r.device_id]);
    const x = lanes.get(k);
    if (!x) lanes.set(k, { ...r, orders: n(r.orders), gross: n(r.gross), tax: n(r.tax), items: n(r.items) });
    else lanes.set(k, { ...x, orders: n(x.orders) + n(r.orders), gross: n(x.gross) + n(r.gross), tax: n(x.tax) + n(r.tax), items: n(x.items) + n(r.items) });
  };
  const os = storeCondition('o.store_id', f);
  for (const p of cut) {
    // whole days and weeks from stats_lanes, the quarter hours around them from the orders themselves
    const rows =
      p.width === QUARTER_MS
        ? await db.all<SalesRows['lanes'][number]>(
            `SELECT o.store_id AS store_id, o.device_id AS device_id, ${SALES_COLS}, CAST(SUM(o.items) AS BIGINT) AS items
               FROM orders o WHERE ${COMPLETED} AND o.completed_at >= ? AND o.completed_at < ? AND ${os.sql} GROUP BY o.store_id, o.device_id`,
            [p.from * QUARTER_MS, p.to * QUARTER_MS, ...os.params],
          )
        : await db.all<SalesRows['lanes'][number]>(
            `SELECT store_id, device_id, CAST(SUM(orders) AS BIGINT) AS orders, CAST(SUM(gross) AS BIGINT) AS gross, CAST(SUM(tax) AS BIGINT) AS tax,
                    CAST(SUM(items) AS BIGINT) AS items
               FROM stats_lanes WHERE width = ? AND bucket >= ? AND bucket < ? AND ${ls.sql} GROUP BY store_id, device_id HAVING SUM(orders) > 0`,
            [p.width, p.from, p.to, ...ls.params],
          );
    rows.forEach(addLane);
  }
  const laneRows = [...lanes.values()].sort((x, y) =>
    x.store_id < y.store_id ? -1 : x.store_id > y.store_id ? 1 : x.device_id < y.device_id ? -1 : x.device_id > y.device_id ? 1 : 0,
  );

  const m = pieces('stats_methods', 'method, payments, amount');
  const methods = await db.all<SalesRows['methods'][number]>(
    `SELECT method, CAST(SUM(payments) AS BIGINT) AS payments, CAST(SUM(amount) AS BIGINT) AS amount FROM (${m.sql}) s
      GROUP BY method HAVING SUM(payments) > 0`,
    m.params,
  );
  const t = pieces('stats_tax', 'tax_class, lines, quantity, sales, tax');
  const taxClasses = await db.all<SalesRows['taxClasses'][number]>(
    `SELECT tax_class, CAST(SUM(lines) AS BIGINT) AS lines, CAST(SUM(quantity) AS BIGINT) AS quantity, CAST(SUM(sales) AS BIGINT) AS sales,
            CAST(SUM(tax) AS BIGINT) AS tax
       FROM (${t.sql}) s GROUP BY tax_class HAVING SUM(lines) > 0 ORDER BY tax_class`,
    t.params,
  );
  // items: a store's quarter hours are not rolled up (itemWidths): those pieces read its lines
  const rolled = itemWidths(chainWide(f));
  const ls2 = storeCondition('l.store_id', f);
  const it = {
    sql: cut
      .map((p) =>
        !rolled.includes(p.width)
          ? `SELECT COALESCE(l.sku, l.barcode, '') AS item, l.name_en AS name_en, l.name_zh AS name_zh, 1 AS lines, l.quantity AS quantity, l.net AS amount
               FROM order_lines l WHERE l.training = 0 AND l.completed_at >= ? AND l.completed_at < ? AND ${ls2.sql}`
          : `SELECT item, name_en, name_zh, lines, quantity, amount FROM stats_items WHERE width = ? AND ${st.sql} AND bucket >= ? AND bucket < ?`,
      )
      .join(' UNION ALL '),
    params: cut.flatMap((p) =>
      !rolled.includes(p.width) ? [p.from * QUARTER_MS, p.to * QUARTER_MS, ...ls2.params] : [p.width, ...st.params, p.from, p.to],
    ),
  };
  const top = (order: string) =>
    db.all<ItemRow>(
      `SELECT item, MAX(name_en) AS name_en, MAX(name_zh) AS name_zh, CAST(SUM(quantity) AS BIGINT) AS quantity, CAST(SUM(amount) AS BIGINT) AS amount
         FROM (${it.sql}) s GROUP BY item HAVING SUM(lines) > 0 ORDER BY ${order}, item LIMIT ${TOP_ITEMS}`,
      it.params,
    );
  return { lanes: laneRows, dayHours, methods, taxClasses, topByQuantity: await top(TOP_ORDER.quantity), topByAmount: await top(TOP_ORDER.amount) };
}
