/**
 * A UnionPay ACP 5.1.0 acquirer on 127.0.0.1 (HTTP, or HTTPS with `https: true`): `/gateway/api/backTransReq.do`,
 * `/gateway/api/queryTrans.do` and the bill download `/gateway/api/fileTransRequest.do` (file-transfer.ts). It has its own root CA and UnionPay signing certificate (kernel/x509) and issues the
 * merchant's signing key + certificate; it verifies requests with the merchant certificate named by `certId` and signs
 * every answer, carrying its certificate in `signPubKeyCert`. Orders live in a JSON ledger (acp-ledger.ts) that
 * outlives the kiosk; the control surface scripts the shopper, network faults, bad signatures, refunds and bills.
 * Imports kernel/ only: an independent second implementation of the protocol.
 */
import { LoopbackServer } from '../loopback-server';
import { createPrivateKey, generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import { SystemClock, type Clock } from '../../kernel/clock';
import { createCa, issueCertificate, type KeyAndCert } from '../../kernel/x509/certificates';
import { AcpDesk, beijing14, type AcpAnswer, type ShopperScript } from './acp-desk';
import { readRequest, writeAnswer, writeForm } from './acp-form';
import { AcpLedger, type AcpOrder } from './acp-ledger';
import { fileTransfer } from './file-transfer';
import { decimalSerial, sign, signatureOk } from './acp-signing';
import { writeZmBill, zmFileName, type ZmBillFaults } from './zm-bill';

export type { AcpOrder, AcpOrderStatus } from './acp-ledger';
export type { ZmBillFaults } from './zm-bill';

export interface UnionpaySimulatorKeys {
  rootCa: KeyAndCert;
  /** UnionPay's answer-signing key and certificate (issued by rootCa). */
  unionpaySigning: KeyAndCert;
  /** The merchant's signing key and certificate (issued by rootCa). */
  merchant: KeyAndCert;
}

export interface UnionpaySimulatorOptions {
  /** The ledger file (created if missing). */
  ledgerPath: string;
  /** The merchant number (15 digits); default 777290058110041 (not Luhn-valid, so no scan takes it for a card number). */
  merId?: string;
  clock?: Clock;
  /** Fee rate in basis points; default 38 (0.38 %). */
  feeBps?: number;
  /** Reuse keys and certificates (e.g. from an earlier instance's `keys`); fresh ones are made when absent. */
  keys?: UnionpaySimulatorKeys;
  /** Serve HTTPS with a server certificate from the simulator's root CA (then `tlsCaPem` = `rootCaPem`). */
  https?: boolean;
}

const PEM_CRLF = (pem: string) => pem.trim().replace(/\r?\n/g, '\r\n');

type Api = 'backTransReq' | 'queryTrans' | 'fileTrans';
/** The request paths (the SDK's acpsdk.backTransUrl, singleQueryUrl, fileTransUrl; the file host also answers at `/`). */
const API_PATHS = new Map<string, Api>([
  ['/gateway/api/backTransReq.do', 'backTransReq'],
  ['/gateway/api/queryTrans.do', 'queryTrans'],
  ['/gateway/api/fileTransRequest.do', 'fileTrans'],
  ['/', 'fileTrans'],
]);

export class UnionpaySimulator {
  readonly keys: UnionpaySimulatorKeys;
  readonly merId: string;
  feeBps: number;
  /** Faults applied by `bill()`. */
  billFaults: ZmBillFaults = {};
  /** Every request received, as `<txnType>/<txnSubType>` (for assertions). */
  readonly requests: string[] = [];
  /** Notifications that could not be delivered. */
  readonly notifyFailures: string[] = [];
  private readonly clock: Clock;
  private readonly ledger: AcpLedger;
  private readonly desk: AcpDesk;
  private readonly merchantCerts = new Map<string, X509Certificate>();
  private readonly signingKey: KeyObject;
  /** Keys of the forged answers, made on first use. */
  private forger: { key: KeyObject; unchainedCertPem: string; unchainedKey: KeyObject } | null = null;
  private server: LoopbackServer | null = null;
  private drop: 'off' | 'before' | 'after' = 'off';
  private dropsLeft = Infinity;
  private delayMs = 0;
  private forge: 'off' | 'wrong-key' | 'unchained-cert' = 'off';
  private duplicateNotify = false;
  private readonly pendingNotifications = new Set<Promise<void>>();

  constructor(private readonly opts: UnionpaySimulatorOptions) {
    this.clock = opts.clock ?? new SystemClock();
    this.merId = opts.merId ?? '777290058110041';
    this.feeBps = opts.feeBps ?? 38;
    this.keys = opts.keys ?? UnionpaySimulator.makeKeys();
    this.signingKey = createPrivateKey(this.keys.unionpaySigning.keyPem);
    this.merchantCerts.set(decimalSerial(this.keys.merchant.certPem), new X509Certificate(this.keys.merchant.certPem));
    this.ledger = new AcpLedger(opts.ledgerPath);
    this.desk = new AcpDesk(this.ledger, this.clock);
    this.desk.onPaid = (o) => this.notifyPaid(o);
  }

  /** A root CA, UnionPay's signing certificate and the merchant's signing certificate. */
  static makeKeys(): UnionpaySimulatorKeys {
    const rootCa = createCa({ commonName: 'UnionPay Simulator Root CA', subject: { organizationName: 'CFCA TEST' } });
    return {
      rootCa,
      unionpaySigning: issueCertificate(rootCa, 'signing', {
        commonName: '041@Z12@00040000:SIGN@00000062',
        subject: { organizationName: 'China UnionPay' },
      }),
      merchant: issueCertificate(rootCa, 'signing', { commonName: 'merchant signing', subject: { organizationName: 'kiosk merchant' } }),
    };
  }

  get rootCaPem(): string {
    return this.keys.rootCa.certPem;
  }
  get merchantKeyPem(): string {
    return this.keys.merchant.keyPem;
  }
  get merchantCertPem(): string {
    return this.keys.merchant.certPem;
  }
  /** The CA of the HTTPS server certificate (with `https: true`). */
  get tlsCaPem(): string {
    return this.keys.rootCa.certPem;
  }

  // ---- lifecycle ----

  async start(port = 0): Promise<string> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => this.handle(req, res);
    let server: http.Server | https.Server;
    if (this.opts.https) {
      const tls = issueCertificate(this.keys.rootCa, 'server', { commonName: '127.0.0.1', ips: ['127.0.0.1'] });
      server = https.createServer({ key: tls.keyPem, cert: tls.certPem }, handler);
    } else {
      server = http.createServer(handler);
    }
    this.server = await LoopbackServer.listen(server, port);
    return this.url;
  }

  /** The base URL (the kiosk's `url`). */
  get url(): string {
    if (!this.server) throw new Error('simulator not started');
    return `${this.opts.https ? 'https' : 'http'}://127.0.0.1:${this.server.port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    await server?.close();
  }

  // ---- control surface ----

  /** New consumes: paid at once (n = 0), or in progress and paid at the n-th query (Infinity = never). */
  payAfterQueries(n: number): void {
    this.desk.shopper = Number.isFinite(n) ? { kind: 'pays', afterQueries: Math.max(0, n) } : { kind: 'never' };
  }
  /** New consumes stay in progress and are never paid (until reversed). */
  neverPays(): void {
    this.desk.shopper = { kind: 'never' };
  }
  /** New consumes are refused with `respCode` (e.g. '61' invalid code, '66' insufficient balance). */
  decline(respCode: string, respMsg = '交易失败'): void {
    this.desk.shopper = { kind: 'decline', respCode, respMsg };
  }
  /** New consumes are paid, but their answer says 03 (timed out): only a query tells. */
  answer03WhilePaid(): void {
    this.desk.shopper = { kind: 'paid-answer-03' };
  }
  get script(): ShopperScript {
    return this.desk.shopper;
  }
  /**
   * Accept requests and close the socket without answering: `before` (unprocessed) or `after` (processed) — every
   * request, or only the next `count` ones.
   */
  networkDrop(on: boolean, when: 'before' | 'after' = 'after', count = Infinity): void {
    this.drop = on ? when : 'off';
    this.dropsLeft = count;
  }
  slowResponse(ms: number): void {
    this.delayMs = ms;
  }
  /** Answers signed with another key (`wrong-key`) or with a certificate not issued by the root (`unchained-cert`). */
  badSignature(mode: 'off' | 'wrong-key' | 'unchained-cert'): void {
    this.forge = mode;
    if (mode !== 'off' && !this.forger) {
      // the same subject as the genuine certificate, from a CA that is not the root
      const otherCa = createCa({ commonName: 'UnionPay Simulator Root CA', subject: { organizationName: 'CFCA TEST' } });
      const unchained = issueCertificate(otherCa, 'signing', {
        commonName: '041@Z12@00040000:SIGN@00000062',
        subject: { organizationName: 'China UnionPay' },
      });
      this.forger = {
        key: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
        unchainedCertPem: unchained.certPem,
        unchainedKey: createPrivateKey(unchained.keyPem),
      };
    }
  }
  refuseRefunds(on: boolean): void {
    this.desk.refuseRefunds = on;
  }
  /** Send every backUrl notification twice. */
  duplicateNotifications(on: boolean): void {
    this.duplicateNotify = on;
  }
  /** Back to "pays at once", no faults. */
  reset(): void {
    this.desk.shopper = { kind: 'pays', afterQueries: 0 };
    this.drop = 'off';
    this.delayMs = 0;
    this.forge = 'off';
    this.desk.refuseRefunds = false;
    this.duplicateNotify = false;
    this.billFaults = {};
  }

  trades(): AcpOrder[] {
    return this.ledger.all().map((o) => structuredClone(o));
  }
  trade(orderId: string): AcpOrder | undefined {
    const o = this.ledger.get(orderId);
    return o && structuredClone(o);
  }
  /** The shopper scans a merchant-presented code. */
  scanQr(qrCode: string): AcpOrder | undefined {
    const o = this.ledger.find((x) => x.qrCode === qrCode);
    return o && structuredClone(o);
  }
  /** The shopper pays a merchant-presented code (a notification goes to its backUrl). */
  payQr(qrCode: string): boolean {
    const o = this.ledger.find((x) => x.qrCode === qrCode);
    if (!o || o.status !== 'PAYING') return false;
    this.desk.markPaid(o);
    return true;
  }
  /** Resolves when every notification sent so far was delivered or failed. */
  async notificationsSettled(): Promise<void> {
    while (this.pendingNotifications.size) await Promise.all([...this.pendingNotifications]);
  }

  /** The ZM file of a Beijing day (YYYY-MM-DD), with `billFaults` applied. */
  bill(date: string): string {
    return writeZmBill({ orders: this.ledger.all(), date, merId: this.merId, feeBps: this.feeBps, faults: this.billFaults });
  }
  billFileName(date: string): string {
    return zmFileName(date, this.merId);
  }

  /** The signed notification body (form-urlencoded) for a paid order. */
  notificationBody(orderId: string): string {
    const o = this.ledger.get(orderId);
    if (!o) throw new Error(`no order ${orderId}`);
    return writeForm(
      this.signed({
        txnType: '01',
        txnSubType: o.txnSubType,
        bizType: '000000',
        accessType: '0',
        merId: this.merId,
        orderId: o.orderId,
        txnTime: o.txnTime,
        txnAmt: String(o.txnAmt),
        currencyCode: '156',
        queryId: o.queryId,
        traceNo: o.traceNo,
        traceTime: o.traceTime,
        settleAmt: String(o.txnAmt),
        settleCurrencyCode: '156',
        settleDate: o.traceTime.slice(0, 4),
        respCode: '00',
        respMsg: '成功[0000000]',
      }),
    );
  }

  // ---- HTTP ----

  private signed(fields: Record<string, string>): Record<string, string> {
    const base = { version: '5.1.0', encoding: 'UTF-8', signMethod: '01', ...fields };
    const forger = this.forge === 'off' ? null : this.forger;
    if (forger && this.forge === 'unchained-cert') {
      const msg = { ...base, signPubKeyCert: PEM_CRLF(forger.unchainedCertPem) };
      return { ...msg, signature: sign(msg, forger.unchainedKey) };
    }
    const msg = { ...base, signPubKeyCert: PEM_CRLF(this.keys.unionpaySigning.certPem) };
    return { ...msg, signature: sign(msg, forger ? forger.key : this.signingKey) };
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 256 * 1024) req.socket.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      const drop = this.drop;
      if (drop !== 'off' && --this.dropsLeft <= 0) this.drop = 'off';
      if (drop === 'before') {
        req.socket.destroy();
        return;
      }
      const path = (req.url ?? '').split('?')[0];
      const api = API_PATHS.get(path) ?? null;
      if (!api || req.method !== 'POST') {
        res.writeHead(404).end();
        return;
      }
      const m = readRequest(Buffer.concat(chunks).toString('utf8'));
      let answer: AcpAnswer;
      if (!m) answer = { respCode: '10', respMsg: '报文格式错误' };
      else {
        this.requests.push(`${m.txnType ?? ''}/${m.txnSubType ?? ''}`);
        answer = this.dispatch(api, m);
      }
      if (drop === 'after') {
        req.socket.destroy();
        return;
      }
      const echo: Record<string, string> = {};
      for (const k of ['bizType', 'txnType', 'txnSubType', 'accessType', 'orderId', 'txnTime', 'reqReserved']) {
        if (m?.[k]) echo[k] = m[k];
      }
      const body = writeAnswer(this.signed({ ...echo, merId: this.merId, ...answer }));
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(200, { 'content-type': 'text/plain;charset=UTF-8' });
        res.end(body);
      };
      if (this.delayMs > 0) this.clock.setTimeout(send, this.delayMs);
      else send();
    });
  }

  private dispatch(api: Api, m: Record<string, string>): AcpAnswer {
    if (m.version !== '5.1.0' || m.signMethod !== '01') return { respCode: '10', respMsg: '报文格式错误 version/signMethod' };
    if (m.merId !== this.merId) return { respCode: '31', respMsg: '商户状态不正确' };
    const cert = this.merchantCerts.get(m.certId ?? '');
    if (!cert || !signatureOk(m, cert)) return { respCode: '11', respMsg: '验证签名失败' };
    if (api === 'fileTrans') return fileTransfer(m, { merId: this.merId, now: this.clock.now(), zmName: (day) => this.billFileName(day), zmText: (day) => this.bill(day) });
    return this.desk.handle(api, m);
  }

  private notifyPaid(o: AcpOrder): void {
    if (!o.backUrl) return;
    const times = this.duplicateNotify ? 2 : 1;
    for (let i = 0; i < times; i++) {
      const p = this.post(o).finally(() => this.pendingNotifications.delete(p));
      this.pendingNotifications.add(p);
    }
  }

  private async post(o: AcpOrder): Promise<void> {
    try {
      const res = await fetch(o.backUrl!, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' },
        body: this.notificationBody(o.orderId),
      });
      await res.text();
      if (!res.ok) this.notifyFailures.push(`${o.orderId}: HTTP ${res.status}`);
    } catch (e) {
      this.notifyFailures.push(`${o.orderId}: ${String(e)}`);
    }
  }

  /** Beijing yyyyMMddHHmmss of the simulator's clock. */
  now14(): string {
    return beijing14(this.clock.now());
  }
}
