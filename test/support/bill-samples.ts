import * as iconv from 'iconv-lite';

/**
 * Bill files written by hand from the format spec (docs/bill-formats.md), for the parser and matcher tests:
 * the WeChat and Alipay lines are quoted as a channel writes them; UnionPay's fixed-width records are padded here
 * field by field (widths from the spec's field list, written out again independently of the parser's table).
 */
export const WECHAT_HEAD =
  '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注';
export const WECHAT_SUM_HEAD = '总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额';

/** One WeChat payment row: `` `2026-12-05 10:15:02,`wx…,… `` */
export function wechatPayment(o: { time: string; txn: string; orderNo: string; amount: string; fee: string; name?: string }): string {
  return ['`' + o.time, 'wx2421b1c4370ec43b', '10000100', '0', '1000', o.txn, o.orderNo, 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o', 'MICROPAY', 'SUCCESS', 'CFT', 'CNY', o.amount, '0.00', '0', '0', '0.00', '0.00', '', '', o.name ?? '自助收银', '', o.fee, '0.60%', o.amount, '0.00', ''].join(',`');
}

export function wechatRefund(o: { time: string; txn: string; orderNo: string; refundId: string; refundNo: string; paid: string; refund: string; fee: string }): string {
  return ['`' + o.time, 'wx2421b1c4370ec43b', '10000100', '0', '1000', o.txn, o.orderNo, 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o', 'MICROPAY', 'REFUND', 'CFT', 'CNY', o.paid, '0.00', o.refundId, o.refundNo, o.refund, '0.00', 'ORIGINAL', 'SUCCESS', '自助收银', '', o.fee, '0.60%', o.paid, o.refund, ''].join(',`');
}

export function wechatBill(rows: string[], sum: string[]): Buffer {
  return Buffer.from([WECHAT_HEAD, ...rows, WECHAT_SUM_HEAD, '`' + sum.join(',`')].join('\r\n') + '\r\n', 'utf8');
}

export const ALIPAY_HEAD =
  '支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注';

/** One Alipay row: every field followed by a TAB before its comma. */
export function alipayRow(o: { txn: string; orderNo: string; kind: '交易' | '退款'; time: string; total: string; received: string; refundNo?: string; fee: string }): string {
  const f = [o.txn, o.orderNo, o.kind, '自助收银', o.time, o.time, '', '', '', '', '', o.total, o.received, '0.00', '0.00', '0.00', '0.00', '0.00', '', '0.00', '0.00', o.refundNo ?? '', o.fee, '0.00', ''];
  return f.map((x) => `${x}\t`).join(',');
}

export function alipayBill(rows: string[], counts: [number, number], encoding: 'gbk' | 'utf8' = 'gbk'): Buffer {
  const text = [
    '#支付宝业务明细查询',
    '#账号：[2088000000000001]',
    '#起始日期：[2026年12月05日 00:00:00]   终止日期：[2026年12月06日 00:00:00]',
    '#-----------------------------------------业务明细列表----------------------------------------',
    ALIPAY_HEAD,
    ...rows,
    '#-----------------------------------------业务明细列表结束------------------------------------',
    `#交易合计：${counts[0]}笔，退款合计：${counts[1]}笔`,
    '#导出时间：[2026年12月06日 09:00:00]',
  ].join('\r\n') + '\r\n';
  return encoding === 'gbk' ? iconv.encode(text, 'gbk') : Buffer.from(text, 'utf8');
}

/** The ZM record's fields in the spec's order: [width, numeric (right-aligned, zero-padded)]. */
const ZM: [string, number, boolean][] = [
  ['交易代码', 3, false], ['代理机构标识码', 11, false], ['发送机构标识码', 11, false], ['系统跟踪号', 6, true], ['交易传输时间', 10, true],
  ['账号', 19, false], ['交易金额', 12, true], ['商户类别', 4, true], ['终端类型', 2, true], ['查询流水号', 21, false],
  ['支付方式（旧）', 2, false], ['商户订单号', 32, false], ['支付卡类型', 2, false], ['原始交易的系统跟踪号', 6, true], ['原始交易日期时间', 10, true],
  ['商户手续费', 13, false], ['结算金额', 13, false], ['支付方式', 4, false], ['集团商户代码', 15, false], ['交易类型', 2, false],
  ['交易子类', 2, false], ['业务类型', 6, false], ['账号类型', 2, false], ['账单类型', 4, false], ['账单号码', 32, false],
  ['交互方式', 1, false], ['原交易查询流水号', 21, false], ['商户代码', 15, false], ['分账入账方式', 1, false], ['二级商户代码', 15, false],
  ['二级商户简称', 32, false], ['二级商户分账入账金额', 13, false], ['清算净额', 13, false], ['终端号', 8, false], ['商户自定义域', 32, false],
  ['优惠金额', 13, false], ['发票金额', 13, false], ['分期付款附加手续费', 12, false], ['分期付款期数', 2, false], ['交易介质', 1, false],
];

/** One ZM record from the fields given by their spec names (others blank / zero). */
export function zmRecord(values: Record<string, string>): string {
  return ZM.map(([name, width, numeric]) => {
    const v = values[name] ?? (numeric ? '0' : '');
    if (v.length > width) throw new Error(`${name} wider than ${width}`);
    return numeric ? v.padStart(width, '0') : v.padEnd(width, ' ');
  }).join(' ');
}

export const zmPayment = (o: { trace: string; time: string; amount: number; queryId: string; orderId: string; fee: number; account?: string }) =>
  zmRecord({
    交易代码: 'S22', 代理机构标识码: '00000000', 发送机构标识码: '00000000', 系统跟踪号: o.trace, 交易传输时间: o.time, 账号: o.account ?? '',
    交易金额: String(o.amount), 商户类别: '5411', 终端类型: '11', 查询流水号: o.queryId, 商户订单号: o.orderId,
    商户手续费: `D${String(o.fee).padStart(12, '0')}`, 结算金额: `C${String(o.amount - o.fee).padStart(12, '0')}`, 支付方式: '0001',
    交易类型: '01', 交易子类: '00', 业务类型: '000000', 商户代码: '777290058110048',
  });

export const zmRefund = (o: { trace: string; time: string; amount: number; queryId: string; orderId: string; fee: number; origQueryId: string; origTrace: string; origTime: string }) =>
  zmRecord({
    交易代码: 'S30', 代理机构标识码: '00000000', 发送机构标识码: '00000000', 系统跟踪号: o.trace, 交易传输时间: o.time,
    交易金额: String(o.amount), 商户类别: '5411', 终端类型: '11', 查询流水号: o.queryId, 商户订单号: o.orderId, 原始交易的系统跟踪号: o.origTrace, 原始交易日期时间: o.origTime,
    商户手续费: `C${String(o.fee).padStart(12, '0')}`, 结算金额: `D${String(o.amount - o.fee).padStart(12, '0')}`, 支付方式: '0001',
    交易类型: '04', 交易子类: '00', 业务类型: '000000', 原交易查询流水号: o.origQueryId, 商户代码: '777290058110048',
  });

export const zmFile = (records: string[]): Buffer => iconv.encode(records.map((r) => `${r}\r\n`).join(''), 'gbk');
