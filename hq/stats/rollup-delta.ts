import type { LineRow, OrderRow, PaymentRow } from '../orders/fold';
import { isCountedOrder } from './counted';
import { CHAIN, LANE_WIDTHS, QUARTER_MS, ROLLUP_TABLES, itemWidths, WIDTHS, ROLLUPS, type RollupSpec, type RollupTable } from './rollup-tables';

/** What an order adds to the rollups: its projection rows (as hq/orders/fold.ts makes them, or as read back). */
export interface OrderContribution {
  order: Pick<OrderRow, 'store_id' | 'device_id' | 'status' | 'training' | 'completed_at' | 'total' | 'tax_total' | 'items'>;
  lines: Pick<LineRow, 'sku' | 'barcode' | 'name_en' | 'name_zh' | 'quantity' | 'tax_class' | 'net' | 'tax' | 'completed_at' | 'training'>[];
  payments: Pick<PaymentRow, 'channel' | 'status' | 'amount' | 'training'>[];
}

const num = (v: unknown): number => Number(v ?? 0);

/**
 * The rollup deltas of a set of orders: `add(old, -1)` for each order's rows before a projection write and
 * `add(new, +1)` after; what is left is written by one upsert per table (hq/stats/rollup-tables.ts). Deltas that
 * cancel (an order re-projected unchanged, e.g. for a refund) write nothing.
 */
export class RollupDeltas {
  private readonly tables = new Map<RollupTable, Map<string, { key: unknown[]; sums: number[]; latest: (string | null)[] }>>(
    ROLLUP_TABLES.map((t) => [t, new Map()]),
  );

  private put(t: RollupTable, key: unknown[], sums: number[], latest: (string | null)[] = []): void {
    const m = this.tables.get(t)!;
    const k = JSON.stringify(key);
    const row = m.get(k);
    if (!row) {
      m.set(k, { key, sums: [...sums], latest: [...latest] });
      return;
    }
    sums.forEach((v, i) => (row.sums[i] += v));
    latest.forEach((v, i) => (row.latest[i] = v ?? row.latest[i]));
  }

  add(c: OrderContribution, sign: 1 | -1): void {
    const o = c.order;
    const stores = [o.store_id, CHAIN];
    if (isCountedOrder(o)) {
      const at = num(o.completed_at);
      const sales = [sign, sign * num(o.total), sign * num(o.tax_total), sign * num(o.items)];
      for (const s of stores) this.put('stats_sales', [s, Math.floor(at / QUARTER_MS)], sales);
      for (const width of LANE_WIDTHS) this.put('stats_lanes', [width, Math.floor(at / width), o.store_id, o.device_id], sales);
      for (const p of c.payments) {
        if (p.status !== 'approved' || num(p.training) !== 0) continue;
        for (const width of WIDTHS) {
          for (const s of stores) this.put('stats_methods', [width, s, Math.floor(at / width), p.channel], [sign, sign * num(p.amount)]);
        }
      }
    }
    for (const l of c.lines) {
      if (num(l.training) !== 0) continue;
      const at = num(l.completed_at);
      const item = l.sku ?? l.barcode ?? '';
      // a removed line keeps the names already there (null = keep)
      const names = sign > 0 ? [l.name_en ?? null, l.name_zh ?? null] : [null, null];
      for (const width of WIDTHS) {
        for (const s of stores) {
          const bucket = Math.floor(at / width);
          this.put('stats_tax', [width, s, bucket, l.tax_class ?? ''], [sign, sign * num(l.quantity), sign * num(l.net), sign * num(l.tax)]);
          if (itemWidths(s === CHAIN).includes(width)) this.put('stats_items', [width, s, bucket, item], [sign, sign * num(l.quantity), sign * num(l.net)], names);
        }
      }
    }
  }

  /**
   * The rows to write to `t` (key, sums, latest — as rollupColumns), those whose sums are not all zero (an order
   * re-projected unchanged writes nothing), in key order (concurrent writers lock rows in the same order).
   */
  rows(t: RollupTable): unknown[][] {
    const spec: RollupSpec = ROLLUPS[t];
    return [...this.tables.get(t)!.entries()]
      .filter(([, r]) => r.sums.some((v) => v !== 0))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, r]) => [...r.key, ...r.sums, ...(spec.latest.length ? r.latest : [])]);
  }
}
