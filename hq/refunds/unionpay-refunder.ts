/**
 * HQ's own calls to a UnionPay ACP 5.1.0 acquirer for a channel refund of a UnionPay QR payment: 退货 (backTransReq.do,
 * txnType 04 / txnSubType 00 with `origQryId`, the payment's queryId) under HQ's refund number as `orderId`, and the
 * query (queryTrans.do, txnType 00 / 00) by that orderId + the refund's txnTime. Signed and checked with the same code
 * as the kiosk's client (protocol/payments/unionpay: signMethod 01, certId = the merchant certificate's serial, the
 * answer verified with the `signPubKeyCert` it carries, chained to UnionPay's root; kernel/http/bounded-post.ts).
 *
 * ACP queries need the original txnTime, so the refunder is given what HQ knows ({@link UnionpayKnown}): the refund's
 * txnTime is the Beijing time at which HQ recorded the refund (the same on every retry and after a restart), the
 * payment's queryId is its approval reference's `tradeNo`, else found by querying the payment with the txnTime the
 * kiosk journaled for it (attempt context `unionpayTxnTime`).
 *
 * Refund answer: respCode 00 → accepted; 03 / 04 / 05 / 06 / 12 (12: the orderId exists — a retry) or no answer →
 * the refund's query decides; anything else → refused. Query: respCode 34 → no such refund; 00 with origRespCode 00 →
 * refunded, 03 / 04 / 05 → still in progress, other → refused; anything else → unknown.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import type { Clock } from '../../kernel/clock';
import { KioskError, isKioskError } from '../../kernel/errors';
import { boundedPost } from '../../kernel/http/bounded-post';
import type { ChannelSecrets } from '../../protocol/payments/channel-secrets';
import { ACP_FORM_LIMITS, encodeForm, parseAcpText, type AcpFields } from '../../protocol/payments/unionpay/unionpay-form';
import { certIdOf, signFields, verifyAnswer } from '../../protocol/payments/unionpay/unionpay-sign';
import type { ChannelRefunder, ChannelRefundOutcome, ChannelRefundRequest } from './channel-refunder';

export interface UnionpayEndpoint {
  /** The acquirer's base URL (requests go to `<url>/gateway/api/<api>.do`). */
  url: string;
  /** PEM of the CA(s) an https acquirer's TLS certificate must chain to. */
  caPem: string;
  /** UnionPay's root certificate every answer's `signPubKeyCert` must chain to. */
  rootCaPem: string;
}

/** What HQ knows that ACP needs (read from HQ's projections and journal copy: hq/refunds/refunders.ts). */
export interface UnionpayKnown {
  /** The payment of that orderId: its queryId (approval reference) and the txnTime it was sent with. */
  payment(outTradeNo: string): Promise<{ queryId: string | null; txnTime: string | null }>;
  /** When HQ recorded the refund of that number (ms), or null when it holds none. */
  refundRecordedAt(refundNo: string): Promise<number | null>;
}

const UNDECIDED = new Set(['03', '04', '05', '06', '12']);
const IN_PROGRESS = new Set(['03', '04', '05']);
const QUERY_ID = /^[0-9A-Za-z]{1,64}$/;
const COMMON = { bizType: '000000', channelType: '08', currencyCode: '156' } as const;

