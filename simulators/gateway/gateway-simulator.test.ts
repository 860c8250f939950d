import { generateKeyPairSync } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { SystemClock } from '../../kernel/clock';
import { isKioskError } from '../../kernel/errors';
import { GatewayClient } from '../../runtime/payments/gateway/gateway-client';
import { QrGatewayProvider } from '../../runtime/payments/gateway/qr-provider';
import type { PaymentPrompt } from '../../protocol/screen';
import type { PaymentRequest } from '../../runtime/payments/provider';
import { GatewaySimulator } from './gateway-simulator';

const merchant = generateKeyPairSync('rsa', { modulusLength: 2048 });
const gatewayKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const clock = new SystemClock();
let dir: string;
let sim: GatewaySimulator;
let provider: QrGatewayProvider;
let client: GatewayClient;
let prompts: PaymentPrompt[];

function makeSim(): GatewaySimulator {
  return new GatewaySimulator({
    ledgerPath: path.join(dir, 'ledger.json'),
    merchantPublicKey: merchant.publicKey,
    gatewayPrivateKey: gatewayKeys.privateKey,
    clock,
  });
}

function makeProvider(url: string, extra: Partial<ConstructorParameters<typeof QrGatewayProvider>[0]> = {}) {
  client = new GatewayClient({
    url,
    appId: 'sim-app',
    merchantPrivateKeyPath: path.join(dir, 'merchant.pem'),
    gatewayPublicKeyPath: path.join(dir, 'gateway.pub.pem'),
    clock,
    timeoutMs: 3000, // generous: RSA signing and HTTP on a loaded machine; the slow-gateway test waits longer
  });
  return new QrGatewayProvider({
    client,
    clock,
    pollMs: 10,
    waitDeadlineMs: 300,
    qrDeadlineMs: 2000,
    readAuthCode: async () => '284712345678901234',
    onPrompt: (t) => prompts.push(t),
    ...extra,
  });
}

let n = 0;
const req = (amount = 1234): PaymentRequest => ({ attemptId: `att-${++n}`, orderId: 'o-1', amount, currency: 'CNY' });
const signal = () => new AbortController().signal;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-sim-'));
  fs.writeFileSync(path.join(dir, 'merchant.pem'), merchant.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  fs.writeFileSync(path.join(dir, 'gateway.pub.pem'), gatewayKeys.publicKey.export({ type: 'spki', format: 'pem' }));
  sim = makeSim();
  const url = await sim.start();
  prompts = [];
  provider = makeProvider(url);
});

