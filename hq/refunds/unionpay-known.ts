/**
 * What HQ knows that a UnionPay refund needs (hq/refunds/unionpay-refunder.ts), read from HQ's own tables for one
 * store: the payment's queryId (its approval reference `tradeNo`, kept by the order projection) and the txnTime the
 * kiosk sent it with (the `payment_sent` event's attempt context `unionpayTxnTime`, in HQ's copy of the journal), and
 * when HQ recorded one of its own refunds (its row in `refunds`, hq/refunds/refund-rows.ts).
 */
import type { Tx } from '../../kernel/sqlite/database';
import { tryParseJson } from '../../kernel/json/bounded-json';
import { channelOrderNo } from '../../protocol/payments/channel-numbers';
import type { UnionpayKnown } from './unionpay-refunder';

const ALNUM = /^[0-9A-Za-z]{1,64}$/;
const TXN_TIME = /^[0-9]{14}$/;

const json = (text: string | null): Record<string, unknown> | null => {
  const r = tryParseJson(text ?? '', { maxBytes: 1_000_000 });
  return r.ok && typeof r.value === 'object' && r.value !== null && !Array.isArray(r.value) ? (r.value as Record<string, unknown>) : null;
};
const objOf = (v: unknown): Record<string, unknown> | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null);

/** A UUID's dashed form from its 32 hex digits (the kiosk's attempt ids), else the text as it is. */
function dashed(hex: string): string {
  return /^[0-9a-f]{32}$/i.test(hex) ? `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}` : hex;
}

export function unionpayKnown(db: Pick<Tx, 'all'>, store: string): UnionpayKnown {
  return {
    async payment(outTradeNo) {
      const none = { queryId: null, txnTime: null };
      if (!ALNUM.test(outTradeNo)) return none;
      const rows = await db.all<{ device_id: string; order_id: string; attempt_id: string; reference: string | null }>(
        "SELECT device_id, order_id, attempt_id, reference FROM payments WHERE store_id = ? AND channel = 'unionpay' AND status = 'approved' AND (attempt_id = ? OR reference LIKE ?)",
        [store, dashed(outTradeNo), `%"outTradeNo":"${outTradeNo}"%`],
      );
      const p = rows.find((r) => json(r.reference)?.outTradeNo === outTradeNo || channelOrderNo('unionpay', r.attempt_id) === outTradeNo);
      if (!p) return none;
      const tradeNo = json(p.reference)?.tradeNo;
      const queryId = typeof tradeNo === 'string' && ALNUM.test(tradeNo) ? tradeNo : null;
      const sent = await db.all<{ payload: string }>("SELECT payload FROM sales_events WHERE store_id = ? AND device_id = ? AND order_id = ? AND type = 'payment_sent' ORDER BY seq", [
        store,
        p.device_id,
        p.order_id,
      ]);
      let txnTime: string | null = null;
      for (const s of sent) {
        const ev = objOf(json(s.payload)?.event);
        if (ev?.attemptId !== p.attempt_id) continue;
        const t = objOf(ev.context)?.unionpayTxnTime;
        if ((typeof t === 'number' || typeof t === 'string') && TXN_TIME.test(String(t))) txnTime = String(t);
      }
      return { queryId, txnTime };
    },
    async refundRecordedAt(refundNo) {
      if (!ALNUM.test(refundNo)) return null;
      const rows = await db.all<{ ts: number; allocations: string | null }>('SELECT ts, allocations FROM refunds WHERE store_id = ? AND seq < 0 AND allocations LIKE ?', [store, `%"refundNo":"${refundNo}"%`]);
      for (const r of rows) {
        const list = tryParseJson(r.allocations ?? '', { maxBytes: 100_000 });
        if (list.ok && Array.isArray(list.value) && list.value.some((a) => objOf(a)?.refundNo === refundNo && objOf(a)?.via === 'hq')) return Number(r.ts);
      }
      return null;
    },
  };
}
