import * as iconv from 'iconv-lite';
import { KioskError } from '../../kernel/errors';
import { beijingWall, parseDay } from './beijing-time';
import { badLine, rawLines } from './bill-lines';
import { totalsOf, type ChannelRefund, type ChannelTrade, type ParsedBill } from './bill-types';

/**
 * UnionPay ACP general transaction detail file `INN<yyMMdd>88ZM_<merId>`: one FIXED-WIDTH record per line, fields
 * separated by one space, widths in bytes (GBK). Widths and order: UnionPay ACP 文件接口规范, as encoded in public
 * SDK code (e.g. GitHub lyonliyang/demo `com.unionpay.config.UnionField`); see docs/bill-formats.md.
 * The 账号 field (a masked card number) is never decoded or kept. Each record's 结算金额 must equal its amount
 * minus (payment) / less (refund) its fee: the file's own consistency check.
 */
const FIELDS = [
  ['code', 3], // 交易代码: S22 purchase, S30 refund
  ['agency', 11],
  ['sender', 11],
  ['trace', 6],
  ['time', 10], // MMddHHmmss
  ['account', 19], // 账号: skipped, never read
  ['amount', 12],
  ['mcc', 4],
  ['termType', 2],
  ['queryId', 21],
  ['payOld', 2],
  ['orderId', 32],
  ['cardType', 2],
  ['origTrace', 6],
  ['origTime', 10],
  ['fee', 13], // C/D + 12 digits
  ['settle', 13], // C/D + 12 digits
  ['payMethod', 4],
  ['groupMer', 15],
  ['txnType', 2], // 01 purchase, 04 refund
  ['txnSubType', 2],
  ['bizType', 6],
  ['accType', 2],
  ['billType', 4],
  ['billNo', 32],
  ['interact', 1],
  ['origQueryId', 21],
  ['merId', 15],
  ['splitMode', 1],
  ['subMerId', 15],
  ['subMerName', 32],
  ['subMerAmount', 13],
  ['net', 13],
  ['terminalId', 8],
  ['reserved', 32],
  ['discount', 13],
  ['invoice', 13],
  ['instFee', 12],
  ['instCount', 2],
  ['medium', 1],
] as const;

type Field = (typeof FIELDS)[number][0];
const OFFSETS = new Map<Field, [number, number]>();
let at = 0;
for (const [name, width] of FIELDS) {
  OFFSETS.set(name, [at, width]);
  at += width + 1;
}
/** A record's length in bytes (the fields and the single spaces between them). */
export const ZM_RECORD_BYTES = at - 1;

function field(rec: Buffer, name: Field): string {
  const [off, width] = OFFSETS.get(name) as [number, number];
  return iconv.decode(rec.subarray(off, off + width), 'gbk').trim();
}

function digits(v: string, line: number, name: string): number {
  if (!/^\d{1,13}$/.test(v)) throw badLine('unionpay', line, `${name} "${v.slice(0, 20)}" is not a number`);
  return Number(v);
}

function signed(v: string, line: number, name: string): { sign: 'C' | 'D'; fen: number } {
  const m = /^([CD])(\d{12})$/.exec(v);
  if (!m) throw badLine('unionpay', line, `${name} "${v.slice(0, 20)}" is not C/D and 12 digits`);
  return { sign: m[1] as 'C' | 'D', fen: Number(m[2]) };
}

function id(v: string, line: number, name: string): string {
  if (!/^[0-9A-Za-z]{1,40}$/.test(v)) throw badLine('unionpay', line, `${name} "${v.slice(0, 40)}" is not an id`);
  return v;
}

/**
 * The 交易传输时间 (MMddHHmmss, Beijing, no year) as epoch ms: the year that puts it nearest the bill's day (a
 * bill of 1 January may carry a transmission at 31 December 23:59:59).
 */
function timeOf(v: string, billDay: { y: number; m: number; d: number }, line: number): number {
  const m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(v);
  if (!m) throw badLine('unionpay', line, `交易传输时间 "${v.slice(0, 20)}" is not MMddHHmmss`);
  const ref = Date.UTC(billDay.y, billDay.m - 1, billDay.d);
  let best: number | null = null;
  for (const y of [billDay.y - 1, billDay.y, billDay.y + 1]) {
    const t = beijingWall(y, Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]));
    if (t !== null && (best === null || Math.abs(t - ref) < Math.abs(best - ref))) best = t;
  }
  if (best === null) throw badLine('unionpay', line, `交易传输时间 "${v}" is not a time`);
  return best;
}

/** Parses a ZM file of the business day `day` (YYYY-MM-DD; the file name's yyMMdd). */
export function parseUnionpayBill(bytes: Buffer, day: string): ParsedBill {
  const billDay = parseDay(day);
  if (!billDay) throw new KioskError('BAD_DATA', `unionpay bill: "${day.slice(0, 20)}" is not a day (YYYY-MM-DD)`);
  const trades: ChannelTrade[] = [];
  const refundRecs: (Omit<ChannelRefund, 'orderNo'> & { origQueryId: string })[] = [];
  rawLines('unionpay', bytes).forEach((rec, i) => {
    const line = i + 1;
    if (rec.length !== ZM_RECORD_BYTES) throw badLine('unionpay', line, `${rec.length} bytes, a record has ${ZM_RECORD_BYTES}`);
    for (const [name] of FIELDS.slice(0, -1)) {
      const [off, width] = OFFSETS.get(name) as [number, number];
      if (rec[off + width] !== 0x20) throw badLine('unionpay', line, `no space after ${name}`);
    }
    const code = field(rec, 'code');
    const amount = digits(field(rec, 'amount'), line, '交易金额');
    const fee = signed(field(rec, 'fee'), line, '商户手续费');
    const settle = signed(field(rec, 'settle'), line, '结算金额');
    const time = timeOf(field(rec, 'time'), billDay, line);
    const queryId = id(field(rec, 'queryId'), line, '查询流水号');
    const orderId = id(field(rec, 'orderId'), line, '商户订单号');
    if (amount <= 0) throw badLine('unionpay', line, '交易金额 is not positive');
    if (code === 'S22') {
      if (fee.sign !== 'D' || settle.sign !== 'C' || settle.fen !== amount - fee.fen) throw badLine('unionpay', line, '结算金额 is not C 交易金额 − 商户手续费 (D)');
      trades.push({ orderNo: orderId, transactionId: queryId, amount, fee: fee.fen, time, line });
    } else if (code === 'S30') {
      if (fee.sign !== 'C' || settle.sign !== 'D' || settle.fen !== amount - fee.fen) throw badLine('unionpay', line, '结算金额 is not D 交易金额 − 商户手续费 (C)');
      const origQueryId = id(field(rec, 'origQueryId'), line, '原交易查询流水号');
      refundRecs.push({ refundNo: orderId, paymentTransactionId: origQueryId, origQueryId, amount, feeReturned: fee.fen, time, line });
    } else {
      throw badLine('unionpay', line, `交易代码 "${code.slice(0, 3)}" is neither S22 nor S30`);
    }
  });
  const byQuery = new Map(trades.map((t) => [t.transactionId, t.orderNo]));
  const refunds: ChannelRefund[] = refundRecs.map(({ origQueryId, ...r }) => ({ ...r, orderNo: byQuery.get(origQueryId) ?? null }));
  return { channel: 'unionpay', trades, refunds, totals: totalsOf(trades, refunds) };
}
