import type { Lang } from '../console/types';
import { dateToDayNumber, dayNumberToDate, offsetSegments, wallTimeSql } from './local-time-sql';
import { rawSalesRows } from './raw-sales';
import { QUARTER_MS } from './rollup-tables';
import { rollupSalesRows } from './rollup-sales';
import { n, type ItemRow, type RefundRow, type SalesRow, type StatsDb } from './sales-rows';
import { filterBounds, filterDates, storeCondition, type StatsFilter } from './stats-filter';

/**
 * Sales statistics, aggregated by the database (GROUP BY) on both dialects, with parameters only. Counted: completed
 * orders (`completed_at` in the range: `completed`, `partially_refunded`, `refunded`), never training orders.
 * Refunds count on the day they were issued and reduce net sales (net = gross − refunds). Money is integer minor
 * units throughout (SUMs are cast back to BIGINT: PostgreSQL's SUM(bigint) is numeric).
 *
 * Read from the rollups (hq/stats/rollup-sales.ts: a month of a chain in a few thousand rows) when the range's
 * bounds fall on quarter hours — every zone's local days since 1986 do — and otherwise from the order projections
 * themselves (hq/stats/raw-sales.ts, which the tests also hold the rollups to).
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

const REFUND_COLS = 'COUNT(*) AS refund_count, CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS refund_amount';

const sales = (r: SalesRow | undefined): SalesFigures => ({ orders: n(r?.orders), gross: n(r?.gross), tax: n(r?.tax) });
const refunds = (gross: number, r: RefundRow | undefined): RefundFigures => {
  const refundAmount = n(r?.refund_amount);
  return { refundCount: n(r?.refund_count), refundAmount, net: gross - refundAmount };
};

/** Does the range start and end on a quarter hour (so the rollups can answer it)? */
export const rollupsCover = (f: StatsFilter): boolean => {
  const b = filterBounds(f);
  return b.from % QUARTER_MS === 0 && b.to % QUARTER_MS === 0;
};

/**
 * Every breakdown of the filter's sales. `lang` picks the item names. `source` forces one reader (tests compare
 * them); by default the rollups whenever they cover the range.
 */
export async function salesStats(store: StatsDb, f: StatsFilter, lang: Lang, source?: 'raw' | 'rollups'): Promise<SalesStats> {
  const db = store.read;
  const useRollups = source ? source === 'rollups' : rollupsCover(f);
  const rows = useRollups ? await rollupSalesRows(store, f) : await rawSalesRows(store, f);

  // refunds are few (one per refunded order): always read from the refunds projection, by the day they were issued
  const b = filterBounds(f);
  const rs = storeCondition('r.store_id', f);
  const where = { sql: `r.training = 0 AND r.ts >= ? AND r.ts < ? AND ${rs.sql}`, params: [b.from, b.to, ...rs.params] };
  const wall = wallTimeSql('r.ts', offsetSegments(b.from, b.to, f.timezone));
  const refundTotals = await db.get<RefundRow>(`SELECT ${REFUND_COLS} FROM refunds r WHERE ${where.sql}`, where.params);
  const dayRefundRows = await db.all<RefundRow & { d: unknown }>(
    `SELECT d, ${REFUND_COLS} FROM (SELECT ${wall.sql} / 86400000 AS d, r.amount AS amount FROM refunds r WHERE ${where.sql}) s GROUP BY d`,
    [...wall.params, ...where.params],
  );
  const storeRefundRows = await db.all<RefundRow & { store_id: string }>(
    `SELECT r.store_id AS store_id, ${REFUND_COLS} FROM refunds r WHERE ${where.sql} GROUP BY r.store_id`,
    where.params,
  );

  const add = (a: SalesFigures, b: SalesFigures): SalesFigures => ({ orders: a.orders + b.orders, gross: a.gross + b.gross, tax: a.tax + b.tax });
  const empty: SalesFigures = { orders: 0, gross: 0, tax: 0 };
  let totals = empty;
  let items = 0;
  const storeSales = new Map<string, SalesFigures>();
  for (const r of rows.lanes) {
    const s = sales(r);
    totals = add(totals, s);
    items += n(r.items);
    storeSales.set(r.store_id, add(storeSales.get(r.store_id) ?? empty, s));
  }
  const daySales = new Map<number, SalesFigures>();
  const hourSales = new Map<number, SalesFigures>();
  for (const r of rows.dayHours) {
    const s = sales(r);
    daySales.set(n(r.d), add(daySales.get(n(r.d)) ?? empty, s));
    hourSales.set(n(r.h), add(hourSales.get(n(r.h)) ?? empty, s));
  }
  const gross = totals.gross;
  const orders = totals.orders;
  const itemName = (r: ItemRow) => (lang === 'zh-CN' ? (r.name_zh ?? r.name_en) : (r.name_en ?? r.name_zh)) || r.item;
  const item = (r: ItemRow): ItemSales => ({ item: r.item, name: itemName(r), quantity: n(r.quantity), amount: n(r.amount) });
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
    byLane: rows.lanes.map((r) => ({ storeId: r.store_id, deviceId: r.device_id, ...sales(r) })),
    byMethod: rows.methods
      .map((r) => ({ method: r.method, payments: n(r.payments), amount: n(r.amount) }))
      .sort((a, b) => b.amount - a.amount || a.method.localeCompare(b.method)),
    byTaxClass: rows.taxClasses.map((r) => ({ taxClass: r.tax_class, lines: n(r.lines), quantity: n(r.quantity), sales: n(r.sales), tax: n(r.tax) })),
    topByQuantity: rows.topByQuantity.map(item),
    topByAmount: rows.topByAmount.map(item),
  };
}
