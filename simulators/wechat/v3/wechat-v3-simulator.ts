/**
 * A WeChat Pay APIv3 (direct merchant, 普通商户) on 127.0.0.1 over HTTPS, written from WeChat Pay's v3 documents on
 * its own code (imports kernel/ and the v2 simulator's ledger and desk only — never runtime/** or protocol/**):
 * - every request's `Authorization` (WECHATPAY2-SHA256-RSA2048) verified with the merchant API certificate it was
 *   given (serial_no must be that certificate's serial, timestamp within 5 minutes): else 401 SIGN_ERROR;
 * - every answer (errors included) signed with its own WeChat Pay key pair (微信支付公钥 mode, `Wechatpay-Serial` =
 *   the public key id);
 * - the orders live in the v2 simulator's ledger and desk (simulators/wechat/wechat-ledger.ts, wechat-desk.ts): the
 *   same trades, scripts and refund rules, answered in v3's JSON and error codes.
 * APIs (pay.weixin.qq.com/doc/v3/merchant/…):
 *   POST /v3/pay/transactions/codepay (4012382150), GET /v3/pay/transactions/out-trade-no/{no}?mchid= (4013070356),
 *   POST /v3/pay/transactions/out-trade-no/{no}/reverse, POST /v3/pay/transactions/native (4012791877),
 *   POST /v3/pay/transactions/out-trade-no/{no}/close (204), POST /v3/refund/domestic/refunds,
 *   GET /v3/refund/domestic/refunds/{out_refund_no}.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import { SystemClock, type Clock } from '../../../kernel/clock';
import { LoopbackServer } from '../../loopback-server';
import { WechatDesk, type Answer, type ShopperScript } from '../wechat-desk';
import { WechatLedger, type WechatTrade } from '../wechat-ledger';
import { createWechatPki, type WechatPki } from '../wechat-pki';
import { certificateSerial, parseAuthorization, publicKeyIdOf, requestSignatureValid, signAnswer } from './v3-sim-signing';

export interface WechatV3SimKeys {
  /** TLS CA + server certificate, and the merchant API certificate (`client`: apiclient_cert.pem / key). */
  pki: WechatPki;
  /** WeChat Pay's own key pair (pub_key.pem is `publicPem`). */
  wechatpay: { privatePem: string; publicPem: string };
}

export interface WechatV3SimulatorOptions {
  ledgerPath: string;
  mchId?: string;
  appId?: string;
  clock?: Clock;
  keys?: WechatV3SimKeys;
}

const MAX_REQUEST_BYTES = 64 * 1024;
const MAX_SKEW_S = 300;

/** v2 err_code (the desk's) → v3 error code and HTTP status (the v3 API's error tables). */
const V3_ERRORS: Record<string, [string, number]> = {
  SYSTEMERROR: ['SYSTEM_ERROR', 500],
  BANKERROR: ['BANK_ERROR', 500],
  USERPAYING: ['USERPAYING', 202],
  ORDERNOTEXIST: ['ORDER_NOT_EXIST', 404],
  REFUNDNOTEXIST: ['RESOURCE_NOT_EXISTS', 404],
  PARAM_ERROR: ['PARAM_ERROR', 400],
  AUTH_CODE_INVALID: ['AUTH_CODE_INVALID', 400],
  ORDERCLOSED: ['ORDER_CLOSED', 400],
  ERROR: ['NOT_ENOUGH', 403],
};

const ERR_MESSAGES: Record<string, string> = {
  USERPAYING: '用户支付中，需要输入密码',
  SYSTEM_ERROR: '系统异常，请使用相同参数稍后重新调用',
  BANK_ERROR: '银行系统异常',
  SIGN_ERROR: '签名错误',
};

export class WechatV3Simulator {
  readonly keys: WechatV3SimKeys;
  readonly appId: string;
  readonly mchId: string;
  readonly publicKeyId: string;
  readonly merchantCertSerial: string;
  /** Every request: method and path (including refused ones). */
  readonly requests: string[] = [];
  private readonly clock: Clock;
  private readonly ledger: WechatLedger;
  private readonly desk: WechatDesk;
  private server: LoopbackServer | null = null;
  private drop: 'off' | 'before' | 'after' = 'off';
  private delayMs = 0;
  private badSign = false;
  /** The key forged answers are signed with (made on first use: RSA generation is slow on a small board). */
  private otherKeyPem: string | null = null;

