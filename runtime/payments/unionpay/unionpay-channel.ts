/**
 * UnionPay QR (银联二维码 / 云闪付) through an ACP 5.1.0 acquirer, as a `QrChannel`.
 *
 * Transactions (ACP 二维码支付产品, bizType 000000, channelType 08):
 * - 被扫 consume: txnType 01 / txnSubType 06 with the shopper's code in `qrNo`;
 * - 主扫 applyQrCode: txnType 01 / txnSubType 07, the answer's `qrCode` is shown to the shopper;
 * - query (queryTrans.do): txnType 00 / txnSubType 00 by orderId + txnTime; the original's state is `origRespCode`;
 * - reversal 冲正: txnType 99 / txnSubType 01 by the original orderId + txnTime (closes an unpaid order, returns
 *   the money of a paid one);
 * - refund 退货: txnType 04 / txnSubType 00 with `origQryId`.
 * respCode 00 = accepted, 03 / 04 / 05 (and 06 busy, 12 duplicate order) = undecided → the query decides, anything
 * else = refused. A consume is sent once per attempt; an undecided one is settled by queries, never by a second consume.
 */
import { PollWaits } from '../channels/poll-waits';
import type { Clock } from '../../../kernel/clock';
import { KioskError, isKioskError } from '../../../kernel/errors';
import { failpoint } from '../../../kernel/failpoints';
import type { Minor } from '../../../kernel/money';
import { channelOrderNo, channelRefundNo } from '../../../protocol/payments/channel-numbers';
import type { PaymentPrompt } from '../../../protocol/screen';
import type { AttemptContext, PaymentReference } from '../../orders/events';
import type { QrChannel, QrChannelOptions } from '../channels/qr-channel';
import { PROMPT_CONFIRM_IN_APP, PROMPT_SCAN_QR } from '../gateway/qr-provider';
import type { LookupRequest, LookupResult, PaymentRequest, PaymentResult, RefundOutcome, RefundRequest } from '../provider';
import { beijingTimestamp, type UnionpayClient } from './unionpay-client';
import type { AcpFields } from '../../../protocol/payments/unionpay/unionpay-form';

export interface UnionpayChannelOptions extends QrChannelOptions {
  client: UnionpayClient;
  clock: Clock;
  /** Terminal number sent as `termId` (8 characters); default `00000001`. */
  termId?: string;
  /** Timeout of the available() probe; default 2 000 ms. */
  probeTimeoutMs?: number;
}

/**
 * The attempt context key holding the consume's txnTime (a query needs orderId + the original txnTime), as a number:
 * a 14-digit text in the journal could pass a Luhn check and look like a card number to a no-PAN scan.
 */
export const TXN_TIME_KEY = 'unionpayTxnTime';

const UNDECIDED = new Set(['03', '04', '05', '06', '12']);
const IN_PROGRESS = new Set(['03', '04', '05']);
const NOT_FOUND = '34';
const DECLINED_TIMEOUT = 'timed out waiting for the shopper';
const COMMON = { bizType: '000000', channelType: '08', currencyCode: '156' } as const;

type QueryState =
  | { state: 'paid'; fields: AcpFields }
  | { state: 'pending' }
  | { state: 'failed'; reason: string }
  | { state: 'missing' }
  | { state: 'unknown' };

function fen(s: string | undefined): Minor | null {
  return typeof s === 'string' && /^[0-9]{1,12}$/.test(s) ? Number(s) : null;
}

function reason(f: AcpFields, code = f.respCode, msg = f.respMsg): string {
  return `${msg || 'refused'} (${code})`;
}

export class UnionpayChannel implements QrChannel {
  readonly channel = 'unionpay' as const;
  /** orderId → the txnTime its consume / applyQrCode was (or will be) sent with, for this process's queries. */
  private readonly txnTimes = new Map<string, string>();
  /** orderId → a verified "paid" notification. */
  private readonly notified = new Map<string, AcpFields>();
  /** orderId → wakes the payment waiting for it (a notification arrived). */
  private readonly waits: PollWaits;

