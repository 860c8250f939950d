/**
 * HQ's own calls to WeChat Pay (v2 merchant API) for a channel refund: `/secapi/pay/refund` with the merchant's client
 * certificate (mutual TLS), `/pay/refundquery` by `out_refund_no`. Signed and checked with the same code as the
 * kiosk's client (protocol/payments/wechat: HMAC-SHA256 sign, flat XML; kernel/http/bounded-post.ts: bounded
 * answer, `unknownOutcome` on every error), with the merchant's secrets from HQ's own encrypted registry.
 *
 * Refund (https://pay.weixin.qq.com/wiki/doc/api/micropay.php?chapter=9_4): result_code SUCCESS → accepted;
 * err_code SYSTEMERROR / BIZERR_NEED_RETRY (or no answer) → ask the refund query (WeChat: "请不要更换退款单号，请使用
 * 相同参数再次调用API" — the refund is idempotent on out_refund_no); any other err_code → refused.
 * Refund query (chapter=9_5): refund_status_$n SUCCESS / PROCESSING → refunded; REFUNDCLOSE / CHANGE → declined;
 * err_code REFUNDNOTEXIST → not found.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../kernel/clock';
import { KioskError, isKioskError } from '../../kernel/errors';
import { boundedPost } from '../../kernel/http/bounded-post';
import type { ChannelSecrets } from '../../protocol/payments/channel-secrets';
import { signWechat, verifyWechat } from '../../protocol/payments/wechat/wechat-sign';
import { decodeWechatXml, encodeWechatXml, type WechatXmlFields } from '../../protocol/payments/wechat/wechat-xml';
import type { ChannelRefunder, ChannelRefundOutcome, ChannelRefundRequest } from './channel-refunder';

export interface WechatEndpoint {
  /** Base URL of the API (`https://api.mch.weixin.qq.com`, or a simulator's). */
  url: string;
  /** Base URL of `/secapi/*`; default `url`. */
  secapiUrl?: string;
  /** PEM of the CA(s) the server certificate must chain to. */
  caPem: string;
}

const MAX_ANSWER_BYTES = 256 * 1024;
const RETRY_CODES = new Set(['SYSTEMERROR', 'BIZERR_NEED_RETRY']);

function nonce(): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  return [...randomBytes(32)].map((b) => alphabet[b % 62]).join('');
}

const why = (r: WechatXmlFields): string => `${r.err_code_des || r.return_msg || 'refused'} (${r.err_code ?? r.result_code ?? '?'})`;

export class WechatRefunder implements ChannelRefunder {
  constructor(
    private readonly endpoint: WechatEndpoint,
    private readonly secrets: NonNullable<ChannelSecrets['wechat']>,
    private readonly clock: Clock,
    private readonly timeoutMs = 10_000,
  ) {}

  /** One signed call; the verified answer, or a KioskError (unknownOutcome as bounded-post says; true for a bad answer). */
  private async call(path: '/secapi/pay/refund' | '/pay/refundquery', params: Record<string, string>): Promise<WechatXmlFields> {
    const s = this.secrets;
    const secure = path.startsWith('/secapi/');
    const base = (secure ? this.endpoint.secapiUrl : undefined) ?? this.endpoint.url;
    const body = encodeWechatXml(signWechat({ ...params, appid: s.appId, mch_id: s.mchId, nonce_str: nonce(), sign_type: 'HMAC-SHA256' }, s.apiKey, 'HMAC-SHA256'));
    const answer = await boundedPost({
      url: new URL(path, base.endsWith('/') ? base : `${base}/`),
      body,
      contentType: 'text/xml; charset=utf-8',
      tls: { ca: this.endpoint.caPem, ...(secure ? { cert: s.clientCertPem, key: s.clientKeyPem } : {}) },
      clock: this.clock,
      timeoutMs: this.timeoutMs,
      maxBytes: MAX_ANSWER_BYTES,
      peer: 'WeChat Pay',
      what: path,
      details: { path },
    });
    const details = { path, unknownOutcome: true };
    const fields = decodeWechatXml(answer.body, { maxBytes: MAX_ANSWER_BYTES });
    if (!fields) throw new KioskError('PROTOCOL', `WeChat Pay answer to ${path} is not WeChat XML (HTTP ${answer.status})`, details);
    // a communication-level failure is unsigned by the rules: it proves nothing about the refund
    if (fields.return_code !== 'SUCCESS') throw new KioskError('PROTOCOL', `WeChat Pay refused ${path}: ${fields.return_msg ?? '?'}`, details);
    if (!verifyWechat(fields, s.apiKey, 'HMAC-SHA256')) throw new KioskError('PROTOCOL', `WeChat Pay answer to ${path} does not verify`, details);
    if ((fields.appid !== undefined && fields.appid !== s.appId) || (fields.mch_id !== undefined && fields.mch_id !== s.mchId)) {
      throw new KioskError('PROTOCOL', `WeChat Pay answer to ${path} is for another merchant`, details);
    }
    return fields;
  }

  async refund(req: ChannelRefundRequest): Promise<ChannelRefundOutcome> {
    let r: WechatXmlFields;
    try {
      r = await this.call('/secapi/pay/refund', { out_trade_no: req.outTradeNo, out_refund_no: req.refundNo, total_fee: String(req.paidAmount), refund_fee: String(req.amount) });
    } catch (e) {
      if (isKioskError(e) && e.details.unknownOutcome === false) throw e;
      return this.query(req);
    }
    if (r.result_code === 'SUCCESS') return { state: 'refunded', refundId: r.refund_id ?? null };
    if (RETRY_CODES.has(r.err_code ?? '')) return this.query(req);
    return { state: 'declined', reason: why(r) };
  }

  async query(req: Pick<ChannelRefundRequest, 'outTradeNo' | 'refundNo'>): Promise<ChannelRefundOutcome> {
    let q: WechatXmlFields;
    try {
      q = await this.call('/pay/refundquery', { out_refund_no: req.refundNo });
    } catch (e) {
      return { state: 'pending', reason: e instanceof Error ? e.message : String(e) };
    }
    if (q.result_code !== 'SUCCESS') return q.err_code === 'REFUNDNOTEXIST' ? { state: 'not_found' } : { state: 'pending', reason: why(q) };
    for (let n = 0; n < 100 && q[`out_refund_no_${n}`] !== undefined; n++) {
      if (q[`out_refund_no_${n}`] !== req.refundNo) continue;
      const status = q[`refund_status_${n}`];
      if (status === 'SUCCESS' || status === 'PROCESSING') return { state: 'refunded', refundId: q[`refund_id_${n}`] ?? null };
      if (status === 'REFUNDCLOSE' || status === 'CHANGE') return { state: 'declined', reason: `refund ${status}` };
      return { state: 'pending', reason: `refund ${status ?? '?'}` };
    }
    return { state: 'not_found' };
  }
}
