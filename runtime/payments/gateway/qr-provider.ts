/**
 * Alipay payments through its open API (the `QrGatewayProvider` the lane has used since before the channel
 * contract; `runtime/payments/alipay/alipay-channel.ts` is the `QrChannel` over it). Shopper-presented code
 * (`alipay.trade.pay` with the scanned auth_code) or merchant-presented dynamic QR (`alipay.trade.precreate`), then
 * polling `alipay.trade.query` until paid, closed or the deadline — at which point the trade is reversed with
 * `alipay.trade.cancel` (honouring its `retry_flag`). Each answer is handled by its documented result code
 * (`../alipay/result-codes.ts`): 10003 → poll; 20000, ACQ.SYSTEM_ERROR, unknown codes and 40004 codes that say the
 * trade exists → query (never pay twice); other 40004 → declined with `sub_msg`; 20001/40001/40002/40006 → declined.
 * If the reversal cannot be confirmed, the outcome is unknown and `pay` rejects; the runtime then calls `lookup`,
 * which asks `alipay.trade.query` and never pays again. Amounts go out as yuan strings, converted exactly from fen.
 */
import { PollWaits } from '../channels/poll-waits';
import type { Clock } from '../../../kernel/clock';
import { KioskError, isKioskError } from '../../../kernel/errors';
import type { Minor } from '../../../kernel/money';
import { channelOrderNo, channelRefundNo } from '../../../protocol/payments/channel-numbers';
import type { PaymentPrompt } from '../../../protocol/screen';
import type { PaymentReference } from '../../orders/events';
import { failpoint } from '../../../kernel/failpoints';
import type { LookupRequest, LookupResult, PaymentProvider, PaymentRequest, PaymentResult, RefundOutcome, RefundRequest } from '../provider';
import { classifyCancelAnswer, classifyPayAnswer, classifyRefundAnswer, failureReason, isPaidStatus } from '../alipay/result-codes';
import { fenToYuan, yuanToFen } from '../../../protocol/payments/alipay/yuan';
import type { GatewayClient, GatewayResponse } from './gateway-client';

export interface QrGatewayProviderOptions {
  client: GatewayClient;
  /** Payment method name; default `qr` with `readAuthCode`, else `qr_merchant`. */
  method?: string;
  clock: Clock;
  /** Interval between trade.query polls; default 2 000 ms. */
  pollMs?: number;
  /** How long to wait for the shopper to confirm a shopper-presented payment; default 60 000 ms. */
  waitDeadlineMs?: number;
  /** How long a merchant-presented QR stays payable; default 120 000 ms. */
  qrDeadlineMs?: number;
  /**
   * Obtains the shopper's payment code (e.g. from the lane scanner). Without it, `pay` uses the merchant-presented
   * flow (precreate + `onQrCode`).
   */
  readAuthCode?: (req: PaymentRequest, signal: AbortSignal) => Promise<string>;
  /** Shows a merchant-presented QR to the shopper. */
  onQrCode?: (qrCode: string, req: PaymentRequest) => void;
  /** What the shopper is asked to do now (scan the code shown, confirm in the app), as a prompt code. */
  onPrompt?: (prompt: PaymentPrompt) => void;
  /** Subject line sent to the gateway; default `order <orderId>`. */
  subject?: (req: PaymentRequest) => string;
  /** Timeout of the health probe; default 2 000 ms. */
  probeTimeoutMs?: number;
}

export type RefundResult =
  /** `refundedTotal`: what the trade has had refunded in all, when the answer says (a refund query does not). */
  | { outcome: 'refunded'; refundedTotal?: Minor }
  | { outcome: 'declined'; reason: string };

/** The shopper confirms in the app (trade.pay answered "waiting for the buyer"). */
export const PROMPT_CONFIRM_IN_APP: PaymentPrompt = { code: 'confirm_in_app', text: 'waiting for confirmation in your app' };
/** The shopper scans the merchant-presented QR with the app. */
export const PROMPT_SCAN_QR: PaymentPrompt = { code: 'scan_merchant_qr', text: 'scan the code with your payment app' };
/** What a notify_url answers once it has taken a notification; anything else makes Alipay resend it. */
export const NOTIFICATION_ACK = 'success';
const DECLINED_TIMEOUT = 'timed out waiting for the shopper';
const DECLINED_NOT_TAKEN = 'the payment did not go through and has been cancelled';

const outTradeNo = (attemptId: string): string => channelOrderNo('alipay', attemptId);

function reference(r: GatewayResponse, attemptId: string): PaymentReference {
  const ref: PaymentReference = { gateway: 'qr', channel: 'alipay', outTradeNo: typeof r.out_trade_no === 'string' ? r.out_trade_no : outTradeNo(attemptId) };
  if (typeof r.trade_no === 'string') ref.tradeNo = r.trade_no;
  return ref;
}

