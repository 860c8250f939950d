import type { IngestStore } from '../../hq/ingest/store';
import { refillRollups } from '../../hq/stats/rollup-writer';

/**
 * Test data for hq/stats's tests: rows written straight into the order projections (hq/orders/schema.ts), as the
 * orders projector writes them from the journal, each followed by a refill of the statistics rollups from them
 * (hq/stats/rollup-writer.ts), as the projector keeps them. Used by tests only.
 */

export interface OrderRow {
  storeId: string;
  deviceId: string;
  orderId: string;
  completedAt: number | null;
  total: number;
  tax: number;
  items: number;
  status?: string;
  training?: boolean;
  refunded?: number;
  methods?: string;
}

export async function insertOrder(store: IngestStore, o: OrderRow): Promise<void> {
  const at = o.completedAt ?? Date.parse('2026-01-01T00:00:00Z');
  await store.db.transaction(async (tx) => {
    await tx.run(
      `INSERT INTO orders (store_id, device_id, order_id, receipt_no, status, training, opened_at, completed_at, updated_at, total, tax_total,
                           discount_total, refunded, items, methods, member_id, first_seq, last_seq)
       VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, NULL, 1, 2)`,
      [o.storeId, o.deviceId, o.orderId, o.status ?? 'completed', o.training ? 1 : 0, at - 60_000, o.completedAt, at, o.total, o.tax, o.refunded ?? 0, o.items, o.methods ?? ''],
    );
    await refillRollups(tx);
  });
}

export interface LineRow {
  storeId: string;
  deviceId: string;
  orderId: string;
  lineId: string;
  sku: string;
  nameEn?: string | null;
  nameZh?: string | null;
  quantity?: number;
  taxClass?: string | null;
  net: number;
  tax: number;
  completedAt: number;
  training?: boolean;
}

export async function insertLine(store: IngestStore, l: LineRow): Promise<void> {
  await store.db.transaction(async (tx) => {
    await tx.run(
      `INSERT INTO order_lines (store_id, device_id, order_id, line_id, sku, barcode, name_en, name_zh, quantity, weight_grams, tax_class, tax_rate,
                                gross, discount, net, tax, completed_at, training)
       VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, NULL, ?, NULL, ?, 0, ?, ?, ?, ?)`,
      [l.storeId, l.deviceId, l.orderId, l.lineId, l.sku, l.nameEn ?? null, l.nameZh ?? null, l.quantity ?? 1, l.taxClass === undefined ? 'standard' : l.taxClass, l.net, l.net, l.tax, l.completedAt, l.training ? 1 : 0],
    );
    await refillRollups(tx);
  });
}

export interface PaymentRow {
  storeId: string;
  deviceId: string;
  orderId: string;
  attemptId: string;
  channel: string;
  status: 'pending' | 'approved' | 'declined' | 'unknown' | 'cancelled';
  amount: number;
  startedAt: number;
  training?: boolean;
}

export async function insertPayment(store: IngestStore, p: PaymentRow): Promise<void> {
  await store.db.transaction(async (tx) => {
    await tx.run(
      `INSERT INTO payments (store_id, device_id, attempt_id, order_id, channel, status, amount, started_at, resolved_at, reason, reference, training)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?)`,
      [p.storeId, p.deviceId, p.attemptId, p.orderId, p.channel, p.status, p.amount, p.startedAt, p.status === 'pending' ? null : p.startedAt + 5_000, p.training ? 1 : 0],
    );
    await refillRollups(tx);
  });
}

export interface RefundRow {
  storeId: string;
  deviceId: string;
  orderId: string;
  seq: number;
  amount: number;
  ts: number;
  channel?: string | null;
  training?: boolean;
}

export async function insertRefund(store: IngestStore, r: RefundRow): Promise<void> {
  await store.db.transaction((tx) =>
    tx.run(`INSERT INTO refunds (store_id, device_id, seq, order_id, amount, channel, ts, attendant_id, training) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?)`, [
      r.storeId,
      r.deviceId,
      r.seq,
      r.orderId,
      r.amount,
      r.channel ?? null,
      r.ts,
      r.training ? 1 : 0,
    ]),
  );
}

const T = (iso: string): number => Date.parse(iso);

/** An item name with markup, as a hostile or careless price book could send it. */
export const MARKUP_NAME = '<b>"Tea"</b><script>x()</script>';

/**
 * The Asia/Shanghai fixture (UTC+8), local days 2026-11-20 and 2026-11-21. Counted: o1, o2, o3 and refund r1.
 *   o1 S1/L1 09:15 on the 20th   ¥10.00 tax 1.15, 2 × COLA (standard)                      card ¥10.00
 *   o2 S1/L2 23:30 on the 20th   ¥20.30 tax 2.00, COLA ¥5.00 + APPLE ¥9.00 + BREAD ¥6.30   alipay ¥20.30 (a card decline before)
 *   o3 S2/L1 00:30 on the 21st   ¥7.00 tax 0.81, TEA (a name with markup)                  wechat ¥7.00
 *   r1 refund of o2, ¥5.00, 08:00 on the 21st
 * Not counted: o4 training (with its line, payment and refund), o5 cancelled, o6 00:00:30 on the 22nd, o7 23:59 on the 19th.
 */
