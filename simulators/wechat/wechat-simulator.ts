/**
 * A WeChat Pay v2 merchant API on 127.0.0.1 over HTTPS, written from WeChat Pay's documents on its own code (it
 * imports kernel/ only): flat XML requests and answers, every request's sign verified (HMAC-SHA256 or MD5, as its
 * `sign_type` declares) and answered `return_code=FAIL 签名错误` when it does not verify; answers signed the same
 * way. `/secapi/*` (reverse, refund) are served on a second listener that demands a client certificate issued by
 * the merchant CA in the TLS handshake — a call without one is refused before HTTP. The orders live in a JSON
 * ledger that outlives the kiosk. Control methods script the shopper and the faults; `bill(date)` writes the
 * downloadbill text (docs/bill-formats.md).
 */
import { LoopbackServer } from '../loopback-server';
import * as http from 'node:http';
import * as https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { SystemClock, type Clock } from '../../kernel/clock';
import { billText, type WechatBillFaults } from './wechat-bill';
import { WechatDesk, type Answer, type ShopperScript } from './wechat-desk';
import { WechatLedger, type WechatTrade } from './wechat-ledger';
import { createWechatPki, type WechatPki } from './wechat-pki';
import { signMatches, signValue, type SimSignType } from './wechat-signing';
import { MAX_REQUEST_BYTES, readXml, writeXml } from './wechat-wire';

export type { ShopperScript } from './wechat-desk';
export type { WechatBillFaults } from './wechat-bill';
export type { WechatTrade, WechatTradeState } from './wechat-ledger';

export interface WechatSimulatorOptions {
  /** The ledger file (created if missing). */
  ledgerPath: string;
  /** The merchant's v2 API key shared with the kiosk. */
  apiKey: string;
  mchId?: string;
  appId?: string;
  clock?: Clock;
  /** Fee rate in basis points; default 60 (0.60 %). */
  feeBps?: number;
  /** Certificates to use (e.g. the same across a restart); made fresh when absent. */
  pki?: WechatPki;
}

const SECAPI = ['/secapi/pay/reverse', '/secapi/pay/refund'];
const PLAIN = ['/pay/micropay', '/pay/orderquery', '/pay/unifiedorder', '/pay/closeorder', '/pay/refundquery', '/pay/downloadbill'];

export class WechatSimulator {
  readonly pki: WechatPki;
  readonly appId: string;
  readonly mchId: string;
  /** Fee rate in basis points used by bills. */
  feeBps: number;
  /** Discrepancies written into bills (docs/bill-formats.md "Simulator fault switches"). */
  billFaults: WechatBillFaults = {};
  /** Every request received, by path, in order (including refused ones). */
  readonly requests: string[] = [];
  /** Notification deliveries: status per POST. */
  readonly notifications: Array<{ outTradeNo: string; ok: boolean; detail: string }> = [];
  private readonly clock: Clock;
  private readonly ledger: WechatLedger;
  private readonly desk: WechatDesk;
  private plain: LoopbackServer | null = null;
  private secure: LoopbackServer | null = null;
  private drop: 'off' | 'before' | 'after' = 'off';
  private delayMs = 0;
  private badSign = false;
  private duplicateNotify = false;

  constructor(private readonly opts: WechatSimulatorOptions) {
    this.appId = opts.appId ?? 'wx2421b1c4370ec43b';
    this.mchId = opts.mchId ?? '10000100';
    this.feeBps = opts.feeBps ?? 60;
    this.clock = opts.clock ?? new SystemClock();
    this.pki = opts.pki ?? createWechatPki(this.mchId);
    this.ledger = new WechatLedger(opts.ledgerPath);
    this.desk = new WechatDesk(this.ledger, this.clock);
  }

  /** PEM of the CA the kiosk must trust. */
  get caPem(): string {
    return this.pki.ca.certPem;
  }
  /** The merchant's client certificate and key for `/secapi/*`. */
  get clientCertPem(): string {
    return this.pki.client.certPem;
  }
  get clientKeyPem(): string {
    return this.pki.client.keyPem;
  }

  // ---- lifecycle ----

  /** Starts both listeners; returns the base URL of the API (`url`); `/secapi/*` is at `secapiUrl`. */
  async start(port = 0, securePort = 0): Promise<string> {
    const tls = { key: this.pki.server.keyPem, cert: this.pki.server.certPem };
    this.plain = await LoopbackServer.listen(https.createServer(tls, (q, s) => this.handle(q, s, false)), port);
    this.secure = await LoopbackServer.listen(
      https.createServer({ ...tls, requestCert: true, rejectUnauthorized: true, ca: this.pki.merchantCa.certPem }, (q, s) => this.handle(q, s, true)),
      securePort,
    );
    return this.url;
  }

  get url(): string {
    return `https://127.0.0.1:${this.portOf(this.plain)}`;
  }

