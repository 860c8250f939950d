/**
 * QR payments through the gateway. Shopper-presented code (`trade.pay` with the scanned auth_code) or
 * merchant-presented dynamic QR (`trade.precreate`), then polling `trade.query` until paid, closed or the deadline —
 * at which point the trade is reversed with `trade.cancel`. If the reversal cannot be confirmed, the outcome is
 * unknown and `pay` rejects; the runtime then calls `lookup`, which asks `trade.query` and never pays again.
 */
import type { Clock } from '../../../kernel/clock';
import { KioskError, isKioskError } from '../../../kernel/errors';
import type { Minor } from '../../../kernel/money';
import type { PaymentPrompt } from '../../../protocol/screen';
import type { PaymentReference } from '../../orders/events';
import { failpoint } from '../../../kernel/failpoints';
import type { LookupRequest, LookupResult, PaymentProvider, PaymentRequest, PaymentResult, RefundOutcome, RefundRequest } from '../provider';
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
  | { outcome: 'refunded'; refundedTotal: Minor }
  | { outcome: 'declined'; reason: string };

/** The shopper confirms in the app (trade.pay answered "waiting for the buyer"). */
export const PROMPT_CONFIRM_IN_APP: PaymentPrompt = { code: 'confirm_in_app', text: 'waiting for confirmation in your app' };
/** The shopper scans the merchant-presented QR with the app. */
export const PROMPT_SCAN_QR: PaymentPrompt = { code: 'scan_merchant_qr', text: 'scan the code with your payment app' };
const DECLINED_TIMEOUT = 'timed out waiting for the shopper';

const isSuccess = (s: unknown) => s === 'TRADE_SUCCESS' || s === 'TRADE_FINISHED';

function reference(r: GatewayResponse): PaymentReference {
  const ref: PaymentReference = { gateway: 'qr' };
  if (typeof r.trade_no === 'string') ref.tradeNo = r.trade_no;
  if (typeof r.out_trade_no === 'string') ref.outTradeNo = r.out_trade_no;
  return ref;
}

function reason(r: GatewayResponse): string {
  return r.sub_msg ? `${r.sub_msg} (${r.sub_code ?? r.code})` : `${r.msg || 'declined'} (${r.sub_code ?? r.code})`;
}

export class QrGatewayProvider implements PaymentProvider {
  /** `qr` (shopper shows their payment code) or `qr_merchant` (the kiosk shows a dynamic QR). */
  readonly method: string;
  /** out_trade_no → verified TRADE_SUCCESS notification amount. */
  private readonly notifiedPaid = new Map<string, number>();

