/**
 * A QR-pay gateway on 127.0.0.1 speaking the protocol in README.md, with its own RSA key pair and a trade ledger
 * persisted to a JSON file (atomic write + rename) so it outlives the kiosk process. Control methods script the
 * shopper's behaviour and network faults.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { SystemClock, type Clock } from '../../kernel/clock';
import { encodeEnvelope, signParams, verifyParams, type Params } from '../../runtime/payments/gateway/canonical';

export type TradeStatus = 'WAIT_BUYER_PAY' | 'TRADE_SUCCESS' | 'TRADE_CLOSED';

export interface SimTrade {
  outTradeNo: string;
  tradeNo: string;
  kind: 'pay' | 'precreate';
  totalAmount: number;
  subject: string;
  status: TradeStatus;
  /** Queries left before a waiting shopper pays; -1 = never (until cancelled or paid by payQr). */
  pollsUntilPaid: number;
  /** The shopper cancels in the app at the next query. */
  cancelAtNextQuery: boolean;
  qrCode?: string;
  notifyUrl?: string;
  refunds: Record<string, number>;
  refundedAmount: number;
  createdAt: number;
  paidAt?: number;
}

interface LedgerFile {
  version: 1;
  seq: number;
  trades: SimTrade[];
}

type Shopper = { kind: 'pays'; afterPolls: number } | { kind: 'cancels' } | { kind: 'no-funds' };

export interface GatewaySimulatorOptions {
  /** The ledger file (created if missing). */
  ledgerPath: string;
  merchantPublicKey: KeyObject | string;
  appId?: string;
  clock?: Clock;
  /** The gateway's own private key; a fresh one is generated when absent. */
  gatewayPrivateKey?: KeyObject | string;
}

type Resp = Record<string, string | number | undefined>;

