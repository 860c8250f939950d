/**
 * The merchant numbers a kiosk sends to each wallet channel, derived from its own ids so that the kiosk (sending)
 * and HQ (reconciling the channel's bill) agree without a lookup table.
 *
 * - Alipay (`out_trade_no` ≤ 64 of letters, digits, `_-`): the attempt id as it is (a UUID), as the kiosk always sent.
 * - WeChat Pay (`out_trade_no` ≤ 32 of `[0-9A-Za-z_\-|*@]`) and UnionPay (`orderId` 8–40 letters and digits, no
 *   `-` or `_`): the UUID's 32 hex digits without dashes.
 * - Refund request numbers (`out_request_no` / `out_refund_no` / UnionPay refund `orderId`): the kiosk's refund
 *   request number (`<attempt id>-refund-<n>`); for UnionPay letters and digits only, at most 32 (the width of the
 *   ZM bill's 商户订单号): the attempt's first 28 hex digits, `R`, and n as 3 digits.
 */
export type WalletChannel = 'alipay' | 'wechat' | 'unionpay';

const ALNUM = /[^0-9A-Za-z]/g;

/** The channel's merchant order number for a payment attempt. */
export function channelOrderNo(channel: WalletChannel, attemptId: string): string {
  return channel === 'alipay' ? attemptId : attemptId.replace(ALNUM, '');
}

/** The channel's refund request number for a kiosk refund request number. */
export function channelRefundNo(channel: WalletChannel, requestNo: string): string {
  if (channel !== 'unionpay') return requestNo;
  const m = /^(.+)-refund-(\d{1,3})$/.exec(requestNo);
  return m ? `${m[1].replace(ALNUM, '').slice(0, 28)}R${m[2].padStart(3, '0')}` : requestNo.replace(ALNUM, '').slice(0, 32);
}

/**
 * The attempt id form HQ compares with a channel bill's merchant order number: case-insensitive, letters and digits
 * only (an Alipay number keeps its dashes on the wire; this strips them on both sides).
 */
export function orderNoKey(orderNo: string): string {
  return orderNo.replace(ALNUM, '').toLowerCase();
}
