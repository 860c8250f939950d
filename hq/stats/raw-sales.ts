import { countedOrderSql } from './counted';
import { DAY_MS, HOUR_MS, offsetSegments, wallTimeSql } from './local-time-sql';
import { TOP_ITEMS, TOP_ORDER, type ItemRow, type SalesRows, type StatsDb } from './sales-rows';
import { filterBounds, storeCondition, type StatsFilter } from './stats-filter';

/**
 * The sales breakdowns straight from the order projections (hq/orders/schema.ts): the reference the rollups are
 * tested against, and the reader for ranges the rollups cannot cut (bounds off the quarter hour).
 */

export const COMPLETED = countedOrderSql('o');
export const SALES_COLS = 'COUNT(*) AS orders, CAST(COALESCE(SUM(total), 0) AS BIGINT) AS gross, CAST(COALESCE(SUM(tax_total), 0) AS BIGINT) AS tax';

export async function rawSalesRows(store: StatsDb, f: StatsFilter): Promise<SalesRows> {
  const db = store.read;
  const b = filterBounds(f);
  const segs = offsetSegments(b.from, b.to, f.timezone);
  const os = storeCondition('o.store_id', f);
  const ls = storeCondition('l.store_id', f);
  const ow = { sql: `${COMPLETED} AND o.completed_at >= ? AND o.completed_at < ? AND ${os.sql}`, params: [b.from, b.to, ...os.params] };
  // by the lines' own completed_at (the order's completion time, as the projector writes it; its index bounds the
  // range): a line exists only for a completed order, and training lines are flagged like their order
  const LINES = { sql: `order_lines l WHERE l.training = 0 AND l.completed_at >= ? AND l.completed_at < ? AND ${ls.sql}`, params: [b.from, b.to, ...ls.params] };
  const orderWall = wallTimeSql('o.completed_at', segs);

  // two passes over the range's orders: by lane (→ lanes, stores, totals) and by local day and hour (→ days, hours);
  // the wall time is computed in a subquery and grouped outside (one expression, one parameter set, both dialects)
  const lanes = await db.all<SalesRows['lanes'][number]>(
    `SELECT o.store_id AS store_id, o.device_id AS device_id, ${SALES_COLS}, CAST(SUM(o.items) AS BIGINT) AS items
       FROM orders o WHERE ${ow.sql} GROUP BY o.store_id, o.device_id ORDER BY o.store_id, o.device_id`,
    ow.params,
  );
  const dayHours = await db.all<SalesRows['dayHours'][number]>(
    `SELECT d, h, ${SALES_COLS}
       FROM (SELECT w / ${DAY_MS} AS d, (w / ${HOUR_MS}) % 24 AS h, total, tax_total
               FROM (SELECT ${orderWall.sql} AS w, o.total AS total, o.tax_total AS tax_total FROM orders o WHERE ${ow.sql}) s1) s2
      GROUP BY d, h`,
    [...orderWall.params, ...ow.params],
  );
  // payments: the range's orders first, then each order's payments (payments_order). CROSS JOIN fixes that order on
  // SQLite, and INDEXED BY its index — without table statistics SQLite prefers the payments' primary key prefix
  // (store, device) and reads every payment of the lane per order. PostgreSQL plans CROSS JOIN … WHERE as a join.
  const methods = await db.all<SalesRows['methods'][number]>(
    `SELECT p.channel AS method, COUNT(*) AS payments, CAST(SUM(p.amount) AS BIGINT) AS amount
       FROM orders o CROSS JOIN payments p${store.dialect === 'sqlite' ? ' INDEXED BY payments_order' : ''}
      WHERE p.store_id = o.store_id AND p.device_id = o.device_id AND p.order_id = o.order_id AND p.status = 'approved' AND p.training = 0 AND ${ow.sql}
      GROUP BY p.channel`,
    ow.params,
  );
  const taxClasses = await db.all<SalesRows['taxClasses'][number]>(
    `SELECT tax_class, COUNT(*) AS lines, CAST(SUM(quantity) AS BIGINT) AS quantity, CAST(SUM(net) AS BIGINT) AS sales, CAST(SUM(tax) AS BIGINT) AS tax
       FROM (SELECT COALESCE(l.tax_class, '') AS tax_class, l.quantity AS quantity, l.net AS net, l.tax AS tax FROM ${LINES.sql}) s
      GROUP BY tax_class ORDER BY tax_class`,
    LINES.params,
  );
  const top = (order: string) =>
    db.all<ItemRow>(
      `SELECT item, MAX(name_en) AS name_en, MAX(name_zh) AS name_zh, CAST(SUM(quantity) AS BIGINT) AS quantity, CAST(SUM(net) AS BIGINT) AS amount
         FROM (SELECT COALESCE(l.sku, l.barcode, '') AS item, l.name_en AS name_en, l.name_zh AS name_zh, l.quantity AS quantity, l.net AS net FROM ${LINES.sql}) s
        GROUP BY item ORDER BY ${order}, item LIMIT ${TOP_ITEMS}`,
      LINES.params,
    );
  return { lanes, dayHours, methods, taxClasses, topByQuantity: await top(TOP_ORDER.quantity), topByAmount: await top(TOP_ORDER.amount) };
}
