import type { Tx } from '../../kernel/sqlite/database';

/** What the two statistics readers (hq/stats/raw-sales.ts, hq/stats/rollup-sales.ts) hand to hq/stats/sales-stats.ts. */

export const TOP_ITEMS = 10;

export const n = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

export type StatsDb = { read: Pick<Tx, 'get' | 'all'>; dialect: 'sqlite' | 'postgres' };

export type SalesRow = { orders: unknown; gross: unknown; tax: unknown };
export type RefundRow = { refund_count: unknown; refund_amount: unknown };
export type ItemRow = { item: string; name_en: string | null; name_zh: string | null; quantity: unknown; amount: unknown };

/** What both readers (raw projections, rollups) produce; hq/stats/sales-stats.ts turns it into the breakdowns. */
export interface SalesRows {
  /** Completed orders by lane, with the basket sizes, ordered by store and device. */
  lanes: (SalesRow & { store_id: string; device_id: string; items: unknown })[];
  /** By local day number (wall ms / DAY_MS) and local hour of day. */
  dayHours: (SalesRow & { d: unknown; h: unknown })[];
  methods: { method: string; payments: unknown; amount: unknown }[];
  taxClasses: { tax_class: string; lines: unknown; quantity: unknown; sales: unknown; tax: unknown }[];
  topByQuantity: ItemRow[];
  topByAmount: ItemRow[];
}

/** ORDER BY of the two top-item lists (then by item). */
export const TOP_ORDER = { quantity: 'quantity DESC, amount DESC', amount: 'amount DESC, quantity DESC' } as const;

