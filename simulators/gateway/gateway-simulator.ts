/**
 * A simulated Alipay open-API gateway on 127.0.0.1 speaking the protocol in README.md, with its own RSA key pair
 * and a trade ledger persisted to a JSON file (atomic write + rename) so it outlives the kiosk process. Control
 * methods script the shopper's behaviour, result codes and network faults. The HTTP side and the signatures live
 * here; the trade methods in `trade-desk.ts`, the ledger in `trade-ledger.ts`, the signing rules in
 * `gateway-signing.ts`, the trade bill in `alipay-bill.ts`.
 */
import { LoopbackServer } from '../loopback-server';
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import * as http from 'node:http';
import { SystemClock, type Clock } from '../../kernel/clock';
import { tradeBill, tradeBillNames, tradeBillZip, type BillFault, type BillOptions } from './alipay-bill';
import { responseName, signatureValid, signedResponseBody, withSignature, type GatewayParams } from './gateway-signing';
import { TradeDesk, fail, type GatewayAnswer, type ScriptedAnswer } from './trade-desk';
import { formatYuan } from './yuan';
import { TradeLedger, type SimTrade } from './trade-ledger';

export type { SimTrade, TradeStatus } from './trade-ledger';
export type { BillFault } from './alipay-bill';
export type { ScriptedAnswer } from './trade-desk';

export interface GatewaySimulatorOptions {
  /** The ledger file (created if missing). */
  ledgerPath: string;
  merchantPublicKey: KeyObject | string;
  appId?: string;
  clock?: Clock;
  /** The gateway's own private key; a fresh one is generated when absent. */
  gatewayPrivateKey?: KeyObject | string;
  /** Fee rate in basis points charged per trade in the bill; default 60 (0.60 %). */
  feeBps?: number;
  /** The merchant's partner id shown in the bill; default 2088000000000001. */
  pid?: string;
  /** Discrepancies written into every bill (see alipay-bill.ts); default none. */
  billFaults?: BillFault[];
}

export class GatewaySimulator {
  readonly gatewayPublicKeyPem: string;
  private readonly privateKey: KeyObject;
  private readonly merchantKey: KeyObject;
  private readonly clock: Clock;
  private readonly ledgerFile: TradeLedger;
  private readonly desk: TradeDesk;
  private server: LoopbackServer | null = null;
  private drop: 'off' | 'before' | 'after' = 'off';
  private delayMs = 0;
  private badSign = false;
  private duplicateNotify = false;
  /** A key that is not the gateway's, for the bad-signature switch (made when first needed: RSA keys take time). */
  private wrongKeyMade: KeyObject | null = null;
  /** Discrepancies written into the bills from now on. */
  billFaults: BillFault[];
  /** Every request the simulator received, by method (for assertions). */
  readonly requests: string[] = [];
  /** Notifications that could not be delivered (no HTTP 200 with the body `success`). */
  readonly notifyFailures: string[] = [];
  /** Every notification POSTed, in order: `ok` = answered HTTP 200 with the body `success`; `detail` = what came back. */
  readonly notifications: Array<{ outTradeNo: string; notifyId: string; ok: boolean; detail: string }> = [];

  constructor(private readonly opts: GatewaySimulatorOptions) {
    this.clock = opts.clock ?? new SystemClock();
    this.privateKey = opts.gatewayPrivateKey
      ? typeof opts.gatewayPrivateKey === 'string'
        ? createPrivateKey(opts.gatewayPrivateKey)
        : opts.gatewayPrivateKey
      : generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    this.gatewayPublicKeyPem = createPublicKey(this.privateKey).export({ type: 'spki', format: 'pem' }).toString();
    this.merchantKey =
      typeof opts.merchantPublicKey === 'string' ? createPublicKey(opts.merchantPublicKey) : opts.merchantPublicKey;
    this.ledgerFile = new TradeLedger(opts.ledgerPath);
    this.desk = new TradeDesk(this.ledgerFile, this.clock);
    this.desk.billUrl = (date) => (this.server ? `http://127.0.0.1:${this.server.port}/bill/trade/${date}.csv.zip` : null);
    this.billFaults = [...(opts.billFaults ?? [])];
  }

  private wrongKey(): KeyObject {
    this.wrongKeyMade ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    return this.wrongKeyMade;
  }

  get appId(): string {
    return this.opts.appId ?? 'sim-app';
  }

  // ---- lifecycle ----

  async start(port = 0): Promise<string> {
    this.server = await LoopbackServer.listen(http.createServer((req, res) => this.handle(req, res)), port);
    return this.url;
  }