/** How `awaitPayment` treats a query that finds no trade. */
type NotFound = 'keep-polling' | 'cancel';

export class QrGatewayProvider implements PaymentProvider {
  /** `qr` (shopper shows their payment code) or `qr_merchant` (the kiosk shows a dynamic QR). */
  readonly method: string;
  /** out_trade_no → verified TRADE_SUCCESS notification amount (fen). */
  private readonly notifiedPaid = new Map<string, number>();
  private readonly waits: PollWaits;

  constructor(private readonly opts: QrGatewayProviderOptions) {
    this.method = opts.method ?? (opts.readAuthCode ? 'qr' : 'qr_merchant');
    this.waits = new PollWaits(opts.clock);
  }

  private get pollMs(): number {
    return this.opts.pollMs ?? 2000;
  }

  async pay(req: PaymentRequest, signal: AbortSignal): Promise<PaymentResult> {
    if (!this.opts.readAuthCode) {
      const { qrCode } = await this.precreate(req, signal);
      failpoint('payment.after-send');
      this.opts.onQrCode?.(qrCode, req);
      this.opts.onPrompt?.(PROMPT_SCAN_QR);
      return this.awaitPayment(req, this.opts.qrDeadlineMs ?? 120_000, signal);
    }
    let authCode: string;
    try {
      authCode = await this.opts.readAuthCode(req, signal);
    } catch (e) {
      // nothing was sent to the gateway
      return { outcome: 'declined', reason: `no payment code: ${e instanceof Error ? e.message : String(e)}` };
    }
    return this.payWithCode(req, authCode, signal);
  }

  /** Shopper-presented code: alipay.trade.pay, then wait for the shopper or settle by the query as the answer says. */
  async payWithCode(req: PaymentRequest, authCode: string, signal: AbortSignal): Promise<PaymentResult> {
    const totalAmount = fenToYuan(req.amount);
    if (req.amount <= 0) throw new RangeError('amount must be positive minor units');
    const r = await this.opts.client.call(
      'alipay.trade.pay',
      {
        out_trade_no: outTradeNo(req.attemptId),
        scene: 'bar_code',
        auth_code: authCode,
        total_amount: totalAmount,
        subject: this.subject(req),
      },
      { signal },
    );
    failpoint('payment.after-send'); // the gateway has the trade
    const verdict = classifyPayAnswer(r);
    switch (verdict.kind) {
      case 'approved':
        return { outcome: 'approved', amount: this.amountOf(r, req.amount), reference: reference(r, req.attemptId) };
      case 'wait':
        this.opts.onPrompt?.(PROMPT_CONFIRM_IN_APP);
        return this.awaitPayment(req, this.opts.waitDeadlineMs ?? 60_000, signal);
      case 'query':
        // the trade may exist and may be paid: its state decides, never a second trade.pay
        return this.awaitPayment(req, this.opts.waitDeadlineMs ?? 60_000, signal, 'cancel');
      case 'declined':
        return { outcome: 'declined', reason: verdict.reason };
    }
  }

  /** Merchant-presented dynamic QR for an attempt (idempotent on attemptId). */
  async precreate(req: PaymentRequest, signal?: AbortSignal): Promise<{ qrCode: string }> {
    const totalAmount = fenToYuan(req.amount);
    const r = await this.opts.client.call(
      'alipay.trade.precreate',
      { out_trade_no: outTradeNo(req.attemptId), total_amount: totalAmount, subject: this.subject(req) },
      { signal },
    );
    if (r.code !== '10000' || typeof r.qr_code !== 'string') {
      throw new KioskError('PAYMENT_DECLINED', `precreate refused: ${failureReason(r)}`, { unknownOutcome: false });
    }
    return { qrCode: r.qr_code };
  }

