/**
 * One wallet channel's merchant API (Alipay, WeChat Pay, UnionPay QR) as the lane uses it. Each channel speaks its
 * own wire protocol in its own folder (runtime/payments/alipay|wechat|unionpay) and implements this contract; the
 * QR router (qr-router.ts) picks the channel by the shopper's payment code and is the `PaymentProvider` the
 * checkout sees.
 *
 * Rules every channel keeps (the attempt rules of provider.ts):
 * - the attempt id is the channel's merchant order number (`out_trade_no` / `orderId`): the idempotency key of
 *   pay, query, reverse and refund;
 * - `failpoint('payment.after-send')` right after the channel has the trade (its first request answered);
 * - an answer that cannot be verified, a timeout or a broken connection after sending is never success: the
 *   method rejects with a `KioskError` whose `details.unknownOutcome` is true, and the runtime calls `lookup`;
 * - `lookup` never takes money: a trade still waiting for the shopper is reversed / closed and answered declined;
 * - a refused connection (nothing sent) rejects with `DEVICE_OFFLINE` and `details.unknownOutcome: false`.
 */
import type { PaymentPrompt } from '../../../protocol/screen';
import type { AttemptContext } from '../../orders/events';
import type { LookupRequest, LookupResult, PaymentRequest, PaymentResult, RefundOutcome, RefundRequest } from '../provider';

export type ChannelId = 'alipay' | 'wechat' | 'unionpay';

export const CHANNEL_IDS: readonly ChannelId[] = ['alipay', 'wechat', 'unionpay'];

export interface QrChannelOptions {
  /** Interval between order queries while the shopper confirms; default 2 000 ms. */
  pollMs?: number;
  /** How long the shopper has to confirm a shopper-presented payment; default 60 000 ms. */
  waitDeadlineMs?: number;
  /** How long a merchant-presented QR stays payable; default 120 000 ms. */
  qrDeadlineMs?: number;
  /** What the shopper is asked to do now (confirm in the app, scan the code shown). */
  onPrompt?: (prompt: PaymentPrompt) => void;
}

export interface QrChannel {
  readonly channel: ChannelId;
  /**
   * Optional: what the channel must find again after a crash besides the order number (e.g. UnionPay queries by
   * orderId + the original txnTime), fixed before anything is sent; committed with the attempt and handed back to
   * `lookup` as `context`. Called once per attempt, before `payWithCode` / `payByQr`.
   */
  prepare?(req: PaymentRequest): AttemptContext | Promise<AttemptContext>;
  /**
   * Shopper-presented payment code (付款码 / micropay): pay; when the channel says the shopper must confirm
   * (Alipay 10003, WeChat USERPAYING, UnionPay "in progress") poll the order query until a final state or the
   * deadline; at the deadline reverse / cancel. The approved reference carries at least
   * `{ channel, outTradeNo, tradeNo }` (`tradeNo` = the channel's own transaction id).
   */
  payWithCode(req: PaymentRequest, authCode: string, signal: AbortSignal): Promise<PaymentResult>;
  /**
   * Merchant-presented dynamic QR (precreate / NATIVE / 主扫): create the order, hand its code to `show`, poll until
   * paid / closed / the deadline, then close it.
   */
  payByQr(req: PaymentRequest, show: (qrCode: string) => void, signal: AbortSignal): Promise<PaymentResult>;
  /** Settles an attempt whose outcome was lost, by the order query; never pays. */
  lookup(attempt: LookupRequest): Promise<LookupResult>;
  /** Refunds (part of) an approved attempt; `requestNo` is the channel's refund request number (idempotent). */
  refund(req: RefundRequest): Promise<RefundOutcome>;
  /** True when the channel answers a signed probe with a verified answer (any business result). */
  available(): Promise<boolean>;
}
