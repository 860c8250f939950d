/**
 * WeChat Pay (v2 merchant API) as a QrChannel: payment code (付款码, /pay/micropay), merchant-presented NATIVE QR
 * (/pay/unifiedorder), order query, reverse / close, refund with mutual TLS, refund query.
 *
 * Result handling follows WeChat Pay's 付款码支付 documentation (https://pay.weixin.qq.com/wiki/doc/api/micropay.php?chapter=9_10,
 * also https://pay.weixin.qq.com/doc/v2/partner/4011941293): "当返回结果为'系统错误'时 … 调用【查询订单API】; 当返回结果为
 * 'USERPAYING'时 … 重新查询支付结果，直到支付成功或超时; 在调用查询接口返回后，如果交易状况不明晰，请调用【撤销订单API】 … 当撤销无返回或
 * 错误时，请再次调用". The err_code table of that page, and what this channel does with each:
 * - USERPAYING (用户支付中，需要输入密码): prompt, poll /pay/orderquery, reverse at the deadline;
 * - SYSTEMERROR (接口返回错误, "支付结果未知"), BANKERROR (银行系统异常, "银行端超时"): query — never a second micropay;
 * - ORDERPAID (订单已支付): this out_trade_no is already paid — query for its details;
 * - OUT_TRADE_NO_USED (商户订单号重复), INVALID_REQUEST (无效请求), any code not in the table, an answer that does
 *   not verify or never arrives: query (the outcome is not known);
 * - definite refusals, nothing charged → declined with err_code_des: PARAM_ERROR, NOAUTH, AUTHCODEEXPIRE, NOTENOUGH,
 *   NOTSUPORTCARD (sic), ORDERCLOSED, ORDERREVERSED, AUTH_CODE_ERROR, AUTH_CODE_INVALID, XML_FORMAT_ERROR,
 *   REQUIRE_POST_METHOD, SIGNERROR, LACK_PARAMS, NOT_UTF8, BUYER_MISMATCH, APPID_NOT_EXIST, MCHID_NOT_EXIST,
 *   APPID_MCHID_NOT_MATCH, TRADE_ERROR, POST_DATA_EMPTY.
 * Order query trade_state: SUCCESS (paid), REFUND, NOTPAY, CLOSED, REVOKED, USERPAYING, PAYERROR, ACCEPT.
 *
 * A request WeChat Pay refuses for its signature (`return_code FAIL 签名错误`: the sign is checked first, nothing is
 * processed) is a clear decline of a payment or refund ("the API key at WeChat Pay is not this kiosk's"), never an
 * unknown outcome; with HQ's previous values ({@link WechatChannel.fallBackTo}) the client first sends the same
 * request once with the previous key (wechat-client.ts).
 */
import { PollWaits } from '../channels/poll-waits';
import type { Clock } from '../../../kernel/clock';
import { KioskError, isKioskError } from '../../../kernel/errors';
import { failpoint } from '../../../kernel/failpoints';
import type { Minor } from '../../../kernel/money';
import { channelOrderNo, channelRefundNo } from '../../../protocol/payments/channel-numbers';
import type { PaymentReference } from '../../orders/events';
import type { QrChannel, QrChannelOptions } from '../channels/qr-channel';
import { PROMPT_CONFIRM_IN_APP, PROMPT_SCAN_QR } from '../gateway/qr-provider';
import type { LookupRequest, LookupResult, PaymentRequest, PaymentResult, RefundOutcome, RefundRequest } from '../provider';
import type { PreviousKeyFallback } from '../channels/hq-keyed-channel';
import { isSignatureRefusal, type WechatAnswer, type WechatClient } from './wechat-client';
import { lookupByTradeState } from './trade-state';
import { decodeWechatXml, encodeWechatXml } from '../../../protocol/payments/wechat/wechat-xml';

export interface WechatChannelOptions extends QrChannelOptions {
  client: WechatClient;
  clock: Clock;
  /** `body` (商品描述) sent with an order; default `order <orderId>`. */
  body?: (req: PaymentRequest) => string;
  /** Timeout of the health probe; default 2 000 ms. */
  probeTimeoutMs?: number;
  /** How many times a reverse / close is tried (WeChat: "当撤销无返回或错误时，请再次调用"); default 5. */
  settleAttempts?: number;
}

