/**
 * The UnionPay ACP general transaction detail file `INN<yyMMdd>88ZM_<merId>` as the simulator writes it
 * (docs/bill-formats.md; field list and widths from the UnionPay ACP 文件接口规范 as encoded in public SDK code,
 * e.g. GitHub lyonliyang/demo `com.unionpay.config.UnionField`): one fixed-width record per line, `\r\n`, fields in
 * order separated by one space; text left-aligned space-padded, numbers right-aligned zero-padded, amounts in fen.
 * Payments (S22) by their completion time, refunds (S30) by theirs, within the Beijing day; reversed (冲正) payments
 * never settle and are left out. Never a card number: 账号 is blank (QR).
 */
import type { AcpOrder } from './acp-ledger';

/** Faults written into the bill, each naming the order it applies to. */
export interface ZmBillFaults {
  /** Leave this payment (orderId) out. */
  dropTrade?: string;
  /** Add a paid trade the kiosk never sent. */
  phantomTrade?: { orderId: string; amount: number };
  /** Write this payment with another amount. */
  tradeAmount?: { orderId: string; amount: number };
  /** Write this refund (the refund's orderId) with another amount. */
  refundAmount?: { orderId: string; amount: number };
  /** Write this payment with another fee. */
  tradeFee?: { orderId: string; fee: number };
}

export interface ZmBillInput {
  orders: readonly AcpOrder[];
  /** The Beijing business day, YYYY-MM-DD. */
  date: string;
  merId: string;
  feeBps: number;
  faults?: ZmBillFaults;
  /** 代理机构 / 发送机构标识码. */
  acqInsCode?: string;
}

const BEIJING_MS = 8 * 3600 * 1000;

/** round-half-up(amount × bps / 10 000) in integers. */
export function feeOf(amount: number, bps: number): number {
  return Math.floor((amount * bps + 5000) / 10_000);
}

function an(v: string, width: number): string {
  return v.length >= width ? v.slice(0, width) : v + ' '.repeat(width - v.length);
}

function n(v: number | string, width: number): string {
  const s = String(v);
  if (!/^[0-9]+$/.test(s) || s.length > width) throw new RangeError(`numeric field ${s} does not fit ${width}`);
  return s.padStart(width, '0');
}

function signed(sign: 'C' | 'D', amount: number): string {
  return sign + n(amount, 12);
}

/** MMddHHmmss (Beijing) of an instant. */
function mmddhhmmss(ms: number): string {
  return new Date(ms + BEIJING_MS).toISOString().replace(/[-:T]/g, '').slice(4, 14);
}

/** The file name for a day: INN<yyMMdd>88ZM_<merId>. */
export function zmFileName(date: string, merId: string): string {
  return `INN${date.slice(2, 4)}${date.slice(5, 7)}${date.slice(8, 10)}88ZM_${merId}`;
}

interface Row {
  at: number;
  code: 'S22' | 'S30';
  traceNo: string;
  amount: number;
  queryId: string;
  orderId: string;
  origTraceNo: string;
  origTime: string;
  fee: number;
  txnType: '01' | '04';
  txnSubType: string;
  origQueryId: string;
  termId: string;
}

