import * as iconv from 'iconv-lite';
import { tradeBill, tradeBillText, feeOf, type BillFault, type BillOptions } from './alipay-bill';
import type { SimTrade } from './trade-ledger';

// Beijing wall time → epoch ms
const bj = (s: string): number => Date.parse(`${s.replace(' ', 'T')}+08:00`);

const trade = (t: Partial<SimTrade> & Pick<SimTrade, 'outTradeNo' | 'tradeNo' | 'totalAmount'>): SimTrade => ({
  kind: 'pay',
  subject: 'order o-1',
  status: 'TRADE_SUCCESS',
  pollsUntilPaid: 0,
  cancelAtNextQuery: false,
  refunds: {},
  refundedAmount: 0,
  createdAt: t.paidAt ?? bj('2026-12-05 00:00:00'),
  ...t,
});

const TRADES: SimTrade[] = [
  trade({ outTradeNo: 'a-1', tradeNo: '2026120522001', totalAmount: 1234, createdAt: bj('2026-12-05 09:59:58'), paidAt: bj('2026-12-05 10:00:00') }),
  trade({
    outTradeNo: 'b-2',
    tradeNo: '2026120522002',
    totalAmount: 1000,
    createdAt: bj('2026-12-05 11:00:00'),
    paidAt: bj('2026-12-05 11:00:01'),
    refunds: { 'b-2-refund-1': 300 },
    refundLog: [{ requestNo: 'b-2-refund-1', amount: 300, at: bj('2026-12-05 15:30:00') }],
    refundedAmount: 300,
  }),
  // half-up: 750 × 0.60 % = 4.5 fen → 5
  trade({ outTradeNo: 'c-3', tradeNo: '2026120522003', totalAmount: 750, createdAt: bj('2026-12-05 23:59:59'), paidAt: bj('2026-12-05 23:59:59') }),
  // the day before and the day after: not in the bill
  trade({ outTradeNo: 'd-4', tradeNo: '2026120422004', totalAmount: 100, paidAt: bj('2026-12-04 23:59:59') }),
  trade({ outTradeNo: 'e-5', tradeNo: '2026120622005', totalAmount: 100, paidAt: bj('2026-12-06 00:00:00') }),
  // paid the day before, refunded (by a cancel) on the day: only the refund row
  trade({
    outTradeNo: 'f-6',
    tradeNo: '2026120422006',
    totalAmount: 2000,
    status: 'TRADE_CLOSED',
    createdAt: bj('2026-12-04 20:00:00'),
    paidAt: bj('2026-12-04 20:00:05'),
    refundLog: [{ requestNo: '', amount: 2000, at: bj('2026-12-05 08:00:00') }],
    refundedAmount: 2000,
  }),
  // never paid
  trade({ outTradeNo: 'g-7', tradeNo: '2026120522007', totalAmount: 500, status: 'WAIT_BUYER_PAY', paidAt: undefined, createdAt: bj('2026-12-05 12:00:00') }),
];

const OPTS: BillOptions = { date: '2026-12-05', pid: '2088000000000001', feeBps: 60, faults: [], exportedAt: bj('2026-12-06 09:00:00') };

const row = (fields: string[]) => fields.map((f) => `${f}\t`).join(',');
const Z = '0.00';
const pay = (tradeNo: string, out: string, created: string, done: string, amount: string, fee: string) =>
  row([tradeNo, out, '交易', 'order o-1', created, done, '', '', '', '', '', amount, amount, Z, Z, Z, Z, Z, '', Z, Z, '', fee, Z, '']);
const refund = (tradeNo: string, out: string, created: string, done: string, original: string, refunded: string, requestNo: string, fee: string) =>
  row([tradeNo, out, '退款', 'order o-1', created, done, '', '', '', '', '', original, `-${refunded}`, Z, Z, Z, Z, Z, '', Z, Z, requestNo, fee, Z, '']);