/** Definite refusals of /pay/micropay: nothing was charged. */
export const MICROPAY_DECLINES: ReadonlySet<string> = new Set([
  'PARAM_ERROR', 'NOAUTH', 'AUTHCODEEXPIRE', 'NOTENOUGH', 'NOTSUPORTCARD', 'ORDERCLOSED', 'ORDERREVERSED',
  'AUTH_CODE_ERROR', 'AUTH_CODE_INVALID', 'XML_FORMAT_ERROR', 'REQUIRE_POST_METHOD', 'SIGNERROR', 'LACK_PARAMS',
  'NOT_UTF8', 'BUYER_MISMATCH', 'APPID_NOT_EXIST', 'MCHID_NOT_EXIST', 'APPID_MCHID_NOT_MATCH', 'TRADE_ERROR',
  'POST_DATA_EMPTY',
]);

/** Refund errors after which the refund query tells what happened. */
const REFUND_UNKNOWN = new Set(['SYSTEMERROR', 'BIZERR_NEED_RETRY']);

const FEN = /^(0|[1-9]\d{0,14})$/;
const DECLINED_TIMEOUT = 'timed out waiting for the shopper';

type Settle = 'reverse' | 'close';

function fen(v: string | undefined): Minor | null {
  if (v === undefined || !FEN.test(v)) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : null;
}

function why(r: WechatAnswer): string {
  return `${r.err_code_des || r.trade_state_desc || r.return_msg || 'declined'} (${r.err_code ?? r.trade_state ?? r.result_code ?? '?'})`;
}

export class WechatChannel implements QrChannel, PreviousKeyFallback {
  readonly channel = 'wechat' as const;
  /** out_trade_no → amount of a verified SUCCESS notification. */
  private readonly notifiedPaid = new Map<string, Minor>();
  /** transaction ids of notifications already taken (WeChat repeats a notification until it is acknowledged). */
  private readonly seenNotifications = new Set<string>();
  private readonly seenOrder: string[] = [];
  /** out_trade_no → wakes the payment waiting for it (a notification ends the wait before the next poll). */
  private readonly waits: PollWaits;

  constructor(private readonly opts: WechatChannelOptions) {
    this.waits = new PollWaits(opts.clock);
  }

  private get client(): WechatClient {
    return this.opts.client;
  }

  /** Requests refused for their signature are retried once through `previous`'s client (HQ's previous values). */
  fallBackTo(previous: QrChannel, onUsed: () => void): void {
    if (previous instanceof WechatChannel) this.client.fallBackTo(previous.client, onUsed);
  }

  async payWithCode(req: PaymentRequest, authCode: string, signal: AbortSignal): Promise<PaymentResult> {
    checkAmount(req.amount);
    const outTradeNo = channelOrderNo('wechat', req.attemptId);
    let r: WechatAnswer;
    try {
      r = await this.client.call(
        '/pay/micropay',
        { out_trade_no: outTradeNo, total_fee: String(req.amount), auth_code: authCode, body: this.body(req), spbill_create_ip: '127.0.0.1' },
        { signal },
      );
    } catch (e) {
      if (isSignatureRefusal(e)) return { outcome: 'declined', reason: signatureReason(e) }; // not processed
      if (isKioskError(e) && e.details.unknownOutcome === false) throw e; // nothing reached WeChat Pay
      // lost or unverifiable answer: the trade may exist — find out by the order query, never by paying again
      return this.awaitPayment(req, this.waitDeadline, signal, 'reverse');
    }
    failpoint('payment.after-send');
    if (r.result_code === 'SUCCESS' && r.out_trade_no === outTradeNo) return this.approved(r, req.amount);
    const code = r.err_code ?? '';
    if (code === 'USERPAYING') {
      this.opts.onPrompt?.(PROMPT_CONFIRM_IN_APP);
      return this.awaitPayment(req, this.waitDeadline, signal, 'reverse');
    }
    if (MICROPAY_DECLINES.has(code)) return { outcome: 'declined', reason: why(r) };
    // SYSTEMERROR, BANKERROR, ORDERPAID, OUT_TRADE_NO_USED, anything unknown: the order query decides
    return this.awaitPayment(req, this.waitDeadline, signal, 'reverse', true);
  }

