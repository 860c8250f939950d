/**
 * The UnionPay simulator's ZM bill writer (simulators/unionpay/zm-bill.ts) and HQ's parser
 * (hq/reconcile/unionpay-bill.ts) are written apart from the same spec; a bill one writes, the other reads back.
 */
import type { AcpOrder } from '../../simulators/unionpay/acp-ledger';
import { writeZmBill } from '../../simulators/unionpay/zm-bill';
import { parseUnionpayBill } from '../../hq/reconcile/unionpay-bill';

const at = Date.UTC(2026, 11, 5, 3, 4, 5); // 11:04:05 Beijing
const base = { txnTime: '20261205110405', kind: 'consume', txnSubType: '06', status: 'PAID', pollsUntilPaid: 0, refundedAmount: 0, createdAt: at } as const;
const orders: AcpOrder[] = [
  { ...base, orderId: '0b8f00011c2d4e5f8a9b000000000001', txnAmt: 1234, queryId: '202612051104050000001', traceNo: '000001', traceTime: '1205110405', completedAt: at, termId: '00000001' },
  { ...base, orderId: '0b8f00011c2d4e5f8a9b000000000002', txnAmt: 2000, queryId: '202612051104060000002', traceNo: '000002', traceTime: '1205110406', completedAt: at + 1000 },
  {
    ...base,
    kind: 'refund',
    txnSubType: '00',
    orderId: '0b8f00011c2d4e5f8a9b000000000001refund1',
    txnAmt: 1000,
    queryId: '202612051204050000003',
    traceNo: '000003',
    traceTime: '1205120405',
    origQryId: '202612051104050000001',
    completedAt: at + 3_600_000,
  },
];

describe('UnionPay ZM bill: simulator writes, HQ reads', () => {
  it('trades, refunds, fees and the refund→payment link survive the round trip', () => {
    const text = writeZmBill({ orders, date: '2026-12-05', merId: '777290058110048', feeBps: 38 });
    const bill = parseUnionpayBill(Buffer.from(text, 'latin1'), '2026-12-05');
    expect(bill.trades.map((t) => [t.orderNo, t.transactionId, t.amount, t.fee, t.time])).toEqual([
      ['0b8f00011c2d4e5f8a9b000000000001', '202612051104050000001', 1234, 5, at],
      ['0b8f00011c2d4e5f8a9b000000000002', '202612051104060000002', 2000, 8, at + 1000],
    ]);
    expect(bill.refunds).toHaveLength(1);
    expect(bill.refunds[0]).toMatchObject({ orderNo: '0b8f00011c2d4e5f8a9b000000000001', paymentTransactionId: '202612051104050000001', amount: 1000, feeReturned: 4, time: at + 3_600_000 });
  });

  it('each bill fault still parses (the file stays self-consistent), with the fault visible', () => {
    const write = (faults: Parameters<typeof writeZmBill>[0]['faults']) =>
      parseUnionpayBill(Buffer.from(writeZmBill({ orders, date: '2026-12-05', merId: '777290058110048', feeBps: 38, faults }), 'latin1'), '2026-12-05');
    expect(write({ dropTrade: orders[1].orderId }).trades).toHaveLength(1);
    expect(write({ phantomTrade: { orderId: 'ffffffffffffffffffffffffffffffff', amount: 999 } }).trades.map((t) => t.orderNo)).toContain('ffffffffffffffffffffffffffffffff');
    expect(write({ tradeAmount: { orderId: orders[1].orderId, amount: 2100 } }).trades[1].amount).toBe(2100);
    expect(write({ refundAmount: { orderId: orders[2].orderId, amount: 1100 } }).refunds[0].amount).toBe(1100);
    expect(write({ tradeFee: { orderId: orders[0].orderId, fee: 7 } }).trades[0].fee).toBe(7);
  });
});
