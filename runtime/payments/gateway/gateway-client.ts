/**
 * Signed calls to Alipay's open API (https://opendocs.alipay.com/open/02ekfp and the other method pages): a
 * form-urlencoded POST with the public parameters and `biz_content`, RSA2-signed; the answer
 * `{"<method>_response":{…},"sign":"…"}` (e.g. `alipay_trade_pay_response`) verified with Alipay's public key over
 * the exact text of the response object. Any answer that cannot be verified is an error with
 * `details.unknownOutcome: true` — never a success.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Clock } from '../../../kernel/clock';
import { KioskError } from '../../../kernel/errors';
import { boundedPost } from '../../../kernel/http/bounded-post';
import { JSON_LIMITS } from '../../../kernel/json/limits';
import { openEnvelope, responseKey, signParams, verifyParams, type Params } from '../../../protocol/payments/alipay/canonical';
import { yuanToFen } from '../../../protocol/payments/alipay/yuan';

/** The Alipay open-API methods the kiosk calls. */
export type GatewayMethod =
  | 'alipay.trade.pay'
  | 'alipay.trade.precreate'
  | 'alipay.trade.query'
  | 'alipay.trade.cancel'
  | 'alipay.trade.refund'
  | 'alipay.trade.fastpay.refund.query'
  | 'alipay.data.dataservice.bill.downloadurl.query';

export interface GatewayClientOptions {
  /** e.g. http://127.0.0.1:4567/gateway */
  url: string;
  appId: string;
  /** PEM file with the merchant's private key (read once, never logged); or the PEM itself, `merchantPrivateKeyPem`. */
  merchantPrivateKeyPath?: string;
  merchantPrivateKeyPem?: string;
  /** PEM file with the gateway's public key; or the PEM itself, `gatewayPublicKeyPem`. */
  gatewayPublicKeyPath?: string;
  gatewayPublicKeyPem?: string;
  clock: Clock;
  /** Per-request timeout; default 10 000 ms. */
  timeoutMs?: number;
  /** Where the gateway should POST asynchronous notifications (precreate). */
  notifyUrl?: string;
}

/**
 * A verified gateway answer. `code` (Alipay 公共错误码, https://opendocs.alipay.com/common/02km9f): '10000' success,
 * '10003' waiting for the buyer (trade.pay), '20000' service unavailable, '20001' insufficient token permissions,
 * '40001' missing arguments, '40002' invalid arguments, '40004' business failure (`sub_code` ACQ.*), '40006'
 * insufficient permissions. Amounts (`total_amount`, `refund_fee` …) are yuan strings.
 */
export interface GatewayResponse {
  code: string;
  msg: string;
  sub_code?: string;
  sub_msg?: string;
  [k: string]: unknown;
}

export interface GatewayNotification {
  notify_id: string;
  out_trade_no: string;
  trade_no?: string;
  trade_status: string;
  /** Integer fen, converted exactly from the notification's yuan `total_amount` (NaN when it is not a valid amount). */
  total_amount: number;
  [k: string]: string | number | undefined;
}

/** Formats the injected clock as `YYYY-MM-DD HH:mm:ss` (UTC). */
export function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** Largest gateway answer read (the bounded JSON limit of its signed response). */
export const MAX_GATEWAY_RESPONSE_BYTES = JSON_LIMITS.gatewayResponse;


export class GatewayClient {
  private readonly privateKey: KeyObject;
  private readonly gatewayKey: KeyObject;
  private readonly seenNotifyIds = new Set<string>();
  private readonly seenOrder: string[] = [];

  constructor(private readonly opts: GatewayClientOptions) {
    const pem = (text: string | undefined, file: string | undefined, what: string): string | Buffer => {
      if (text !== undefined) return text;
      if (file !== undefined) return readFileSync(file);
      throw new TypeError(`GatewayClient needs ${what}`);
    };
    this.privateKey = createPrivateKey(pem(opts.merchantPrivateKeyPem, opts.merchantPrivateKeyPath, "the merchant's private key"));
    this.gatewayKey = createPublicKey(pem(opts.gatewayPublicKeyPem, opts.gatewayPublicKeyPath, "the gateway's public key"));
  }