  get url(): string {
    if (!this.server) throw new Error('simulator not started');
    return `http://127.0.0.1:${this.server.port}/gateway`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    await server?.close();
  }

  // ---- control surface ----

  /** New trade.pay trades wait for the shopper, who confirms at the n-th trade.query (0 = pays at once; Infinity = never). */
  userPaysAfter(nPolls: number): void {
    this.desk.shopper = { kind: 'pays', afterPolls: nPolls };
  }
  /** New trade.pay trades wait; the shopper cancels in the app (the next query sees TRADE_CLOSED). */
  userCancels(): void {
    this.desk.shopper = { kind: 'cancels' };
  }
  /** New trade.pay requests fail with ACQ.BUYER_BALANCE_NOT_ENOUGH. */
  insufficientFunds(): void {
    this.desk.shopper = { kind: 'no-funds' };
  }
  /**
   * The next request of `method` is answered with `answer` instead of the real answer (queued, first in first out).
   * With `process: false` the request is not processed (nothing recorded); by default it is, and only the answer
   * is replaced — e.g. a trade.pay that pays but answers 40004 ACQ.SYSTEM_ERROR.
   */
  scriptAnswer(method: string, answer: ScriptedAnswer): void {
    const queue = this.desk.scripted.get(method) ?? [];
    queue.push(answer);
    this.desk.scripted.set(method, queue);
  }
  /** While on, alipay.trade.pay records and pays the trade as the shopper does, but answers 20000 (service unavailable). */
  serviceUnavailableWhilePaid(on: boolean): void {
    this.desk.unavailableWhilePaid = on;
  }
  /** The Alipay trade bill (the detail CSV) of Beijing business day `date` (yyyy-MM-dd), GBK bytes, with the current `billFaults`. */
  bill(date: string): Buffer {
    return tradeBill(this.ledgerFile.all(), this.billOptions(date));
  }
  /** What `bill_download_url` serves for `date`: the zip of the detail and summary CSVs (alipay-bill.ts). */
  billZip(date: string): Buffer {
    return tradeBillZip(this.ledgerFile.all(), this.billOptions(date));
  }
  private billOptions(date: string): BillOptions {
    return { date, pid: this.opts.pid ?? '2088000000000001', feeBps: this.opts.feeBps ?? 60, faults: this.billFaults, exportedAt: this.clock.now() };
  }
  /** Back to "the shopper pays at once", no faults. */
  reset(): void {
    this.desk.shopper = { kind: 'pays', afterPolls: 0 };
    this.desk.scripted.clear();
    this.desk.unavailableWhilePaid = false;
    this.drop = 'off';
    this.delayMs = 0;
    this.badSign = false;
    this.duplicateNotify = false;
  }
  /**
   * Accept requests and destroy the socket without answering. `after` (default) processes the request first — the
   * trade is recorded — creating a true unknown outcome; `before` drops it unprocessed.
   */
  networkDrop(on: boolean, when: 'before' | 'after' = 'after'): void {
    this.drop = on ? when : 'off';
  }
  slowResponse(ms: number): void {
    this.delayMs = ms;
  }
  /** Sign answers with a key the client does not trust. */
  badSignature(on: boolean): void {
    this.badSign = on;
  }
  /**
   * Every notification is POSTed twice with the same notify_id, as Alipay resends one whose `success` it did not get
   * (it keeps the notify_id until the merchant answers `success`).
   */
  duplicateNotifications(on: boolean): void {
    this.duplicateNotify = on;
  }
  ledger(): SimTrade[] {
    return this.ledgerFile.all().map((t) => structuredClone(t));
  }
  trade(outTradeNo: string): SimTrade | undefined {
    const t = this.ledgerFile.get(outTradeNo);
    return t && structuredClone(t);
  }
  /** The shopper scans a merchant-presented code; returns the trade it belongs to. */
  scanQr(qrCode: string): SimTrade | undefined {
    const t = this.ledgerFile.find((x) => x.qrCode === qrCode);
    return t && structuredClone(t);
  }
  /**
   * The shopper pays a merchant-presented code; a signed notification goes to its notify_url, if any (twice, same
   * notify_id, with `duplicateNotifications(true)`).
   */
  async payQr(qrCode: string): Promise<boolean> {
    const t = this.ledgerFile.find((x) => x.qrCode === qrCode);
    if (!t || t.status !== 'WAIT_BUYER_PAY') return false;
    this.desk.markPaid(t);
    if (t.notifyUrl) {
      const notifyId = randomUUID();
      await this.notify(t, notifyId);
      if (this.duplicateNotify) await this.notify(t, notifyId);
    }
    return true;
  }
  /** The signed notification body for a trade (form-urlencoded), as POSTed to notify_url. */
  notificationBody(outTradeNo: string, notifyId: string = randomUUID()): string {
    const t = this.ledgerFile.get(outTradeNo);
    if (!t) throw new Error(`no trade ${outTradeNo}`);
    const params: GatewayParams = {
      app_id: this.appId,
      notify_id: notifyId,
      notify_type: 'trade_status_sync',
      notify_time: this.timestamp(),
      charset: 'utf-8',
      sign_type: 'RSA2',
      version: '1.0',
      out_trade_no: t.outTradeNo,
      trade_no: t.tradeNo,
      trade_status: t.status,
      total_amount: formatYuan(t.totalAmount),
    };
    const signed = withSignature(params, this.badSign ? this.wrongKey() : this.privateKey);
    return new URLSearchParams(signed as Record<string, string>).toString();
  }

