import type { Tx } from '../../kernel/sqlite/database';
import { textReceipt } from '../../protocol/receipts/text-receipt';
import { inScope, type Lang, type StoreScope } from '../console/types';
import type { OrderRow, PaymentRow, RefundRow } from './fold';
import { int, obj, parsePayload, text } from './journal-payload';
import { receiptOrderOf } from './receipt-snapshot';
import { refundDoubts, type RefundDoubt } from './refund-doubts';
import { returnCommands, returnInfoBySeq, type ReturnCommandRow } from './returns';

export interface TimelineEntry {
  seq: number;
  ts: number;
  type: string;
  from: string | null;
  to: string | null;
  /** The amount the entry is about (a payment's, a refund's), else the order total after it. */
  amount: number | null;
  /** In HQ's verified contiguous chain of the device (seq ≤ contiguous and the device's chain is intact). */
  verified: boolean;
}

export interface OrderDetail {
  order: OrderRow;
  timeline: TimelineEntry[];
  payments: PaymentRow[];
  /** With the return's reason and id when the refund was a return (from its `refund_issued` journal entry). */
  refunds: (RefundRow & { reason: string | null; returnId: string | null })[];
  /** HQ `return` commands sent for this order and what the kiosk answered. */
  returns: ReturnCommandRow[];
  /** The lane's refunds in doubt (`refund_in_doubt` entries) and how each was settled, from the stored journal. */
  refundDoubts: RefundDoubt[];
  /** The receipt as the kiosk printed it (from the order_completed snapshot), or null for an order not completed. */
  receipt: string | null;
  training: boolean;
}

/** The text receipt width, as the kiosk's 42-column roll prints it. */
const COLUMNS = 42;

/**
 * One order with its journal timeline, payments, refunds and printed receipt — or null when it does not exist OR
 * lies outside the user's scope (the same answer: a store manager cannot tell another store's order exists).
 */
export async function orderDetail(
  db: Pick<Tx, 'all' | 'get'>,
  scope: StoreScope,
  key: { storeId: string; deviceId: string; orderId: string },
  view: { lang: Lang; timeZone: string; currency?: string },
): Promise<OrderDetail | null> {
  if (!inScope(scope, key.storeId)) return null;
  const ids = [key.storeId, key.deviceId, key.orderId];
  const order = await db.get<OrderRow>('SELECT * FROM orders WHERE store_id = ? AND device_id = ? AND order_id = ?', ids);
  if (!order) return null;
  const device = await db.get<{ contiguous_seq: number; chain_ok: number }>('SELECT contiguous_seq, chain_ok FROM devices WHERE store_id = ? AND device_id = ?', [
    key.storeId,
    key.deviceId,
  ]);
  const entries = await db.all<{ seq: number; ts: number; type: string; payload: string }>(
    'SELECT seq, ts, type, payload FROM sales_events WHERE store_id = ? AND device_id = ? AND order_id = ? ORDER BY seq',
    ids,
  );
  let receipt: string | null = null;
  const timeline = entries.map((e): TimelineEntry => {
    const seq = Number(e.seq);
    const p = parsePayload(e.payload) ?? {};
    const ev = obj(p.event) ?? {};
    if (e.type === 'order_completed') {
      const ro = receiptOrderOf(p.order);
      if (ro) {
        receipt = textReceipt(
          ro,
          {
            storeName: key.storeId,
            storeId: key.storeId,
            deviceId: key.deviceId,
            currency: view.currency ?? 'CNY',
            minorUnits: 2,
            locale: view.lang === 'en' ? 'en' : 'zh-CN',
            timeZone: view.timeZone,
          },
          COLUMNS,
        );
      }
    }
    return {
      seq,
      ts: Number(e.ts),
      type: e.type,
      from: text(p.from, 40),
      to: text(p.to, 40),
      // a refund in doubt / its settlement: the refund attempt's amount (their payload is flat, no event)
      amount: int(ev.amount) ?? int(p.total) ?? (e.type === 'refund_in_doubt' || e.type === 'refund_doubt_settled' ? int(p.amount) : null),
      verified: !!device && Number(device.chain_ok) === 1 && seq <= Number(device.contiguous_seq),
    };
  });
  const payments = await db.all<PaymentRow>(
    'SELECT * FROM payments WHERE store_id = ? AND device_id = ? AND order_id = ? ORDER BY started_at, attempt_id',
    ids,
  );
  const refunds = await db.all<RefundRow>('SELECT * FROM refunds WHERE store_id = ? AND device_id = ? AND order_id = ? ORDER BY seq', ids);
  const returnInfo = await returnInfoBySeq(db, ids);
  const returns = await returnCommands(db, ids);
  const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    order: {
      ...order,
      receipt_no: n(order.receipt_no),
      training: Number(order.training),
      opened_at: Number(order.opened_at),
      completed_at: n(order.completed_at),
      updated_at: Number(order.updated_at),
      total: Number(order.total),
      tax_total: Number(order.tax_total),
      discount_total: Number(order.discount_total),
      refunded: Number(order.refunded),
      items: Number(order.items),
      first_seq: Number(order.first_seq),
      last_seq: Number(order.last_seq),
    },
    timeline,
    payments: payments.map((p) => ({ ...p, amount: Number(p.amount), started_at: Number(p.started_at), resolved_at: n(p.resolved_at), training: Number(p.training) })),
    refunds: refunds.map((r) => ({
      ...r,
      seq: Number(r.seq),
      amount: Number(r.amount),
      ts: Number(r.ts),
      training: Number(r.training),
      reason: returnInfo.get(Number(r.seq))?.reason ?? null,
      returnId: returnInfo.get(Number(r.seq))?.returnId ?? null,
    })),
    returns,
    refundDoubts: refundDoubts(entries),
    receipt,
    training: Number(order.training) === 1,
  };
}
