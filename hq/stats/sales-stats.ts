import type { Tx } from '../../kernel/sqlite/database';
import type { Lang } from '../console/types';
import { DAY_MS, HOUR_MS, dateToDayNumber, dayNumberToDate, offsetSegments, wallTimeSql } from './local-time-sql';
import { filterBounds, filterDates, storeCondition, type StatsFilter } from './stats-filter';

/**
 * Sales statistics over the order projections (hq/orders/schema.ts), aggregated by the database (GROUP BY), on both
 * dialects, with parameters only. Counted: completed orders (`completed_at` in the range: `completed`,
 * `partially_refunded`, `refunded`), never training orders. Refunds count on the day they were issued and reduce net
 * sales (net = gross − refunds). Money is integer minor units throughout (SUMs are cast back to BIGINT: PostgreSQL's
 * SUM(bigint) is numeric).
 */

export interface SalesFigures {
  orders: number;
  /** Sum of order totals (minor units). */
  gross: number;
  tax: number;
}

export interface RefundFigures {
  refundCount: number;
  refundAmount: number;
  /** gross − refundAmount. */
  net: number;
}

export interface DaySales extends SalesFigures, RefundFigures {
  date: string;
}
export interface HourSales extends SalesFigures {
  /** Local hour of day, 0–23. */
  hour: number;
}
export interface StoreSales extends SalesFigures, RefundFigures {
  storeId: string;
}
export interface LaneSales extends SalesFigures {
  storeId: string;
  deviceId: string;
}
export interface MethodSales {
  /** The payment channel (`card`, `qr`, `alipay`, …). */
  method: string;
  /** Approved payments. */
  payments: number;
  amount: number;
}
export interface TaxClassSales {
  /** '' when the line had none. */
  taxClass: string;
  lines: number;
  quantity: number;
  /** Line amounts after discounts. */
  sales: number;
  tax: number;
}
export interface ItemSales {
  /** The SKU (or barcode when the line had none). */
  item: string;
  /** In the requested language, falling back to the other one, then to the item code. */
  name: string;
  quantity: number;
  amount: number;
}

export interface SalesStats {
  filter: { from: string; to: string; timezone: string; storeId?: string };
  totals: SalesFigures & RefundFigures & { items: number; averageAmount: number };
  byDay: DaySales[];
  byHour: HourSales[];
  byStore: StoreSales[];
  byLane: LaneSales[];
  byMethod: MethodSales[];
  byTaxClass: TaxClassSales[];
  topByQuantity: ItemSales[];
  topByAmount: ItemSales[];
}

export const TOP_ITEMS = 10;

const COMPLETED = "o.training = 0 AND o.completed_at IS NOT NULL AND o.status IN ('completed', 'partially_refunded', 'refunded')";

const n = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

interface Parts {
  /** WHERE for completed orders `o` in range and scope. */
  orders: { sql: string; params: unknown[] };
  /** WHERE for refunds `r` issued in range and scope. */
  refunds: { sql: string; params: unknown[] };
  /** FROM … WHERE for the lines `l` of completed orders in range and scope. */
  lines: { sql: string; params: unknown[] };
  /** Local wall time of o.completed_at / r.ts. */
  orderWall: { sql: string; params: number[] };
  refundWall: { sql: string; params: number[] };
}

function parts(f: StatsFilter): Parts {
  const b = filterBounds(f);
  const segs = offsetSegments(b.from, b.to, f.timezone);
  const os = storeCondition('o.store_id', f);
  const rs = storeCondition('r.store_id', f);
  const ls = storeCondition('l.store_id', f);
  return {
    orders: { sql: `${COMPLETED} AND o.completed_at >= ? AND o.completed_at < ? AND ${os.sql}`, params: [b.from, b.to, ...os.params] },
    refunds: { sql: `r.training = 0 AND r.ts >= ? AND r.ts < ? AND ${rs.sql}`, params: [b.from, b.to, ...rs.params] },
    // by the lines' own completed_at (the order's completion time, as the projector writes it; its index bounds the
    // range): a line exists only for a completed order, and training lines are flagged like their order
    lines: { sql: `order_lines l WHERE l.training = 0 AND l.completed_at >= ? AND l.completed_at < ? AND ${ls.sql}`, params: [b.from, b.to, ...ls.params] },
    orderWall: wallTimeSql('o.completed_at', segs),
    refundWall: wallTimeSql('r.ts', segs),
  };
}