  constructor(opts: WechatV3SimulatorOptions) {
    this.appId = opts.appId ?? 'wxd678efh567hg6787';
    this.mchId = opts.mchId ?? '1230000109';
    this.clock = opts.clock ?? new SystemClock();
    this.keys = opts.keys ?? WechatV3Simulator.makeKeys(this.mchId);
    this.publicKeyId = publicKeyIdOf(this.keys.wechatpay.publicPem);
    this.merchantCertSerial = certificateSerial(this.keys.pki.client.certPem);
    this.ledger = new WechatLedger(opts.ledgerPath);
    this.desk = new WechatDesk(this.ledger, this.clock);
  }

  static makeKeys(mchId: string): WechatV3SimKeys {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return {
      pki: createWechatPki(mchId),
      wechatpay: { privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() },
    };
  }

  /** What the merchant is given: the CA to trust, its API certificate + key, and WeChat Pay's public key + id. */
  get caPem(): string {
    return this.keys.pki.ca.certPem;
  }
  get merchantKeyPem(): string {
    return this.keys.pki.client.keyPem;
  }
  get merchantCertPem(): string {
    return this.keys.pki.client.certPem;
  }
  get wechatpayPublicKeyPem(): string {
    return this.keys.wechatpay.publicPem;
  }

  async start(port = 0): Promise<string> {
    const tls = { key: this.keys.pki.server.keyPem, cert: this.keys.pki.server.certPem };
    this.server = await LoopbackServer.listen(https.createServer(tls, (q, s) => this.handle(q, s)), port);
    return this.url;
  }

  get url(): string {
    if (!this.server) throw new Error('simulator not started');
    return `https://127.0.0.1:${this.server.port}`;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    await s?.close();
  }

  // ---- control surface (as the v2 simulator's) ----

  nextTrade(script: ShopperScript): void {
    this.desk.script.push(script);
  }
  /** The next codepay answers USERPAYING; the shopper confirms at the n-th order query. */
  userPayingThenPays(queries: number): void {
    this.nextTrade({ kind: 'userpaying', paysAfterQueries: queries });
  }
  userPayingThenFails(queries: number, endsAs: 'PAYERROR' | 'CLOSED'): void {
    this.nextTrade({ kind: 'userpaying-fails', failsAfterQueries: queries, endsAs });
  }
  userPayingNever(): void {
    this.nextTrade({ kind: 'userpaying-never' });
  }
  declineWith(errCode: string, errCodeDes?: string): void {
    this.nextTrade({ kind: 'declines', errCode, ...(errCodeDes ? { errCodeDes } : {}) });
  }
  /** The next codepay is paid, but answered SYSTEM_ERROR / BANK_ERROR. */
  systemError(kind: 'SYSTEM_ERROR' | 'BANK_ERROR' = 'SYSTEM_ERROR'): void {
    this.nextTrade({ kind: 'paid-but-error', errCode: kind === 'SYSTEM_ERROR' ? 'SYSTEMERROR' : 'BANKERROR' });
  }
  slowResponse(ms: number): void {
    this.delayMs = ms;
  }
  networkDrop(on: boolean, when: 'before' | 'after' = 'after'): void {
    this.drop = on ? when : 'off';
  }
  /** Signs answers with a key that is not the published WeChat Pay public key's. */
  badSignature(on: boolean): void {
    this.badSign = on;
  }
  refuseRefunds(errCode: string | null, processed = false): void {
    this.desk.refundFault = errCode ? { errCode, processed } : null;
  }
  reset(): void {
    this.desk.script.length = 0;
    this.desk.refundFault = null;
    this.desk.reverseRecalls = 0;
    this.drop = 'off';
    this.delayMs = 0;
    this.badSign = false;
  }

  trades(): WechatTrade[] {
    return this.ledger.all().map((t) => structuredClone(t));
  }
  trade(outTradeNo: string): WechatTrade | undefined {
    const t = this.ledger.get(outTradeNo);
    return t && structuredClone(t);
  }
  /** The shopper pays a NATIVE code_url. */
  payNative(codeUrl: string): boolean {
    const t = this.ledger.all().find((x) => x.codeUrl === codeUrl);
    if (!t || t.state !== 'NOTPAY') return false;
    this.desk.markPaid(t);
    return true;
  }

  private otherKey(): string {
    this.otherKeyPem ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    return this.otherKeyPem;
  }

