/**
 * WeChat Pay APIv3 (direct merchant, 普通商户) as a QrChannel, with the same attempt rules as the v2 channel
 * (../wechat-channel.ts): the attempt's `out_trade_no` (protocol/payments/channel-numbers.ts) is the idempotency key;
 * USERPAYING → poll the order query until a final state or the deadline, then reverse; SYSTEM_ERROR / BANK_ERROR /
 * an unverifiable answer / a lost connection → the order query decides, never a second codepay; refunds are
 * idempotent on out_refund_no.
 *
 * WeChat Pay's documents:
 * - 付款码支付 POST /v3/pay/transactions/codepay https://pay.weixin.qq.com/doc/v3/merchant/4012382150 (2024-12-03):
 *   appid, mchid, description, out_trade_no, payer.auth_code, amount.total / currency, scene_info.store_info.id;
 *   answer trade_state SUCCESS (paid) or the error `{ code, message }`: USERPAYING (the shopper must confirm / enter
 *   the password), SYSTEM_ERROR / BANK_ERROR (支付结果未知: query), ORDERPAID / OUT_TRADE_NO_USED (query), definite
 *   refusals (PARAM_ERROR, NOTENOUGH, AUTHCODEEXPIRE, …: nothing charged).
 * - 商户订单号查询订单 GET /v3/pay/transactions/out-trade-no/{out_trade_no}?mchid=…
 *   https://pay.weixin.qq.com/doc/v3/merchant/4013070356: trade_state SUCCESS / REFUND / NOTPAY / CLOSED / REVOKED /
 *   USERPAYING / PAYERROR; ORDER_NOT_EXIST (404) when never created.
 * - 撤销订单 POST /v3/pay/transactions/out-trade-no/{out_trade_no}/reverse (付款码支付 product docs, same API family).
 * - Native下单 POST /v3/pay/transactions/native https://pay.weixin.qq.com/doc/v3/merchant/4012791877 → code_url;
 *   关闭订单 POST /v3/pay/transactions/out-trade-no/{out_trade_no}/close (204).
 * - 退款申请 POST /v3/refund/domestic/refunds; 查询单笔退款 GET /v3/refund/domestic/refunds/{out_refund_no}:
 *   status SUCCESS / PROCESSING / CLOSED / ABNORMAL.
 * Notifications (AES-256-GCM `resource` under the APIv3 key) are not taken: the order query decides.
 */
import type { Clock } from '../../../../kernel/clock';
import { KioskError, isKioskError } from '../../../../kernel/errors';
import { failpoint } from '../../../../kernel/failpoints';
import type { Minor } from '../../../../kernel/money';
import { channelOrderNo, channelRefundNo } from '../../../../protocol/payments/channel-numbers';
import type { PaymentReference } from '../../../orders/events';
import { PollWaits } from '../../channels/poll-waits';
import type { QrChannel, QrChannelOptions } from '../../channels/qr-channel';
import { PROMPT_CONFIRM_IN_APP, PROMPT_SCAN_QR } from '../../gateway/qr-provider';
import type { LookupRequest, LookupResult, PaymentRequest, PaymentResult, RefundOutcome, RefundRequest } from '../../provider';
import type { V3Result, WechatV3Client } from './wechat-v3-client';
import { lookupByTradeState } from '../trade-state';

export interface WechatV3ChannelOptions extends QrChannelOptions {
  client: WechatV3Client;
  clock: Clock;
  /** description (商品描述) of an order; default `order <orderId>`. */
  description?: (req: PaymentRequest) => string;
  /** scene_info.store_info.id (门店编号); default none. */
  storeId?: string;
  /** Timeout of the health probe; default 2 000 ms. */
  probeTimeoutMs?: number;
  /** How many times a reverse / close is tried; default 5. */
  settleAttempts?: number;
}

/** Definite refusals of codepay: nothing was charged (both spellings WeChat uses across its v2/v3 tables). */
export const CODEPAY_DECLINES: ReadonlySet<string> = new Set([
  'PARAM_ERROR', 'NO_AUTH', 'NOAUTH', 'AUTHCODEEXPIRE', 'AUTH_CODE_EXPIRE', 'NOTENOUGH', 'NOT_ENOUGH', 'NOTSUPORTCARD',
  'ORDERCLOSED', 'ORDER_CLOSED', 'ORDERREVERSED', 'ORDER_REVERSED', 'AUTH_CODE_ERROR', 'AUTH_CODE_INVALID', 'BUYER_MISMATCH',
  'APPID_MCHID_NOT_MATCH', 'MCH_NOT_EXISTS', 'SIGN_ERROR', 'TRADE_ERROR', 'RULE_LIMIT', 'INVALID_TRANSACTIONID',
]);

