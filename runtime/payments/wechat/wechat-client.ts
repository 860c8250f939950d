/**
 * Signed calls to WeChat Pay's v2 merchant API: HTTPS POST of flat XML, `nonce_str` random, `sign_type`
 * HMAC-SHA256, the answer's sign verified with the same API key before anything in it is believed. The `/secapi/*`
 * calls (reverse, refund) present the merchant's client certificate (mutual TLS). The server is trusted only if its
 * certificate chains to the configured CA.
 *
 * Error semantics (the same as runtime/payments/gateway/gateway-client.ts), as KioskError:
 * - DEVICE_OFFLINE, unknownOutcome false: not reached — connection refused, or the TLS handshake refused (server
 *   certificate not trusted, client certificate refused): the server never saw the request;
 * - DEVICE_OFFLINE, unknownOutcome true: the connection broke after the request may have been sent / answer cut off;
 * - TIMEOUT, unknownOutcome true: no answer within the timeout on the injected clock (or the caller aborted);
 * - PROTOCOL, unknownOutcome true: the answer was too large, not WeChat XML, `return_code` not SUCCESS (such
 *   answers are unsigned by the rules) or its sign did not verify.
 */
import { boundedPost } from '../../../kernel/http/bounded-post';
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../../kernel/clock';
import { KioskError } from '../../../kernel/errors';
import { declaredSignType, signWechat, verifyWechat, type WechatParams } from '../../../protocol/payments/wechat/wechat-sign';
import { decodeWechatXml, encodeWechatXml, type WechatXmlFields } from '../../../protocol/payments/wechat/wechat-xml';

export type WechatPath =
  | '/pay/micropay'
  | '/pay/orderquery'
  | '/pay/unifiedorder'
  | '/pay/closeorder'
  | '/pay/refundquery'
  | '/secapi/pay/reverse'
  | '/secapi/pay/refund';

export interface WechatClientOptions {
  /** Base URL of the API, e.g. `https://api.mch.weixin.qq.com` or the simulator's `https://127.0.0.1:<port>`. */
  url: string;
  /** Base URL for the `/secapi/*` calls (mutual TLS); default `url`. */
  secapiUrl?: string;
  appId: string;
  mchId: string;
  /** The merchant's v2 API key (32 characters at WeChat); never logged. */
  apiKey: string;
  /** PEM of the CA(s) the server certificate must chain to. */
  caPem: string;
  /** The merchant's API client certificate and key (PEM), presented on `/secapi/*`; without them those calls fail. */
  clientCertPem?: string;
  clientKeyPem?: string;
  clock: Clock;
  /** Per-request timeout; default 10 000 ms. */
  timeoutMs?: number;
  /** Where WeChat Pay POSTs the payment notification of a NATIVE order. */
  notifyUrl?: string;
}

/** A verified answer: return_code SUCCESS and a valid sign; `result_code` / `err_code` are the business result. */
export type WechatAnswer = WechatXmlFields;

/** Largest answer read; an answer is a few KiB. */
export const MAX_WECHAT_RESPONSE_BYTES = 256 * 1024;


/** 32 random characters of [0-9A-Za-z] (nonce_str ≤ 32). */
export function nonceStr(): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  return [...randomBytes(32)].map((b) => alphabet[b % 62]).join('');
}

export class WechatClient {
  constructor(private readonly opts: WechatClientOptions) {}

  get appId(): string {
    return this.opts.appId;
  }

  get mchId(): string {
    return this.opts.mchId;
  }

  get notifyUrl(): string | undefined {
    return this.opts.notifyUrl;
  }

  /** The signed request fields of one call (exposed for tests). */
  signedRequest(params: Record<string, string>): WechatParams {
    return signWechat(
      { ...params, appid: this.opts.appId, mch_id: this.opts.mchId, nonce_str: nonceStr(), sign_type: 'HMAC-SHA256' },
      this.opts.apiKey,
      'HMAC-SHA256',
    );
  }

  /**
   * Verifies a message signed by WeChat Pay with this merchant's key, by the sign type it declares; without
   * `sign_type` (the rules' default is MD5, but a notification of an HMAC-SHA256 order may omit it) either type.
   */
  verifies(fields: WechatParams): boolean {
    if (fields.sign_type === undefined || fields.sign_type === '') {
      return verifyWechat(fields, this.opts.apiKey, 'MD5') || verifyWechat(fields, this.opts.apiKey, 'HMAC-SHA256');
    }
    const type = declaredSignType(fields);
    return type !== null && verifyWechat(fields, this.opts.apiKey, type);
  }

  /** One signed call; resolves with the verified answer, rejects as described at the top of this file. */
  async call(path: WechatPath, params: Record<string, string>, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<WechatAnswer> {
    const secure = path.startsWith('/secapi/');
    const base = (secure ? this.opts.secapiUrl : undefined) ?? this.opts.url;
    const answer = await boundedPost({
      url: new URL(path, base.endsWith('/') ? base : `${base}/`),
      body: encodeWechatXml(this.signedRequest(params)),
      contentType: 'text/xml; charset=utf-8',
      tls: { ca: this.opts.caPem, ...(secure && this.opts.clientCertPem && this.opts.clientKeyPem ? { cert: this.opts.clientCertPem, key: this.opts.clientKeyPem } : {}) },
      clock: this.opts.clock,
      timeoutMs: options.timeoutMs ?? this.opts.timeoutMs ?? 10_000,
      ...(options.signal ? { signal: options.signal } : {}),
      maxBytes: MAX_WECHAT_RESPONSE_BYTES,
      peer: 'WeChat Pay',
      what: path,
      details: { path },
    });
    const [err, fields] = this.open(path, answer.body, answer.status);
    if (err) throw err;
    return fields!;
  }

  /** Checks one answer: [error, undefined] or [null, verified fields]. */
  private open(path: WechatPath, raw: Buffer, status: number): [KioskError | null, WechatAnswer?] {
    const details = { path, unknownOutcome: true };
    const fields = decodeWechatXml(raw, { maxBytes: MAX_WECHAT_RESPONSE_BYTES });
    if (!fields) return [new KioskError('PROTOCOL', `WeChat Pay answer to ${path} is not WeChat XML (HTTP ${status})`, details)];
    if (fields.return_code !== 'SUCCESS') {
      // communication-level failure; unsigned by the rules, so it proves nothing about the trade
      return [new KioskError('PROTOCOL', `WeChat Pay refused ${path}: ${fields.return_msg ?? fields.return_code ?? '?'}`, { ...details, returnMsg: fields.return_msg ?? '' })];
    }
    if (!verifyWechat(fields, this.opts.apiKey, 'HMAC-SHA256')) {
      return [new KioskError('PROTOCOL', `WeChat Pay answer to ${path} does not verify`, details)];
    }
    if ((fields.appid !== undefined && fields.appid !== this.opts.appId) || (fields.mch_id !== undefined && fields.mch_id !== this.opts.mchId)) {
      return [new KioskError('PROTOCOL', `WeChat Pay answer to ${path} is for another merchant`, details)];
    }
    return [null, fields];
  }
}