  /**
   * Polls alipay.trade.query until paid / closed / deadline, then reverses with alipay.trade.cancel. Resolves
   * declined when the reversal is confirmed; rejects (unknownOutcome) when it is not. With `notFound: 'cancel'`
   * (the pay answer left it open whether the trade exists) a query that finds no trade cancels at once.
   */
  async awaitPayment(req: PaymentRequest, deadlineMs: number, signal?: AbortSignal, notFound: NotFound = 'keep-polling'): Promise<PaymentResult> {
    const clock = this.opts.clock;
    const deadline = clock.now() + deadlineMs;
    while (clock.now() < deadline && !signal?.aborted) {
      await this.waits.wait(Math.min(this.pollMs, Math.max(0, deadline - clock.now())), signal, outTradeNo(req.attemptId));
      const notified = this.notifiedPaid.get(outTradeNo(req.attemptId));
      if (notified !== undefined) {
        return { outcome: 'approved', amount: notified, reference: { gateway: 'qr', channel: 'alipay', outTradeNo: outTradeNo(req.attemptId) } };
      }
      if (signal?.aborted) break;
      let r: GatewayResponse;
      try {
        r = await this.opts.client.call('alipay.trade.query', { out_trade_no: outTradeNo(req.attemptId) }, { signal });
      } catch {
        continue; // transient; keep polling until the deadline
      }
      if (r.code === '40004' && r.sub_code === 'ACQ.TRADE_NOT_EXIST' && notFound === 'cancel') {
        return this.reverse(req.attemptId, DECLINED_NOT_TAKEN);
      }
      if (r.code !== '10000') continue;
      if (isPaidStatus(r.trade_status)) {
        return { outcome: 'approved', amount: this.amountOf(r, req.amount), reference: reference(r, req.attemptId) };
      }
      if (r.trade_status === 'TRADE_CLOSED') return { outcome: 'declined', reason: 'the shopper cancelled the payment' };
    }
    return this.reverse(req.attemptId, signal?.aborted ? 'payment aborted' : DECLINED_TIMEOUT);
  }

  /** alipay.trade.cancel until it is confirmed, retried while its answer says `retry_flag: Y` (at most 3 calls). */
  private async reverse(attemptId: string, why: string): Promise<PaymentResult> {
    let last: unknown = null;
    for (let i = 0; i < 3; i++) {
      if (i > 0) await this.waits.wait(this.pollMs);
      try {
        const r = await this.opts.client.call('alipay.trade.cancel', { out_trade_no: outTradeNo(attemptId) });
        const verdict = classifyCancelAnswer(r);
        if (verdict.kind === 'closed') return { outcome: 'declined', reason: verdict.refunded ? `${why} (the payment was refunded)` : why };
        if (verdict.kind === 'failed') {
          last = verdict.why;
          break; // retry_flag N: retrying cannot help
        }
        last = failureReason(r);
      } catch (e) {
        last = e;
        if (isKioskError(e) && e.details.unknownOutcome === false && e.code === 'DEVICE_OFFLINE') {
          // gateway unreachable; retrying immediately will not help
          break;
        }
      }
    }
    throw new KioskError('TIMEOUT', `${why}, and the reversal could not be confirmed`, {
      unknownOutcome: true,
      cause: last instanceof Error ? last.message : String(last),
    });
  }

  async lookup({ attemptId }: LookupRequest): Promise<LookupResult> {
    const notified = this.notifiedPaid.get(outTradeNo(attemptId));
    if (notified !== undefined) return { outcome: 'approved', amount: notified, reference: { gateway: 'qr', channel: 'alipay', outTradeNo: outTradeNo(attemptId) } };
    let r: GatewayResponse;
    try {
      r = await this.opts.client.call('alipay.trade.query', { out_trade_no: outTradeNo(attemptId) });
    } catch {
      return { outcome: 'unknown' };
    }
    if (r.code === '10000') {
      if (isPaidStatus(r.trade_status)) {
        const paid = yuanToFen(r.total_amount);
        if (paid === null) return { outcome: 'unknown' };
        return { outcome: 'approved', amount: paid, reference: reference(r, attemptId) };
      }
      if (r.trade_status === 'TRADE_CLOSED') return { outcome: 'declined', reason: 'trade closed' };
      if (r.trade_status === 'WAIT_BUYER_PAY') {
        // still open, and nobody is waiting for it any more: cancel it so it cannot be paid later
        try {
          return await this.reverse(attemptId, 'the payment was interrupted and has been cancelled');
        } catch {
          return { outcome: 'unknown' };
        }
      }
      return { outcome: 'unknown' };
    }
    if (r.code === '40004' && r.sub_code === 'ACQ.TRADE_NOT_EXIST') return { outcome: 'declined', reason: 'trade not found' };
    return { outcome: 'unknown' };
  }

  /** Refunds part or all of an approved attempt; `requestNo` (out_request_no) makes retries idempotent. */
  async refund(req: RefundRequest): Promise<RefundOutcome> {
    const requestNo = channelRefundNo('alipay', req.requestNo);
    const r = await this.refundTrade(req.attemptId, req.amount, requestNo);
    if (r.outcome !== 'refunded') return r;
    const ref: PaymentReference = { gateway: 'qr', channel: 'alipay', outTradeNo: outTradeNo(req.attemptId), refundRequestNo: requestNo };
    if (r.refundedTotal !== undefined) ref.refundedTotal = r.refundedTotal;
    return { outcome: 'refunded', via: 'refund', reference: ref };
  }