function record(r: Row, merId: string, ins: string): string {
  const payment = r.code === 'S22';
  const fields = [
    an(r.code, 3), // 交易代码
    an(ins, 11), // 代理机构标识码
    an(ins, 11), // 发送机构标识码
    n(r.traceNo, 6), // 系统跟踪号
    n(mmddhhmmss(r.at), 10), // 交易传输时间
    an('', 19), // 账号 (QR: blank)
    n(r.amount, 12), // 交易金额
    an('5411', 4), // 商户类别
    an('11', 2), // 终端类型
    an(r.queryId, 21), // 查询流水号
    an('', 2), // 支付方式（旧）
    an(r.orderId, 32), // 商户订单号
    an('', 2), // 支付卡类型
    n(r.origTraceNo, 6), // 原始交易的系统跟踪号
    n(r.origTime, 10), // 原始交易日期时间
    signed(payment ? 'D' : 'C', r.fee), // 商户手续费
    signed(payment ? 'C' : 'D', r.amount - r.fee), // 结算金额
    an('0001', 4), // 支付方式
    an('', 15), // 集团商户代码
    an(r.txnType, 2), // 交易类型
    an(r.txnSubType, 2), // 交易子类
    an('000000', 6), // 业务类型
    an('', 2), // 账号类型
    an('', 4), // 账单类型
    an('', 32), // 账单号码
    an('', 1), // 交互方式
    an(r.origQueryId, 21), // 原交易查询流水号
    an(merId, 15), // 商户代码
    an('', 1), // 分账入账方式
    an('', 15), // 二级商户代码
    an('', 32), // 二级商户简称
    n(0, 13), // 二级商户分账入账金额
    n(r.amount - r.fee, 13), // 清算净额
    an(r.termId, 8), // 终端号
    an('', 32), // 商户自定义域
    n(0, 13), // 优惠金额
    n(0, 13), // 发票金额
    n(0, 12), // 分期付款附加手续费
    n(0, 2), // 分期付款期数
    an('', 1), // 交易介质
  ];
  return fields.join(' ');
}

/** The ZM file text of one Beijing day (empty string when nothing settled that day). */
export function writeZmBill(input: ZmBillInput): string {
  const { orders, merId, feeBps } = input;
  const faults = input.faults ?? {};
  const ins = input.acqInsCode ?? '48020000';
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(input.date);
  if (!m) throw new RangeError(`date must be YYYY-MM-DD: ${input.date}`);
  const from = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) - BEIJING_MS;
  const to = from + 86_400_000;
  const inDay = (t: number | undefined): t is number => t !== undefined && t >= from && t < to;
  const byQueryId = new Map(orders.filter((o) => o.kind !== 'refund').map((o) => [o.queryId, o]));
  const rows: Row[] = [];
  for (const o of orders) {
    if (o.kind !== 'refund' && o.status === 'PAID' && inDay(o.completedAt)) {
      if (faults.dropTrade === o.orderId) continue;
      const amount = faults.tradeAmount?.orderId === o.orderId ? faults.tradeAmount.amount : o.txnAmt;
      const fee = faults.tradeFee?.orderId === o.orderId ? faults.tradeFee.fee : feeOf(amount, feeBps);
      rows.push({
        at: o.completedAt,
        code: 'S22',
        traceNo: o.traceNo,
        amount,
        queryId: o.queryId,
        orderId: o.orderId,
        origTraceNo: '000000',
        origTime: '0000000000',
        fee,
        txnType: '01',
        txnSubType: o.txnSubType,
        origQueryId: '',
        termId: o.termId ?? '',
      });
    } else if (o.kind === 'refund' && o.status === 'PAID' && inDay(o.completedAt)) {
      const pay = o.origQryId ? byQueryId.get(o.origQryId) : undefined;
      const amount = faults.refundAmount?.orderId === o.orderId ? faults.refundAmount.amount : o.txnAmt;
      rows.push({
        at: o.completedAt,
        code: 'S30',
        traceNo: o.traceNo,
        amount,
        queryId: o.queryId,
        orderId: o.orderId,
        origTraceNo: pay?.traceNo ?? '000000',
        origTime: pay?.traceTime ?? '0000000000',
        fee: feeOf(amount, feeBps),
        txnType: '04',
        txnSubType: '00',
        origQueryId: o.origQryId ?? '',
        termId: pay?.termId ?? '',
      });
    }
  }
  if (faults.phantomTrade) {
    const at = from + 12 * 3_600_000;
    const amount = faults.phantomTrade.amount;
    rows.push({
      at,
      code: 'S22',
      traceNo: '999999',
      amount,
      queryId: `${input.date.replace(/-/g, '')}120000${'9'.repeat(7)}`,
      orderId: faults.phantomTrade.orderId,
      origTraceNo: '000000',
      origTime: '0000000000',
      fee: feeOf(amount, feeBps),
      txnType: '01',
      txnSubType: '06',
      origQueryId: '',
      termId: '',
    });
  }
  rows.sort((a, b) => a.at - b.at || a.queryId.localeCompare(b.queryId));
  return rows.map((r) => record(r, merId, ins) + '\r\n').join('');
}
