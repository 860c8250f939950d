import { orderNoKey } from '../../protocol/payments/channel-numbers';
import { feeOf } from './amounts';
import type { ParsedBill } from './bill-types';
import type { JournalPayment, JournalRefund } from './journal-rows';
import type { ReconcileItem, ReconcileTotals } from './items';

/**
 * Compares one channel's bill for business day D with our journal's approved, non-training payments and refunds of
 * that channel. `payments` / `refunds` are the journal's rows from a day before D to a day after (the channel's
 * clock and ours may put a trade near midnight on different days): a bill row is matched with any of them; a
 * journal row is `journal_only` only when it lies in D itself (`inDay`). Each discrepancy is reported once: a trade
 * whose amount differs is an `amount_mismatch` only (its fee is not checked again).
 */
export function matchBill(bill: ParsedBill, payments: readonly JournalPayment[], refunds: readonly JournalRefund[], bps: number): { items: ReconcileItem[]; totals: ReconcileTotals } {
  const items: ReconcileItem[] = [];
  let matched = 0;
  const ours = new Map(payments.map((p) => [p.key, p]));
  const seen = new Set<string>();
  for (const t of bill.trades) {
    const key = orderNoKey(t.orderNo);
    const j = ours.get(key);
    const base = { orderNo: t.orderNo, transactionId: t.transactionId, actualAmount: t.amount, actualFee: t.fee, at: t.time, billLine: t.line };
    if (!j || seen.has(key)) {
      items.push({ kind: 'channel_only', ...base, expectedFee: feeOf(t.amount, bps), ...(j ? { detail: 'the order number is in the bill twice' } : {}) });
      continue;
    }
    seen.add(key);
    const ids = { storeId: j.storeId, deviceId: j.deviceId, orderId: j.orderId, attemptId: j.attemptId };
    if (j.amount !== t.amount) {
      items.push({ kind: 'amount_mismatch', ...ids, ...base, expectedAmount: j.amount, expectedFee: feeOf(j.amount, bps) });
      continue;
    }
    const expected = feeOf(t.amount, bps);
    if (expected !== t.fee) items.push({ kind: 'fee_mismatch', ...ids, ...base, expectedAmount: j.amount, expectedFee: expected });
    else matched++;
  }
  for (const p of payments) {
    if (p.inDay && !seen.has(p.key)) {
      items.push({ kind: 'journal_only', storeId: p.storeId, deviceId: p.deviceId, orderId: p.orderId, attemptId: p.attemptId, orderNo: p.orderNo, expectedAmount: p.amount, expectedFee: feeOf(p.amount, bps), at: p.at });
    }
  }

  const ourRefunds = new Map(refunds.map((r) => [r.key, r]));
  const seenRefunds = new Set<string>();
  /**
   * A bill refund's journal refund: by its refund number; else (a channel that cut the number to its field's width,
   * e.g. UnionPay's 32-character 商户订单号) one not yet matched whose number starts with it (of the same amount when
   * there is one), or a refund of the same payment and amount.
   */
  const find = (r: (typeof bill.refunds)[number], key: string): JournalRefund | undefined => {
    const exact = ourRefunds.get(key);
    if (exact) return exact;
    const payment = r.orderNo ? orderNoKey(r.orderNo) : null;
    const open = refunds.filter((j) => !seenRefunds.has(j.key));
    const cut = key.length >= 16 ? open.filter((j) => j.key.startsWith(key)) : [];
    return cut.find((j) => j.amount === r.amount) ?? cut[0] ?? open.find((j) => j.paymentKey === payment && j.amount === r.amount);
  };
  for (const r of bill.refunds) {
    const found = find(r, orderNoKey(r.refundNo));
    const key = found?.key ?? orderNoKey(r.refundNo);
    const j = found;
    const base = { refundNo: r.refundNo, transactionId: r.paymentTransactionId, actualAmount: r.amount, actualFee: -r.feeReturned, at: r.time, billLine: r.line, ...(r.orderNo ? { orderNo: r.orderNo } : {}) };
    if (!j || seenRefunds.has(key)) {
      items.push({ kind: 'refund_mismatch', ...base, expectedFee: -feeOf(r.amount, bps), detail: j ? 'the refund number is in the bill twice' : 'refunded at the channel, not in the journal' });
      continue;
    }
    seenRefunds.add(key);
    const ids = { storeId: j.storeId, deviceId: j.deviceId, orderId: j.orderId, attemptId: j.attemptId };
    if (j.amount !== r.amount) {
      items.push({ kind: 'refund_mismatch', ...ids, ...base, expectedAmount: j.amount, expectedFee: -feeOf(j.amount, bps), detail: 'the amounts differ' });
      continue;
    }
    const expected = feeOf(r.amount, bps);
    if (expected !== r.feeReturned) items.push({ kind: 'fee_mismatch', ...ids, ...base, expectedAmount: j.amount, expectedFee: -expected, detail: 'the fee returned on a refund' });
    else matched++;
  }
  for (const r of refunds) {
    if (r.inDay && !seenRefunds.has(r.key)) {
      items.push({
        kind: 'refund_mismatch',
        storeId: r.storeId,
        deviceId: r.deviceId,
        orderId: r.orderId,
        attemptId: r.attemptId,
        refundNo: r.refundNo,
        expectedAmount: r.amount,
        expectedFee: -feeOf(r.amount, bps),
        at: r.at,
        detail: 'in the journal, not refunded at the channel',
      });
    }
  }

  const inDay = payments.filter((p) => p.inDay);
  const refundsInDay = refunds.filter((r) => r.inDay);
  const journalPaid = inDay.reduce((s, p) => s + p.amount, 0);
  const journalRefunded = refundsInDay.reduce((s, r) => s + r.amount, 0);
  const journalFees = inDay.reduce((s, p) => s + feeOf(p.amount, bps), 0) - refundsInDay.reduce((s, r) => s + feeOf(r.amount, bps), 0);
  const expectedFees = bill.trades.reduce((s, t) => s + feeOf(t.amount, bps), 0) - bill.refunds.reduce((s, r) => s + feeOf(r.amount, bps), 0);
  const b = bill.totals;
  const totals: ReconcileTotals = {
    matched,
    channel: { payments: b.trades, refunds: b.refunds, paymentAmount: b.tradeAmount, refundAmount: b.refundAmount },
    journal: { payments: inDay.length, refunds: refundsInDay.length, paymentAmount: journalPaid, refundAmount: journalRefunded },
    fees: { expected: expectedFees, actual: b.netFees },
    settlement: { channel: b.tradeAmount - b.refundAmount - b.netFees, journal: journalPaid - journalRefunded - journalFees },
    rates: { [bill.channel]: bps },
  };
  return { items, totals };
}