  /**
   * alipay.trade.refund; when its answer is unknown (20000, ACQ.SYSTEM_ERROR, a lost answer) the refund query
   * `alipay.trade.fastpay.refund.query` decides (https://opendocs.alipay.com/open/02ekfl: the refund exists when the
   * answer carries it — refund_status REFUND_SUCCESS or, without refund_status, a refund_amount); a refund it does not
   * know is sent once more with the same out_request_no (idempotent). Still unknown → rejects with unknownOutcome.
   */
  async refundTrade(attemptId: string, amount: Minor, requestNo = `${attemptId}-refund`): Promise<RefundResult> {
    const refundAmount = fenToYuan(amount);
    if (amount <= 0) throw new RangeError('refund amount must be positive minor units');
    const biz = { out_trade_no: outTradeNo(attemptId), refund_amount: refundAmount, out_request_no: requestNo };
    let why = '';
    for (let attempt = 0; attempt < 2; attempt++) {
      let r: GatewayResponse | null = null;
      try {
        r = await this.opts.client.call('alipay.trade.refund', biz);
      } catch (e) {
        if (isKioskError(e) && e.details.unknownOutcome === false) throw e; // nothing was sent
        why = e instanceof Error ? e.message : String(e);
      }
      if (r) {
        const verdict = classifyRefundAnswer(r);
        if (verdict.kind === 'refunded') {
          const total = yuanToFen(r.refund_fee);
          return total === null ? { outcome: 'refunded' } : { outcome: 'refunded', refundedTotal: total };
        }
        if (verdict.kind === 'declined') return { outcome: 'declined', reason: verdict.reason };
        why = verdict.why;
      }
      const known = await this.refundKnown(attemptId, requestNo);
      if (known) return { outcome: 'refunded' };
    }
    throw new KioskError('PROTOCOL', `Alipay could not confirm refund ${requestNo}: ${why}`, { unknownOutcome: true, requestNo });
  }

  /** True when the refund query finds the refund; false when it finds none; rejects when it cannot tell. */
  private async refundKnown(attemptId: string, requestNo: string): Promise<boolean> {
    let q: GatewayResponse;
    try {
      q = await this.opts.client.call('alipay.trade.fastpay.refund.query', { out_trade_no: outTradeNo(attemptId), out_request_no: requestNo });
    } catch (e) {
      throw new KioskError('PROTOCOL', `refund ${requestNo} is in doubt and the refund query failed: ${e instanceof Error ? e.message : String(e)}`, { unknownOutcome: true, requestNo });
    }
    if (q.code !== '10000') {
      throw new KioskError('PROTOCOL', `refund ${requestNo} is in doubt and the refund query answered ${failureReason(q)}`, { unknownOutcome: true, requestNo });
    }
    if (q.refund_status === 'REFUND_SUCCESS') return true;
    return q.refund_status === undefined && yuanToFen(q.refund_amount) !== null;
  }

  /** True when the gateway answers a signed probe with a verified response (any business code). */
  async available(): Promise<boolean> {
    try {
      await this.opts.client.call(
        'alipay.trade.query',
        { out_trade_no: 'health-probe' },
        { timeoutMs: this.opts.probeTimeoutMs ?? 2000 },
      );
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Feeds an asynchronous notification body (from the notify_url handler) and returns the text to answer with
   * (`success`). Throws KioskError PROTOCOL when it is forged (signature, app id) or incomplete. Alipay resends a
   * notification (same notify_id) until it is answered `success`: a verified repeat is `duplicate`, answered
   * `success` again and changes nothing. A verified TRADE_SUCCESS lets a waiting payment finish without the next poll.
   */
  acceptNotification(rawBody: string): { duplicate: boolean; reply: string } {
    const { notification: n, duplicate } = this.opts.client.verifyNotification(rawBody);
    if (duplicate) return { duplicate: true, reply: NOTIFICATION_ACK };
    if (isPaidStatus(n.trade_status) && Number.isSafeInteger(n.total_amount)) {
      this.notifiedPaid.set(n.out_trade_no, n.total_amount);
      this.waits.wake(n.out_trade_no); // the waiting payment ends now, not at the next query
    }
    return { duplicate: false, reply: NOTIFICATION_ACK };
  }

  private subject(req: PaymentRequest): string {
    return this.opts.subject?.(req) ?? `order ${req.orderId}`;
  }

  /** The answer's yuan `total_amount` in fen; the requested amount when the answer does not carry a valid one. */
  private amountOf(r: GatewayResponse, fallback: Minor): Minor {
    return yuanToFen(r.total_amount) ?? fallback;
  }

}
