/**
 * Signed calls to WeChat Pay's APIv3 (direct merchant, 普通商户): JSON over HTTPS, every request signed SHA256withRSA
 * with the merchant API certificate's private key (`Authorization: WECHATPAY2-SHA256-RSA2048 …`, v3-sign.ts), every
 * answer's `Wechatpay-Signature` verified with the WeChat Pay public key (微信支付公钥, `Wechatpay-Serial` = its id
 * `PUB_KEY_ID_…`) before anything in it is believed — error answers included. The request carries
 * `Wechatpay-Serial: <public key id>` so WeChat Pay signs its answer with that key.
 * Rules: https://pay.weixin.qq.com/docs/partner/development/interface-rules/signature-generation.html,
 * https://pay.weixin.qq.com/docs/merchant/development/interface-rules/signature-verification.html.
 *
 * Errors (KioskError): as v3-request.ts for transport faults; PROTOCOL with unknownOutcome true when the answer does
 * not verify, is not JSON, or names another merchant. A verified answer of any status resolves: 2xx with its JSON
 * (204: {}), 4xx/5xx with `{ code, message }` — the business result is the caller's to judge.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import type { Clock } from '../../../../kernel/clock';
import { KioskError } from '../../../../kernel/errors';
import { v3Authorize, v3CheckAnswer } from './v3-sign';
import { v3Request } from './v3-request';

export interface WechatV3ClientOptions {
  /** Base URL, e.g. `https://api.mch.weixin.qq.com` or the simulator's `https://127.0.0.1:<port>`. */
  url: string;
  appId: string;
  mchId: string;
  /** PEM of the merchant API certificate's private key (apiclient_key.pem); never logged. */
  merchantKeyPem: string;
  /** Serial number (hex) of the merchant API certificate: the `serial_no` of every request. */
  merchantCertSerial: string;
  /** PEM of the WeChat Pay public key (pub_key.pem) and its id `PUB_KEY_ID_…`. */
  wechatpayPublicKeyPem: string;
  wechatpayPublicKeyId: string;
  /** PEM of the CA(s) the server certificate must chain to. */
  caPem: string;
  clock: Clock;
  /** Per-request timeout; default 10 000 ms. */
  timeoutMs?: number;
  /** notify_url of NATIVE orders (required by WeChat for /v3/pay/transactions/native). */
  notifyUrl?: string;
}

/** A verified answer: HTTP status and the JSON body (an error answer carries `code` and `message`). */
export interface V3Result {
  status: number;
  json: Record<string, unknown>;
}

export const MAX_V3_RESPONSE_BYTES = 256 * 1024;

export class WechatV3Client {
  private readonly key: KeyObject;
  private readonly publicKey: KeyObject;

  constructor(private readonly opts: WechatV3ClientOptions) {
    this.key = createPrivateKey(opts.merchantKeyPem);
    this.publicKey = createPublicKey(opts.wechatpayPublicKeyPem);
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

  /** The Authorization header for one request (exposed for tests). */
  authorization(method: 'GET' | 'POST', pathAndQuery: string, body: string, nonce?: string): string {
    return v3Authorize({
      method,
      url: pathAndQuery,
      body,
      mchid: this.opts.mchId,
      serialNo: this.opts.merchantCertSerial,
      privateKey: this.key,
      timestamp: String(Math.floor(this.opts.clock.now() / 1000)),
      ...(nonce ? { nonce } : {}),
    });
  }

  /** One signed call; `pathAndQuery` is the absolute path with its query (what is signed). */
  async call(method: 'GET' | 'POST', pathAndQuery: string, payload?: Record<string, unknown>, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<V3Result> {
    const body = method === 'POST' ? JSON.stringify(payload ?? {}) : '';
    const base = this.opts.url.endsWith('/') ? this.opts.url.slice(0, -1) : this.opts.url;
    const what = `${method} ${pathAndQuery.split('?')[0]}`;
    const answer = await v3Request({
      url: new URL(base + pathAndQuery),
      method,
      headers: {
        authorization: this.authorization(method, pathAndQuery, body),
        accept: 'application/json',
        ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
        'wechatpay-serial': this.opts.wechatpayPublicKeyId,
        'user-agent': 'kiosk-wechatpay-v3',
      },
      body,
      caPem: this.opts.caPem,
      clock: this.opts.clock,
      timeoutMs: options.timeoutMs ?? this.opts.timeoutMs ?? 10_000,
      ...(options.signal ? { signal: options.signal } : {}),
      maxBytes: MAX_V3_RESPONSE_BYTES,
      what,
    });
    const text = answer.body.toString('utf8');
    const details = { path: what, unknownOutcome: true, status: answer.status };
    const check = v3CheckAnswer(answer.headers, text, { publicKey: this.publicKey, publicKeyId: this.opts.wechatpayPublicKeyId }, Math.floor(this.opts.clock.now() / 1000));
    if (check !== 'ok') throw new KioskError('PROTOCOL', `WeChat Pay answer to ${what} does not verify (${check}, HTTP ${answer.status})`, { ...details, check });
    let json: Record<string, unknown> = {};
    if (text.trim() !== '') {
      try {
        const parsed: unknown = JSON.parse(text);
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
        json = parsed as Record<string, unknown>;
      } catch {
        throw new KioskError('PROTOCOL', `WeChat Pay answer to ${what} is not JSON (HTTP ${answer.status})`, details);
      }
    }
    if ((typeof json.mchid === 'string' && json.mchid !== this.opts.mchId) || (typeof json.appid === 'string' && json.appid !== this.opts.appId)) {
      throw new KioskError('PROTOCOL', `WeChat Pay answer to ${what} is for another merchant`, details);
    }
    return { status: answer.status, json };
  }
}