  // ---- HTTP ----

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.method === 'GET') {
      this.serveBill(req, res);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (this.drop === 'before') {
        req.socket.destroy();
        return;
      }
      let answer: GatewayAnswer;
      let name = 'error_response';
      try {
        const params: GatewayParams = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
        this.requests.push(params.method ?? '');
        if (params.method && /^alipay(\.[a-z]+)+$/.test(params.method)) name = responseName(params.method);
        answer = this.dispatch(params);
      } catch (e) {
        answer = { code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.invalid-request', sub_msg: String(e) };
      }
      if (this.drop === 'after') {
        req.socket.destroy();
        return;
      }
      const body = signedResponseBody(JSON.stringify(answer), this.badSign ? this.wrongKey() : this.privateKey, name);
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(200, { 'content-type': 'application/json;charset=utf-8' });
        res.end(body);
      };
      if (this.delayMs > 0) setTimeout(send, this.delayMs);
      else send();
    });
  }

  /**
   * GET /bill/trade/<yyyy-MM-dd>.csv.zip: what a bill_download_url points to — as at Alipay, a zip
   * (`<pid>0156_<yyyyMMdd>.csv.zip`) of the GBK detail and summary CSVs (docs/bill-formats.md).
   */
  private serveBill(req: http.IncomingMessage, res: http.ServerResponse): void {
    const m = /^\/bill\/trade\/(\d{4}-\d{2}-\d{2})\.csv\.zip$/.exec(req.url ?? '');
    if (!m) {
      res.writeHead(404).end();
      return;
    }
    const body = this.billZip(m[1]);
    const name = tradeBillNames({ pid: this.opts.pid ?? '2088000000000001', date: m[1] }).zip;
    res.writeHead(200, { 'content-type': 'application/zip', 'content-disposition': `attachment; filename="${name}"`, 'content-length': body.length });
    res.end(body);
  }

  private dispatch(params: GatewayParams): GatewayAnswer {
    if (params.app_id !== this.appId) return fail('40002', 'isv.invalid-app-id', 'unknown app_id');
    if (params.sign_type !== 'RSA2') return fail('40002', 'isv.invalid-signature-type', 'sign_type must be RSA2');
    if (!signatureValid(params, this.merchantKey)) return fail('40002', 'isv.invalid-signature', 'signature does not verify');
    let biz: Record<string, unknown>;
    try {
      biz = JSON.parse(params.biz_content ?? '') as Record<string, unknown>;
    } catch {
      return fail('40002', 'isv.invalid-biz-content', 'biz_content is not JSON');
    }
    return this.desk.handle(params.method, biz, params.notify_url);
  }

  /** POSTs one notification; only HTTP 200 with the body `success` counts as taken (Alipay resends anything else). */
  private async notify(t: SimTrade, notifyId: string): Promise<void> {
    const body = this.notificationBody(t.outTradeNo, notifyId);
    let ok = false;
    let detail: string;
    try {
      const res = await fetch(t.notifyUrl!, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' },
        body,
      });
      const text = await res.text();
      ok = res.ok && text.trim() === 'success';
      detail = res.ok ? text.slice(0, 200) : `HTTP ${res.status}`;
    } catch (e) {
      detail = String(e);
    }
    this.notifications.push({ outTradeNo: t.outTradeNo, notifyId, ok, detail });
    if (!ok) this.notifyFailures.push(`${t.outTradeNo}: ${detail}`);
  }

  private timestamp(): string {
    return new Date(this.clock.now()).toISOString().slice(0, 19).replace('T', ' ');
  }
}