  get secapiUrl(): string {
    return `https://127.0.0.1:${this.portOf(this.secure)}`;
  }

  async stop(): Promise<void> {
    const servers = [this.plain, this.secure];
    this.plain = this.secure = null;
    await Promise.all(servers.map((s) => s?.close()));
  }

  // ---- control surface ----

  /** What the shopper does with the next micropay (queued; each script applies to one trade). */
  nextTrade(script: ShopperScript): void {
    this.desk.script.push(script);
  }
  /** The next micropay is paid at once (the default). */
  paysAtOnce(): void {
    this.nextTrade({ kind: 'pays' });
  }
  /** The next micropay answers USERPAYING; the shopper confirms at the n-th order query. */
  userPayingThenPays(queries: number): void {
    this.nextTrade({ kind: 'userpaying', paysAfterQueries: queries });
  }
  /**
   * The next micropay answers USERPAYING; at the n-th order query the order ends unpaid as `endsAs` (PAYERROR: the
   * payment failed; CLOSED: the order was closed) and stays so.
   */
  userPayingThenFails(queries: number, endsAs: 'PAYERROR' | 'CLOSED'): void {
    this.nextTrade({ kind: 'userpaying-fails', failsAfterQueries: queries, endsAs });
  }
  /** The next micropay answers USERPAYING and the shopper never confirms. */
  userPayingNever(): void {
    this.nextTrade({ kind: 'userpaying-never' });
  }
  /** The next micropay is declined with this err_code (e.g. NOTENOUGH, AUTHCODEEXPIRE). */
  declineWith(errCode: string, errCodeDes?: string): void {
    this.nextTrade({ kind: 'declines', errCode, ...(errCodeDes ? { errCodeDes } : {}) });
  }
  /** The next micropay is paid, but answered SYSTEMERROR / BANKERROR. */
  paidButAnswers(errCode: 'SYSTEMERROR' | 'BANKERROR'): void {
    this.nextTrade({ kind: 'paid-but-error', errCode });
  }
  /** Answers after `ms` (on the timer of the process, not the injected clock: it is the network). */
  slowResponse(ms: number): void {
    this.delayMs = ms;
  }
  /** Destroys the connection without an answer, before or after processing the request. */
  networkDrop(on: boolean, when: 'before' | 'after' = 'after'): void {
    this.drop = on ? when : 'off';
  }
  /** Signs answers and notifications with another key. */
  badSignature(on: boolean): void {
    this.badSign = on;
  }
  /** Every notification is POSTed twice. */
  duplicateNotifications(on: boolean): void {
    this.duplicateNotify = on;
  }
  /** Refunds answer `errCode`; `processed` = the refund is made anyway (a SYSTEMERROR after the fact). null = off. */
  refuseRefunds(errCode: string | null, processed = false): void {
    this.desk.refundFault = errCode ? { errCode, processed } : null;
  }
  /** The next n reverses answer SYSTEMERROR with recall=Y without processing. */
  reverseNeedsRecall(n: number): void {
    this.desk.reverseRecalls = n;
  }
  /** Back to defaults: no scripts, no faults. */
  reset(): void {
    this.desk.script.length = 0;
    this.desk.refundFault = null;
    this.desk.reverseRecalls = 0;
    this.drop = 'off';
    this.delayMs = 0;
    this.badSign = false;
    this.duplicateNotify = false;
    this.billFaults = {};
  }

  /** The ledger, for assertions. */
  trades(): WechatTrade[] {
    return this.ledger.all().map((t) => structuredClone(t));
  }
  trade(outTradeNo: string): WechatTrade | undefined {
    const t = this.ledger.get(outTradeNo);
    return t && structuredClone(t);
  }

  /** The shopper pays a NATIVE code_url; the signed notification goes to its notify_url (twice if duplicating). */
  async payNative(codeUrl: string): Promise<boolean> {
    const t = this.ledger.all().find((x) => x.codeUrl === codeUrl);
    if (!t || t.state !== 'NOTPAY') return false;
    this.desk.markPaid(t);
    if (t.notifyUrl) {
      await this.notify(t);
      if (this.duplicateNotify) await this.notify(t);
    }
    return true;
  }

  /** The signed payment notification XML of a paid trade, as POSTed to notify_url. */
  notificationXml(outTradeNo: string): string {
    const t = this.ledger.get(outTradeNo);
    if (!t) throw new Error(`no trade ${outTradeNo}`);
    return writeXml(
      this.signed(
        {
          return_code: 'SUCCESS',
          appid: this.appId,
          mch_id: this.mchId,
          nonce_str: this.nonce(),
          result_code: t.state === 'SUCCESS' || t.state === 'REFUND' ? 'SUCCESS' : 'FAIL',
          openid: t.openid,
          trade_type: t.tradeType,
          bank_type: 'CFT',
          total_fee: String(t.totalFee),
          cash_fee: String(t.totalFee),
          fee_type: 'CNY',
          transaction_id: t.transactionId,
          out_trade_no: t.outTradeNo,
          time_end: new Date((t.paidAt ?? t.createdAt) + 8 * 3600_000).toISOString().slice(0, 19).replace(/[-T:]/g, ''),
          sign_type: 'HMAC-SHA256',
        },
        'HMAC-SHA256',
      ),
    );
  }

