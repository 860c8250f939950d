import { HOUR_MS, offsetSegments } from './local-time-sql';
import { COMPLETED, SALES_COLS } from './raw-sales';
import { CHAIN, DAY_MS, QUARTER_MS, QUARTERS_PER_DAY } from './rollup-tables';
import { n, TOP_ITEMS, TOP_ORDER, type ItemRow, type SalesRows, type StatsDb } from './sales-rows';
import { filterBounds, storeCondition, type StatsFilter } from './stats-filter';

/**
 * The sales breakdowns from the rollups (hq/stats/rollup-tables.ts), for a range whose bounds are quarter hours.
 * The range is cut into its whole UTC days (read at day grain) and the quarter hours before and after them (quarter
 * grain; a range without a whole UTC day is all quarters). Local days and hours come from the quarter rows of
 * stats_sales, shifted by the zone's offset in JavaScript. Lanes: whole days from stats_lanes, the partial days from
 * `orders` (at most a day's worth of orders). A chain-wide query reads the CHAIN rows; a store or a store manager's
 * stores read theirs. Refunds are read by hq/stats/sales-stats.ts from the refunds projection.
 */

interface Cut {
  /** Whole UTC days [from, to) (empty when from = to). */
  days: [number, number];
  /** Quarter-hour buckets before and after them. */
  quarters: [[number, number], [number, number]];
}

export function cutRange(from: number, to: number): Cut {
  const q0 = from / QUARTER_MS;
  const q1 = to / QUARTER_MS;
  const d0 = Math.ceil(from / DAY_MS);
  const d1 = Math.floor(to / DAY_MS);
  if (d0 >= d1) return { days: [0, 0], quarters: [[q0, q1], [0, 0]] };
  return { days: [d0, d1], quarters: [[q0, d0 * QUARTERS_PER_DAY], [d1 * QUARTERS_PER_DAY, q1]] };
}

/** The rollup rows of the filter's stores: the chain's own rows when it is the whole chain. */
function rollupStores(f: StatsFilter): { sql: string; params: string[] } {
  if (f.storeId === undefined && f.scope.all) return { sql: 'store_id = ?', params: [CHAIN] };
  return storeCondition('store_id', f);
}

export async function rollupSalesRows(store: StatsDb, f: StatsFilter): Promise<SalesRows> {
  const db = store.read;
  const b = filterBounds(f);
  const cut = cutRange(b.from, b.to);
  const st = rollupStores(f);

  /** `cols` of `table` over the cut: one index range per piece, UNION ALL. */
  const pieces = (table: string, cols: string) => {
    const parts = [
      { width: DAY_MS, range: cut.days },
      { width: QUARTER_MS, range: cut.quarters[0] },
      { width: QUARTER_MS, range: cut.quarters[1] },
    ].filter((p) => p.range[0] < p.range[1]);
    if (parts.length === 0) return { sql: `SELECT ${cols} FROM ${table} WHERE 1 = 0`, params: [] as unknown[] };
    return {
      sql: parts.map(() => `SELECT ${cols} FROM ${table} WHERE width = ? AND ${st.sql} AND bucket >= ? AND bucket < ?`).join(' UNION ALL '),
      params: parts.flatMap((p) => [p.width, ...st.params, p.range[0], p.range[1]]),
    };
  };

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

  // lanes: whole UTC days from stats_lanes, the quarters around them from the orders themselves
  const ls = storeCondition('store_id', f);
  const lanes = new Map<string, SalesRows['lanes'][number]>();
  const addLane = (r: SalesRows['lanes'][number]) => {
    const k = JSON.stringify([r.store_id, r.device_id]);
    const x = lanes.get(k);
    if (!x) lanes.set(k, { ...r, orders: n(r.orders), gross: n(r.gross), tax: n(r.tax), items: n(r.items) });
    else lanes.set(k, { ...x, orders: n(x.orders) + n(r.orders), gross: n(x.gross) + n(r.gross), tax: n(x.tax) + n(r.tax), items: n(x.items) + n(r.items) });
  };
  if (cut.days[0] < cut.days[1]) {
    const rows = await db.all<SalesRows['lanes'][number]>(
      `SELECT store_id, device_id, CAST(SUM(orders) AS BIGINT) AS orders, CAST(SUM(gross) AS BIGINT) AS gross, CAST(SUM(tax) AS BIGINT) AS tax,
              CAST(SUM(items) AS BIGINT) AS items
         FROM stats_lanes WHERE day >= ? AND day < ? AND ${ls.sql} GROUP BY store_id, device_id HAVING SUM(orders) > 0`,
      [cut.days[0], cut.days[1], ...ls.params],
    );
    rows.forEach(addLane);
  }
  const os = storeCondition('o.store_id', f);
  for (const [q0, q1] of cut.quarters) {
    if (q0 >= q1) continue;
    const rows = await db.all<SalesRows['lanes'][number]>(
      `SELECT o.store_id AS store_id, o.device_id AS device_id, ${SALES_COLS}, CAST(SUM(o.items) AS BIGINT) AS items
         FROM orders o WHERE ${COMPLETED} AND o.completed_at >= ? AND o.completed_at < ? AND ${os.sql} GROUP BY o.store_id, o.device_id`,
      [q0 * QUARTER_MS, q1 * QUARTER_MS, ...os.params],
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
  const it = pieces('stats_items', 'item, name_en, name_zh, lines, quantity, amount');
  const top = (order: string) =>
    db.all<ItemRow>(
      `SELECT item, MAX(name_en) AS name_en, MAX(name_zh) AS name_zh, CAST(SUM(quantity) AS BIGINT) AS quantity, CAST(SUM(amount) AS BIGINT) AS amount
         FROM (${it.sql}) s GROUP BY item HAVING SUM(lines) > 0 ORDER BY ${order}, item LIMIT ${TOP_ITEMS}`,
      it.params,
    );
  return { lanes: laneRows, dayHours, methods, taxClasses, topByQuantity: await top(TOP_ORDER.quantity), topByAmount: await top(TOP_ORDER.amount) };
}