  async payByQr(req: PaymentRequest, show: (qrCode: string) => void, signal: AbortSignal): Promise<PaymentResult> {
    checkAmount(req.amount);
    const outTradeNo = channelOrderNo('wechat', req.attemptId);
    const params: Record<string, string> = {
      out_trade_no: outTradeNo,
      total_fee: String(req.amount),
      body: this.body(req),
      spbill_create_ip: '127.0.0.1',
      trade_type: 'NATIVE',
      product_id: outTradeNo,
    };
    if (this.client.notifyUrl) params.notify_url = this.client.notifyUrl;
    let r: WechatAnswer;
    try {
      r = await this.client.call('/pay/unifiedorder', params, { signal });
    } catch (e) {
      if (isSignatureRefusal(e)) return { outcome: 'declined', reason: signatureReason(e) }; // not processed
      if (isKioskError(e) && e.details.unknownOutcome === false) throw e;
      // the order may exist, but nobody can have scanned a code never shown: close it
      return this.settle(outTradeNo, 'close', 'the merchant QR could not be created');
    }
    failpoint('payment.after-send');
    if (r.result_code !== 'SUCCESS' || !r.code_url) {
      if (r.err_code === 'ORDERPAID') return this.awaitPayment(req, this.qrDeadline, signal, 'close', true);
      if (r.err_code === 'SYSTEMERROR') return this.settle(outTradeNo, 'close', 'the merchant QR could not be created');
      return { outcome: 'declined', reason: why(r) };
    }
    show(r.code_url);
    this.opts.onPrompt?.(PROMPT_SCAN_QR);
    return this.awaitPayment(req, this.qrDeadline, signal, 'close');
  }

  async lookup(attempt: LookupRequest): Promise<LookupResult> {
    const outTradeNo = channelOrderNo('wechat', attempt.attemptId);
    const notified = this.notifiedPaid.get(outTradeNo);
    if (notified !== undefined) return { outcome: 'approved', amount: notified, reference: { channel: 'wechat', outTradeNo } };
    let r: WechatAnswer;
    try {
      r = await this.query(outTradeNo);
    } catch {
      return { outcome: 'unknown' };
    }
    if (r.result_code === 'SUCCESS' && r.out_trade_no !== outTradeNo) return { outcome: 'unknown' };
    if (r.result_code !== 'SUCCESS') {
      if (r.err_code === 'ORDERNOTEXIST') {
        // never created; reverse anyway so a micropay still in flight cannot charge later
        await this.settle(outTradeNo, 'reverse', 'trade not found').catch(() => undefined);
        return { outcome: 'declined', reason: 'trade not found (ORDERNOTEXIST)' };
      }
      return { outcome: 'unknown' };
    }
    return lookupByTradeState(r.trade_state, {
      amount: () => fen(r.total_fee),
      reference: () => reference(r, outTradeNo),
      cancel: () => this.settle(outTradeNo, r.trade_type === 'NATIVE' ? 'close' : 'reverse', 'the payment was interrupted and has been cancelled'),
      why: () => why(r),
    });
  }

  async refund(req: RefundRequest): Promise<RefundOutcome> {
    checkAmount(req.amount);
    checkAmount(req.approvedAmount);
    const outTradeNo = typeof req.reference?.outTradeNo === 'string' ? req.reference.outTradeNo : channelOrderNo('wechat', req.attemptId);
    const outRefundNo = channelRefundNo('wechat', req.requestNo);
    let r: WechatAnswer | null = null;
    try {
      r = await this.client.call('/secapi/pay/refund', {
        out_trade_no: outTradeNo,
        out_refund_no: outRefundNo,
        total_fee: String(req.approvedAmount),
        refund_fee: String(req.amount),
      });
    } catch (e) {
      if (isSignatureRefusal(e)) return { outcome: 'declined', reason: signatureReason(e) }; // not processed
      if (isKioskError(e) && e.details.unknownOutcome === false) throw e;
    }
    if (r && r.result_code === 'SUCCESS') return refunded(outTradeNo, outRefundNo, r.refund_id);
    if (r && !REFUND_UNKNOWN.has(r.err_code ?? '')) return { outcome: 'declined', reason: why(r) };
    // lost answer or SYSTEMERROR: ask the refund query (the refund is idempotent on out_refund_no, so a retry is safe)
    const q = await this.client.call('/pay/refundquery', { out_refund_no: outRefundNo });
    if (q.result_code === 'SUCCESS') {
      for (let n = 0; n < 100 && q[`out_refund_no_${n}`] !== undefined; n++) {
        if (q[`out_refund_no_${n}`] !== outRefundNo) continue;
        const status = q[`refund_status_${n}`];
        if (status === 'SUCCESS' || status === 'PROCESSING') return refunded(outTradeNo, outRefundNo, q[`refund_id_${n}`]);
        if (status === 'REFUNDCLOSE' || status === 'CHANGE') return { outcome: 'declined', reason: `refund ${status}` };
      }
    }
    throw new KioskError('PROTOCOL', `WeChat Pay could not confirm refund ${outRefundNo}: ${why(q)}`, { unknownOutcome: true });
  }

