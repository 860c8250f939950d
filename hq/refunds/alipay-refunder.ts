/**
 * HQ's own calls to Alipay's open API for a channel refund: `alipay.trade.refund` and, when its answer tells nothing,
 * `alipay.trade.fastpay.refund.query` — by `out_trade_no` + `out_request_no` (HQ's refund number), RSA2-signed and
 * checked with the same code as the kiosk's client (protocol/payments/alipay/canonical.ts: the answer
 * `{"<method>_response":…,"sign":…}` verified over the exact text; kernel/http/bounded-post.ts: bounded answer,
 * `unknownOutcome` on every error), with the merchant's secrets from HQ's own encrypted registry.
 *
 * Refund (https://opendocs.alipay.com/open/02ekfk): code 10000 → accepted (idempotent on out_request_no: a repeat
 * answers 10000 with fund_change N); 20000, 40004 ACQ.SYSTEM_ERROR, an undocumented code or no answer → ask the
 * refund query; 20001 / 40001 / 40002 / 40006 and the other 40004 sub codes → refused.
 * Refund query (https://opendocs.alipay.com/open/02ekfl): 10000 with refund_status REFUND_SUCCESS (or, without
 * refund_status, a refund_amount) → refunded; a bare 10000 → Alipay has no such refund; anything else → unknown.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import type { Clock } from '../../kernel/clock';
import { KioskError, isKioskError } from '../../kernel/errors';
import { boundedPost } from '../../kernel/http/bounded-post';
import { JSON_LIMITS } from '../../kernel/json/limits';
import { openEnvelope, responseKey, signParams, type Params } from '../../protocol/payments/alipay/canonical';
import { fenToYuan, yuanToFen } from '../../protocol/payments/alipay/yuan';
import type { ChannelSecrets } from '../../protocol/payments/channel-secrets';
import type { ChannelRefunder, ChannelRefundOutcome, ChannelRefundRequest } from './channel-refunder';

export interface AlipayEndpoint {
  /** The gateway URL (`https://openapi.alipay.com/gateway.do`, or a simulator's). */
  url: string;
  /** PEM of the CA(s) an https gateway's certificate must chain to. */
  caPem: string;
}

type Method = 'alipay.trade.refund' | 'alipay.trade.fastpay.refund.query';
type Answer = Record<string, unknown> & { code: string };

/** Alipay's public error codes that mean the request was refused as it stands (nothing was done). */
const REFUSALS = new Set(['20001', '40001', '40002', '40006']);

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const why = (r: Answer): string => `${str(r.sub_msg) || str(r.msg) || 'refused'} (${str(r.sub_code) || r.code})`;

/** `YYYY-MM-DD HH:mm:ss` of the injected clock (UTC, as the kiosk's client sends it). */
const timestamp = (ms: number): string => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

export class AlipayRefunder implements ChannelRefunder {
  private readonly privateKey: KeyObject;
  private readonly gatewayKey: KeyObject;

  constructor(
    private readonly endpoint: AlipayEndpoint,
    private readonly secrets: NonNullable<ChannelSecrets['alipay']>,
    private readonly clock: Clock,
    private readonly timeoutMs = 10_000,
  ) {
    this.privateKey = createPrivateKey(secrets.merchantPrivateKeyPem);
    this.gatewayKey = createPublicKey(secrets.gatewayPublicKeyPem);
  }

  /** One signed call; the verified answer, or a KioskError (unknownOutcome as bounded-post says; true for a bad answer). */
  private async call(method: Method, biz: Record<string, string>): Promise<Answer> {
    const params: Params = {
      app_id: this.secrets.appId,
      method,
      charset: 'utf-8',
      sign_type: 'RSA2',
      timestamp: timestamp(this.clock.now()),
      version: '1.0',
      biz_content: JSON.stringify(biz),
    };
    const signed = Object.entries(signParams(params, this.privateKey)).filter((e): e is [string, string] => e[1] !== undefined);
    const answer = await boundedPost({
      url: this.endpoint.url,
      body: new URLSearchParams(signed).toString(),
      contentType: 'application/x-www-form-urlencoded;charset=utf-8',
      tls: { ca: this.endpoint.caPem },
      clock: this.clock,
      timeoutMs: this.timeoutMs,
      maxBytes: JSON_LIMITS.gatewayResponse,
      peer: 'Alipay',
      what: method,
      details: { method },
    });
    const r = openEnvelope(answer.body.toString('utf8'), this.gatewayKey, [responseKey(method), 'error_response']);
    if (!r || typeof r.code !== 'string') throw new KioskError('PROTOCOL', `Alipay answer to ${method} does not verify (HTTP ${answer.status})`, { method, unknownOutcome: true });
    if (r.out_trade_no !== undefined && r.out_trade_no !== biz.out_trade_no) {
      throw new KioskError('PROTOCOL', `Alipay answer to ${method} is for another trade`, { method, unknownOutcome: true });
    }
    return r as Answer;
  }

  async refund(req: ChannelRefundRequest): Promise<ChannelRefundOutcome> {
    let r: Answer;
    try {
      r = await this.call('alipay.trade.refund', { out_trade_no: req.outTradeNo, refund_amount: fenToYuan(req.amount), out_request_no: req.refundNo });
    } catch (e) {
      if (isKioskError(e) && e.details.unknownOutcome === false) throw e;
      return this.query(req);
    }
    if (r.code === '10000') return { state: 'refunded', refundId: str(r.trade_no) || null };
    if (REFUSALS.has(r.code) || (r.code === '40004' && r.sub_code !== 'ACQ.SYSTEM_ERROR')) return { state: 'declined', reason: why(r) };
    return this.query(req);
  }

  async query(req: Pick<ChannelRefundRequest, 'outTradeNo' | 'refundNo'>): Promise<ChannelRefundOutcome> {
    let q: Answer;
    try {
      q = await this.call('alipay.trade.fastpay.refund.query', { out_trade_no: req.outTradeNo, out_request_no: req.refundNo });
    } catch (e) {
      return { state: 'pending', reason: e instanceof Error ? e.message : String(e) };
    }
    if (q.code !== '10000') return { state: 'pending', reason: why(q) };
    if (q.out_request_no !== undefined && q.out_request_no !== req.refundNo) return { state: 'pending', reason: 'the refund query answered another refund' };
    if (q.refund_status === 'REFUND_SUCCESS' || (q.refund_status === undefined && yuanToFen(q.refund_amount) !== null)) {
      return { state: 'refunded', refundId: str(q.trade_no) || null };
    }
    if (q.refund_status === undefined) return { state: 'not_found' };
    return { state: 'pending', reason: `refund ${str(q.refund_status) || '?'}` };
  }
}