afterEach(async () => {
  await sim.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('QR gateway: shopper-presented code', () => {
  it('approved immediately', async () => {
    const r = req();
    await expect(provider.pay(r, signal())).resolves.toMatchObject({ outcome: 'approved', amount: 1234 });
    expect(sim.trade(r.attemptId)?.status).toBe('TRADE_SUCCESS');
  });

  it('WAIT_BUYER_PAY, then paid after 3 polls', async () => {
    sim.userPaysAfter(3);
    const r = req();
    await expect(provider.pay(r, signal())).resolves.toMatchObject({ outcome: 'approved', amount: 1234 });
    expect(prompts.map((p) => p.code)).toContain('confirm_in_app');
    expect(sim.requests.filter((m) => m === 'alipay.trade.query')).toHaveLength(3);
  });

  it('the shopper cancels in the app → declined', async () => {
    sim.userCancels();
    await expect(provider.pay(req(), signal())).resolves.toMatchObject({ outcome: 'declined' });
  });

  it('insufficient funds → declined', async () => {
    sim.insufficientFunds();
    const r = await provider.pay(req(), signal());
    expect(r).toMatchObject({ outcome: 'declined' });
    expect(r.outcome === 'declined' && r.reason).toMatch(/BALANCE_NOT_ENOUGH/);
  });

  it('deadline → trade.cancel → declined "timed out waiting for the shopper"', async () => {
    sim.userPaysAfter(Infinity);
    const r = req();
    await expect(provider.pay(r, signal())).resolves.toEqual({
      outcome: 'declined',
      reason: 'timed out waiting for the shopper',
    });
    expect(sim.requests).toContain('alipay.trade.cancel');
    expect(sim.trade(r.attemptId)?.status).toBe('TRADE_CLOSED');
  });

  it('deadline and the cancel is lost → rejects with unknown outcome', async () => {
    sim.userPaysAfter(Infinity);
    const r = req();
    const p = provider.pay(r, signal());
    setTimeout(() => sim.networkDrop(true), 150);
    await expect(p).rejects.toMatchObject({ details: { unknownOutcome: true } });
  });

  it('network drop after the trade was recorded → unknown, then lookup → approved, exactly one trade', async () => {
    sim.networkDrop(true, 'after');
    const r = req();
    const err = await provider.pay(r, signal()).catch((e: unknown) => e);
    expect(isKioskError(err) && err.details.unknownOutcome).toBe(true);
    sim.networkDrop(false);
    await expect(provider.lookup({ attemptId: r.attemptId, orderId: 'o', amount: 0, context: null })).resolves.toMatchObject({ outcome: 'approved', amount: 1234 });
    expect(sim.ledger()).toHaveLength(1);
  });

  it('idempotent on out_trade_no: paying twice charges once', async () => {
    const r = req();
    await provider.pay(r, signal());
    await expect(provider.pay(r, signal())).resolves.toMatchObject({ outcome: 'approved' });
    expect(sim.ledger()).toHaveLength(1);
    expect(sim.ledger()[0].totalAmount).toBe(1234);
  });

  it('the ledger survives re-creating the simulator from its file', async () => {
    const r = req();
    await provider.pay(r, signal());
    await sim.stop();
    sim = makeSim();
    provider = makeProvider(await sim.start());
    expect(sim.trade(r.attemptId)?.status).toBe('TRADE_SUCCESS');
    await expect(provider.lookup({ attemptId: r.attemptId, orderId: 'o', amount: 0, context: null })).resolves.toMatchObject({ outcome: 'approved', amount: 1234 });
    await expect(provider.lookup({ attemptId: 'never-sent', orderId: 'o', amount: 0, context: null })).resolves.toMatchObject({ outcome: 'declined' });
  });

  it('refund: partial, idempotent retry, over-refund declined', async () => {
    const r = req(1000);
    await provider.pay(r, signal());
    await expect(provider.refundTrade(r.attemptId, 400, 'r1')).resolves.toEqual({ outcome: 'refunded', refundedTotal: 400 });
    await expect(provider.refundTrade(r.attemptId, 400, 'r1')).resolves.toEqual({ outcome: 'refunded', refundedTotal: 400 });
    await expect(provider.refundTrade(r.attemptId, 700, 'r2')).resolves.toMatchObject({ outcome: 'declined' });
    expect(sim.trade(r.attemptId)?.refundedAmount).toBe(400);
  });
});

describe('QR gateway: response verification', () => {
  it('a response signed with the wrong key is never a success: unknown outcome, lookup unknown', async () => {
    sim.badSignature(true);
    const r = req();
    await expect(provider.pay(r, signal())).rejects.toMatchObject({ code: 'PROTOCOL', details: { unknownOutcome: true } });
    await expect(provider.lookup({ attemptId: r.attemptId, orderId: 'o', amount: 0, context: null })).resolves.toEqual({ outcome: 'unknown' });
    expect(await provider.available()).toBe(false);
  });

  it('a slow gateway times out with an unknown outcome', async () => {
    sim.slowResponse(6000);
    await expect(provider.pay(req(), signal())).rejects.toMatchObject({ code: 'TIMEOUT', details: { unknownOutcome: true } });
  });

  it('a request signed with a key the gateway does not know is refused, nothing recorded', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    fs.writeFileSync(path.join(dir, 'merchant.pem'), other.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const p2 = makeProvider(sim.url);
    await expect(p2.pay(req(), signal())).resolves.toMatchObject({ outcome: 'declined' });
    expect(sim.ledger()).toHaveLength(0);
  });

  it('available() is true when up, false when the simulator is stopped (not reached → no unknown outcome)', async () => {
    expect(await provider.available()).toBe(true);
    await sim.stop();
    expect(await provider.available()).toBe(false);
    await expect(provider.pay(req(), signal())).rejects.toMatchObject({
      code: 'DEVICE_OFFLINE',
      details: { unknownOutcome: false },
    });
  });
});

describe('Alipay wire: amounts are yuan strings', () => {
  it.each([['12.345'], ['-1'], ['1e3'], [1234], ['0.00']])('trade.pay with total_amount %j is refused (40002), nothing recorded', async (amount) => {
    const r = await client.call('alipay.trade.pay', { out_trade_no: 'bad-amount', scene: 'bar_code', auth_code: '284712345678901234', total_amount: amount, subject: 's' });
    expect(r).toMatchObject({ code: '40002', sub_code: 'isv.invalid-parameter' });
    expect(sim.ledger()).toHaveLength(0);
  });

  it('trade.pay with "12.34" records 1234 fen and answers under alipay_trade_pay_response with a yuan total_amount', async () => {
    const r = await client.call('alipay.trade.pay', { out_trade_no: 'good-amount', scene: 'bar_code', auth_code: '284712345678901234', total_amount: '12.34', subject: 's' });
    expect(r).toMatchObject({ code: '10000', total_amount: '12.34', out_trade_no: 'good-amount' });
    expect(sim.trade('good-amount')?.totalAmount).toBe(1234);
  });
});

describe('QR gateway: merchant-presented QR', () => {
  it('precreate + payQr + poll → approved', async () => {
    const codes: string[] = [];
    const p = makeProvider(sim.url, { readAuthCode: undefined, onQrCode: (c) => codes.push(c) });
    const r = req(888);
    const paying = p.pay(r, signal());
    while (codes.length === 0) await new Promise((res) => setTimeout(res, 5));
    expect(sim.scanQr(codes[0])?.outTradeNo).toBe(r.attemptId);
    await sim.payQr(codes[0]);
    await expect(paying).resolves.toMatchObject({ outcome: 'approved', amount: 888 });
    expect(prompts.map((x) => x.code)).toEqual(['scan_merchant_qr']); // the shopper's prompt as a code
  });

  it('notifications: verified once, a repeat acknowledged as a duplicate, forged rejected (also under a known notify_id)', async () => {
    const r = req(500);
    await provider.precreate(r);
    const codes = sim.ledger().map((t) => t.qrCode!);
    await sim.payQr(codes[0]);
    const body = sim.notificationBody(r.attemptId, 'notify-1');
    expect(provider.acceptNotification(body)).toEqual({ duplicate: false, reply: 'success' });
    expect(provider.acceptNotification(body)).toEqual({ duplicate: true, reply: 'success' });
    expect(body).toContain('total_amount=5.00');
    const forged = body.replace('total_amount=5.00', 'total_amount=0.05');
    expect(() => provider.acceptNotification(forged)).toThrow(/signature/); // a known notify_id does not skip the check
    expect(() => provider.acceptNotification(forged.replace('notify-1', 'notify-2'))).toThrow(/signature/);
    sim.badSignature(true);
    expect(() => provider.acceptNotification(sim.notificationBody(r.attemptId, 'notify-1'))).toThrow(/signature/);
    expect(() => provider.acceptNotification(sim.notificationBody(r.attemptId, 'notify-3'))).toThrow(/signature/);
    await expect(provider.lookup({ attemptId: r.attemptId, orderId: 'o', amount: 0, context: null })).resolves.toMatchObject({ outcome: 'approved', amount: 500 });
  });

  it('a repeated notify_id changes nothing: it does not make another paid trade known without the gateway', async () => {
    const a = req(500);
    const b = req(700);
    await provider.precreate(a);
    await provider.precreate(b);
    for (const t of sim.ledger()) await sim.payQr(t.qrCode!);
    expect(provider.acceptNotification(sim.notificationBody(a.attemptId, 'notify-a'))).toEqual({ duplicate: false, reply: 'success' });
    // b's notification under a's notify_id: verified, answered success, taken as the repeat it claims to be
    expect(provider.acceptNotification(sim.notificationBody(b.attemptId, 'notify-a'))).toEqual({ duplicate: true, reply: 'success' });
    await sim.stop(); // only what the notifications left behind can answer now
    await expect(provider.lookup({ attemptId: a.attemptId, orderId: 'o', amount: 0, context: null })).resolves.toMatchObject({ outcome: 'approved', amount: 500 });
    await expect(provider.lookup({ attemptId: b.attemptId, orderId: 'o', amount: 0, context: null })).resolves.toEqual({ outcome: 'unknown' });
  });
});

describe('Alipay notifications over HTTP (notify_url)', () => {
  let notifyServer: http.Server;
  let notifyUrl: string;
  let target: QrGatewayProvider;
  let replies: Array<{ duplicate: boolean } | string>;

  beforeEach(async () => {
    replies = [];
    notifyServer = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          const r = target.acceptNotification(Buffer.concat(chunks).toString('utf8'));
          replies.push({ duplicate: r.duplicate });
          res.writeHead(200, { 'content-type': 'text/plain' }).end(r.reply);
        } catch (e) {
          replies.push(String(e));
          res.writeHead(200, { 'content-type': 'text/plain' }).end('failure');
        }
      });
    });
    await new Promise<void>((r) => notifyServer.listen(0, '127.0.0.1', r));
    notifyUrl = `http://127.0.0.1:${(notifyServer.address() as AddressInfo).port}/alipay/notify`;
  });

  afterEach(async () => {
    notifyServer.closeAllConnections();
    await new Promise((r) => notifyServer.close(r));
  });

  function notifyingProvider(codes: string[]): QrGatewayProvider {
    const c = new GatewayClient({
      url: sim.url,
      appId: 'sim-app',
      merchantPrivateKeyPath: path.join(dir, 'merchant.pem'),
      gatewayPublicKeyPath: path.join(dir, 'gateway.pub.pem'),
      clock,
      timeoutMs: 3000,
      notifyUrl,
    });
    // polls a minute apart: only the notification can end the wait
    return new QrGatewayProvider({ client: c, clock, pollMs: 60_000, qrDeadlineMs: 120_000, onQrCode: (q) => codes.push(q) });
  }

  it('paid → the notification is resent (same notify_id): both answered success, the second a duplicate; one approval, no query', async () => {
    sim.duplicateNotifications(true);
    const codes: string[] = [];
    target = notifyingProvider(codes);
    const r = req(888);
    const paying = target.pay(r, signal());
    while (codes.length === 0) await new Promise((res) => setTimeout(res, 5));
    expect(await sim.payQr(codes[0])).toBe(true);
    await expect(paying).resolves.toEqual({ outcome: 'approved', amount: 888, reference: { gateway: 'qr', channel: 'alipay', outTradeNo: r.attemptId } });
    expect(replies).toEqual([{ duplicate: false }, { duplicate: true }]);
    expect(sim.notifications.map((x) => [x.ok, x.detail])).toEqual([[true, 'success'], [true, 'success']]);
    expect(new Set(sim.notifications.map((x) => x.notifyId)).size).toBe(1);
    expect(sim.notifyFailures).toEqual([]);
    expect(sim.requests.filter((m) => m === 'alipay.trade.query')).toHaveLength(0);
    expect(sim.ledger().map((t) => [t.status, t.totalAmount])).toEqual([['TRADE_SUCCESS', 888]]);
  });

  it('without the switch one notification is sent; an answer other than success counts as not delivered', async () => {
    const codes: string[] = [];
    target = notifyingProvider(codes);
    const r = req(300);
    const paying = target.pay(r, signal());
    while (codes.length === 0) await new Promise((res) => setTimeout(res, 5));
    await sim.payQr(codes[0]);
    await expect(paying).resolves.toMatchObject({ outcome: 'approved', amount: 300 });
    expect(replies).toEqual([{ duplicate: false }]);
    expect(sim.notifications.map((x) => x.ok)).toEqual([true]);
    // a notify_url that does not answer success (here: the signature check fails) is a failed delivery
    const r2 = req(400);
    const { qrCode } = await target.precreate(r2);
    sim.badSignature(true);
    expect(await sim.payQr(qrCode)).toBe(true);
    expect(replies[1]).toMatch(/signature/);
    expect(sim.notifications.map((x) => x.ok)).toEqual([true, false]);
    expect(sim.notifyFailures).toEqual([`${r2.attemptId}: failure`]);
  });
});
