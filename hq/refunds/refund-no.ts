import { createHash } from 'node:crypto';

/**
 * The channel refund number of a refund HQ makes itself (`hq refund`, the order page's "Refund at the channel"): `HQ`
 * and the first 30 hex digits of SHA-256(attempt id, LF, HQ refund id) — 32 letters and digits, which every wallet
 * channel takes (WeChat `out_refund_no` ≤ 64 of `[0-9A-Za-z_\-|*@]`, Alipay `out_request_no` ≤ 64, UnionPay
 * `orderId` 8–40 letters and digits), and the same number for the same refund id, so a retry is the same refund at
 * the channel.
 *
 * It can never equal a kiosk's own refund number (protocol/payments/channel-numbers.ts channelRefundNo): those begin
 * with the attempt id's first hex digit ([0-9a-f], case-insensitively never `h`), these with `HQ`.
 */
export function hqRefundNo(attemptId: string, refundId: string): string {
  return `HQ${createHash('sha256').update(`${attemptId}\n${refundId}`).digest('hex').slice(0, 30)}`;
}

/** Whether a channel refund number is one HQ made (case-insensitive: HQ compares bill numbers that way). */
export function isHqRefundNo(refundNo: string): boolean {
  return /^hq[0-9a-f]{30}$/i.test(refundNo);
}

/** An HQ refund id as the CLI and the console take it: 1–64 of letters, digits, `._-`. */
export const HQ_REFUND_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