/** Refund errors after which the refund query tells what happened. */
const REFUND_UNKNOWN = new Set(['SYSTEM_ERROR', 'FREQUENCY_LIMITED']);
const DECLINED_TIMEOUT = 'timed out waiting for the shopper';

type Settle = 'reverse' | 'close';

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function amountOf(json: Record<string, unknown>, field = 'total'): Minor | null {
  const a = json.amount;
  if (typeof a !== 'object' || a === null) return null;
  const v = (a as Record<string, unknown>)[field];
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : null;
}

const is2xx = (r: V3Result): boolean => r.status >= 200 && r.status < 300;
/** A success answer: 2xx without an error `code` (USERPAYING comes as 202 with a code). */
const ok = (r: V3Result): boolean => is2xx(r) && r.json.code === undefined;
/** The answer's error code ('' on success). */
const code = (r: V3Result): string => str(r.json.code) ?? (is2xx(r) ? '' : `HTTP_${r.status}`);

function why(r: V3Result): string {
  return `${str(r.json.message) ?? str(r.json.trade_state_desc) ?? 'declined'} (${code(r) || str(r.json.trade_state) || r.status})`;
}

function checkAmount(amount: Minor): void {
  if (!Number.isSafeInteger(amount) || amount <= 0) throw new RangeError('amount must be positive minor units (fen)');
}

function reference(r: V3Result, outTradeNo: string): PaymentReference {
  const ref: PaymentReference = { channel: 'wechat', outTradeNo: str(r.json.out_trade_no) || outTradeNo };
  const id = str(r.json.transaction_id);
  if (id) ref.tradeNo = id;
  return ref;
}

export class WechatV3Channel implements QrChannel {
  readonly channel = 'wechat' as const;
  private readonly waits: PollWaits;

  constructor(private readonly opts: WechatV3ChannelOptions) {
    this.waits = new PollWaits(opts.clock);
  }

  private get client(): WechatV3Client {
    return this.opts.client;
  }

  async payWithCode(req: PaymentRequest, authCode: string, signal: AbortSignal): Promise<PaymentResult> {
    checkAmount(req.amount);
    const outTradeNo = channelOrderNo('wechat', req.attemptId);
    const body: Record<string, unknown> = {
      appid: this.client.appId,
      mchid: this.client.mchId,
      description: this.description(req),
      out_trade_no: outTradeNo,
      payer: { auth_code: authCode },
      amount: { total: req.amount, currency: 'CNY' },
      scene_info: { ...(this.opts.storeId ? { store_info: { id: this.opts.storeId } } : {}) },
    };
    let r: V3Result;
    try {
      r = await this.client.call('POST', '/v3/pay/transactions/codepay', body, { signal });
    } catch (e) {
      if (isKioskError(e) && e.details.unknownOutcome === false) throw e; // nothing reached WeChat Pay
      // lost or unverifiable answer: the trade may exist — the order query decides, never a second codepay
      return this.awaitPayment(req, this.waitDeadline, signal, 'reverse', true);
    }
    failpoint('payment.after-send');
    if (ok(r) && r.json.trade_state === 'SUCCESS' && r.json.out_trade_no === outTradeNo) return this.approved(r, req.amount, outTradeNo);
    const c = code(r) || str(r.json.trade_state) || '';
    if (c === 'USERPAYING') {
      this.opts.onPrompt?.(PROMPT_CONFIRM_IN_APP);
      return this.awaitPayment(req, this.waitDeadline, signal, 'reverse');
    }
    if (!ok(r) && CODEPAY_DECLINES.has(c)) return { outcome: 'declined', reason: why(r) };
    // SYSTEM_ERROR, BANK_ERROR, ORDERPAID, OUT_TRADE_NO_USED, anything else: the order query decides
    return this.awaitPayment(req, this.waitDeadline, signal, 'reverse', true);
  }

