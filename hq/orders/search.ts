import { businessDayBounds, isCalendarDate } from '../../kernel/local-time';
import type { Tx } from '../../kernel/sqlite/database';
import type { StoreScope } from '../console/types';
import { scopeWhere } from '../console/scope-sql';
import type { OrderRow } from './fold';

export const PAGE_SIZE = 50;
/** Counting stops here: more shows as "10 000+". */
export const COUNT_LIMIT = 10_000;

/** A search as parsed from the form: every value is compared as a literal (equality or range), never as SQL or a pattern. */
export interface OrderFilter {
  store?: string;
  device?: string;
  /** Local days `YYYY-MM-DD` in the console's time zone, inclusive. */
  from?: string;
  to?: string;
  /** As typed: `123`, `000123`, or `T000001` (a training order's number). Anything else matches nothing. */
  receipt?: string;
  /** Minor units. */
  amount?: number;
  minAmount?: number;
  maxAmount?: number;
  status?: string;
  /** A payment channel of an approved payment (`card`, `qr`, `alipay`, …). */
  method?: string;
  includeTraining?: boolean;
}

/** An order as the list shows it: columns of its projection row. */
export type OrderSummary = Pick<
  OrderRow,
  'store_id' | 'device_id' | 'order_id' | 'receipt_no' | 'status' | 'training' | 'opened_at' | 'completed_at' | 'total' | 'refunded' | 'items' | 'methods'
>;

export interface OrderPage {
  rows: OrderSummary[];
  /** Matching orders, counted up to {@link COUNT_LIMIT}; `more` when there are more than that. */
  total: number;
  more: boolean;
  page: number;
  pages: number;
}

/** `12.34` / `12` / `0.05` → minor units (2 digits); null when it is not an amount. */
export function parseAmount(s: string): number | null {
  const m = /^\s*(\d{1,10})(?:[.,](\d{1,2}))?\s*$/.exec(s);
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}

export type FilterError = 'amount' | 'minAmount' | 'maxAmount' | 'from' | 'to' | 'range';

/** The search form's query string → a filter, or the name of the field that is not valid. Empty fields are absent. */
export function parseOrderQuery(q: Record<string, string | undefined>): { filter: OrderFilter } | { error: FilterError } {
  const val = (k: string) => {
    const v = q[k];
    return typeof v === 'string' && v.trim() !== '' ? v.trim().slice(0, 200) : undefined;
  };
  const filter: OrderFilter = {};
  for (const k of ['store', 'device', 'receipt', 'status', 'method'] as const) {
    const v = val(k);
    if (v !== undefined) filter[k] = v;
  }
  for (const k of ['amount', 'minAmount', 'maxAmount'] as const) {
    const v = val(k);
    if (v === undefined) continue;
    const n = parseAmount(v);
    if (n === null) return { error: k };
    filter[k] = n;
  }
  for (const k of ['from', 'to'] as const) {
    const v = val(k);
    if (v === undefined) continue;
    if (!isCalendarDate(v)) return { error: k };
    filter[k] = v;
  }
  if (filter.from && filter.to && filter.from > filter.to) return { error: 'range' };
  if (q.training === '1' || q.training === 'on') filter.includeTraining = true;
  return { filter };
}

/** The WHERE clause of a search (scope ALWAYS applied) and its parameters. */
export function whereOf(scope: StoreScope, f: OrderFilter, timeZone: string): { sql: string; params: (string | number)[] } {
  const scoped = scopeWhere(scope, 'o.store_id');
  const where: string[] = scope.all ? [] : [scoped.sql];
  const params: (string | number)[] = [...scoped.params];
  if (!f.includeTraining) where.push('o.training = 0');
  if (f.store !== undefined) {
    where.push('o.store_id = ?');
    params.push(f.store);
  }
  if (f.device !== undefined) {
    where.push('o.device_id = ?');
    params.push(f.device);
  }
  if (f.from !== undefined) {
    where.push('o.opened_at >= ?');
    params.push(businessDayBounds(f.from, timeZone).from);
  }
  if (f.to !== undefined) {
    where.push('o.opened_at < ?');
    params.push(businessDayBounds(f.to, timeZone).to);
  }
  if (f.receipt !== undefined) {
    const m = /^(T?)0*(\d{1,12})$/i.exec(f.receipt);
    if (!m) where.push('1 = 0'); // not a receipt number: no receipt has it
    else {
      where.push('o.receipt_no = ?');
      params.push(Number(m[2]));
      if (m[1]) where.push('o.training = 1');
    }
  }
  if (f.amount !== undefined) {
    where.push('o.total = ?');
    params.push(f.amount);
  }
  if (f.minAmount !== undefined) {
    where.push('o.total >= ?');
    params.push(f.minAmount);
  }
  if (f.maxAmount !== undefined) {
    where.push('o.total <= ?');
    params.push(f.maxAmount);
  }
  if (f.status !== undefined) {
    where.push('o.status = ?');
    params.push(f.status);
  }
  if (f.method !== undefined) {
    where.push(
      `EXISTS (SELECT 1 FROM payments p WHERE p.store_id = o.store_id AND p.device_id = o.device_id AND p.order_id = o.order_id
         AND p.status = 'approved' AND p.channel = ?)`,
    );
    params.push(f.method);
  }
  return { sql: where.length ? `WHERE ${where.join(' AND ')}` : '', params };
}

/**
 * Orders matching `f` within `scope`, newest first (by when the order started), {@link PAGE_SIZE} a page, with a
 * bounded count. Both dialects; every value is a parameter.
 */
export async function searchOrders(db: Pick<Tx, 'all' | 'get'>, scope: StoreScope, f: OrderFilter, page: number, timeZone: string): Promise<OrderPage> {
  const { sql, params } = whereOf(scope, f, timeZone);
  const counted = await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM orders o ${sql} LIMIT ${COUNT_LIMIT + 1}) c`, params);
  const n = Number(counted?.n ?? 0);
  const more = n > COUNT_LIMIT;
  const total = Math.min(n, COUNT_LIMIT);
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const p = Math.min(Math.max(1, Math.floor(page) || 1), pages);
  const rows = await db.all<OrderSummary>(
    `SELECT o.store_id, o.device_id, o.order_id, o.receipt_no, o.status, o.training, o.opened_at, o.completed_at, o.total, o.refunded, o.items, o.methods
     FROM orders o ${sql}
     ORDER BY o.opened_at DESC, o.store_id, o.device_id, o.order_id
     LIMIT ${PAGE_SIZE} OFFSET ${(p - 1) * PAGE_SIZE}`,
    params,
  );
  return {
    rows: rows.map((r) => ({ ...r, receipt_no: r.receipt_no === null ? null : Number(r.receipt_no), opened_at: Number(r.opened_at), completed_at: r.completed_at === null ? null : Number(r.completed_at), total: Number(r.total), refunded: Number(r.refunded), items: Number(r.items), training: Number(r.training) })),
    total,
    more,
    page: p,
    pages,
  };
}
