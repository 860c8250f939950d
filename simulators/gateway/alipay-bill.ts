/**
 * The simulated Alipay trade bill (业务明细, what `alipay.data.dataservice.bill.downloadurl.query` with
 * bill_type=trade leads to), written from docs/bill-formats.md ("Alipay") and Alipay's export:
 * GBK text, `\r\n` lines, `#` header and footer lines, each row field followed by a TAB before its comma. As Alipay
 * does, `bill_download_url` serves a zip (`<pid>0156_<yyyyMMdd>.csv.zip`, {@link tradeBillZip}) of two GBK CSV files:
 * the detail `…_业务明细.csv` and the summary `…_业务明细(汇总).csv` (entry names GBK, bit 11 clear).
 *
 * A bill covers one business day D = [D 00:00, D+1 00:00) Beijing time (UTC+8): payments by their completion time,
 * refunds by the refund's time. Fee per trade = round-half-up(amount × rate); a refund returns
 * round-half-up(refund × rate). `billFaults` inject the discrepancies reconciliation must find.
 */
import * as iconv from 'iconv-lite';
import { writeZip } from '../zip-writer';
import type { SimTrade } from './trade-ledger';
import { formatYuan } from './yuan';

/** A discrepancy injected into a bill; each names the trade (out_trade_no) or refund (out_request_no) it applies to. */
export type BillFault =
  /** The trade is left out of the bill (it is in the kiosk's journal, not at the channel). */
  | { kind: 'drop-trade'; outTradeNo: string }
  /** A paid trade the kiosk never sent (money taken, no sale): `amount` in fen. */
  | { kind: 'phantom-trade'; outTradeNo: string; amount: number }
  /** The trade's amount in the bill is `amount` (fen) instead of what was paid; its fee stays the real one. */
  | { kind: 'trade-amount'; outTradeNo: string; amount: number }
  /** The refund's amount in the bill is `amount` (fen) instead of what was refunded. */
  | { kind: 'refund-amount'; outRequestNo: string; amount: number }
  /** The trade's fee in the bill is `fee` (fen) instead of round-half-up(amount × rate). */
  | { kind: 'trade-fee'; outTradeNo: string; fee: number };

export interface BillOptions {
  /** Business day `yyyy-MM-dd` (Beijing). */
  date: string;
  /** The merchant's partner id (16 digits). */
  pid: string;
  /** Fee rate in basis points (60 = 0.60 %). */
  feeBps: number;
  faults: readonly BillFault[];
  /** Export time (epoch ms). */
  exportedAt: number;
}

const BEIJING_MS = 8 * 3600_000;
const DAY_MS = 24 * 3600_000;

export const BILL_COLUMNS =
  '支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注';

/** round-half-up(amount × bps / 10 000), integers only. */
export function feeOf(amount: number, bps: number): number {
  return Math.floor((amount * bps + 5000) / 10_000);
}

/** `yyyy-MM-dd HH:mm:ss` in Beijing time. */
export function beijingTime(ms: number): string {
  return new Date(ms + BEIJING_MS).toISOString().slice(0, 19).replace('T', ' ');
}

/** `2026年12月05日 00:00:00` in Beijing time. */
function chineseTime(ms: number): string {
  const t = beijingTime(ms);
  return `${t.slice(0, 4)}年${t.slice(5, 7)}月${t.slice(8, 10)}日 ${t.slice(11)}`;
}

/** Start of Beijing day `yyyy-MM-dd`, epoch ms. */
export function beijingDayStart(date: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) throw new RangeError(`bill date must be yyyy-MM-dd: ${date}`);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) - BEIJING_MS;
}

interface Row {
  at: number;
  fields: string[];
}

