import { tryParseJson } from '../../kernel/json/bounded-json';
import { channelRefundNo, orderNoKey, type WalletChannel } from '../../protocol/payments/channel-numbers';
import type { Tx } from '../../kernel/sqlite/database';
import type { RefundAllocationRow } from '../orders/fold';

const DAY_MS = 86_400_000;

/** An approved, non-training payment of the journal (hq/orders payments projection). */
export interface JournalPayment {
  storeId: string;
  deviceId: string;
  orderId: string;
  attemptId: string;
  amount: number;
  /** resolved_at (else started_at). */
  at: number;
  /** The merchant order number the kiosk sent (reference.outTradeNo, else the attempt id). */
  orderNo: string;
  /** orderNoKey(orderNo). */
  key: string;
  /** Whether `at` lies in the day reconciled (else it is in the margin around it). */
  inDay: boolean;
  reference: Record<string, unknown> | null;
}

/** One allocation of a non-training refund to a payment of the channel. */
export interface JournalRefund {
  storeId: string;
  deviceId: string;
  orderId: string;
  attemptId: string;
  amount: number;
  at: number;
  refundNo: string;
  key: string;
  /** orderNoKey of the refunded payment's merchant order number. */
  paymentKey: string;
  inDay: boolean;
}

const parseObj = (s: string | null): Record<string, unknown> | null => {
  if (!s) return null;
  const r = tryParseJson(s, { maxBytes: 100_000 });
  return r.ok && typeof r.value === 'object' && r.value !== null && !Array.isArray(r.value) ? (r.value as Record<string, unknown>) : null;
};

/** A number the journal kept, unless safeReference masked it (it looked like a card number): then the derived one. */
const kept = (v: unknown): string | null => (typeof v === 'string' && v !== '' && !v.includes('*') ? v : null);

/** The journal's approved, non-training payments of `channel` resolved within [from − margin, to + margin). */
export async function journalPayments(db: Pick<Tx, 'all'>, channel: string, day: { from: number; to: number }, opts: { margin?: number; store?: string } = {}): Promise<JournalPayment[]> {
  const margin = opts.margin ?? DAY_MS;
  const rows = await db.all<{ store_id: string; device_id: string; order_id: string; attempt_id: string; amount: number; at: number; reference: string | null }>(
    `SELECT store_id, device_id, order_id, attempt_id, amount, COALESCE(resolved_at, started_at) AS at, reference FROM payments
     WHERE channel = ? AND status = 'approved' AND training = 0 AND COALESCE(resolved_at, started_at) >= ? AND COALESCE(resolved_at, started_at) < ?${opts.store !== undefined ? ' AND store_id = ?' : ''}
     ORDER BY at, store_id, device_id, attempt_id`,
    [channel, day.from - margin, day.to + margin, ...(opts.store !== undefined ? [opts.store] : [])],
  );
  return rows.map((r) => {
    const reference = parseObj(r.reference);
    const orderNo = kept(reference?.outTradeNo) ?? r.attempt_id;
    const at = Number(r.at);
    return {
      storeId: r.store_id,
      deviceId: r.device_id,
      orderId: r.order_id,
      attemptId: r.attempt_id,
      amount: Number(r.amount),
      at,
      orderNo,
      key: orderNoKey(orderNo),
      inDay: at >= day.from && at < day.to,
      reference,
    };
  });
}

/** The journal's non-training refund allocations to `channel` issued within [from − margin, to + margin). */
export async function journalRefunds(db: Pick<Tx, 'all'>, channel: WalletChannel, day: { from: number; to: number }, opts: { margin?: number } = {}): Promise<JournalRefund[]> {
  const margin = opts.margin ?? DAY_MS;
  const rows = await db.all<{ store_id: string; device_id: string; order_id: string; ts: number; allocations: string | null }>(
    `SELECT store_id, device_id, order_id, ts, allocations FROM refunds
     WHERE training = 0 AND allocations IS NOT NULL AND ts >= ? AND ts < ? ORDER BY ts, store_id, device_id, seq`,
    [day.from - margin, day.to + margin],
  );
  const out: JournalRefund[] = [];
  for (const r of rows) {
    const parsed = tryParseJson(r.allocations ?? '', { maxBytes: 100_000 });
    if (!parsed.ok || !Array.isArray(parsed.value)) continue;
    for (const a of parsed.value as Partial<RefundAllocationRow>[]) {
      if (a?.channel !== channel || typeof a.attemptId !== 'string' || typeof a.amount !== 'number') continue;
      const refundNo = channelRefundNo(channel, kept(a.refundNo) ?? `${a.attemptId}-refund`);
      const at = Number(r.ts);
      out.push({ storeId: r.store_id, deviceId: r.device_id, orderId: r.order_id, attemptId: a.attemptId, amount: a.amount, at, refundNo, key: orderNoKey(refundNo), paymentKey: orderNoKey(kept(a.outTradeNo) ?? a.attemptId), inDay: at >= day.from && at < day.to });
    }
  }
  return out;
}