  /** Builds the signed form parameters of one request (exposed for tests and the simulator's README example). */
  signedParams(method: GatewayMethod, biz: Record<string, unknown>, withNotify = false): Params {
    const params: Params = {
      app_id: this.opts.appId,
      method,
      charset: 'utf-8',
      sign_type: 'RSA2',
      timestamp: formatTimestamp(this.opts.clock.now()),
      version: '1.0',
      biz_content: JSON.stringify(biz),
    };
    if (withNotify && this.opts.notifyUrl) params.notify_url = this.opts.notifyUrl;
    return signParams(params, this.privateKey);
  }

  /**
   * One signed call. Rejects with KioskError:
   * - DEVICE_OFFLINE, unknownOutcome false: the connection was refused (nothing was sent);
   * - DEVICE_OFFLINE, unknownOutcome true: the connection broke after the request may have been sent;
   * - TIMEOUT, unknownOutcome true: no answer within the timeout (or the caller aborted);
   * - PROTOCOL, unknownOutcome true: the answer was malformed or its signature did not verify.
   */
  async call(
    method: GatewayMethod,
    biz: Record<string, unknown>,
    options: { signal?: AbortSignal; timeoutMs?: number } = {},
  ): Promise<GatewayResponse> {
    const body = new URLSearchParams(
      Object.entries(this.signedParams(method, biz, method === 'alipay.trade.precreate')).filter(
        (e): e is [string, string] => e[1] !== undefined,
      ),
    ).toString();
    const res = await boundedPost({
      url: this.opts.url,
      body,
      contentType: 'application/x-www-form-urlencoded;charset=utf-8',
      clock: this.opts.clock,
      timeoutMs: options.timeoutMs ?? this.opts.timeoutMs ?? 10_000,
      ...(options.signal ? { signal: options.signal } : {}),
      maxBytes: MAX_GATEWAY_RESPONSE_BYTES,
      peer: 'gateway',
      what: method,
      details: { method },
    });
    // the answer sits under `<method>_response`; gateway-level errors may come as `error_response`
    const response = openEnvelope(res.body.toString('utf8'), this.gatewayKey, [responseKey(method), 'error_response']);
    if (!response || typeof response.code !== 'string') {
      throw new KioskError('PROTOCOL', `unverifiable gateway answer to ${method} (HTTP ${res.status})`, { method, unknownOutcome: true });
    }
    return { msg: '', ...response, code: response.code } as GatewayResponse;
  }

  /**
   * Verifies an asynchronous notification (form-urlencoded body, signed like a request). Rejects with PROTOCOL when
   * the signature does not verify or the app id differs. Alipay resends a notification with the same `notify_id`
   * until it is answered `success`: a verified notification whose notify_id was already seen is `duplicate` (the
   * caller acknowledges it again and changes nothing).
   */
  verifyNotification(rawBody: string): { notification: GatewayNotification; duplicate: boolean } {
    const params: Params = Object.fromEntries(new URLSearchParams(rawBody));
    if (!verifyParams(params, this.gatewayKey)) {
      throw new KioskError('PROTOCOL', 'notification signature does not verify');
    }
    if (params.app_id !== this.opts.appId) throw new KioskError('PROTOCOL', 'notification for another app id');
    const id = params.notify_id;
    if (!id || !params.out_trade_no || !params.trade_status) {
      throw new KioskError('PROTOCOL', 'notification is missing notify_id, out_trade_no or trade_status');
    }
    const duplicate = this.seenNotifyIds.has(id);
    if (!duplicate) {
      this.seenNotifyIds.add(id);
      this.seenOrder.push(id);
      if (this.seenOrder.length > 10_000) this.seenNotifyIds.delete(this.seenOrder.shift()!);
    }
    const amount = yuanToFen(params.total_amount);
    const notification: GatewayNotification = {
      ...params,
      notify_id: id,
      out_trade_no: params.out_trade_no,
      trade_status: params.trade_status,
      total_amount: amount ?? NaN,
    };
    return { notification, duplicate };
  }
}