  constructor(private readonly opts: UnionpayChannelOptions) {
    this.waits = new PollWaits(opts.clock);
  }

  /**
   * Fixes the txnTime an attempt will be sent with and returns it as attempt context, so that `lookup` can query the
   * order after a restart (ACP queries by orderId + the original txnTime).
   */
  prepare(req: PaymentRequest): AttemptContext {
    return { [TXN_TIME_KEY]: Number(this.txnTimeFor(channelOrderNo('unionpay', req.attemptId))) };
  }

  async payWithCode(req: PaymentRequest, authCode: string, signal: AbortSignal): Promise<PaymentResult> {
    assertAmount(req.amount);
    const orderId = channelOrderNo('unionpay', req.attemptId);
    const txnTime = this.txnTimeFor(orderId);
    const r = await this.opts.client.call(
      'backTransReq',
      {
        txnType: '01',
        txnSubType: '06',
        ...COMMON,
        orderId,
        txnTime,
        txnAmt: String(req.amount),
        qrNo: authCode,
        termId: this.termId,
        backUrl: this.opts.client.backUrl ?? '',
      },
      { signal },
    );
    failpoint('payment.after-send'); // UnionPay has the order
    if (r.respCode !== '00' && !UNDECIDED.has(r.respCode)) return { outcome: 'declined', reason: reason(r) };
    return this.settle(req, orderId, txnTime, this.opts.waitDeadlineMs ?? 60_000, signal, PROMPT_CONFIRM_IN_APP);
  }

  async payByQr(req: PaymentRequest, show: (qrCode: string) => void, signal: AbortSignal): Promise<PaymentResult> {
    assertAmount(req.amount);
    const orderId = channelOrderNo('unionpay', req.attemptId);
    const txnTime = this.txnTimeFor(orderId);
    const r = await this.opts.client.call(
      'backTransReq',
      {
        txnType: '01',
        txnSubType: '07',
        ...COMMON,
        orderId,
        txnTime,
        txnAmt: String(req.amount),
        termId: this.termId,
        backUrl: this.opts.client.backUrl ?? '',
      },
      { signal },
    );
    failpoint('payment.after-send');
    if (r.respCode === '00' && typeof r.qrCode === 'string' && r.qrCode !== '') {
      show(r.qrCode);
      this.opts.onPrompt?.(PROMPT_SCAN_QR);
      return this.settle(req, orderId, txnTime, this.opts.qrDeadlineMs ?? 120_000, signal, null);
    }
    if (r.respCode === '00' || UNDECIDED.has(r.respCode)) {
      // no code to show: nobody can pay it; close whatever UnionPay may have opened
      return this.reverse(orderId, txnTime, 'the merchant QR could not be created', req.amount);
    }
    return { outcome: 'declined', reason: reason(r) };
  }

  async lookup(attempt: LookupRequest): Promise<LookupResult> {
    const orderId = channelOrderNo('unionpay', attempt.attemptId);
    const paid = this.notified.get(orderId);
    const fromContext = attempt.context?.[TXN_TIME_KEY];
    const txnTime =
      typeof fromContext === 'number' || (typeof fromContext === 'string' && /^[0-9]{14}$/.test(fromContext))
        ? String(fromContext)
        : (this.txnTimes.get(orderId) ?? paid?.txnTime);
    if (paid) return this.approved(paid, orderId, attempt.amount);
    if (!txnTime) return { outcome: 'unknown' }; // cannot ask without the original txnTime
    const q = await this.query(orderId, txnTime);
    switch (q.state) {
      case 'paid':
        return this.approved(q.fields, orderId, attempt.amount);
      case 'failed':
        return { outcome: 'declined', reason: q.reason };
      case 'missing':
        return { outcome: 'declined', reason: 'trade not found' };
      case 'pending':
        // still open and nobody waits for it any more: reverse it so it cannot be paid later
        try {
          return await this.reverse(orderId, txnTime, 'the payment was interrupted and has been cancelled', attempt.amount);
        } catch {
          return { outcome: 'unknown' };
        }
      default:
        return { outcome: 'unknown' };
    }
  }