  // ---- HTTPS ----

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_REQUEST_BYTES) req.socket.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      const url = req.url ?? '/';
      this.requests.push(`${req.method} ${url.split('?')[0]}`);
      if (this.drop === 'before') {
        req.socket.destroy();
        return;
      }
      const [status, json] = this.answer(req.method ?? 'GET', url, Buffer.concat(chunks).toString('utf8'), req.headers.authorization);
      if (this.drop === 'after') {
        req.socket.destroy();
        return;
      }
      const body = status === 204 ? '' : JSON.stringify(json);
      const timestamp = String(Math.floor(this.clock.now() / 1000));
      const nonce = randomBytes(16).toString('hex');
      const headers = {
        'content-type': 'application/json; charset=utf-8',
        'request-id': randomBytes(12).toString('hex'),
        'wechatpay-nonce': nonce,
        'wechatpay-timestamp': timestamp,
        'wechatpay-serial': this.publicKeyId,
        'wechatpay-signature-type': 'WECHATPAY2-SHA256-RSA2048',
        'wechatpay-signature': signAnswer(timestamp, nonce, body, this.badSign ? this.otherKey() : this.keys.wechatpay.privatePem),
      };
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(status, headers);
        res.end(body);
      };
      if (this.delayMs > 0) setTimeout(send, this.delayMs);
      else send();
    });
  }

  private error(code: string, status: number, message?: string): [number, Record<string, unknown>] {
    return [status, { code, message: message ?? ERR_MESSAGES[code] ?? code }];
  }

  /** A desk FAIL answer in v3 terms. */
  private fromDesk(a: Answer): [number, Record<string, unknown>] {
    const [code, status] = V3_ERRORS[a.err_code ?? ''] ?? [a.err_code ?? 'SYSTEM_ERROR', 403];
    return this.error(code, status, a.err_code_des);
  }

  private answer(method: string, url: string, body: string, authorization: string | undefined): [number, Record<string, unknown>] {
    const auth = parseAuthorization(authorization);
    if (!auth || auth.mchid !== this.mchId || auth.serial_no.toUpperCase() !== this.merchantCertSerial) return this.error('SIGN_ERROR', 401, '商户证书序列号或商户号不正确');
    if (!/^\d{1,12}$/.test(auth.timestamp) || Math.abs(Number(auth.timestamp) - this.clock.now() / 1000) > MAX_SKEW_S) return this.error('SIGN_ERROR', 401, '时间戳超出范围');
    if (!requestSignatureValid(auth, method, url, body, this.keys.pki.client.certPem)) return this.error('SIGN_ERROR', 401);
    const [path, query] = url.split('?');
    const q = new URLSearchParams(query ?? '');
    let json: Record<string, unknown> = {};
    if (method === 'POST') {
      try {
        const parsed: unknown = JSON.parse(body);
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
        json = parsed as Record<string, unknown>;
      } catch {
        return this.error('PARAM_ERROR', 400, '请求体不是JSON对象');
      }
    }
    const amount = (json.amount ?? {}) as Record<string, unknown>;
    const fen = (v: unknown): string => (typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : 'x');
    const orderPath = /^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)(?:\/(reverse|close))?$/.exec(path);
    const mineBody = () => json.mchid === this.mchId && (json.appid === undefined || json.appid === this.appId);
    if (method === 'POST' && path === '/v3/pay/transactions/codepay') {
      if (!mineBody() || json.appid === undefined) return this.error('APPID_MCHID_NOT_MATCH', 400, 'appid和mch_id不匹配');
      if (amount.currency !== undefined && amount.currency !== 'CNY') return this.error('PARAM_ERROR', 400, 'currency 仅支持 CNY');
      const payer = (json.payer ?? {}) as Record<string, unknown>;
      const a = this.desk.handle('/pay/micropay', { out_trade_no: String(json.out_trade_no ?? ''), total_fee: fen(amount.total), auth_code: String(payer.auth_code ?? ''), body: String(json.description ?? '') });
      return a.result_code === 'SUCCESS' ? [200, this.transaction(a.out_trade_no)] : this.fromDesk(a);
    }
    if (method === 'GET' && orderPath && !orderPath[2]) {
      if (q.get('mchid') !== this.mchId) return this.error('PARAM_ERROR', 400, 'mchid 不正确');
      const a = this.desk.handle('/pay/orderquery', { out_trade_no: decodeURIComponent(orderPath[1]) });
      return a.result_code === 'SUCCESS' ? [200, this.transaction(a.out_trade_no)] : this.fromDesk(a);
    }
    if (method === 'POST' && orderPath?.[2] === 'reverse') {
      if (!mineBody()) return this.error('PARAM_ERROR', 400, 'mchid 不正确');
      const no = decodeURIComponent(orderPath[1]);
      const a = this.desk.handle('/secapi/pay/reverse', { out_trade_no: no });
      return a.result_code === 'SUCCESS' ? [200, { appid: this.appId, mchid: this.mchId, out_trade_no: no }] : this.fromDesk(a);
    }
    if (method === 'POST' && orderPath?.[2] === 'close') {
      if (!mineBody()) return this.error('PARAM_ERROR', 400, 'mchid 不正确');
      const a = this.desk.handle('/pay/closeorder', { out_trade_no: decodeURIComponent(orderPath[1]) });
      return a.result_code === 'SUCCESS' ? [204, {}] : this.fromDesk(a);
    }
    if (method === 'POST' && path === '/v3/pay/transactions/native') {
      if (!mineBody() || json.appid === undefined) return this.error('APPID_MCHID_NOT_MATCH', 400, 'appid和mch_id不匹配');
      const a = this.desk.handle('/pay/unifiedorder', {
        out_trade_no: String(json.out_trade_no ?? ''),
        total_fee: fen(amount.total),
        body: String(json.description ?? ''),
        trade_type: 'NATIVE',
        ...(typeof json.notify_url === 'string' ? { notify_url: json.notify_url } : {}),
      });
      return a.result_code === 'SUCCESS' ? [200, { code_url: a.code_url }] : this.fromDesk(a);
    }
    if (method === 'POST' && path === '/v3/refund/domestic/refunds') {
      const a = this.desk.handle('/secapi/pay/refund', {
        out_trade_no: String(json.out_trade_no ?? ''),
        out_refund_no: String(json.out_refund_no ?? ''),
        total_fee: fen(amount.total),
        refund_fee: fen(amount.refund),
      });
      return a.result_code === 'SUCCESS' ? [200, this.refund(a.out_refund_no)] : this.fromDesk(a);
    }
    const refundPath = /^\/v3\/refund\/domestic\/refunds\/([^/]+)$/.exec(path);
    if (method === 'GET' && refundPath) {
      const no = decodeURIComponent(refundPath[1]);
      const a = this.desk.handle('/pay/refundquery', { out_refund_no: no });
      return a.result_code === 'SUCCESS' ? [200, this.refund(no)] : this.fromDesk(a);
    }
    return this.error('NOT_FOUND', 404, `no API ${method} ${path}`);
  }

  /** The order in v3's 查询订单 shape. */
  private transaction(outTradeNo: string | undefined): Record<string, unknown> {
    const t = this.ledger.get(outTradeNo ?? '')!;
    const paid = t.state === 'SUCCESS' || t.state === 'REFUND';
    return {
      appid: this.appId,
      mchid: this.mchId,
      out_trade_no: t.outTradeNo,
      trade_type: t.tradeType,
      trade_state: t.state,
      trade_state_desc: t.state,
      ...(paid
        ? {
            transaction_id: t.transactionId,
            bank_type: 'OTHERS',
            success_time: new Date((t.paidAt ?? t.createdAt) + 8 * 3600_000).toISOString().slice(0, 19) + '+08:00',
            payer: { openid: t.openid },
            amount: { total: t.totalFee, payer_total: t.totalFee, currency: 'CNY', payer_currency: 'CNY' },
          }
        : { amount: { total: t.totalFee, currency: 'CNY' } }),
    };
  }

  /** A refund in v3's 退款 shape. */
  private refund(outRefundNo: string | undefined): Record<string, unknown> {
    const t = this.ledger.all().find((x) => x.refunds.some((r) => r.outRefundNo === outRefundNo))!;
    const r = t.refunds.find((x) => x.outRefundNo === outRefundNo)!;
    return {
      refund_id: r.refundId,
      out_refund_no: r.outRefundNo,
      transaction_id: t.transactionId,
      out_trade_no: t.outTradeNo,
      channel: 'ORIGINAL',
      status: 'SUCCESS',
      create_time: new Date(r.at + 8 * 3600_000).toISOString().slice(0, 19) + '+08:00',
      amount: { total: t.totalFee, refund: r.fee, payer_total: t.totalFee, payer_refund: r.fee, currency: 'CNY' },
    };
  }
}