function row(f: {
  tradeNo: string;
  outTradeNo: string;
  kind: '交易' | '退款';
  subject: string;
  created: number;
  completed: number;
  orderAmount: number;
  received: number;
  requestNo: string;
  serviceFee: number;
}): string[] {
  const zero = '0.00';
  return [
    f.tradeNo,
    f.outTradeNo,
    f.kind,
    f.subject.replace(/[,\r\n\t]/g, ' '),
    beijingTime(f.created),
    beijingTime(f.completed),
    '',
    '',
    '',
    '',
    '',
    formatYuan(f.orderAmount),
    formatYuan(f.received),
    zero,
    zero,
    zero,
    zero,
    zero,
    '',
    zero,
    zero,
    f.requestNo,
    formatYuan(f.serviceFee),
    zero,
    '',
  ];
}

interface DayRows {
  rows: Row[];
  payments: number;
  refunds: number;
  /** Sums in fen: 订单金额 of the payments, 商家实收 (payments − refunds), 服务费 (negative: charged net of returned). */
  orderAmount: number;
  received: number;
  serviceFee: number;
}

function dayRows(trades: readonly SimTrade[], o: BillOptions): DayRows {
  const from = beijingDayStart(o.date);
  const to = from + DAY_MS;
  const inDay = (t: number | undefined): t is number => t !== undefined && t >= from && t < to;
  const dropped = new Set(o.faults.flatMap((f) => (f.kind === 'drop-trade' ? [f.outTradeNo] : [])));
  const amountOf = new Map(o.faults.flatMap((f) => (f.kind === 'trade-amount' ? [[f.outTradeNo, f.amount] as const] : [])));
  const feeFault = new Map(o.faults.flatMap((f) => (f.kind === 'trade-fee' ? [[f.outTradeNo, f.fee] as const] : [])));
  const refundFault = new Map(o.faults.flatMap((f) => (f.kind === 'refund-amount' ? [[f.outRequestNo, f.amount] as const] : [])));
  const rows: Row[] = [];
  let payments = 0;
  let refunds = 0;
  for (const t of trades) {
    if (dropped.has(t.outTradeNo)) continue;
    if (inDay(t.paidAt)) {
      const fee = feeFault.get(t.outTradeNo) ?? feeOf(t.totalAmount, o.feeBps);
      const amount = amountOf.get(t.outTradeNo) ?? t.totalAmount;
      rows.push({
        at: t.paidAt,
        fields: row({ tradeNo: t.tradeNo, outTradeNo: t.outTradeNo, kind: '交易', subject: t.subject, created: t.createdAt, completed: t.paidAt, orderAmount: amount, received: amount, requestNo: '', serviceFee: -fee }),
      });
      payments++;
    }
    for (const r of t.refundLog ?? []) {
      if (!inDay(r.at)) continue;
      const amount = refundFault.get(r.requestNo) ?? r.amount;
      rows.push({
        at: r.at,
        fields: row({ tradeNo: t.tradeNo, outTradeNo: t.outTradeNo, kind: '退款', subject: t.subject, created: t.createdAt, completed: r.at, orderAmount: t.totalAmount, received: -amount, requestNo: r.requestNo, serviceFee: feeOf(r.amount, o.feeBps) }),
      });
      refunds++;
    }
  }
  let phantomNo = 0;
  for (const f of o.faults) {
    if (f.kind !== 'phantom-trade') continue;
    const at = from + 12 * 3600_000 + phantomNo * 60_000;
    phantomNo++;
    const tradeNo = `${o.date.replace(/-/g, '')}22${String(9_000_000_000 + phantomNo)}`;
    rows.push({
      at,
      fields: row({ tradeNo, outTradeNo: f.outTradeNo, kind: '交易', subject: 'phantom', created: at, completed: at, orderAmount: f.amount, received: f.amount, requestNo: '', serviceFee: -feeOf(f.amount, o.feeBps) }),
    });
    payments++;
  }
  rows.sort((a, b) => a.at - b.at);
  const sum = (col: number, kind?: string) => rows.reduce((t, r) => t + (kind && r.fields[2] !== kind ? 0 : Math.round(Number(r.fields[col]) * 100)), 0);
  return { rows, payments, refunds, orderAmount: sum(11, '交易'), received: sum(12), serviceFee: sum(22) };
}