  async refund(req: RefundRequest): Promise<RefundOutcome> {
    assertAmount(req.amount);
    const outTradeNo = channelOrderNo('unionpay', req.attemptId);
    let origQryId = typeof req.reference?.tradeNo === 'string' ? req.reference.tradeNo : undefined;
    if (!origQryId) {
      const t = this.txnTimes.get(outTradeNo);
      const q = t ? await this.query(outTradeNo, t) : ({ state: 'unknown' } as QueryState);
      if (q.state !== 'paid' || !q.fields.queryId) {
        if (q.state === 'unknown' || q.state === 'pending') {
          throw new KioskError('PROTOCOL', 'the UnionPay payment to refund could not be found out', { unknownOutcome: false });
        }
        return { outcome: 'declined', reason: 'the payment is not paid at UnionPay' };
      }
      origQryId = q.fields.queryId;
    }
    const refundNo = channelRefundNo('unionpay', req.requestNo);
    const txnTime = beijingTimestamp(this.opts.clock.now());
    let r: AcpFields | null = null;
    try {
      r = await this.opts.client.call('backTransReq', {
        txnType: '04',
        txnSubType: '00',
        ...COMMON,
        orderId: refundNo,
        txnTime,
        txnAmt: String(req.amount),
        origQryId,
        backUrl: this.opts.client.backUrl ?? '',
      });
    } catch (e) {
      if (!isKioskError(e) || e.details.unknownOutcome !== true) throw e;
    }
    const done = (f: AcpFields): RefundOutcome => {
      const reference: PaymentReference = { channel: 'unionpay', outTradeNo, refundRequestNo: refundNo };
      if (f.queryId) reference.refundId = f.queryId;
      return { outcome: 'refunded', via: 'refund', reference };
    };
    if (r && r.respCode === '00') return done(r);
    if (r && !UNDECIDED.has(r.respCode)) return { outcome: 'declined', reason: reason(r) };
    // undecided: the refund's own query decides
    const q = await this.query(refundNo, txnTime);
    if (q.state === 'paid') return done(q.fields);
    if (q.state === 'failed') return { outcome: 'declined', reason: q.reason };
    if (q.state === 'missing') return { outcome: 'declined', reason: 'the refund did not reach UnionPay' };
    throw new KioskError('PROTOCOL', 'UnionPay could not say whether the refund was made', { unknownOutcome: true, refundNo });
  }