  /** The downloadbill text of Beijing day `date` (yyyyMMdd or yyyy-MM-dd), or null ("No Bill Exist"). */
  bill(date: string): string | null {
    return billText(this.ledger.all(), date.replace(/-/g, ''), { appId: this.appId, mchId: this.mchId, feeBps: this.feeBps, faults: this.billFaults });
  }

  // ---- HTTPS ----

  private portOf(s: LoopbackServer | null): number {
    if (!s) throw new Error('simulator not started');
    return s.port;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, secure: boolean): void {
    const path = (req.url ?? '').split('?')[0];
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_REQUEST_BYTES) req.socket.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      this.requests.push(path);
      if (this.drop === 'before') {
        req.socket.destroy();
        return;
      }
      const cn: string | string[] | undefined = secure ? (req.socket as TLSSocket).getPeerCertificate()?.subject?.CN : undefined;
      const { body, contentType } = this.answer(path, Buffer.concat(chunks), secure, Array.isArray(cn) ? cn.join(',') : cn);
      if (this.drop === 'after') {
        req.socket.destroy();
        return;
      }
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(200, { 'content-type': contentType });
        res.end(body);
      };
      if (this.delayMs > 0) setTimeout(send, this.delayMs);
      else send();
    });
  }

  private answer(path: string, raw: Buffer, secure: boolean, certCn?: string): { body: string; contentType: string } {
    const xml = (fields: Record<string, string>) => ({ body: writeXml(fields), contentType: 'text/xml; charset=utf-8' });
    const refused = (msg: string) => xml({ return_code: 'FAIL', return_msg: msg });
    if (req(path, secure) === 'unknown') return refused('invalid path');
    if (req(path, secure) === 'needs-cert') return refused('请使用双向证书调用 /secapi');
    const fields = readXml(raw);
    if (!fields) return refused('XML格式错误');
    if (fields.appid !== this.appId || fields.mch_id !== this.mchId) return refused('appid 或 mch_id 不正确');
    const signType: SimSignType | null = fields.sign_type === undefined || fields.sign_type === 'MD5' ? 'MD5' : fields.sign_type === 'HMAC-SHA256' ? 'HMAC-SHA256' : null;
    if (!signType || !signMatches(fields, this.opts.apiKey, signType)) return refused('签名错误');
    if (!fields.nonce_str) return refused('缺少参数 nonce_str');
    // the client certificate is the merchant's own (its CN is the mch_id)
    if (secure && certCn !== this.mchId) return refused('证书与商户号不匹配');
    if (path === '/pay/downloadbill') {
      const text = fields.bill_type === 'ALL' || fields.bill_type === undefined ? this.bill(fields.bill_date ?? '') : null;
      if (text === null) return xml({ return_code: 'FAIL', return_msg: 'No Bill Exist', error_code: '20002' });
      return { body: text, contentType: 'text/plain; charset=utf-8' };
    }
    const result: Answer = this.desk.handle(path, fields);
    return xml(this.signed({ return_code: 'SUCCESS', return_msg: 'OK', appid: this.appId, mch_id: this.mchId, nonce_str: this.nonce(), ...result }, signType));
  }

  private signed(fields: Record<string, string>, type: SimSignType): Record<string, string> {
    const key = this.badSign ? `${this.opts.apiKey}-not-the-key` : this.opts.apiKey;
    return { ...fields, sign: signValue(fields, key, type) };
  }

  private nonce(): string {
    return Math.random().toString(36).slice(2, 18).padEnd(16, '0');
  }

  private async notify(t: WechatTrade): Promise<void> {
    try {
      const res = await fetch(t.notifyUrl!, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: this.notificationXml(t.outTradeNo) });
      const text = await res.text();
      const ack = readXml(text);
      this.notifications.push({ outTradeNo: t.outTradeNo, ok: res.ok && ack?.return_code === 'SUCCESS', detail: text.slice(0, 200) });
    } catch (e) {
      this.notifications.push({ outTradeNo: t.outTradeNo, ok: false, detail: String(e) });
    }
  }
}

function req(path: string, secure: boolean): 'ok' | 'needs-cert' | 'unknown' {
  if (SECAPI.includes(path)) return secure ? 'ok' : 'needs-cert';
  return PLAIN.includes(path) ? 'ok' : 'unknown';
}

