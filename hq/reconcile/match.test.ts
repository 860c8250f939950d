import { matchBill } from './match';
import { totalsOf, type ChannelRefund, type ChannelTrade } from './bill-types';
import type { JournalPayment, JournalRefund } from './journal-rows';

const DAY = Date.parse('2026-12-05T00:00:00+08:00');
const trade = (orderNo: string, amount: number, fee: number, line: number): ChannelTrade => ({ orderNo, transactionId: `t${line}`, amount, fee, time: DAY + line * 1000, line });
const refund = (refundNo: string, orderNo: string | null, amount: number, feeReturned: number, line: number): ChannelRefund => ({ refundNo, orderNo, paymentTransactionId: 'tx', amount, feeReturned, time: DAY + line * 1000, line });
const pay = (key: string, amount: number, inDay = true): JournalPayment => ({ storeId: 'S1', deviceId: 'K1', orderId: `o-${key}`, attemptId: key, amount, at: DAY, orderNo: key, key, inDay, reference: null });
const ours = (key: string, paymentKey: string, amount: number, inDay = true): JournalRefund => ({ storeId: 'S1', deviceId: 'K1', orderId: `o-${paymentKey}`, attemptId: paymentKey, amount, at: DAY, refundNo: key, key, paymentKey, inDay });
const bill = (trades: ChannelTrade[], refunds: ChannelRefund[]) => ({ channel: 'wechat' as const, trades, refunds, totals: totalsOf(trades, refunds) });

describe('matchBill', () => {
  it('refunds: one only at the channel, one only in the journal, a returned fee wrong — each once', () => {
    const r = matchBill(
      bill([trade('a1', 1000, 6, 1)], [refund('x9', 'a1', 100, 1, 2), refund('r2', 'a1', 500, 2, 3)]),
      [pay('a1', 1000)],
      [ours('r1', 'a1', 200), ours('r2', 'a1', 500)],
      60,
    );
    expect(r.items.map((i) => [i.kind, i.refundNo, i.detail])).toEqual([
      ['refund_mismatch', 'x9', 'refunded at the channel, not in the journal'],
      ['fee_mismatch', 'r2', 'the fee returned on a refund'],
      ['refund_mismatch', 'r1', 'in the journal, not refunded at the channel'],
    ]);
    expect(r.totals.matched).toBe(1);
  });

  it('a refund number the channel cut to its field width is matched by its prefix; a payment near midnight outside the day is no journal_only', () => {
    const long = 'abcdef0123456789abcdef0123456789refund1';
    const r = matchBill(bill([trade('a1', 1000, 6, 1)], [refund(long.slice(0, 32), null, 500, 3, 2)]), [pay('a1', 1000), pay('late', 700, false)], [ours(long, 'a1', 500)], 60);
    expect(r.items).toEqual([]);
    expect(r.totals.matched).toBe(2);
    expect(r.totals.journal.payments).toBe(1);
  });

  it('an order number twice in the bill: the second is channel_only; a key compared without case or dashes', () => {
    const r = matchBill(bill([trade('A-1', 1000, 6, 1), trade('a1', 1000, 6, 2)], []), [pay('a1', 1000)], [], 60);
    expect(r.items.map((i) => [i.kind, i.billLine, i.detail])).toEqual([['channel_only', 2, 'the order number is in the bill twice']]);
  });
});