  constructor(private readonly opts: QrGatewayProviderOptions) {
    this.method = opts.method ?? (opts.readAuthCode ? 'qr' : 'qr_merchant');
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

  /** Shopper-presented code: trade.pay, then wait for the shopper if the gateway asks for it. */
  async payWithCode(req: PaymentRequest, authCode: string, signal: AbortSignal): Promise<PaymentResult> {
    if (!Number.isSafeInteger(req.amount) || req.amount <= 0) throw new RangeError('amount must be positive minor units');
    const r = await this.opts.client.call(
      'trade.pay',
      {
        out_trade_no: req.attemptId,
        scene: 'bar_code',
        auth_code: authCode,
        total_amount: req.amount,
        subject: this.subject(req),
      },
      { signal },
    );
    failpoint('payment.after-send'); // the gateway has the trade
    if (r.code === '10000' && (r.trade_status === undefined || isSuccess(r.trade_status))) {
      return { outcome: 'approved', amount: this.amountOf(r, req.amount), reference: reference(r) };
    }
    if (r.code === '10003' || (r.code === '10000' && r.trade_status === 'WAIT_BUYER_PAY')) {
      this.opts.onPrompt?.(PROMPT_CONFIRM_IN_APP);
      return this.awaitPayment(req, this.opts.waitDeadlineMs ?? 60_000, signal);
    }
    if (r.code === '10000' && r.trade_status === 'TRADE_CLOSED') return { outcome: 'declined', reason: 'trade closed' };
    if ((r.code === '40004' && r.sub_code !== 'ACQ.SYSTEM_ERROR') || r.code === '40002') {
      return { outcome: 'declined', reason: reason(r) };
    }
    throw new KioskError('PROTOCOL', `gateway could not decide trade.pay: ${reason(r)}`, { unknownOutcome: true });
  }

  /** Merchant-presented dynamic QR for an attempt (idempotent on attemptId). */
  async precreate(req: PaymentRequest, signal?: AbortSignal): Promise<{ qrCode: string }> {
    const r = await this.opts.client.call(
      'trade.precreate',
      { out_trade_no: req.attemptId, total_amount: req.amount, subject: this.subject(req) },
      { signal },
    );
    if (r.code !== '10000' || typeof r.qr_code !== 'string') {
      throw new KioskError('PAYMENT_DECLINED', `precreate refused: ${reason(r)}`, { unknownOutcome: false });
    }
    return { qrCode: r.qr_code };
  }

  /**
   * Polls trade.query until paid / closed / deadline, then reverses with trade.cancel. Resolves declined when the
   * reversal is confirmed; rejects (unknownOutcome) when it is not.
   */
  async awaitPayment(req: PaymentRequest, deadlineMs: number, signal?: AbortSignal): Promise<PaymentResult> {
    const clock = this.opts.clock;
    const deadline = clock.now() + deadlineMs;
    while (clock.now() < deadline && !signal?.aborted) {
      await this.sleep(Math.min(this.pollMs, Math.max(0, deadline - clock.now())), signal);
      const notified = this.notifiedPaid.get(req.attemptId);
      if (notified !== undefined) {
        return { outcome: 'approved', amount: notified, reference: { gateway: 'qr', outTradeNo: req.attemptId } };
      }
      if (signal?.aborted) break;
      let r: GatewayResponse;
      try {
        r = await this.opts.client.call('trade.query', { out_trade_no: req.attemptId }, { signal });
      } catch {
        continue; // transient; keep polling until the deadline
      }
      if (r.code !== '10000') continue;
      if (isSuccess(r.trade_status)) {
        return { outcome: 'approved', amount: this.amountOf(r, req.amount), reference: reference(r) };
      }
      if (r.trade_status === 'TRADE_CLOSED') return { outcome: 'declined', reason: 'the shopper cancelled the payment' };
    }
    return this.reverse(req.attemptId, signal?.aborted ? 'payment aborted' : DECLINED_TIMEOUT);
  }

  private async reverse(attemptId: string, why: string): Promise<PaymentResult> {
    let last: unknown = null;
    for (let i = 0; i < 3; i++) {
      try {
        const r = await this.opts.client.call('trade.cancel', { out_trade_no: attemptId });
        if (r.code === '10000') return { outcome: 'declined', reason: why };
        last = reason(r);
        if (r.retry_flag === 'N') break;
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
    const notified = this.notifiedPaid.get(attemptId);
    if (notified !== undefined) return { outcome: 'approved', amount: notified, reference: { gateway: 'qr', outTradeNo: attemptId } };
    let r: GatewayResponse;
    try {
      r = await this.opts.client.call('trade.query', { out_trade_no: attemptId });
    } catch {
      return { outcome: 'unknown' };
    }
    if (r.code === '10000') {
      if (isSuccess(r.trade_status)) {
        const amount = Number(r.total_amount);
        if (!Number.isSafeInteger(amount)) return { outcome: 'unknown' };
        return { outcome: 'approved', amount, reference: reference(r) };
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

  /** Refunds part or all of an approved attempt; `requestNo` makes retries idempotent (default `<attemptId>-refund`). */
  async refund(req: RefundRequest): Promise<RefundOutcome> {
    const r = await this.refundTrade(req.attemptId, req.amount, req.requestNo);
    return r.outcome === 'refunded'
      ? { outcome: 'refunded', via: 'refund', reference: { gateway: 'qr', outTradeNo: req.attemptId, refundRequestNo: req.requestNo, refundedTotal: r.refundedTotal } }
      : r;
  }

  async refundTrade(attemptId: string, amount: Minor, requestNo = `${attemptId}-refund`): Promise<RefundResult> {
    if (!Number.isSafeInteger(amount) || amount <= 0) throw new RangeError('refund amount must be positive minor units');
    const r = await this.opts.client.call('trade.refund', {
      out_trade_no: attemptId,
      refund_amount: amount,
      out_request_no: requestNo,
    });
    if (r.code === '10000') return { outcome: 'refunded', refundedTotal: Number(r.refund_fee ?? amount) };
    if (r.code === '40004' && r.sub_code !== 'ACQ.SYSTEM_ERROR') return { outcome: 'declined', reason: reason(r) };
    throw new KioskError('PROTOCOL', `gateway could not decide trade.refund: ${reason(r)}`, { unknownOutcome: true });
  }

  /** True when the gateway answers a signed probe with a verified response (any business code). */
  async available(): Promise<boolean> {
    try {
      await this.opts.client.call(
        'trade.query',
        { out_trade_no: 'health-probe' },
        { timeoutMs: this.opts.probeTimeoutMs ?? 2000 },
      );
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Feeds an asynchronous notification body (from the notify_url handler). Throws KioskError PROTOCOL when it is
   * forged or replayed; a verified TRADE_SUCCESS lets a waiting payment finish without the next poll.
   */
  acceptNotification(rawBody: string): void {
    const n = this.opts.client.verifyNotification(rawBody);
    if (isSuccess(n.trade_status) && Number.isSafeInteger(n.total_amount)) this.notifiedPaid.set(n.out_trade_no, n.total_amount);
  }

  private subject(req: PaymentRequest): string {
    return this.opts.subject?.(req) ?? `order ${req.orderId}`;
  }

  private amountOf(r: GatewayResponse, fallback: Minor): Minor {
    const a = Number(r.total_amount);
    return Number.isSafeInteger(a) ? a : fallback;
  }

  private sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.opts.clock.clearTimeout(h);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const h = this.opts.clock.setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}
