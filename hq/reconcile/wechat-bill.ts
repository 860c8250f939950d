import { parseYuan } from './amounts';
import { parseBeijingDateTime } from './beijing-time';
import { badLine, boundedField, textLines } from './bill-lines';
import { totalsOf, type ChannelRefund, type ChannelTrade, type ParsedBill } from './bill-types';

/**
 * WeChat Pay v2 `downloadbill` (bill_type=ALL): UTF-8, `\r\n`, a header line, one line per payment (交易状态
 * SUCCESS) or refund (REFUND), every field prefixed with a backtick, then a summary header and one totals line that
 * must agree with the rows. Spec: docs/bill-formats.md (WeChat Pay v2 下载对账单 API).
 */
export const WECHAT_HEADER =
  '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注';
export const WECHAT_SUMMARY_HEADER = '总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额';

const F = { time: 0, txn: 5, orderNo: 6, status: 9, settle: 12, refundId: 14, refundNo: 15, refund: 16, fee: 22, total: 24, refundAsked: 25 } as const;
const FIELDS = 27;

/** A row's fields: `` `a,`b,`c `` → a, b, c (split at ",`" so a comma inside a product name stays in its field). */
function backtickFields(raw: string, line: number, expected: number): string[] {
  if (!raw.startsWith('`')) throw badLine('wechat', line, 'a field does not start with a backtick');
  const fields = raw.slice(1).split(',`');
  if (fields.length !== expected) throw badLine('wechat', line, `${fields.length} fields, expected ${expected}`);
  return fields.map((f, i) => boundedField('wechat', line, `field ${i + 1}`, f).trim());
}

function yuan(v: string, line: number, name: string): number {
  const fen = parseYuan(v);
  if (fen === null) throw badLine('wechat', line, `${name} "${v.slice(0, 40)}" is not an amount`);
  return fen;
}

function id(v: string, line: number, name: string): string {
  if (!/^[0-9A-Za-z_\-|*@]{1,64}$/.test(v)) throw badLine('wechat', line, `${name} "${v.slice(0, 40)}" is not an id`);
  return v;
}

export function parseWechatBill(bytes: Buffer): ParsedBill {
  const lines = textLines('wechat', bytes);
  if (lines[0]?.trim() !== WECHAT_HEADER) throw badLine('wechat', 1, 'not the header of a WeChat Pay bill');
  const summaryAt = lines.findIndex((l, i) => i > 0 && l.trim() === WECHAT_SUMMARY_HEADER);
  if (summaryAt < 0) throw badLine('wechat', lines.length + 1, 'no summary header');
  if (lines.length !== summaryAt + 2) throw badLine('wechat', summaryAt + 2, summaryAt + 2 > lines.length ? 'no summary line' : 'lines after the summary');
  const trades: ChannelTrade[] = [];
  const refunds: ChannelRefund[] = [];
  for (let i = 1; i < summaryAt; i++) {
    const line = i + 1;
    const f = backtickFields(lines[i], line, FIELDS);
    const time = parseBeijingDateTime(f[F.time]);
    if (time === null) throw badLine('wechat', line, `交易时间 "${f[F.time].slice(0, 40)}" is not yyyy-MM-dd HH:mm:ss`);
    const fee = yuan(f[F.fee], line, '手续费');
    const total = yuan(f[F.total], line, '订单金额');
    if (yuan(f[F.settle], line, '应结订单金额') !== total) throw badLine('wechat', line, '应结订单金额 differs from 订单金额');
    if (total <= 0) throw badLine('wechat', line, '订单金额 is not positive');
    if (f[F.status] === 'SUCCESS') {
      if (fee < 0) throw badLine('wechat', line, 'a payment with a negative fee');
      trades.push({ orderNo: id(f[F.orderNo], line, '商户订单号'), transactionId: id(f[F.txn], line, '微信订单号'), amount: total, fee, time, line });
    } else if (f[F.status] === 'REFUND') {
      const amount = yuan(f[F.refund], line, '退款金额');
      if (amount <= 0) throw badLine('wechat', line, '退款金额 is not positive');
      if (fee > 0) throw badLine('wechat', line, 'a refund with a positive fee');
      refunds.push({
        refundNo: id(f[F.refundNo], line, '商户退款单号'),
        orderNo: id(f[F.orderNo], line, '商户订单号'),
        paymentTransactionId: id(f[F.txn], line, '微信订单号'),
        amount,
        feeReturned: -fee,
        time,
        line,
      });
    } else {
      throw badLine('wechat', line, `交易状态 "${f[F.status].slice(0, 20)}" is neither SUCCESS nor REFUND`);
    }
  }
  const totals = totalsOf(trades, refunds);
  const line = summaryAt + 2;
  const s = backtickFields(lines[summaryAt + 1], line, 7);
  if (!/^\d{1,9}$/.test(s[0]) || Number(s[0]) !== trades.length + refunds.length) throw badLine('wechat', line, `总交易单数 ${s[0].slice(0, 20)} but ${trades.length + refunds.length} rows`);
  const want: [number, number, string][] = [
    [yuan(s[1], line, '应结订单总金额'), totals.tradeAmount, '应结订单总金额'],
    [yuan(s[2], line, '退款总金额'), totals.refundAmount, '退款总金额'],
    [yuan(s[4], line, '手续费总金额'), totals.netFees, '手续费总金额'],
    [yuan(s[5], line, '订单总金额'), totals.tradeAmount, '订单总金额'],
    [yuan(s[6], line, '申请退款总金额'), totals.refundAmount, '申请退款总金额'],
  ];
  for (const [stated, rows, name] of want) if (stated !== rows) throw badLine('wechat', line, `${name} ${stated} fen but the rows sum to ${rows}`);
  return { channel: 'wechat', trades, refunds, totals };
}
