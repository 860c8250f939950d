/**
 * What an Alipay answer means for the lane, by its documented result codes. Pure; the tables in
 * result-codes.test.ts hold each documented code to its handling.
 *
 * Sources:
 * - 公共错误码 (public result codes), https://opendocs.alipay.com/common/02km9f: 10000 接口调用成功; 20000 服务不可用
 *   (isp.unknow-error / aop.unknow-error: 系统繁忙); 20001 授权权限不足; 40001 缺少必选参数; 40002 非法的参数
 *   (isv.invalid-signature …); 40004 业务处理失败 (sub_code ACQ.*); 40006 权限不足.
 * - alipay.trade.pay (https://opendocs.alipay.com/open/02ekfp) 响应: 10003 等待用户付款 (the buyer confirms in the
 *   app: poll alipay.trade.query); 业务错误码 ACQ.SYSTEM_ERROR "请立即调用查询订单API，查询当前订单的状态，并根据订单状态决定
 *   下一步的操作"; ACQ.TRADE_HAS_SUCCESS "交易已被支付 — 确认该笔交易信息是否为当前买家的已存订单，如果是则认为交易付款成功";
 *   ACQ.CONTEXT_INCONSISTENT / ACQ.TRADE_BUYER_NOT_MATCH: a trade with this out_trade_no exists (as republished at
 *   https://jaq-doc.alibaba.com/docs/doc.htm?articleId=104632 and https://zhifubao.apifox.cn/api-126427173).
 * - 当面付 error handling (https://docs.antom.com/ac/barcode_cn/error_handling): a timeout or SYSTEM_ERROR on pay →
 *   query the trade for its final state (never pay again); if the query cannot tell either → cancel.
 * - alipay.trade.cancel (https://opendocs.alipay.com/open/02ekfi) 响应: retry_flag (Y: 需要重试, N: 不需要重试),
 *   action (close: 关闭交易无退款, refund: 产生了退款).
 */
import type { GatewayResponse } from '../gateway/gateway-client';

export type PayVerdict =
  /** Paid. */
  | { kind: 'approved' }
  /** The buyer has to confirm in the app: poll the query. */
  | { kind: 'wait' }
  /** The outcome is not known (the trade may exist, may be paid): settle it by the query — never by paying again. */
  | { kind: 'query'; why: string }
  /** A definite refusal: nothing was or will be paid. */
  | { kind: 'declined'; reason: string };

/** 40004 sub codes that say a trade with this out_trade_no exists and may be paid: settled by the query. */
export const TRADE_MAY_EXIST = new Set(['ACQ.SYSTEM_ERROR', 'ACQ.TRADE_HAS_SUCCESS', 'ACQ.CONTEXT_INCONSISTENT', 'ACQ.TRADE_BUYER_NOT_MATCH']);

/** Public codes that are definite refusals: the request was refused as a whole (signature, arguments, rights). */
export const DEFINITE_REFUSALS = new Set(['20001', '40001', '40002', '40006']);

/** The gateway refused the request's signature (40002 isv.invalid-signature): not processed, nothing charged. */
export const refusedForSignature = (r: GatewayResponse): boolean => r.code === '40002' && r.sub_code === 'isv.invalid-signature';

export const isPaidStatus = (s: unknown): boolean => s === 'TRADE_SUCCESS' || s === 'TRADE_FINISHED';

/** The shopper-facing reason of a failure: `sub_msg (sub_code)`. */
export function failureReason(r: GatewayResponse): string {
  const what = typeof r.sub_msg === 'string' && r.sub_msg !== '' ? r.sub_msg : r.msg || 'declined';
  return `${what} (${typeof r.sub_code === 'string' && r.sub_code !== '' ? r.sub_code : r.code})`;
}

/** alipay.trade.pay's answer. */
export function classifyPayAnswer(r: GatewayResponse): PayVerdict {
  switch (r.code) {
    case '10000':
      if (r.trade_status === undefined || isPaidStatus(r.trade_status)) return { kind: 'approved' };
      if (r.trade_status === 'WAIT_BUYER_PAY') return { kind: 'wait' };
      if (r.trade_status === 'TRADE_CLOSED') return { kind: 'declined', reason: 'trade closed' };
      return { kind: 'query', why: `unknown trade_status ${String(r.trade_status)}` };
    case '10003':
      return { kind: 'wait' };
    case '40004':
      if (typeof r.sub_code === 'string' && TRADE_MAY_EXIST.has(r.sub_code)) return { kind: 'query', why: failureReason(r) };
      return { kind: 'declined', reason: failureReason(r) };
    default:
      if (DEFINITE_REFUSALS.has(r.code)) return { kind: 'declined', reason: failureReason(r) };
      // 20000 service unavailable, and any code not documented: the trade may have been taken
      return { kind: 'query', why: failureReason(r) };
  }
}

export type RefundVerdict = { kind: 'refunded' } | { kind: 'query'; why: string } | { kind: 'declined'; reason: string };

/**
 * alipay.trade.refund's answer (https://opendocs.alipay.com/open/02ekfk): 10000 refunded (idempotent on
 * out_request_no); ACQ.SYSTEM_ERROR, 20000 and unknown codes → alipay.trade.fastpay.refund.query; other 40004
 * (ACQ.TRADE_NOT_EXIST, ACQ.REFUND_AMT_NOT_EQUAL_TOTAL, ACQ.SELLER_BALANCE_NOT_ENOUGH …) and the refusals → declined.
 */
export function classifyRefundAnswer(r: GatewayResponse): RefundVerdict {
  if (r.code === '10000') return { kind: 'refunded' };
  if (r.code === '40004') return r.sub_code === 'ACQ.SYSTEM_ERROR' ? { kind: 'query', why: failureReason(r) } : { kind: 'declined', reason: failureReason(r) };
  if (DEFINITE_REFUSALS.has(r.code)) return { kind: 'declined', reason: failureReason(r) };
  return { kind: 'query', why: failureReason(r) };
}

export type CancelVerdict = { kind: 'closed'; refunded: boolean } | { kind: 'retry' } | { kind: 'failed'; why: string };

/** alipay.trade.cancel's answer: done (closed, or paid and refunded), retry (retry_flag Y), or failed (retry_flag N / other). */
export function classifyCancelAnswer(r: GatewayResponse): CancelVerdict {
  if (r.code === '10000') return { kind: 'closed', refunded: r.action === 'refund' };
  if (r.retry_flag === 'Y') return { kind: 'retry' };
  if (r.retry_flag === 'N') return { kind: 'failed', why: failureReason(r) };
  // no retry_flag (e.g. a gateway-level 20000): a system error is worth retrying, anything else is not
  if (r.code === '20000' || r.sub_code === 'ACQ.SYSTEM_ERROR') return { kind: 'retry' };
  return { kind: 'failed', why: failureReason(r) };
}