  async available(): Promise<boolean> {
    try {
      await this.opts.client.call(
        'queryTrans',
        { txnType: '00', txnSubType: '00', bizType: '000000', orderId: 'healthprobe0', txnTime: beijingTimestamp(this.opts.clock.now()) },
        { timeoutMs: this.opts.probeTimeoutMs ?? 2000 },
      );
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Feeds a backUrl notification body. Throws KioskError PROTOCOL when it does not verify; a verified successful
   * consume lets a waiting payment finish without the next query. Repeated notifications are harmless.
   */
  acceptNotification(rawBody: string): void {
    const n = this.opts.client.verifyNotification(rawBody);
    if (n.txnType === '01' && n.respCode === '00' && fen(n.txnAmt) !== null) {
      this.notified.set(n.orderId, n);
      if (this.notified.size > 10_000) this.notified.delete(this.notified.keys().next().value as string);
      this.waits.wake(n.orderId);
    }
  }

  // ---- internals ----

  private get termId(): string {
    return this.opts.termId ?? '00000001';
  }

  private txnTimeFor(orderId: string): string {
    let t = this.txnTimes.get(orderId);
    if (!t) {
      t = beijingTimestamp(this.opts.clock.now());
      this.txnTimes.set(orderId, t);
      if (this.txnTimes.size > 10_000) this.txnTimes.delete(this.txnTimes.keys().next().value as string);
    }
    return t;
  }

  private async query(orderId: string, txnTime: string, signal?: AbortSignal): Promise<QueryState> {
    let r: AcpFields;
    try {
      r = await this.opts.client.call('queryTrans', { txnType: '00', txnSubType: '00', bizType: '000000', orderId, txnTime }, { signal });
    } catch {
      return { state: 'unknown' };
    }
    if (r.respCode === NOT_FOUND) return { state: 'missing' };
    if (r.respCode !== '00' || typeof r.origRespCode !== 'string') return { state: 'unknown' };
    if (r.origRespCode === '00') return { state: 'paid', fields: r };
    if (IN_PROGRESS.has(r.origRespCode)) return { state: 'pending' };
    return { state: 'failed', reason: reason(r, r.origRespCode, r.origRespMsg) };
  }

  /** Queries until a final state or the deadline; at the deadline (or abort) reverses. */
  private async settle(
    req: PaymentRequest,
    orderId: string,
    txnTime: string,
    deadlineMs: number,
    signal: AbortSignal,
    prompt: PaymentPrompt | null,
  ): Promise<PaymentResult> {
    const clock = this.opts.clock;
    const deadline = clock.now() + deadlineMs;
    let first = true;
    while (!signal.aborted) {
      if (!first) {
        if (clock.now() >= deadline) break;
        await this.waits.wait(Math.min(this.opts.pollMs ?? 2000, Math.max(0, deadline - clock.now())), signal, orderId);
      }
      first = false;
      const paid = this.notified.get(orderId);
      if (paid) return this.approved(paid, orderId, req.amount);
      if (signal.aborted) break;
      const q = await this.query(orderId, txnTime, signal);
      if (q.state === 'paid') return this.approved(q.fields, orderId, req.amount);
      if (q.state === 'failed') return { outcome: 'declined', reason: q.reason };
      if (q.state === 'pending' && prompt) {
        this.opts.onPrompt?.(prompt);
        prompt = null;
      }
    }
    return this.reverse(orderId, txnTime, signal.aborted ? 'payment aborted' : DECLINED_TIMEOUT, req.amount);
  }

  /**
   * 冲正 of an order: resolves declined when UnionPay confirms it (or the order turns out failed / absent), approved
   * when it turns out paid after all and cannot be reversed; rejects with unknownOutcome when nothing is confirmed.
   */
  private async reverse(orderId: string, txnTime: string, why: string, amount: Minor): Promise<PaymentResult> {
    let last: unknown = null;
    for (let i = 0; i < 3; i++) {
      try {
        const r = await this.opts.client.call('backTransReq', {
          txnType: '99',
          txnSubType: '01',
          bizType: '000000',
          channelType: '08',
          orderId,
          txnTime,
        });
        if (r.respCode === '00') return { outcome: 'declined', reason: why };
        last = reason(r);
        const q = await this.query(orderId, txnTime);
        if (q.state === 'paid') return this.approved(q.fields, orderId, amount);
        if (q.state === 'failed' || q.state === 'missing') return { outcome: 'declined', reason: why };
      } catch (e) {
        last = e;
        if (isKioskError(e) && e.code === 'DEVICE_OFFLINE' && e.details.unknownOutcome === false) break;
      }
    }
    throw new KioskError('TIMEOUT', `${why}, and the reversal could not be confirmed`, {
      unknownOutcome: true,
      cause: last instanceof Error ? last.message : String(last),
    });
  }

  private approved(f: AcpFields, orderId: string, fallback: Minor): PaymentResult {
    const reference: PaymentReference = { channel: 'unionpay', outTradeNo: orderId };
    if (f.queryId) reference.tradeNo = f.queryId;
    if (f.traceNo) reference.traceNo = f.traceNo;
    return { outcome: 'approved', amount: fen(f.txnAmt) ?? fallback, reference };
  }

}

function assertAmount(amount: Minor): void {
  if (!Number.isSafeInteger(amount) || amount <= 0) throw new RangeError('amount must be positive minor units (fen)');
}
