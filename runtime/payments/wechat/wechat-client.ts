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
 *   answers are unsigned by the rules) or its sign did not verify;
 * - PROTOCOL, unknownOutcome false, `signatureRefused` true: WeChat Pay refused the request's signature
 *   (`return_code FAIL`, `return_msg 签名错误`): it checks the sign before anything else, so the request was not
 *   processed — the API key at WeChat Pay is not the one it was signed with.
 *
 * Key switch (rotation without downtime): with {@link WechatClient.fallBackTo} a request refused for its signature
 * (the `return_code FAIL` above, or a signed answer with `err_code SIGNERROR`) is sent again once, the same request,
 * through the client of the previous values; when that works, later requests of the same `out_trade_no` /
 * `out_refund_no` start with the previous key. Refused with both keys: the PROTOCOL / signatureRefused error above
 * (`bothKeys` true). Any other answer or error is never retried with the other key.
 */
import { boundedPost } from '../../../kernel/http/bounded-post';
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../../kernel/clock';
import { KioskError, isKioskError } from '../../../kernel/errors';
import { declaredSignType, signWechat, verifyWechat, type WechatParams } from '../../../protocol/payments/wechat/wechat-sign';
import { decodeWechatXml, encodeWechatXml, type WechatXmlFields } from '../../../protocol/payments/wechat/wechat-xml';
import { KeyOrder } from '../channels/key-order';

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

/** `return_msg` of a `return_code FAIL` that refuses the request's signature (签名错误 at WeChat Pay). */
const SIGNATURE_REFUSED = /签名错误|签名失败|验签失败|签名校验失败|\bsign(ature)?\s*(error|fail|invalid|mismatch)|invalid\s+sign/i;

/** Whether `e` is WeChat Pay refusing a request's signature (nothing was processed). */
export function isSignatureRefusal(e: unknown): e is KioskError {
  return isKioskError(e) && e.details.signatureRefused === true;
}

/** A verified answer that refuses the signature in its business result (`err_code SIGNERROR`). */
const signError = (a: WechatAnswer): boolean => a.result_code === 'FAIL' && a.err_code === 'SIGNERROR';

export class WechatClient {
  private previous: { client: WechatClient; onUsed: () => void } | null = null;
  private readonly keyOrder = new KeyOrder<WechatClient>();

  constructor(private readonly opts: WechatClientOptions) {}

  /**
   * Requests refused for their signature are retried once through `client` (built from HQ's previous values);
   * `onUsed` is called when that worked.
   */
  fallBackTo(client: WechatClient, onUsed: () => void = () => undefined): void {
    this.previous = { client, onUsed };
  }

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
    return (type !== null && verifyWechat(fields, this.opts.apiKey, type)) || (this.previous?.client.verifies(fields) ?? false);
  }

  /** One signed call; resolves with the verified answer, rejects as described at the top of this file. */
  async call(path: WechatPath, params: Record<string, string>, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<WechatAnswer> {
    const previous = this.previous;
    if (!previous) return this.callOnce(path, params, options);
    const id = params.out_trade_no ?? params.out_refund_no;
    const [first, second] = this.keyOrder.order(id, this as WechatClient, previous.client);
    try {
      const answer = await first.callOnce(path, params, options);
      if (!signError(answer)) return answer;
    } catch (e) {
      if (!isSignatureRefusal(e)) throw e; // anything but a refused signature keeps its own rules: never the other key
    }
    // refused for the signature: not processed. The same request once more with the other key.
    let again: WechatAnswer;
    try {
      again = await second.callOnce(path, params, options);
    } catch (e) {
      if (!isSignatureRefusal(e)) throw e;
      throw new KioskError('PROTOCOL', `WeChat Pay refused the signature of ${path} with the key in force and with the previous key: the API key at WeChat Pay is neither`, {
        path,
        unknownOutcome: false,
        signatureRefused: true,
        bothKeys: true,
      });
    }
    if (signError(again)) return again;
    this.keyOrder.settled(id, second, previous.client, previous.onUsed);
    return again;
  }

  /** One signed call with this client's own key, no retry. */
  private async callOnce(path: WechatPath, params: Record<string, string>, options: { signal?: AbortSignal; timeoutMs?: number }): Promise<WechatAnswer> {
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
      const returnMsg = fields.return_msg ?? '';
      if (fields.return_code === 'FAIL' && SIGNATURE_REFUSED.test(returnMsg)) {
        // the sign is checked first: refused for it, the request was not processed (nothing charged)
        return [new KioskError('PROTOCOL', `WeChat Pay refused the signature of ${path} (${returnMsg}): the API key at WeChat Pay is not this one`, { path, unknownOutcome: false, signatureRefused: true, returnMsg })];
      }
      // communication-level failure; unsigned by the rules, so it proves nothing about the trade
      return [new KioskError('PROTOCOL', `WeChat Pay refused ${path}: ${fields.return_msg ?? fields.return_code ?? '?'}`, { ...details, returnMsg })];
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