  async payByQr(req: PaymentRequest, show: (qrCode: string) => void, signal: AbortSignal): Promise<PaymentResult> {
    checkAmount(req.amount);
    const outTradeNo = channelOrderNo('wechat', req.attemptId);
    const body: Record<string, unknown> = {
      appid: this.client.appId,
      mchid: this.client.mchId,
      description: this.description(req),
      out_trade_no: outTradeNo,
      amount: { total: req.amount, currency: 'CNY' },
      ...(this.client.notifyUrl ? { notify_url: this.client.notifyUrl } : {}),
    };
    let r: V3Result;
    try {
      r = await this.client.call('POST', '/v3/pay/transactions/native', body, { signal });
    } catch (e) {
      if (isKioskError(e) && e.details.unknownOutcome === false) throw e;
      return this.settle(outTradeNo, 'close', 'the merchant QR could not be created');
    }
    failpoint('payment.after-send');
    const codeUrl = str(r.json.code_url);
    if (!ok(r) || !codeUrl) {
      if (code(r) === 'ORDERPAID') return this.awaitPayment(req, this.qrDeadline, signal, 'close', true);
      if (code(r) === 'SYSTEM_ERROR' || ok(r)) return this.settle(outTradeNo, 'close', 'the merchant QR could not be created');
      return { outcome: 'declined', reason: why(r) };
    }
    show(codeUrl);
    this.opts.onPrompt?.(PROMPT_SCAN_QR);
    return this.awaitPayment(req, this.qrDeadline, signal, 'close');
  }

  async lookup(attempt: LookupRequest): Promise<LookupResult> {
    const outTradeNo = channelOrderNo('wechat', attempt.attemptId);
    let r: V3Result;
    try {
      r = await this.query(outTradeNo);
    } catch {
      return { outcome: 'unknown' };
    }
    if (!ok(r)) {
      if (code(r) === 'ORDER_NOT_EXIST' || code(r) === 'ORDERNOTEXIST') {
        // never created; reverse anyway so a codepay still in flight cannot charge later
        await this.settle(outTradeNo, 'reverse', 'trade not found').catch(() => undefined);
        return { outcome: 'declined', reason: `trade not found (${code(r)})` };
      }
      return { outcome: 'unknown' };
    }
    if (r.json.out_trade_no !== outTradeNo) return { outcome: 'unknown' };
    const found = r;
    return lookupByTradeState(found.json.trade_state, {
      amount: () => amountOf(found.json),
      reference: () => reference(found, outTradeNo),
      cancel: () => this.settle(outTradeNo, found.json.trade_type === 'NATIVE' ? 'close' : 'reverse', 'the payment was interrupted and has been cancelled'),
      why: () => why(found),
    });
  }

  async refund(req: RefundRequest): Promise<RefundOutcome> {
    checkAmount(req.amount);
    checkAmount(req.approvedAmount);
    const outTradeNo = typeof req.reference?.outTradeNo === 'string' ? req.reference.outTradeNo : channelOrderNo('wechat', req.attemptId);
    const outRefundNo = channelRefundNo('wechat', req.requestNo);
    let r: V3Result | null = null;
    try {
      r = await this.client.call('POST', '/v3/refund/domestic/refunds', {
        out_trade_no: outTradeNo,
        out_refund_no: outRefundNo,
        amount: { refund: req.amount, total: req.approvedAmount, currency: 'CNY' },
      });
    } catch (e) {
      if (isKioskError(e) && e.details.unknownOutcome === false) throw e;
    }
    if (r && ok(r)) {
      const done = this.refundState(r, outTradeNo, outRefundNo);
      if (done) return done;
    } else if (r && !REFUND_UNKNOWN.has(code(r))) return { outcome: 'declined', reason: why(r) };
    // lost answer or SYSTEM_ERROR: the refund query (a retry of the refund is safe too: idempotent on out_refund_no)
    const q = await this.client.call('GET', `/v3/refund/domestic/refunds/${encodeURIComponent(outRefundNo)}`);
    if (ok(q) && q.json.out_refund_no === outRefundNo) {
      const done = this.refundState(q, outTradeNo, outRefundNo);
      if (done) return done;
    }
    throw new KioskError('PROTOCOL', `WeChat Pay could not confirm refund ${outRefundNo}: ${why(q)}`, { unknownOutcome: true });
  }

  async available(): Promise<boolean> {
    try {
      await this.client.call('GET', `/v3/pay/transactions/out-trade-no/healthprobe?mchid=${encodeURIComponent(this.client.mchId)}`, undefined, { timeoutMs: this.opts.probeTimeoutMs ?? 2000 });
      return true;
    } catch {
      return false;
    }
  }

  // ---- internals ----

  private get waitDeadline(): number {
    return this.opts.waitDeadlineMs ?? 60_000;
  }

  private get qrDeadline(): number {
    return this.opts.qrDeadlineMs ?? 120_000;
  }

  private refundState(r: V3Result, outTradeNo: string, outRefundNo: string): RefundOutcome | null {
    const status = str(r.json.status);
    if (status === 'SUCCESS' || status === 'PROCESSING') {
      const ref: PaymentReference = { channel: 'wechat', outTradeNo, refundRequestNo: outRefundNo };
      const id = str(r.json.refund_id);
      if (id) ref.refundId = id;
      return { outcome: 'refunded', via: 'refund', reference: ref };
    }
    if (status === 'CLOSED' || status === 'ABNORMAL') return { outcome: 'declined', reason: `refund ${status}` };
    return null;
  }