/** yyyyMMddHHmmss in Beijing time (UTC+8, no DST) of the instant `ms` (ACP txnTime). */
export function beijingTxnTime(ms: number): string {
  return new Date(ms + 8 * 3_600_000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

const why = (f: AcpFields, code = f.respCode, msg = f.respMsg): string => `${msg || 'refused'} (${code ?? '?'})`;

export class UnionpayRefunder implements ChannelRefunder {
  private readonly key: KeyObject;
  private readonly certId: string;
  private readonly root: X509Certificate;

  constructor(
    private readonly endpoint: UnionpayEndpoint,
    private readonly secrets: NonNullable<ChannelSecrets['unionpay']>,
    private readonly known: UnionpayKnown,
    private readonly clock: Clock,
    private readonly timeoutMs = 10_000,
  ) {
    this.key = createPrivateKey(secrets.signKeyPem);
    this.certId = certIdOf(secrets.signCertPem);
    this.root = new X509Certificate(endpoint.rootCaPem);
  }

  /** One signed call; the verified answer, or a KioskError (unknownOutcome as bounded-post says; true for a bad answer). */
  private async call(api: 'backTransReq' | 'queryTrans', fields: AcpFields): Promise<AcpFields> {
    const what = `${api} txnType ${fields.txnType}`;
    const signed = signFields({ version: '5.1.0', encoding: 'UTF-8', signMethod: '01', certId: this.certId, merId: this.secrets.merId, accessType: '0', ...fields }, this.key);
    const answer = await boundedPost({
      url: `${this.endpoint.url.replace(/\/+$/, '')}/gateway/api/${api}.do`,
      body: encodeForm(signed),
      contentType: 'application/x-www-form-urlencoded;charset=UTF-8',
      tls: { ca: this.endpoint.caPem },
      clock: this.clock,
      timeoutMs: this.timeoutMs,
      maxBytes: ACP_FORM_LIMITS.maxBytes,
      peer: 'UnionPay',
      what,
      details: { api, txnType: fields.txnType },
    });
    const f = parseAcpText(answer.body.toString('utf8'));
    const details = { api, txnType: fields.txnType, unknownOutcome: true };
    if (!f || !verifyAnswer(f, this.root, this.clock.now()) || typeof f.respCode !== 'string' || !/^[0-9A-Z]{2}$/.test(f.respCode)) {
      throw new KioskError('PROTOCOL', `UnionPay answer to ${what} does not verify (HTTP ${answer.status})`, details);
    }
    if ((f.merId !== undefined && f.merId !== this.secrets.merId) || (f.orderId !== undefined && f.orderId !== fields.orderId)) {
      throw new KioskError('PROTOCOL', `UnionPay answer to ${what} is for another merchant or order`, details);
    }
    return f;
  }

  /** The payment's queryId (origQryId of the refund); rejects with unknownOutcome false when it cannot be found out. */
  private async origQryId(outTradeNo: string): Promise<string> {
    const p = await this.known.payment(outTradeNo);
    if (p.queryId && QUERY_ID.test(p.queryId)) return p.queryId;
    const notSent = (why: string) => new KioskError('PROTOCOL', `the UnionPay payment ${outTradeNo} to refund could not be found out: ${why}`, { unknownOutcome: false });
    if (!p.txnTime) throw notSent('HQ holds neither its queryId nor its txnTime');
    let q: AcpFields;
    try {
      q = await this.call('queryTrans', { txnType: '00', txnSubType: '00', bizType: '000000', orderId: outTradeNo, txnTime: p.txnTime });
    } catch (e) {
      throw notSent(e instanceof Error ? e.message : String(e));
    }
    if (q.respCode !== '00' || q.origRespCode !== '00' || !q.queryId || !QUERY_ID.test(q.queryId)) throw notSent(why(q));
    return q.queryId;
  }

  private async txnTimeOf(refundNo: string): Promise<string | null> {
    const at = await this.known.refundRecordedAt(refundNo);
    return at === null ? null : beijingTxnTime(at);
  }

  async refund(req: ChannelRefundRequest): Promise<ChannelRefundOutcome> {
    const txnTime = await this.txnTimeOf(req.refundNo);
    if (!txnTime) throw new KioskError('PROTOCOL', `HQ holds no refund ${req.refundNo}`, { unknownOutcome: false });
    const origQryId = await this.origQryId(req.outTradeNo);
    let r: AcpFields;
    try {
      r = await this.call('backTransReq', { txnType: '04', txnSubType: '00', ...COMMON, orderId: req.refundNo, txnTime, txnAmt: String(req.amount), origQryId, backUrl: '' });
    } catch (e) {
      if (isKioskError(e) && e.details.unknownOutcome === false) throw e;
      return this.query(req);
    }
    if (r.respCode === '00') return { state: 'refunded', refundId: r.queryId ?? null };
    if (UNDECIDED.has(r.respCode)) return this.query(req);
    return { state: 'declined', reason: why(r) };
  }

  async query(req: Pick<ChannelRefundRequest, 'outTradeNo' | 'refundNo'>): Promise<ChannelRefundOutcome> {
    const txnTime = await this.txnTimeOf(req.refundNo);
    if (!txnTime) return { state: 'pending', reason: `HQ holds no refund ${req.refundNo}` };
    let q: AcpFields;
    try {
      q = await this.call('queryTrans', { txnType: '00', txnSubType: '00', bizType: '000000', orderId: req.refundNo, txnTime });
    } catch (e) {
      return { state: 'pending', reason: e instanceof Error ? e.message : String(e) };
    }
    if (q.respCode === '34') return { state: 'not_found' };
    if (q.respCode !== '00' || typeof q.origRespCode !== 'string') return { state: 'pending', reason: why(q) };
    if (q.origRespCode === '00') return { state: 'refunded', refundId: q.queryId ?? null };
    if (IN_PROGRESS.has(q.origRespCode)) return { state: 'pending', reason: why(q, q.origRespCode, q.origRespMsg) };
    return { state: 'declined', reason: why(q, q.origRespCode, q.origRespMsg) };
  }
}
