/**
 * Signed calls to Alipay's open API (https://opendocs.alipay.com/open/02ekfp and the other method pages): a
 * form-urlencoded POST with the public parameters and `biz_content`, RSA2-signed; the answer
 * `{"<method>_response":{…},"sign":"…"}` (e.g. `alipay_trade_pay_response`) verified with Alipay's public key over
 * the exact text of the response object. Any answer that cannot be verified is an error with
 * `details.unknownOutcome: true` — never a success.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import type { Clock } from '../../../kernel/clock';
import { KioskError } from '../../../kernel/errors';
import { JSON_LIMITS } from '../../../kernel/json/limits';
import { openEnvelope, responseKey, signParams, verifyParams, type Params } from './canonical';
import { yuanToFen } from '../alipay/yuan';

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
  /** PEM file with the merchant's private key (read once, never logged). */
  merchantPrivateKeyPath: string;
  /** PEM file with the gateway's public key. */
  gatewayPublicKeyPath: string;
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

const NOT_REACHED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

export class GatewayClient {
  private readonly privateKey: KeyObject;
  private readonly gatewayKey: KeyObject;
  private readonly seenNotifyIds = new Set<string>();
  private readonly seenOrder: string[] = [];

  constructor(private readonly opts: GatewayClientOptions) {
    this.privateKey = createPrivateKey(readFileSync(opts.merchantPrivateKeyPath));
    this.gatewayKey = createPublicKey(readFileSync(opts.gatewayPublicKeyPath));
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
  call(
    method: GatewayMethod,
    biz: Record<string, unknown>,
    options: { signal?: AbortSignal; timeoutMs?: number } = {},
  ): Promise<GatewayResponse> {
    const body = new URLSearchParams(
      Object.entries(this.signedParams(method, biz, method === 'alipay.trade.precreate')).filter(
        (e): e is [string, string] => e[1] !== undefined,
      ),
    ).toString();
    const timeoutMs = options.timeoutMs ?? this.opts.timeoutMs ?? 10_000;
    const clock = this.opts.clock;
    const details = { method, unknownOutcome: true };
    return new Promise<GatewayResponse>((resolve, reject) => {
      let settled = false;
      const finish = (err: KioskError | null, value?: GatewayResponse) => {
        if (settled) return;
        settled = true;
        clock.clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        if (err) {
          req.destroy();
          reject(err);
        } else resolve(value!);
      };
      const req = http.request(this.opts.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded;charset=utf-8',
          'content-length': Buffer.byteLength(body),
        },
      });
      req.on('error', (e: NodeJS.ErrnoException) => {
        const reached = !(e.code && NOT_REACHED.has(e.code));
        finish(
          new KioskError('DEVICE_OFFLINE', `gateway connection failed during ${method}: ${e.code ?? e.message}`, {
            method,
            unknownOutcome: reached,
          }),
        );
      });
      const timer = clock.setTimeout(
        () => finish(new KioskError('TIMEOUT', `gateway did not answer ${method} within ${timeoutMs} ms`, details)),
        timeoutMs,
      );
      const onAbort = () => finish(new KioskError('TIMEOUT', `${method} aborted while waiting for the gateway`, details));
      if (options.signal?.aborted) {
        // nothing has been written yet
        finish(new KioskError('TIMEOUT', `${method} aborted before sending`, { method, unknownOutcome: false }));
        return;
      }
      options.signal?.addEventListener('abort', onAbort, { once: true });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let received = 0;
        res.on('data', (c: Buffer) => {
          received += c.length;
          // an answer is a few KiB: past the cap it is refused at once instead of buffered without end
          if (received > MAX_GATEWAY_RESPONSE_BYTES) {
            finish(new KioskError('PROTOCOL', `gateway answer to ${method} is larger than ${MAX_GATEWAY_RESPONSE_BYTES} bytes`, details));
            res.destroy();
            return;
          }
          chunks.push(c);
        });
        res.on('error', () =>
          finish(new KioskError('DEVICE_OFFLINE', `gateway answer to ${method} was cut off`, details)),
        );
        res.on('aborted', () =>
          finish(new KioskError('DEVICE_OFFLINE', `gateway answer to ${method} was cut off`, details)),
        );
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          // the answer sits under `<method>_response`; gateway-level errors may come as `error_response`
          const response = openEnvelope(text, this.gatewayKey, [responseKey(method), 'error_response']);
          if (!response || typeof response.code !== 'string') {
            finish(
              new KioskError('PROTOCOL', `unverifiable gateway answer to ${method} (HTTP ${res.statusCode})`, details),
            );
            return;
          }
          finish(null, { msg: '', ...response, code: response.code } as GatewayResponse);
        });
      });
      req.end(body);
    });
  }

  /**
   * Verifies an asynchronous notification (form-urlencoded body, signed like a request). Rejects with PROTOCOL when
   * the signature does not verify, the app id differs, or the notify_id was already seen (replay).
   */
  verifyNotification(rawBody: string): GatewayNotification {
    const params: Params = Object.fromEntries(new URLSearchParams(rawBody));
    if (!verifyParams(params, this.gatewayKey)) {
      throw new KioskError('PROTOCOL', 'notification signature does not verify');
    }
    if (params.app_id !== this.opts.appId) throw new KioskError('PROTOCOL', 'notification for another app id');
    const id = params.notify_id;
    if (!id || !params.out_trade_no || !params.trade_status) {
      throw new KioskError('PROTOCOL', 'notification is missing notify_id, out_trade_no or trade_status');
    }
    if (this.seenNotifyIds.has(id)) throw new KioskError('PROTOCOL', `replayed notification ${id}`, { notifyId: id });
    this.seenNotifyIds.add(id);
    this.seenOrder.push(id);
    if (this.seenOrder.length > 10_000) this.seenNotifyIds.delete(this.seenOrder.shift()!);
    const amount = yuanToFen(params.total_amount);
    return {
      ...params,
      notify_id: id,
      out_trade_no: params.out_trade_no,
      trade_status: params.trade_status,
      total_amount: amount ?? NaN,
    };
  }
}
