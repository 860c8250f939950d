/**
 * Interop: the channel simulators' bill writers (simulators/, written from docs/bill-formats.md by other
 * hands) read by HQ's bill parsers (hq/reconcile, written from the same spec independently). A payment of 12.50
 * (fee 0.075 → 0.08 at 60 bps, half up), a refund of 2.50, and a phantom trade: each parser reads what the writer
 * meant, to the fen.
 */
import * as iconv from 'iconv-lite';
import { tradeBill } from '../../simulators/gateway/alipay-bill';
import type { SimTrade } from '../../simulators/gateway/trade-ledger';
import { billText } from '../../simulators/wechat/wechat-bill';
import type { WechatTrade } from '../../simulators/wechat/wechat-ledger';
import { writeZmBill } from '../../simulators/unionpay/zm-bill';
import type { AcpOrder } from '../../simulators/unionpay/acp-ledger';
import { parseAlipayBill } from '../../hq/reconcile/alipay-bill';
import { parseWechatBill } from '../../hq/reconcile/wechat-bill';
import { parseUnionpayBill } from '../../hq/reconcile/unionpay-bill';

const PAID = Date.parse('2026-12-05T10:15:02+08:00');
const REFUNDED = Date.parse('2026-12-05T18:00:00+08:00');
const NO = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';

it('WeChat Pay: the simulator\'s downloadbill reads back to the fen', () => {
  const trade: WechatTrade = {
    outTradeNo: NO, transactionId: '4200000001202612050000000001', tradeType: 'MICROPAY', totalFee: 1250, body: '自助收银', state: 'REFUND',
    queriesUntilPaid: -1, createdAt: PAID - 1000, paidAt: PAID, openid: 'o1', refunds: [{ outRefundNo: `${NO}-refund-1`, refundId: '5000001', fee: 250, at: REFUNDED }], refundedFee: 250,
  };
  const text = billText([trade], '20261205', { appId: 'wx1', mchId: '10000100', feeBps: 60, faults: { phantomTrade: { outTradeNo: 'f'.repeat(32), amount: 999 } } });
  const bill = parseWechatBill(Buffer.from(text ?? '', 'utf8'));
  expect(bill.trades.map((t) => [t.orderNo, t.amount, t.fee, t.time])).toEqual(expect.arrayContaining([[NO, 1250, 8, PAID], ['f'.repeat(32), 999, 6, expect.any(Number)]]));
  expect(bill.refunds.map((r) => [r.refundNo, r.orderNo, r.amount, r.feeReturned, r.time])).toEqual([[`${NO}-refund-1`, NO, 250, 2, REFUNDED]]);
});

it('Alipay: the simulator\'s GBK trade bill reads back to the fen', () => {
  const trade: SimTrade = {
    outTradeNo: `${NO.slice(0, 8)}-1111-4222-8333-944455556666`, tradeNo: '2026120522001400000000000001', kind: 'pay', totalAmount: 1250, subject: '自助收银', status: 'TRADE_SUCCESS',
    pollsUntilPaid: -1, cancelAtNextQuery: false, refunds: { 'req-1': 250 }, refundLog: [{ requestNo: 'req-1', amount: 250, at: REFUNDED }], refundedAmount: 250, createdAt: PAID - 1000, paidAt: PAID,
  };
  const bytes = tradeBill([trade], { date: '2026-12-05', pid: '2088000000000001', feeBps: 60, faults: [], exportedAt: Date.parse('2026-12-06T09:00:00+08:00') });
  expect(iconv.decode(bytes, 'gbk')).toContain('业务明细列表');
  const bill = parseAlipayBill(bytes);
  expect(bill.trades.map((t) => [t.orderNo, t.amount, t.fee, t.time])).toEqual([[trade.outTradeNo, 1250, 8, PAID]]);
  expect(bill.refunds.map((r) => [r.refundNo, r.orderNo, r.amount, r.feeReturned, r.time])).toEqual([['req-1', trade.outTradeNo, 250, 2, REFUNDED]]);
});

it('UnionPay: the simulator\'s ZM file reads back to the fen; the refund linked to its payment', () => {
  const base = { txnSubType: '01', pollsUntilPaid: -1, createdAt: PAID - 1000, refundedAmount: 0 };
  const orders: AcpOrder[] = [
    { ...base, orderId: NO, txnTime: '20261205101500', kind: 'qr', txnAmt: 1250, queryId: '612051015020000001234', traceNo: '000123', traceTime: '1205101502', status: 'PAID', completedAt: PAID, refundedAmount: 250 },
    { ...base, orderId: `${NO.slice(0, 24)}refund1`, txnTime: '20261205180000', kind: 'refund', txnAmt: 250, queryId: '612051800000000001240', traceNo: '000124', traceTime: '1205180000', status: 'PAID', completedAt: REFUNDED, origQryId: '612051015020000001234' },
  ];
  const bytes = iconv.encode(writeZmBill({ orders, date: '2026-12-05', merId: '777290058110048', feeBps: 38 }), 'gbk');
  const bill = parseUnionpayBill(bytes, '2026-12-05');
  // 1250 × 0.38 % = 4.75 → 5; 250 × 0.38 % = 0.95 → 1
  expect(bill.trades.map((t) => [t.orderNo, t.amount, t.fee, t.transactionId])).toEqual([[NO, 1250, 5, '612051015020000001234']]);
  expect(bill.refunds.map((r) => [r.refundNo, r.orderNo, r.amount, r.feeReturned])).toEqual([[`${NO.slice(0, 24)}refund1`, NO, 250, 1]]);
});
