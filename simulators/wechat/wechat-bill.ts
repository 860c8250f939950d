/**
 * The WeChat Pay v2 `downloadbill` text (bill_type=ALL) the simulator serves, per docs/bill-formats.md
 * ("WeChat Pay v2 downloadbill"): UTF-8, `\r\n` lines, every field prefixed with a backtick, Beijing time, a day
 * by completion time (refunds by refund time), amounts in yuan with 2 decimals, fee = round-half-up(amount × rate).
 */
import type { WechatTrade } from './wechat-ledger';

export const BILL_HEADER =
  '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注';
export const BILL_SUMMARY_HEADER = '总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额';

/** Discrepancies written into a bill on purpose; each names the trade it applies to. */
export interface WechatBillFaults {
  /** Leave this out_trade_no's payment line out (the kiosk's journal has a sale the channel does not). */
  dropTrade?: string;
  /** Add a paid trade the kiosk never sent (money taken, no sale). */
  phantomTrade?: { outTradeNo: string; amount: number };
  /** Write another amount for this out_trade_no's payment. */
  tradeAmount?: { outTradeNo: string; amount: number };
  /** Write another amount for this out_refund_no's refund. */
  refundAmount?: { outRefundNo: string; amount: number };
  /** Write another fee for this out_trade_no's payment. */
  tradeFee?: { outTradeNo: string; fee: number };
}

export interface BillContext {
  appId: string;
  mchId: string;
  feeBps: number;
  faults: WechatBillFaults;
}

const BEIJING_MS = 8 * 3600_000;
const DAY_MS = 86_400_000;

/** round-half-up(amount × bps / 10 000), integer fen. */
export function feeOf(amountFen: number, bps: number): number {
  return Math.floor((amountFen * bps + 5000) / 10_000);
}

/** Fen as yuan with two decimals ("12.34", "-0.07"). */
export function yuan(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const a = Math.abs(fen);
  return `${sign}${Math.floor(a / 100)}.${String(a % 100).padStart(2, '0')}`;
}

function rate(bps: number): string {
  return `${Math.floor(bps / 100)}.${String(bps % 100).padStart(2, '0')}%`;
}

/** `yyyy-MM-dd HH:mm:ss` in Beijing time. */
function beijingTime(ms: number): string {
  return new Date(ms + BEIJING_MS).toISOString().slice(0, 19).replace('T', ' ');
}

/** The UTC instant where Beijing day `yyyyMMdd` starts, or null for a malformed date. */
export function beijingDayStart(billDate: string): number | null {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(billDate);
  if (!m) return null;
  const utc = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (new Date(utc).toISOString().slice(0, 10) !== `${m[1]}-${m[2]}-${m[3]}`) return null;
  return utc - BEIJING_MS;
}

interface Row {
  at: number;
  fields: string[];
  payment: number;
  refund: number;
  fee: number;
}

/** The bill of Beijing day `billDate` (yyyyMMdd), or null when there is no line for it ("No Bill Exist"). */
export function billText(trades: WechatTrade[], billDate: string, ctx: BillContext): string | null {
  const start = beijingDayStart(billDate);
  if (start === null) return null;
  const inDay = (ms: number | undefined) => ms !== undefined && ms >= start && ms < start + DAY_MS;
  const f = ctx.faults;
  const rows: Row[] = [];
  const paymentRow = (t: Pick<WechatTrade, 'outTradeNo' | 'transactionId' | 'tradeType' | 'body' | 'openid'>, at: number, amount: number, fee: number): Row => ({
    at,
    payment: amount,
    refund: 0,
    fee,
    fields: [beijingTime(at), ctx.appId, ctx.mchId, '0', '', t.transactionId, t.outTradeNo, t.openid, t.tradeType, 'SUCCESS', 'CFT', 'CNY',
      yuan(amount), '0.00', '0', '0', '0.00', '0.00', '', '', t.body, '', yuan(fee), rate(ctx.feeBps), yuan(amount), '0.00', ''],
  });
  for (const t of trades) {
    if (inDay(t.paidAt) && t.reversedAt === undefined && f.dropTrade !== t.outTradeNo) {
      const amount = f.tradeAmount?.outTradeNo === t.outTradeNo ? f.tradeAmount.amount : t.totalFee;
      const fee = f.tradeFee?.outTradeNo === t.outTradeNo ? f.tradeFee.fee : feeOf(t.totalFee, ctx.feeBps);
      rows.push(paymentRow(t, t.paidAt!, amount, fee));
    }
    for (const r of t.refunds) {
      if (!inDay(r.at)) continue;
      const amount = f.refundAmount?.outRefundNo === r.outRefundNo ? f.refundAmount.amount : r.fee;
      const returned = feeOf(r.fee, ctx.feeBps);
      rows.push({
        at: r.at,
        payment: 0,
        refund: amount,
        fee: -returned,
        fields: [beijingTime(r.at), ctx.appId, ctx.mchId, '0', '', t.transactionId, t.outTradeNo, t.openid, t.tradeType, 'REFUND', 'CFT', 'CNY',
          yuan(t.totalFee), '0.00', r.refundId, r.outRefundNo, yuan(amount), '0.00', 'ORIGINAL', 'SUCCESS', t.body, '', yuan(-returned),
          rate(ctx.feeBps), yuan(t.totalFee), yuan(amount), ''],
      });
    }
  }
  if (f.phantomTrade) {
    const p = f.phantomTrade;
    rows.push(paymentRow({ outTradeNo: p.outTradeNo, transactionId: `4200${'9'.repeat(24)}`, tradeType: 'MICROPAY', body: 'phantom', openid: 'oPhantomUser' }, start + 12 * 3600_000, p.amount, feeOf(p.amount, ctx.feeBps)));
  }
  if (rows.length === 0) return null;
  rows.sort((a, b) => a.at - b.at);
  const sum = (k: 'payment' | 'refund' | 'fee') => rows.reduce((s, r) => s + r[k], 0);
  const tick = (fields: string[]) => fields.map((v) => '`' + v).join(',');
  const lines = [
    BILL_HEADER,
    ...rows.map((r) => tick(r.fields)),
    BILL_SUMMARY_HEADER,
    tick([String(rows.length), yuan(sum('payment')), yuan(sum('refund')), '0.00', yuan(sum('fee')), yuan(sum('payment')), yuan(sum('refund'))]),
  ];
  return lines.map((l) => l + '\r\n').join('');
}