  private query(outTradeNo: string, signal?: AbortSignal): Promise<V3Result> {
    return this.client.call('GET', `/v3/pay/transactions/out-trade-no/${encodeURIComponent(outTradeNo)}?mchid=${encodeURIComponent(this.client.mchId)}`, undefined, signal ? { signal } : {});
  }

  /** Polls the order query until a final state or the deadline, then reverses (codepay) / closes (NATIVE). */
  private async awaitPayment(req: PaymentRequest, deadlineMs: number, signal: AbortSignal, settle: Settle, queryFirst = false): Promise<PaymentResult> {
    const clock = this.opts.clock;
    const outTradeNo = channelOrderNo('wechat', req.attemptId);
    const deadline = clock.now() + deadlineMs;
    let first = queryFirst;
    while (clock.now() < deadline && !signal.aborted) {
      if (!first) await this.waits.wait(Math.min(this.opts.pollMs ?? 2000, Math.max(0, deadline - clock.now())), signal, outTradeNo);
      first = false;
      if (signal.aborted) break;
      let r: V3Result;
      try {
        r = await this.query(outTradeNo, signal);
      } catch {
        continue; // transient or unverifiable; keep asking until the deadline
      }
      if (!ok(r) || r.json.out_trade_no !== outTradeNo) continue; // ORDER_NOT_EXIST (not created yet), SYSTEM_ERROR
      const state = r.json.trade_state;
      if (state === 'SUCCESS') return this.approved(r, req.amount, outTradeNo);
      if (state === 'PAYERROR' || state === 'CLOSED' || state === 'REVOKED') return { outcome: 'declined', reason: why(r) };
    }
    return this.settle(outTradeNo, settle, signal.aborted ? 'payment aborted' : DECLINED_TIMEOUT);
  }

  /**
   * Reverses or closes an order nobody will pay any more. Declined when confirmed; approved when closing finds it
   * paid (ORDERPAID); rejects with an unknown outcome when it cannot be confirmed.
   */
  private async settle(outTradeNo: string, how: Settle, reason: string): Promise<PaymentResult> {
    let last = 'no answer';
    const path = `/v3/pay/transactions/out-trade-no/${encodeURIComponent(outTradeNo)}/${how}`;
    const body = how === 'reverse' ? { mchid: this.client.mchId, appid: this.client.appId } : { mchid: this.client.mchId };
    for (let i = 0; i < (this.opts.settleAttempts ?? 5); i++) {
      if (i > 0) await this.waits.wait(Math.min(this.opts.pollMs ?? 2000, 1000));
      let r: V3Result;
      try {
        r = await this.client.call('POST', path, body);
      } catch (e) {
        last = e instanceof Error ? e.message : String(e);
        if (isKioskError(e, 'DEVICE_OFFLINE') && e.details.unknownOutcome === false) break;
        continue;
      }
      if (ok(r)) return { outcome: 'declined', reason };
      last = why(r);
      const c = code(r);
      if (['ORDER_NOT_EXIST', 'ORDERNOTEXIST', 'ORDER_CLOSED', 'ORDERCLOSED', 'ORDER_REVERSED', 'ORDERREVERSED'].includes(c)) return { outcome: 'declined', reason };
      if (how === 'close' && c === 'ORDERPAID') {
        try {
          const q = await this.query(outTradeNo);
          const amount = amountOf(q.json);
          if (ok(q) && q.json.out_trade_no === outTradeNo && q.json.trade_state === 'SUCCESS' && amount !== null) return { outcome: 'approved', amount, reference: reference(q, outTradeNo) };
        } catch (e) {
          last = e instanceof Error ? e.message : String(e);
        }
        break;
      }
      if (c !== 'SYSTEM_ERROR' && c !== 'BANK_ERROR' && c !== 'FREQUENCY_LIMITED') break;
    }
    throw new KioskError('TIMEOUT', `${reason}, and the ${how === 'reverse' ? 'reversal' : 'close'} could not be confirmed`, { unknownOutcome: true, cause: last });
  }

  private approved(r: V3Result, fallback: Minor, outTradeNo: string): PaymentResult {
    return { outcome: 'approved', amount: amountOf(r.json) ?? fallback, reference: reference(r, outTradeNo) };
  }

  private description(req: PaymentRequest): string {
    return this.opts.description?.(req) ?? `order ${req.orderId}`;
  }
}