export async function seedSalesFixture(store: IngestStore): Promise<void> {
  for (const [s, d] of [['S1', 'L1'], ['S1', 'L2'], ['S2', 'L1']]) await insertDevice(store, s, d);
  const o1 = T('2026-11-20T01:15:00Z');
  const o2 = T('2026-11-20T15:30:00Z');
  const o3 = T('2026-11-20T16:30:00Z');
  const o4 = T('2026-11-21T02:00:00Z');
  await insertOrder(store, { storeId: 'S1', deviceId: 'L1', orderId: 'o1', completedAt: o1, total: 1000, tax: 115, items: 2, methods: 'card' });
  await insertLine(store, { storeId: 'S1', deviceId: 'L1', orderId: 'o1', lineId: '1', sku: 'COLA', nameEn: 'Coca-Cola', nameZh: '可口可乐', quantity: 2, net: 1000, tax: 115, completedAt: o1 });
  await insertPayment(store, { storeId: 'S1', deviceId: 'L1', orderId: 'o1', attemptId: 'o1a1', channel: 'card', status: 'approved', amount: 1000, startedAt: o1 - 30_000 });

  await insertOrder(store, { storeId: 'S1', deviceId: 'L2', orderId: 'o2', completedAt: o2, total: 2030, tax: 200, items: 3, status: 'partially_refunded', refunded: 500, methods: 'alipay' });
  await insertLine(store, { storeId: 'S1', deviceId: 'L2', orderId: 'o2', lineId: '1', sku: 'COLA', nameEn: 'Coca-Cola', nameZh: '可口可乐', net: 500, tax: 58, completedAt: o2 });
  await insertLine(store, { storeId: 'S1', deviceId: 'L2', orderId: 'o2', lineId: '2', sku: 'APPLE', nameEn: 'Apples', nameZh: '苹果', taxClass: 'reduced', net: 900, tax: 74, completedAt: o2 });
  await insertLine(store, { storeId: 'S1', deviceId: 'L2', orderId: 'o2', lineId: '3', sku: 'BREAD', nameEn: 'Bread', nameZh: '全麦面包', taxClass: 'reduced', net: 630, tax: 68, completedAt: o2 });
  await insertPayment(store, { storeId: 'S1', deviceId: 'L2', orderId: 'o2', attemptId: 'o2a1', channel: 'card', status: 'declined', amount: 2030, startedAt: o2 - 60_000 });
  await insertPayment(store, { storeId: 'S1', deviceId: 'L2', orderId: 'o2', attemptId: 'o2a2', channel: 'alipay', status: 'approved', amount: 2030, startedAt: o2 - 30_000 });
  await insertRefund(store, { storeId: 'S1', deviceId: 'L2', orderId: 'o2', seq: 40, amount: 500, ts: T('2026-11-21T00:00:00Z'), channel: 'alipay' });

  await insertOrder(store, { storeId: 'S2', deviceId: 'L1', orderId: 'o3', completedAt: o3, total: 700, tax: 81, items: 1, methods: 'wechat' });
  await insertLine(store, { storeId: 'S2', deviceId: 'L1', orderId: 'o3', lineId: '1', sku: 'TEA', nameEn: MARKUP_NAME, nameZh: null, net: 700, tax: 81, completedAt: o3 });
  await insertPayment(store, { storeId: 'S2', deviceId: 'L1', orderId: 'o3', attemptId: 'o3a1', channel: 'wechat', status: 'approved', amount: 700, startedAt: o3 - 30_000 });

  await insertOrder(store, { storeId: 'S1', deviceId: 'L1', orderId: 'o4', completedAt: o4, total: 99_999, tax: 1000, items: 50, training: true, methods: 'card' });
  await insertLine(store, { storeId: 'S1', deviceId: 'L1', orderId: 'o4', lineId: '1', sku: 'COLA', nameEn: 'Coca-Cola', nameZh: '可口可乐', quantity: 50, net: 99_999, tax: 1000, completedAt: o4, training: true });
  await insertPayment(store, { storeId: 'S1', deviceId: 'L1', orderId: 'o4', attemptId: 'o4a1', channel: 'card', status: 'approved', amount: 99_999, startedAt: o4 - 30_000, training: true });
  await insertRefund(store, { storeId: 'S1', deviceId: 'L1', orderId: 'o4', seq: 50, amount: 100, ts: o4 + 60_000, channel: 'card', training: true });

  await insertOrder(store, { storeId: 'S1', deviceId: 'L1', orderId: 'o5', completedAt: null, total: 5000, tax: 500, items: 1, status: 'cancelled' });
  await insertOrder(store, { storeId: 'S1', deviceId: 'L1', orderId: 'o6', completedAt: T('2026-11-21T16:00:30Z'), total: 3000, tax: 300, items: 1 });
  await insertLine(store, { storeId: 'S1', deviceId: 'L1', orderId: 'o6', lineId: '1', sku: 'COLA', nameEn: 'Coca-Cola', quantity: 9, net: 3000, tax: 300, completedAt: T('2026-11-21T16:00:30Z') });
  await insertOrder(store, { storeId: 'S2', deviceId: 'L1', orderId: 'o7', completedAt: T('2026-11-19T15:59:00Z'), total: 4000, tax: 400, items: 1 });
  await insertRefund(store, { storeId: 'S2', deviceId: 'L1', orderId: 'o7', seq: 60, amount: 4000, ts: T('2026-11-19T15:59:30Z') });
}

/** A kiosk HQ has heard from (the `devices` row ingest keeps per chain). */
export async function insertDevice(store: IngestStore, storeId: string, deviceId: string): Promise<void> {
  await store.db.transaction((tx) =>
    tx.run('INSERT INTO devices (store_id, device_id, contiguous_seq, last_hash, updated_at) VALUES (?, ?, 0, ?, 0)', [storeId, deviceId, '0'.repeat(64)]),
  );
}