/** `yyyyMMdd` of a bill date `yyyy-MM-dd`. */
const compact = (date: string): string => date.replace(/-/g, '');

/** The bill's text (before GBK encoding). */
export function tradeBillText(trades: readonly SimTrade[], o: BillOptions): string {
  const { rows, payments, refunds } = dayRows(trades, o);
  const from = beijingDayStart(o.date);
  const end = from + DAY_MS;
  const lines = [
    '#支付宝业务明细查询',
    `#账号：[${o.pid}]`,
    `#起始日期：[${chineseTime(from)}]   终止日期：[${chineseTime(end)}]`,
    '#-----------------------------------------业务明细列表----------------------------------------',
    BILL_COLUMNS,
    ...rows.map((r) => r.fields.map((v) => `${v}\t`).join(',')),
    '#-----------------------------------------业务明细列表结束------------------------------------',
    `#交易合计：${payments}笔，退款合计：${refunds}笔`,
    `#导出时间：[${chineseTime(o.exportedAt)}]`,
  ];
  return lines.map((l) => `${l}\r\n`).join('');
}

/** The bill as Alipay's export encodes it: GBK. */
export function tradeBill(trades: readonly SimTrade[], o: BillOptions): Buffer {
  return iconv.encode(tradeBillText(trades, o), 'gbk');
}

export const SUMMARY_COLUMNS = '门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,商家实收（元）,支付宝优惠（元）,商家优惠（元）,卡消费金额（元）,服务费（元）,分润（元）,实收净额（元）';

/**
 * The summary file (业务明细(汇总)) the zip carries next to the detail: one 合计 row over the day (no stores are
 * simulated). HQ does not read it; its layout is the simulator's reading of Alipay's export (docs/bill-formats.md).
 */
export function tradeBillSummaryText(trades: readonly SimTrade[], o: BillOptions): string {
  const d = dayRows(trades, o);
  const from = beijingDayStart(o.date);
  const zero = '0.00';
  const total = ['合计', '', String(d.payments), String(d.refunds), formatYuan(d.orderAmount), formatYuan(d.received), zero, zero, zero, formatYuan(d.serviceFee), zero, formatYuan(d.received + d.serviceFee)];
  const lines = [
    '#支付宝业务汇总查询',
    `#账号：[${o.pid}]`,
    `#起始日期：[${chineseTime(from)}]   终止日期：[${chineseTime(from + DAY_MS)}]`,
    '#-----------------------------------------业务汇总列表----------------------------------------',
    SUMMARY_COLUMNS,
    total.map((v) => `${v}\t`).join(','),
    '#-----------------------------------------业务汇总列表结束------------------------------------',
    `#导出时间：[${chineseTime(o.exportedAt)}]`,
  ];
  return lines.map((l) => `${l}\r\n`).join('');
}

/** The download's file name and its two entries' names: `<pid>0156_<yyyyMMdd>` (the user id Alipay puts in the URL). */
export function tradeBillNames(o: Pick<BillOptions, 'pid' | 'date'>): { zip: string; detail: string; summary: string } {
  const stem = `${o.pid}0156_${compact(o.date)}`;
  return { zip: `${stem}.csv.zip`, detail: `${stem}_业务明细.csv`, summary: `${stem}_业务明细(汇总).csv` };
}

/** What `bill_download_url` serves: the zip of the detail and the summary, contents and entry names in GBK. */
export function tradeBillZip(trades: readonly SimTrade[], o: BillOptions): Buffer {
  const names = tradeBillNames(o);
  return writeZip([
    { name: iconv.encode(names.detail, 'gbk'), data: tradeBill(trades, o) },
    { name: iconv.encode(names.summary, 'gbk'), data: iconv.encode(tradeBillSummaryText(trades, o), 'gbk') },
  ]);
}