  async available(): Promise<boolean> {
    try {
      await this.client.call('/pay/orderquery', { out_trade_no: 'healthprobe' }, { timeoutMs: this.opts.probeTimeoutMs ?? 2000 });
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Takes a payment notification (the raw XML POSTed to notify_url) and returns the XML to answer with. Throws
   * KioskError PROTOCOL when it is not WeChat XML, does not verify, or is for another merchant. WeChat repeats a
   * notification until it is acknowledged: a repeat (same transaction_id) is acknowledged again and changes nothing.
   * A verified SUCCESS ends a waiting payment before its next query.
   */
  acceptNotification(raw: string | Buffer): { duplicate: boolean; reply: string } {
    const n = decodeWechatXml(raw);
    if (!n) throw new KioskError('PROTOCOL', 'notification is not WeChat XML');
    if (n.return_code !== 'SUCCESS' || !this.client.verifies(n)) throw new KioskError('PROTOCOL', 'notification signature does not verify');
    if (n.appid !== this.client.appId || n.mch_id !== this.client.mchId) throw new KioskError('PROTOCOL', 'notification for another merchant');
    const id = n.transaction_id;
    const outTradeNo = n.out_trade_no;
    if (!id || !outTradeNo) throw new KioskError('PROTOCOL', 'notification is missing transaction_id or out_trade_no');
    const reply = encodeWechatXml({ return_code: 'SUCCESS', return_msg: 'OK' });
    if (this.seenNotifications.has(id)) return { duplicate: true, reply };
    this.seenNotifications.add(id);
    this.seenOrder.push(id);
    if (this.seenOrder.length > 10_000) this.seenNotifications.delete(this.seenOrder.shift()!);
    const amount = fen(n.total_fee);
    if (n.result_code === 'SUCCESS' && amount !== null) {
      this.notifiedPaid.set(outTradeNo, amount);
      if (this.notifiedPaid.size > 10_000) this.notifiedPaid.delete(this.notifiedPaid.keys().next().value!);
      this.waits.wake(outTradeNo);
    }
    return { duplicate: false, reply };
  }

  // ---- internals ----

  private get waitDeadline(): number {
    return this.opts.waitDeadlineMs ?? 60_000;
  }

  private get qrDeadline(): number {
    return this.opts.qrDeadlineMs ?? 120_000;
  }

  private query(outTradeNo: string, signal?: AbortSignal): Promise<WechatAnswer> {
    return this.client.call('/pay/orderquery', { out_trade_no: outTradeNo }, { signal });
  }

  /**
   * Polls the order query until a final state or the deadline, then reverses (micropay) / closes (NATIVE).
   * `queryFirst` asks at once (an answer that said "unknown" rather than "wait").
   */
  private async awaitPayment(req: PaymentRequest, deadlineMs: number, signal: AbortSignal, settle: Settle, queryFirst = false): Promise<PaymentResult> {
    const clock = this.opts.clock;
    const outTradeNo = channelOrderNo('wechat', req.attemptId);
    const deadline = clock.now() + deadlineMs;
    let first = queryFirst;
    while (clock.now() < deadline && !signal.aborted) {
      if (!first) await this.waits.wait(Math.min(this.opts.pollMs ?? 2000, Math.max(0, deadline - clock.now())), signal, outTradeNo);
      first = false;
      const notified = this.notifiedPaid.get(outTradeNo);
      if (notified !== undefined) return { outcome: 'approved', amount: notified, reference: { channel: 'wechat', outTradeNo } };
      if (signal.aborted) break;
      let r: WechatAnswer;
      try {
        r = await this.query(outTradeNo, signal);
      } catch {
        continue; // transient; keep asking until the deadline
      }
      if (r.result_code !== 'SUCCESS' || r.out_trade_no !== outTradeNo) continue; // ORDERNOTEXIST (not created yet), SYSTEMERROR
      if (r.trade_state === 'SUCCESS') return this.approved(r, req.amount);
      if (r.trade_state === 'PAYERROR' || r.trade_state === 'CLOSED' || r.trade_state === 'REVOKED') return { outcome: 'declined', reason: why(r) };
    }
    return this.settle(outTradeNo, settle, signal.aborted ? 'payment aborted' : DECLINED_TIMEOUT);
  }

  /**
   * Reverses (/secapi/pay/reverse, retried while `recall=Y`) or closes (/pay/closeorder) an order nobody will pay
   * any more. Resolves declined when confirmed; approved when closing finds it paid (ORDERPAID); rejects with an
   * unknown outcome when it cannot be confirmed.
   */
  private async settle(outTradeNo: string, how: Settle, reason: string): Promise<PaymentResult> {
    let last = 'no answer';
    for (let i = 0; i < (this.opts.settleAttempts ?? 5); i++) {
      if (i > 0) await this.waits.wait(Math.min(this.opts.pollMs ?? 2000, 1000));
      let r: WechatAnswer;
      try {
        r = await this.client.call(how === 'reverse' ? '/secapi/pay/reverse' : '/pay/closeorder', { out_trade_no: outTradeNo });
      } catch (e) {
        last = e instanceof Error ? e.message : String(e);
        if (isKioskError(e, 'DEVICE_OFFLINE') && e.details.unknownOutcome === false) break;
        if (isSignatureRefusal(e)) break; // refused with every key held: asking again changes nothing
        continue;
      }
      if (r.result_code === 'SUCCESS') return { outcome: 'declined', reason };
      last = why(r);
      const code = r.err_code ?? '';
      if (code === 'ORDERNOTEXIST' || code === 'ORDERCLOSED' || code === 'ORDERREVERSED') return { outcome: 'declined', reason };
      if (how === 'close' && code === 'ORDERPAID') {
        try {
          const q = await this.query(outTradeNo);
          if (q.result_code === 'SUCCESS' && q.out_trade_no === outTradeNo && q.trade_state === 'SUCCESS') {
            const amount = fen(q.total_fee);
            if (amount !== null) return { outcome: 'approved', amount, reference: reference(q, outTradeNo) };
          }
        } catch (e) {
          last = e instanceof Error ? e.message : String(e);
        }
        break;
      }
      if (how === 'reverse' && r.recall === 'N' && code !== 'SYSTEMERROR') break;
    }
    throw new KioskError('TIMEOUT', `${reason}, and the ${how === 'reverse' ? 'reversal' : 'close'} could not be confirmed`, { unknownOutcome: true, cause: last });
  }

  private approved(r: WechatAnswer, fallback: Minor): PaymentResult {
    const outTradeNo = r.out_trade_no ?? '';
    return { outcome: 'approved', amount: fen(r.total_fee) ?? fallback, reference: reference(r, outTradeNo) };
  }

  private body(req: PaymentRequest): string {
    return this.opts.body?.(req) ?? `order ${req.orderId}`;
  }

}

/** The shopper/attendant-facing reason of a request refused for its signature: nothing was charged. */
function signatureReason(e: KioskError): string {
  return e.details.bothKeys === true
    ? 'WeChat Pay refused the merchant signature with the key in force and the previous one (签名错误): nothing was charged'
    : 'WeChat Pay refused the merchant signature (签名错误): the API key at WeChat Pay is not this kiosk\'s; nothing was charged';
}

function checkAmount(amount: Minor): void {
  if (!Number.isSafeInteger(amount) || amount <= 0) throw new RangeError('amount must be positive minor units (fen)');
}

function reference(r: WechatAnswer, outTradeNo: string): PaymentReference {
  const ref: PaymentReference = { channel: 'wechat', outTradeNo: r.out_trade_no || outTradeNo };
  if (r.transaction_id) ref.tradeNo = r.transaction_id;
  return ref;
}

function refunded(outTradeNo: string, refundRequestNo: string, refundId: string | undefined): RefundOutcome {
  const ref: PaymentReference = { channel: 'wechat', outTradeNo, refundRequestNo };
  if (refundId) ref.refundId = refundId;
  return { outcome: 'refunded', via: 'refund', reference: ref };
}