export class GatewaySimulator {
  readonly gatewayPublicKeyPem: string;
  private readonly privateKey: KeyObject;
  private readonly merchantKey: KeyObject;
  private readonly clock: Clock;
  private readonly trades = new Map<string, SimTrade>();
  private seq = 0;
  private server: http.Server | null = null;
  private readonly sockets = new Set<import('node:net').Socket>();
  private shopper: Shopper = { kind: 'pays', afterPolls: 0 };
  private drop: 'off' | 'before' | 'after' = 'off';
  private delayMs = 0;
  private badSign = false;
  private readonly wrongKey: KeyObject;
  /** Every request the simulator received, by method (for assertions). */
  readonly requests: string[] = [];
  /** Notifications that could not be delivered. */
  readonly notifyFailures: string[] = [];

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
    this.wrongKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    this.load();
  }

  get appId(): string {
    return this.opts.appId ?? 'sim-app';
  }

  // ---- lifecycle ----

  async start(port = 0): Promise<string> {
    const server = http.createServer((req, res) => this.handle(req, res));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    return this.url;
  }

  get url(): string {
    if (!this.server) throw new Error('simulator not started');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/gateway`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // ---- control surface ----

  /** New trade.pay trades wait for the shopper, who confirms at the n-th trade.query (0 = pays at once; Infinity = never). */
  userPaysAfter(nPolls: number): void {
    this.shopper = { kind: 'pays', afterPolls: nPolls };
  }
  /** New trade.pay trades wait; the shopper cancels in the app (the next query sees TRADE_CLOSED). */
  userCancels(): void {
    this.shopper = { kind: 'cancels' };
  }
  /** New trade.pay requests fail with ACQ.BUYER_BALANCE_NOT_ENOUGH. */
  insufficientFunds(): void {
    this.shopper = { kind: 'no-funds' };
  }
  /** Back to "the shopper pays at once", no faults. */
  reset(): void {
    this.shopper = { kind: 'pays', afterPolls: 0 };
    this.drop = 'off';
    this.delayMs = 0;
    this.badSign = false;
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
  ledger(): SimTrade[] {
    return [...this.trades.values()].map((t) => structuredClone(t));
  }
  trade(outTradeNo: string): SimTrade | undefined {
    const t = this.trades.get(outTradeNo);
    return t && structuredClone(t);
  }
  /** The shopper scans a merchant-presented code; returns the trade it belongs to. */
  scanQr(qrCode: string): SimTrade | undefined {
    const t = [...this.trades.values()].find((x) => x.qrCode === qrCode);
    return t && structuredClone(t);
  }
  /** The shopper pays a merchant-presented code; a signed notification goes to its notify_url, if any. */
  async payQr(qrCode: string): Promise<boolean> {
    const t = [...this.trades.values()].find((x) => x.qrCode === qrCode);
    if (!t || t.status !== 'WAIT_BUYER_PAY') return false;
    this.markPaid(t);
    if (t.notifyUrl) await this.notify(t);
    return true;
  }
  /** The signed notification body for a trade (form-urlencoded), as POSTed to notify_url. */
  notificationBody(outTradeNo: string, notifyId: string = randomUUID()): string {
    const t = this.trades.get(outTradeNo);
    if (!t) throw new Error(`no trade ${outTradeNo}`);
    const params: Params = {
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
      total_amount: String(t.totalAmount),
    };
    const signed = signParams(params, this.badSign ? this.wrongKey : this.privateKey);
    return new URLSearchParams(signed as Record<string, string>).toString();
  }

  // ---- persistence ----

  private load(): void {
    let text: string;
    try {
      text = fs.readFileSync(this.opts.ledgerPath, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    const file = JSON.parse(text) as LedgerFile;
    this.seq = file.seq;
    for (const t of file.trades) this.trades.set(t.outTradeNo, t);
  }

  private save(): void {
    const file: LedgerFile = { version: 1, seq: this.seq, trades: [...this.trades.values()] };
    const tmp = path.join(path.dirname(this.opts.ledgerPath), `.${path.basename(this.opts.ledgerPath)}.${process.pid}.tmp`);
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, JSON.stringify(file, null, 1));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.opts.ledgerPath);
  }

  // ---- HTTP ----

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (this.drop === 'before') {
        req.socket.destroy();
        return;
      }
      let answer: Resp;
      try {
        const params: Params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
        this.requests.push(params.method ?? '');
        answer = this.dispatch(params);
      } catch (e) {
        answer = { code: '40000', msg: 'Business Failed', sub_code: 'isv.invalid-request', sub_msg: String(e) };
      }
      if (this.drop === 'after') {
        req.socket.destroy();
        return;
      }
      const body = encodeEnvelope(JSON.stringify(answer), this.badSign ? this.wrongKey : this.privateKey);
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(200, { 'content-type': 'application/json;charset=utf-8' });
        res.end(body);
      };
      if (this.delayMs > 0) setTimeout(send, this.delayMs);
      else send();
    });
  }

  private dispatch(params: Params): Resp {
    if (params.app_id !== this.appId) return fail('40002', 'isv.invalid-app-id', 'unknown app_id');
    if (params.sign_type !== 'RSA2') return fail('40002', 'isv.invalid-signature-type', 'sign_type must be RSA2');
    if (!verifyParams(params, this.merchantKey)) return fail('40002', 'isv.invalid-signature', 'signature does not verify');
    let biz: Record<string, unknown>;
    try {
      biz = JSON.parse(params.biz_content ?? '') as Record<string, unknown>;
    } catch {
      return fail('40002', 'isv.invalid-biz-content', 'biz_content is not JSON');
    }
    const outTradeNo = biz.out_trade_no;
    if (typeof outTradeNo !== 'string' || outTradeNo === '' || outTradeNo.length > 64) {
      return fail('40002', 'isv.missing-out-trade-no', 'out_trade_no is required');
    }
    switch (params.method) {
      case 'trade.pay':
        return this.pay(outTradeNo, biz);
      case 'trade.precreate':
        return this.precreate(outTradeNo, biz, params.notify_url);
      case 'trade.query':
        return this.query(outTradeNo);
      case 'trade.cancel':
        return this.cancel(outTradeNo);
      case 'trade.refund':
        return this.refund(outTradeNo, biz);
      default:
        return fail('40002', 'isv.invalid-method', `unknown method ${params.method}`);
    }
  }

  private newTrade(outTradeNo: string, kind: SimTrade['kind'], biz: Record<string, unknown>): SimTrade | Resp {
    const amount = biz.total_amount;
    if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0) {
      return fail('40002', 'isv.invalid-total-amount', 'total_amount must be a positive integer (fen)');
    }
    this.seq++;
    return {
      outTradeNo,
      tradeNo: `SIM${String(this.seq).padStart(10, '0')}`,
      kind,
      totalAmount: amount,
      subject: typeof biz.subject === 'string' ? biz.subject : '',
      status: 'WAIT_BUYER_PAY',
      pollsUntilPaid: -1,
      cancelAtNextQuery: false,
      refunds: {},
      refundedAmount: 0,
      createdAt: this.clock.now(),
    };
  }

  private pay(outTradeNo: string, biz: Record<string, unknown>): Resp {
    const existing = this.trades.get(outTradeNo);
    if (existing) {
      if (existing.kind !== 'pay' || existing.totalAmount !== biz.total_amount) {
        return fail('40004', 'ACQ.CONTEXT_INCONSISTENT', 'out_trade_no already used with other details');
      }
      return this.payAnswer(existing);
    }
    if (typeof biz.auth_code !== 'string' || biz.auth_code === '') {
      return fail('40002', 'isv.missing-auth-code', 'auth_code is required');
    }
    const t = this.newTrade(outTradeNo, 'pay', biz);
    if (!isTrade(t)) return t;
    const shopper = this.shopper;
    if (shopper.kind === 'no-funds') {
      t.status = 'TRADE_CLOSED';
    } else if (shopper.kind === 'cancels') {
      t.cancelAtNextQuery = true;
    } else if (shopper.afterPolls <= 0) {
      t.status = 'TRADE_SUCCESS';
      t.paidAt = this.clock.now();
    } else {
      t.pollsUntilPaid = Number.isFinite(shopper.afterPolls) ? shopper.afterPolls : -1;
    }
    this.trades.set(outTradeNo, t);
    this.save();
    if (shopper.kind === 'no-funds') return fail('40004', 'ACQ.BUYER_BALANCE_NOT_ENOUGH', 'insufficient balance');
    return this.payAnswer(t);
  }

  private payAnswer(t: SimTrade): Resp {
    const base = tradeFields(t);
    if (t.status === 'TRADE_SUCCESS') return { code: '10000', msg: 'Success', ...base };
    if (t.status === 'WAIT_BUYER_PAY') return { code: '10003', msg: 'WAIT_BUYER_PAY', ...base };
    return { ...fail('40004', 'ACQ.TRADE_HAS_CLOSE', 'trade is closed'), ...base };
  }

  private precreate(outTradeNo: string, biz: Record<string, unknown>, notifyUrl: string | undefined): Resp {
    let t = this.trades.get(outTradeNo);
    if (t) {
      if (t.kind !== 'precreate' || t.totalAmount !== biz.total_amount) {
        return fail('40004', 'ACQ.CONTEXT_INCONSISTENT', 'out_trade_no already used with other details');
      }
      if (t.status !== 'WAIT_BUYER_PAY') return { ...fail('40004', 'ACQ.TRADE_STATUS_ERROR', 'trade is not open'), ...tradeFields(t) };
    } else {
      const n = this.newTrade(outTradeNo, 'precreate', biz);
      if (!isTrade(n)) return n;
      t = n;
      t.qrCode = `https://qr.gateway-sim.local/${t.tradeNo}`;
      if (notifyUrl) t.notifyUrl = notifyUrl;
      this.trades.set(outTradeNo, t);
      this.save();
    }
    return { code: '10000', msg: 'Success', out_trade_no: t.outTradeNo, qr_code: t.qrCode };
  }

  private query(outTradeNo: string): Resp {
    const t = this.trades.get(outTradeNo);
    if (!t) return fail('40004', 'ACQ.TRADE_NOT_EXIST', 'trade does not exist');
    if (t.status === 'WAIT_BUYER_PAY') {
      if (t.cancelAtNextQuery) {
        t.status = 'TRADE_CLOSED';
        this.save();
      } else if (t.pollsUntilPaid > 0) {
        t.pollsUntilPaid--;
        if (t.pollsUntilPaid === 0) this.markPaid(t);
        else this.save();
      }
    }
    return { code: '10000', msg: 'Success', ...tradeFields(t) };
  }

  private cancel(outTradeNo: string): Resp {
    let t = this.trades.get(outTradeNo);
    let action = 'close';
    if (!t) {
      // a tombstone, so a late trade.pay with this out_trade_no cannot charge
      this.seq++;
      t = {
        outTradeNo,
        tradeNo: `SIM${String(this.seq).padStart(10, '0')}`,
        kind: 'pay',
        totalAmount: 0,
        subject: '',
        status: 'TRADE_CLOSED',
        pollsUntilPaid: -1,
        cancelAtNextQuery: false,
        refunds: {},
        refundedAmount: 0,
        createdAt: this.clock.now(),
      };
      this.trades.set(outTradeNo, t);
    } else if (t.status === 'TRADE_SUCCESS') {
      action = 'refund';
      t.refundedAmount = t.totalAmount;
      t.status = 'TRADE_CLOSED';
    } else if (t.status === 'WAIT_BUYER_PAY') {
      t.status = 'TRADE_CLOSED';
    }
    this.save();
    return { code: '10000', msg: 'Success', out_trade_no: outTradeNo, trade_no: t.tradeNo, action, retry_flag: 'N' };
  }

  private refund(outTradeNo: string, biz: Record<string, unknown>): Resp {
    const t = this.trades.get(outTradeNo);
    if (!t) return fail('40004', 'ACQ.TRADE_NOT_EXIST', 'trade does not exist');
    const requestNo = typeof biz.out_request_no === 'string' && biz.out_request_no ? biz.out_request_no : outTradeNo;
    const amount = biz.refund_amount;
    const done = t.refunds[requestNo];
    if (done !== undefined) {
      if (done !== amount) return fail('40004', 'ACQ.CONTEXT_INCONSISTENT', 'out_request_no already used with another amount');
      return { code: '10000', msg: 'Success', ...tradeFields(t), refund_fee: t.refundedAmount, fund_change: 'N' };
    }
    if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0) {
      return fail('40002', 'isv.invalid-refund-amount', 'refund_amount must be a positive integer (fen)');
    }
    if (t.status !== 'TRADE_SUCCESS') return fail('40004', 'ACQ.TRADE_STATUS_ERROR', 'trade is not paid');
    if (t.refundedAmount + amount > t.totalAmount) {
      return fail('40004', 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', 'refund exceeds the amount paid');
    }
    t.refunds[requestNo] = amount;
    t.refundedAmount += amount;
    this.save();
    return { code: '10000', msg: 'Success', ...tradeFields(t), refund_fee: t.refundedAmount, fund_change: 'Y' };
  }

  private markPaid(t: SimTrade): void {
    t.status = 'TRADE_SUCCESS';
    t.paidAt = this.clock.now();
    t.pollsUntilPaid = 0;
    this.save();
  }

  private async notify(t: SimTrade): Promise<void> {
    const body = this.notificationBody(t.outTradeNo);
    try {
      const res = await fetch(t.notifyUrl!, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' },
        body,
      });
      await res.text();
      if (!res.ok) this.notifyFailures.push(`${t.outTradeNo}: HTTP ${res.status}`);
    } catch (e) {
      this.notifyFailures.push(`${t.outTradeNo}: ${String(e)}`);
    }
  }

  private timestamp(): string {
    return new Date(this.clock.now()).toISOString().slice(0, 19).replace('T', ' ');
  }
}

function fail(code: string, subCode: string, subMsg: string): Resp {
  return { code, msg: code === '40004' ? 'Business Failed' : 'Invalid Arguments', sub_code: subCode, sub_msg: subMsg };
}

function isTrade(x: SimTrade | Resp): x is SimTrade {
  return typeof (x as SimTrade).outTradeNo === 'string' && typeof (x as SimTrade).tradeNo === 'string';
}

function tradeFields(t: SimTrade): Resp {
  return { out_trade_no: t.outTradeNo, trade_no: t.tradeNo, trade_status: t.status, total_amount: t.totalAmount };
}
