import { parseYuan } from './amounts';
import { parseBeijingDateTime } from './beijing-time';
import { badLine, boundedField, textLines } from './bill-lines';
import { totalsOf, type ChannelRefund, type ChannelTrade, type ParsedBill } from './bill-types';

/**
 * Alipay trade bill (业务明细, bill_type=trade): GBK (UTF-8 accepted), `\r\n`, `#` comment lines around a header
 * and one row per payment (业务类型 交易) or refund (退款); each field followed by a TAB before its comma; the
 * `#交易合计：n笔，退款合计：m笔` line must agree with the rows. Spec: docs/bill-formats.md.
 */
export const ALIPAY_HEADER =
  '支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注';

const F = { txn: 0, orderNo: 1, kind: 2, done: 5, total: 11, received: 12, refundNo: 21, fee: 22 } as const;
const FIELDS = 25;
const END = /^#-+业务明细列表结束-+$/;
const COUNTS = /^#交易合计：(\d{1,9})笔，退款合计：(\d{1,9})笔$/;

function fields(raw: string, line: number): string[] {
  // `value\t,value\t,…`: split at the TAB-comma; a file re-saved without the TABs splits at the commas
  let parts = raw.split('\t,');
  if (parts.length !== FIELDS) parts = raw.split(',');
  if (parts.length !== FIELDS) throw badLine('alipay', line, `${parts.length} fields, expected ${FIELDS}`);
  return parts.map((p, i) => boundedField('alipay', line, `field ${i + 1}`, p).trim());
}

function yuan(v: string, line: number, name: string): number {
  const fen = parseYuan(v);
  if (fen === null) throw badLine('alipay', line, `${name} "${v.slice(0, 40)}" is not an amount`);
  return fen;
}

function id(v: string, line: number, name: string): string {
  if (!/^[0-9A-Za-z_-]{1,64}$/.test(v)) throw badLine('alipay', line, `${name} "${v.slice(0, 40)}" is not an id`);
  return v;
}

export function parseAlipayBill(bytes: Buffer): ParsedBill {
  const lines = textLines('alipay', bytes);
  if (!lines[0]?.startsWith('#支付宝业务明细查询')) throw badLine('alipay', 1, 'not an Alipay trade bill (#支付宝业务明细查询)');
  const headerAt = lines.findIndex((l) => !l.startsWith('#'));
  if (headerAt < 0 || lines[headerAt].replace(/\t/g, '').trim() !== ALIPAY_HEADER) throw badLine('alipay', headerAt < 0 ? lines.length + 1 : headerAt + 1, 'not the header of an Alipay trade bill');
  const endAt = lines.findIndex((l, i) => i > headerAt && END.test(l.trim()));
  if (endAt < 0) throw badLine('alipay', lines.length + 1, 'no end of the list (业务明细列表结束)');
  const trades: ChannelTrade[] = [];
  const refunds: ChannelRefund[] = [];
  for (let i = headerAt + 1; i < endAt; i++) {
    const line = i + 1;
    if (lines[i].startsWith('#')) throw badLine('alipay', line, 'a comment line inside the list');
    const f = fields(lines[i], line);
    const time = parseBeijingDateTime(f[F.done]);
    if (time === null) throw badLine('alipay', line, `完成时间 "${f[F.done].slice(0, 40)}" is not yyyy-MM-dd HH:mm:ss`);
    const total = yuan(f[F.total], line, '订单金额');
    const received = yuan(f[F.received], line, '商家实收');
    const fee = yuan(f[F.fee], line, '服务费');
    if (total <= 0) throw badLine('alipay', line, '订单金额 is not positive');
    if (f[F.kind] === '交易') {
      if (received !== total) throw badLine('alipay', line, '商家实收 differs from 订单金额');
      if (fee > 0) throw badLine('alipay', line, 'a payment with a positive 服务费');
      trades.push({ orderNo: id(f[F.orderNo], line, '商户订单号'), transactionId: id(f[F.txn], line, '支付宝交易号'), amount: total, fee: -fee, time, line });
    } else if (f[F.kind] === '退款') {
      if (received >= 0) throw badLine('alipay', line, 'a refund whose 商家实收 is not negative');
      if (fee < 0) throw badLine('alipay', line, 'a refund with a negative 服务费');
      refunds.push({
        refundNo: id(f[F.refundNo], line, '退款批次号/请求号'),
        orderNo: id(f[F.orderNo], line, '商户订单号'),
        paymentTransactionId: id(f[F.txn], line, '支付宝交易号'),
        amount: -received,
        feeReturned: fee,
        time,
        line,
      });
    } else {
      throw badLine('alipay', line, `业务类型 "${f[F.kind].slice(0, 20)}" is neither 交易 nor 退款`);
    }
  }
  const countsAt = endAt + 1;
  const m = COUNTS.exec(lines[countsAt]?.trim() ?? '');
  if (!m) throw badLine('alipay', countsAt + 1, 'no #交易合计：n笔，退款合计：m笔 line');
  if (Number(m[1]) !== trades.length || Number(m[2]) !== refunds.length) {
    throw badLine('alipay', countsAt + 1, `totals say ${m[1]} payments and ${m[2]} refunds, the rows are ${trades.length} and ${refunds.length}`);
  }
  for (let i = countsAt + 1; i < lines.length; i++) if (!lines[i].startsWith('#')) throw badLine('alipay', i + 1, 'a row after the totals');
  return { channel: 'alipay', trades, refunds, totals: totalsOf(trades, refunds) };
}