const SALES_COLS = 'COUNT(*) AS orders, CAST(COALESCE(SUM(total), 0) AS BIGINT) AS gross, CAST(COALESCE(SUM(tax_total), 0) AS BIGINT) AS tax';
const REFUND_COLS = 'COUNT(*) AS refund_count, CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS refund_amount';

type SalesRow = { orders: unknown; gross: unknown; tax: unknown };
type RefundRow = { refund_count: unknown; refund_amount: unknown };

const sales = (r: SalesRow | undefined): SalesFigures => ({ orders: n(r?.orders), gross: n(r?.gross), tax: n(r?.tax) });
const refunds = (gross: number, r: RefundRow | undefined): RefundFigures => {
  const refundAmount = n(r?.refund_amount);
  return { refundCount: n(r?.refund_count), refundAmount, net: gross - refundAmount };
};

/** Every breakdown of the filter's sales. `lang` picks the item names. */
export async function salesStats(store: { read: Pick<Tx, 'get' | 'all'>; dialect: 'sqlite' | 'postgres' }, f: StatsFilter, lang: Lang): Promise<SalesStats> {
  const db = store.read;
  const p = parts(f);
  const ow = p.orders;

  // two passes over the range's orders: by lane (→ lanes, stores, totals) and by local day and hour (→ days, hours);
  // the wall time is computed in a subquery and grouped outside (one expression, one parameter set, both dialects)
  const laneRows = await db.all<SalesRow & { store_id: string; device_id: string; items: unknown }>(
    `SELECT o.store_id AS store_id, o.device_id AS device_id, ${SALES_COLS}, CAST(SUM(o.items) AS BIGINT) AS items
       FROM orders o WHERE ${ow.sql} GROUP BY o.store_id, o.device_id ORDER BY o.store_id, o.device_id`,
    ow.params,
  );
  const dayHourRows = await db.all<SalesRow & { d: unknown; h: unknown }>(
    `SELECT d, h, ${SALES_COLS}
       FROM (SELECT w / ${DAY_MS} AS d, (w / ${HOUR_MS}) % 24 AS h, total, tax_total
               FROM (SELECT ${p.orderWall.sql} AS w, o.total AS total, o.tax_total AS tax_total FROM orders o WHERE ${ow.sql}) s1) s2
      GROUP BY d, h`,
    [...p.orderWall.params, ...ow.params],
  );
  const refundTotals = await db.get<RefundRow>(`SELECT ${REFUND_COLS} FROM refunds r WHERE ${p.refunds.sql}`, p.refunds.params);
  const dayRefundRows = await db.all<RefundRow & { d: unknown }>(
    `SELECT d, ${REFUND_COLS} FROM (SELECT ${p.refundWall.sql} / ${DAY_MS} AS d, r.amount AS amount FROM refunds r WHERE ${p.refunds.sql}) s GROUP BY d`,
    [...p.refundWall.params, ...p.refunds.params],
  );
  const storeRefundRows = await db.all<RefundRow & { store_id: string }>(
    `SELECT r.store_id AS store_id, ${REFUND_COLS} FROM refunds r WHERE ${p.refunds.sql} GROUP BY r.store_id`,
    p.refunds.params,
  );
  const LINES = p.lines;
  // payments: the range's orders first, then each order's payments (payments_order). CROSS JOIN fixes that order on
  // SQLite, and INDEXED BY its index — without table statistics SQLite prefers the payments' primary key prefix
  // (store, device) and reads every payment of the lane per order. PostgreSQL plans CROSS JOIN … WHERE as a join.
  const methodRows = await db.all<{ method: string; payments: unknown; amount: unknown }>(
    `SELECT p.channel AS method, COUNT(*) AS payments, CAST(SUM(p.amount) AS BIGINT) AS amount
       FROM orders o CROSS JOIN payments p${store.dialect === 'sqlite' ? ' INDEXED BY payments_order' : ''}
      WHERE p.store_id = o.store_id AND p.device_id = o.device_id AND p.order_id = o.order_id AND p.status = 'approved' AND p.training = 0 AND ${ow.sql}
      GROUP BY p.channel`,
    ow.params,
  );
  const taxRows = await db.all<{ tax_class: string; lines: unknown; quantity: unknown; sales: unknown; tax: unknown }>(
    `SELECT tax_class, COUNT(*) AS lines, CAST(SUM(quantity) AS BIGINT) AS quantity, CAST(SUM(net) AS BIGINT) AS sales, CAST(SUM(tax) AS BIGINT) AS tax
       FROM (SELECT COALESCE(l.tax_class, '') AS tax_class, l.quantity AS quantity, l.net AS net, l.tax AS tax FROM ${LINES.sql}) s
      GROUP BY tax_class ORDER BY tax_class`,
    LINES.params,
  );
  const top = (order: string) =>
    db.all<{ item: string; name_en: string | null; name_zh: string | null; quantity: unknown; amount: unknown }>(
      `SELECT item, MAX(name_en) AS name_en, MAX(name_zh) AS name_zh, CAST(SUM(quantity) AS BIGINT) AS quantity, CAST(SUM(net) AS BIGINT) AS amount
         FROM (SELECT COALESCE(l.sku, l.barcode, '') AS item, l.name_en AS name_en, l.name_zh AS name_zh, l.quantity AS quantity, l.net AS net FROM ${LINES.sql}) s
        GROUP BY item ORDER BY ${order}, item LIMIT ${TOP_ITEMS}`,
      LINES.params,
    );
  const byQuantity = await top('quantity DESC, amount DESC');
  const byAmount = await top('amount DESC, quantity DESC');

  const add = (a: SalesFigures, b: SalesFigures): SalesFigures => ({ orders: a.orders + b.orders, gross: a.gross + b.gross, tax: a.tax + b.tax });
  const empty: SalesFigures = { orders: 0, gross: 0, tax: 0 };
  let totals = empty;
  let items = 0;
  const storeSales = new Map<string, SalesFigures>();
  for (const r of laneRows) {
    const s = sales(r);
    totals = add(totals, s);
    items += n(r.items);
    storeSales.set(r.store_id, add(storeSales.get(r.store_id) ?? empty, s));
  }
  const daySales = new Map<number, SalesFigures>();
  const hourSales = new Map<number, SalesFigures>();
  for (const r of dayHourRows) {
    const s = sales(r);
    daySales.set(n(r.d), add(daySales.get(n(r.d)) ?? empty, s));
    hourSales.set(n(r.h), add(hourSales.get(n(r.h)) ?? empty, s));
  }
  const gross = totals.gross;
  const orders = totals.orders;
  const itemName = (r: { item: string; name_en: string | null; name_zh: string | null }) =>
    (lang === 'zh-CN' ? (r.name_zh ?? r.name_en) : (r.name_en ?? r.name_zh)) || r.item;
  const item = (r: { item: string; name_en: string | null; name_zh: string | null; quantity: unknown; amount: unknown }): ItemSales => ({
    item: r.item,
    name: itemName(r),
    quantity: n(r.quantity),
    amount: n(r.amount),
  });
  const dayRefunds = new Map(dayRefundRows.map((r) => [n(r.d), r]));
  const storeRefunds = new Map(storeRefundRows.map((r) => [r.store_id, r]));
  const storeIds = [...new Set([...storeSales.keys(), ...storeRefundRows.map((r) => r.store_id)])].sort();

  return {
    filter: { from: f.from, to: f.to, timezone: f.timezone, storeId: f.storeId },
    totals: { ...totals, ...refunds(gross, refundTotals), items, averageAmount: orders ? Math.round(gross / orders) : 0 },
    byDay: filterDates(f).map((date) => {
      const d = dateToDayNumber(date);
      const s = daySales.get(d) ?? empty;
      return { date: dayNumberToDate(d), ...s, ...refunds(s.gross, dayRefunds.get(d)) };
    }),
    byHour: Array.from({ length: 24 }, (_, hour) => ({ hour, ...(hourSales.get(hour) ?? empty) })),
    byStore: storeIds.map((storeId) => {
      const s = storeSales.get(storeId) ?? empty;
      return { storeId, ...s, ...refunds(s.gross, storeRefunds.get(storeId)) };
    }),
    byLane: laneRows.map((r) => ({ storeId: r.store_id, deviceId: r.device_id, ...sales(r) })),
    byMethod: methodRows.map((r) => ({ method: r.method, payments: n(r.payments), amount: n(r.amount) })).sort((a, b) => b.amount - a.amount || a.method.localeCompare(b.method)),
    byTaxClass: taxRows.map((r) => ({ taxClass: r.tax_class, lines: n(r.lines), quantity: n(r.quantity), sales: n(r.sales), tax: n(r.tax) })),
    topByQuantity: byQuantity.map(item),
    topByAmount: byAmount.map(item),
  };
}