const HEADER = [
  '#支付宝业务明细查询',
  '#账号：[2088000000000001]',
  '#起始日期：[2026年12月05日 00:00:00]   终止日期：[2026年12月06日 00:00:00]',
  '#-----------------------------------------业务明细列表----------------------------------------',
  '支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注',
];
const footer = (payments: number, refunds: number) => [
  '#-----------------------------------------业务明细列表结束------------------------------------',
  `#交易合计：${payments}笔，退款合计：${refunds}笔`,
  '#导出时间：[2026年12月06日 09:00:00]',
];
const ROWS = {
  f6: refund('2026120422006', 'f-6', '2026-12-04 20:00:00', '2026-12-05 08:00:00', '20.00', '20.00', '', '0.12'),
  a1: pay('2026120522001', 'a-1', '2026-12-05 09:59:58', '2026-12-05 10:00:00', '12.34', '-0.07'),
  b2: pay('2026120522002', 'b-2', '2026-12-05 11:00:00', '2026-12-05 11:00:01', '10.00', '-0.06'),
  b2r: refund('2026120522002', 'b-2', '2026-12-05 11:00:00', '2026-12-05 15:30:00', '10.00', '3.00', 'b-2-refund-1', '0.02'),
  c3: pay('2026120522003', 'c-3', '2026-12-05 23:59:59', '2026-12-05 23:59:59', '7.50', '-0.05'),
};
const text = (rows: string[], payments: number, refunds: number) => [...HEADER, ...rows, ...footer(payments, refunds)].map((l) => `${l}\r\n`).join('');

describe('the simulated Alipay trade bill (docs/bill-formats.md)', () => {
  it('fees are round-half-up(amount × rate) in integers', () => {
    expect(feeOf(1234, 60)).toBe(7);
    expect(feeOf(750, 60)).toBe(5);
    expect(feeOf(300, 60)).toBe(2);
    expect(feeOf(749, 60)).toBe(4);
    expect(feeOf(1000, 38)).toBe(4);
  });

  it('one Beijing business day, payments by completion time, refunds by refund time, exactly as specified', () => {
    expect(tradeBillText(TRADES, OPTS)).toBe(text([ROWS.f6, ROWS.a1, ROWS.b2, ROWS.b2r, ROWS.c3], 3, 2));
  });

  it('is GBK on the wire', () => {
    const bytes = tradeBill(TRADES, OPTS);
    expect(iconv.decode(bytes, 'gbk')).toBe(tradeBillText(TRADES, OPTS));
    // 支 in GBK is D6 A7 (not UTF-8's E6 94 AF)
    expect([...bytes.subarray(1, 3)]).toEqual([0xd6, 0xa7]);
  });

  it.each<[string, BillFault, string[], number, number]>([
    ['drop one trade', { kind: 'drop-trade', outTradeNo: 'a-1' }, [ROWS.f6, ROWS.b2, ROWS.b2r, ROWS.c3], 2, 2],
    [
      'a phantom paid trade',
      { kind: 'phantom-trade', outTradeNo: 'never-sent-1', amount: 9999 },
      [ROWS.f6, ROWS.a1, ROWS.b2, row(['20261205229000000001', 'never-sent-1', '交易', 'phantom', '2026-12-05 12:00:00', '2026-12-05 12:00:00', '', '', '', '', '', '99.99', '99.99', Z, Z, Z, Z, Z, '', Z, Z, '', '-0.60', Z, '']), ROWS.b2r, ROWS.c3],
      4,
      2,
    ],
    ['one trade amount changed', { kind: 'trade-amount', outTradeNo: 'b-2', amount: 1001 }, [ROWS.f6, ROWS.a1, ROWS.b2.replace(/10\.00/g, '10.01'), ROWS.b2r, ROWS.c3], 3, 2],
    ['one refund amount changed', { kind: 'refund-amount', outRequestNo: 'b-2-refund-1', amount: 299 }, [ROWS.f6, ROWS.a1, ROWS.b2, ROWS.b2r.replace('-3.00', '-2.99'), ROWS.c3], 3, 2],
    ['one trade fee changed', { kind: 'trade-fee', outTradeNo: 'c-3', fee: 6 }, [ROWS.f6, ROWS.a1, ROWS.b2, ROWS.b2r, ROWS.c3.replace('-0.05', '-0.06')], 3, 2],
  ])('billFault: %s — only that trade changes', (_name, fault, rows, payments, refunds) => {
    expect(tradeBillText(TRADES, { ...OPTS, faults: [fault] })).toBe(text(rows, payments, refunds));
  });
});
