/**
 * WeChat Pay end to end: the kiosk's WechatChannel (runtime/payments/wechat) against the independent simulator
 * (simulators/wechat) over real HTTPS on loopback, `/secapi/*` with mutual TLS.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { SystemClock } from '../kernel/clock';
import { issueCertificate } from '../kernel/x509/certificates';
import { isKioskError } from '../kernel/errors';
import { channelOrderNo } from '../protocol/payments/channel-numbers';
import type { PaymentPrompt } from '../protocol/screen';
import type { PaymentRequest, RefundRequest } from '../runtime/payments/provider';
import { WechatChannel, type WechatChannelOptions } from '../runtime/payments/wechat/wechat-channel';
import { WechatClient, type WechatClientOptions } from '../runtime/payments/wechat/wechat-client';
import { createWechatPki, type WechatPki } from '../simulators/wechat/wechat-pki';
import { WechatSimulator } from '../simulators/wechat/wechat-simulator';

const API_KEY = '192006250b4c09247ec02edce69f6a2d';
const MCH = '1900000109';
const APP = 'wx8888888888888888';
const AUTH = '134567890123456789';
const clock = new SystemClock();
let pki: WechatPki;
let dir: string;
let sim: WechatSimulator;
let channel: WechatChannel;
let prompts: PaymentPrompt[];

function makeSim(): WechatSimulator {
  return new WechatSimulator({ ledgerPath: path.join(dir, 'wechat-ledger.json'), apiKey: API_KEY, mchId: MCH, appId: APP, clock, pki });
}

function makeClient(extra: Partial<WechatClientOptions> = {}): WechatClient {
  return new WechatClient({
    url: sim.url,
    secapiUrl: sim.secapiUrl,
    appId: APP,
    mchId: MCH,
    apiKey: API_KEY,
    caPem: sim.caPem,
    clientCertPem: sim.clientCertPem,
    clientKeyPem: sim.clientKeyPem,
    clock,
    timeoutMs: 3000,
    ...extra,
  });
}

function makeChannel(client = makeClient(), extra: Partial<WechatChannelOptions> = {}): WechatChannel {
  // generous deadlines so a loaded machine still settles by query; tests that must reach the deadline set a short one
  return new WechatChannel({ client, clock, pollMs: 10, waitDeadlineMs: 5000, qrDeadlineMs: 5000, onPrompt: (p) => prompts.push(p), ...extra });
}

let n = 0;
const uuid = () => `0000${String(++n).padStart(4, '0')}-aaaa-4bbb-8ccc-${String(Date.now()).slice(-12).padStart(12, '0')}`;
const req = (amount = 1234): PaymentRequest => ({ attemptId: uuid(), orderId: 'o-1', amount, currency: 'CNY' });
const signal = () => new AbortController().signal;
const no = (r: PaymentRequest) => channelOrderNo('wechat', r.attemptId);
const lookup = (r: PaymentRequest) => channel.lookup({ attemptId: r.attemptId, orderId: r.orderId, amount: r.amount, context: null });
const refundReq = (r: PaymentRequest, amount: number, requestNo: string): RefundRequest => ({
  attemptId: r.attemptId,
  orderId: r.orderId,
  approvedAmount: r.amount,
  refundedBefore: 0,
  amount,
  reference: null,
  captured: false,
  requestNo,
});
const SHORT = { waitDeadlineMs: 400 };
const micropays = () => sim.requests.filter((p) => p === '/pay/micropay').length;

beforeAll(() => {
  pki = createWechatPki(MCH);
});

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wechat-'));
  sim = makeSim();
  await sim.start();
  prompts = [];
  channel = makeChannel();
});

afterEach(async () => {
  await sim.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('WeChat Pay: payment code (micropay)', () => {
  it('paid at once → approved with the channel reference', async () => {
    const r = req();
    const res = await channel.payWithCode(r, AUTH, signal());
    const t = sim.trade(no(r))!;
    expect(res).toEqual({ outcome: 'approved', amount: 1234, reference: { channel: 'wechat', outTradeNo: no(r), tradeNo: t.transactionId } });
    expect(t).toMatchObject({ state: 'SUCCESS', totalFee: 1234, tradeType: 'MICROPAY' });
    expect(no(r)).toMatch(/^[0-9a-f]{32}$/);
  });

  it('USERPAYING, then the shopper confirms at the 3rd query → approved, prompt confirm_in_app', async () => {
    sim.userPayingThenPays(3);
    const r = req();
    await expect(channel.payWithCode(r, AUTH, signal())).resolves.toMatchObject({ outcome: 'approved', amount: 1234 });
    expect(prompts.map((p) => p.code)).toEqual(['confirm_in_app']);
    expect(sim.requests.filter((p) => p === '/pay/orderquery')).toHaveLength(3);
    expect(micropays()).toBe(1);
  });

  it('USERPAYING until the deadline → reversed with mutual TLS: REVOKED, no money, declined', async () => {
    sim.userPayingNever();
    const r = req();
    await expect(makeChannel(makeClient(), SHORT).payWithCode(r, AUTH, signal())).resolves.toEqual({ outcome: 'declined', reason: 'timed out waiting for the shopper' });
    const t = sim.trade(no(r))!;
    expect(t.state).toBe('REVOKED');
    expect(t.paidAt).toBeUndefined();
    expect(sim.requests).toContain('/secapi/pay/reverse');
    expect(sim.bill(new Date().toISOString().slice(0, 10))).toBeNull();
  });

  it.each([
    ['PAYERROR', '支付失败'],
    ['CLOSED', '已关闭'],
  ] as const)('USERPAYING, then %s at the 2nd query → declined with the state; nothing reversed or closed, no money', async (state, desc) => {
    sim.userPayingThenFails(2, state);
    const r = req(555);
    await expect(channel.payWithCode(r, AUTH, signal())).resolves.toEqual({ outcome: 'declined', reason: `${desc} (${state})` });
    expect(prompts.map((p) => p.code)).toEqual(['confirm_in_app']);
    expect(sim.requests.filter((p) => p === '/pay/orderquery')).toHaveLength(2);
    expect(sim.requests).not.toContain('/secapi/pay/reverse');
    expect(sim.requests).not.toContain('/pay/closeorder');
    expect(micropays()).toBe(1);
    const t = sim.trade(no(r))!;
    expect(t).toMatchObject({ state, totalFee: 555, refundedFee: 0 });
    expect(t.paidAt).toBeUndefined();
    expect(t.reversedAt).toBeUndefined();
    expect(sim.bill(new Date().toISOString().slice(0, 10))).toBeNull(); // no trade with money in the day's bill
    // the order stays failed: a later query (recovery) declines it too, and a repeat micropay does not charge
    await expect(lookup(r)).resolves.toMatchObject({ outcome: 'declined' });
    expect(sim.trade(no(r))!.state).toBe(state);
  });

  it('reverse answered recall=Y is called again until it succeeds', async () => {
    sim.userPayingNever();
    sim.reverseNeedsRecall(2);
    const r = req();
    await expect(makeChannel(makeClient(), SHORT).payWithCode(r, AUTH, signal())).resolves.toMatchObject({ outcome: 'declined' });
    expect(sim.requests.filter((p) => p === '/secapi/pay/reverse')).toHaveLength(3);
    expect(sim.trade(no(r))!.state).toBe('REVOKED');
  });

  it.each(['SYSTEMERROR', 'BANKERROR'] as const)('%s while the trade is in fact paid → approved by the order query, exactly one micropay', async (code) => {
    sim.paidButAnswers(code);
    const r = req(777);
    await expect(channel.payWithCode(r, AUTH, signal())).resolves.toMatchObject({ outcome: 'approved', amount: 777 });
    expect(micropays()).toBe(1);
    expect(sim.requests).toContain('/pay/orderquery');
  });

  it('answer lost after processing → the order query settles it (approved), never a second micropay', async () => {
    sim.networkDrop(true, 'after');
    const r = req();
    const p = channel.payWithCode(r, AUTH, signal());
    await new Promise((res) => setTimeout(res, 50));
    sim.networkDrop(false);
    await expect(p).resolves.toMatchObject({ outcome: 'approved', amount: 1234 });
    expect(micropays()).toBe(1);
  });

  it('request dropped before processing → queried until the deadline, reversed (tombstone), declined; no money', async () => {
    sim.networkDrop(true, 'before');
    const r = req();
    const p = makeChannel(makeClient(), SHORT).payWithCode(r, AUTH, signal());
    await new Promise((res) => setTimeout(res, 50));
    sim.networkDrop(false);
    await expect(p).resolves.toEqual({ outcome: 'declined', reason: 'timed out waiting for the shopper' });
    expect(sim.trade(no(r))).toMatchObject({ state: 'REVOKED', totalFee: 0 });
    expect(sim.trade(no(r))!.paidAt).toBeUndefined();
    expect(micropays()).toBe(1);
  });

  it.each([
    ['NOTENOUGH', '余额不足'],
    ['AUTHCODEEXPIRE', '二维码已过期，请用户在微信上刷新后再试'],
    ['AUTH_CODE_INVALID', '授权码检验错误'],
    ['ORDERREVERSED', '订单已撤销'],
  ])('declined with the channel description: %s', async (code, des) => {
    sim.declineWith(code, des);
    const r = req();
    await expect(channel.payWithCode(r, AUTH, signal())).resolves.toEqual({ outcome: 'declined', reason: `${des} (${code})` });
    expect(sim.requests).not.toContain('/pay/orderquery');
  });

  it('a payment code that is not a WeChat code is refused by the simulator → declined AUTH_CODE_INVALID', async () => {
    await expect(channel.payWithCode(req(), '284712345678901234', signal())).resolves.toMatchObject({ outcome: 'declined', reason: expect.stringContaining('AUTH_CODE_INVALID') });
  });

  it('ORDERPAID means already paid: the channel queries and approves', async () => {
    const r = req();
    await channel.payWithCode(r, AUTH, signal());
    sim.requests.length = 0;
    // a new channel instance resends the same attempt (e.g. after a crash): the simulator answers the paid trade
    await expect(makeChannel().payWithCode(r, AUTH, signal())).resolves.toMatchObject({ outcome: 'approved', amount: 1234 });
    expect(sim.trades()).toHaveLength(1);
  });

  it('same out_trade_no with another amount is refused (OUT_TRADE_NO_USED), the first trade untouched', async () => {
    const r = req(1000);
    await channel.payWithCode(r, AUTH, signal());
    const other = { ...r, amount: 2000 };
    const res = await channel.payWithCode(other, AUTH, signal());
    // the query finds the original paid trade: its own amount, never the new one
    expect(res).toMatchObject({ outcome: 'approved', amount: 1000 });
    expect(sim.trades()).toHaveLength(1);
    expect(sim.trade(no(r))!.totalFee).toBe(1000);
  });

  it('a forged answer (bad sign) is never approved: unknown outcome, lookup unknown, not available', async () => {
    sim.badSignature(true);
    const r = req();
    const res = await makeChannel(makeClient(), SHORT).payWithCode(r, AUTH, signal()).catch((e: unknown) => e);
    expect(isKioskError(res) && res.details.unknownOutcome).toBe(true);
    await expect(lookup(r)).resolves.toEqual({ outcome: 'unknown' });
    expect(await channel.available()).toBe(false);
    expect(micropays()).toBe(1);
  });

  it('a kiosk with the wrong API key: refused 签名错误 (the channel processed nothing) → declined at once, never approved, nothing recorded', async () => {
    const wrong = makeChannel(makeClient({ apiKey: 'ffffffffffffffffffffffffffffffff' }), SHORT);
    const before = micropays();
    const res = await wrong.payWithCode(req(), AUTH, signal());
    expect(res).toEqual({ outcome: 'declined', reason: expect.stringContaining('签名错误') });
    expect(micropays() - before).toBe(1);
    expect(sim.trades().filter((t) => t.totalFee > 0)).toHaveLength(0);
    expect(await wrong.available()).toBe(false);
  });

  it('simulator down → DEVICE_OFFLINE, unknownOutcome false (nothing sent); available false', async () => {
    expect(await channel.available()).toBe(true);
    await sim.stop();
    await expect(channel.payWithCode(req(), AUTH, signal())).rejects.toMatchObject({ code: 'DEVICE_OFFLINE', details: { unknownOutcome: false } });
    expect(await channel.available()).toBe(false);
  });

  it('a server certificate from another CA is refused before anything is sent', async () => {
    const other = createWechatPki(MCH);
    const c = makeChannel(makeClient({ caPem: other.ca.certPem }));
    await expect(c.payWithCode(req(), AUTH, signal())).rejects.toMatchObject({ code: 'DEVICE_OFFLINE', details: { unknownOutcome: false } });
    expect(sim.requests).toHaveLength(0);
  });

  it('a slow answer times out (injected clock) → unknown; the query-then-reverse path returns the money; lookup declined', async () => {
    sim.slowResponse(1500);
    const c = makeChannel(makeClient({ timeoutMs: 200 }), { waitDeadlineMs: 0, settleAttempts: 2 });
    const r = req();
    const err = await c.payWithCode(r, AUTH, signal()).catch((e: unknown) => e);
    // micropay and every reverse timed out: nothing is confirmed
    expect(err).toMatchObject({ code: 'TIMEOUT', details: { unknownOutcome: true } });
    sim.slowResponse(0);
    // the simulator did process them: paid, then reversed (money back) — so the lookup says declined
    await expect(lookup(r)).resolves.toMatchObject({ outcome: 'declined', reason: expect.stringContaining('REVOKED') });
    expect(sim.trade(no(r))).toMatchObject({ state: 'REVOKED', reversedAt: expect.any(Number) });
    expect(micropays()).toBe(1);
  });
});

describe('WeChat Pay: lookup', () => {
  it('paid → approved with amount from total_fee; unknown order → declined and a tombstone', async () => {
    const r = req(4321);
    await channel.payWithCode(r, AUTH, signal());
    await expect(makeChannel().lookup({ attemptId: r.attemptId, orderId: 'o', amount: 0, context: null })).resolves.toMatchObject({ outcome: 'approved', amount: 4321, reference: { channel: 'wechat', outTradeNo: no(r) } });
    const never = req();
    await expect(lookup(never)).resolves.toMatchObject({ outcome: 'declined', reason: expect.stringContaining('ORDERNOTEXIST') });
    expect(sim.trade(no(never))?.state).toBe('REVOKED');
    // a micropay that arrives late cannot charge
    await expect(channel.payWithCode(never, AUTH, signal())).resolves.toMatchObject({ outcome: 'declined', reason: expect.stringContaining('ORDERREVERSED') });
  });

  it('USERPAYING (nobody waiting any more) → reversed, declined; REVOKED → declined', async () => {
    sim.userPayingNever();
    const r = req();
    const c = makeChannel(makeClient(), { waitDeadlineMs: 60_000 });
    const ac = new AbortController();
    const paying = c.payWithCode(r, AUTH, ac.signal).catch(() => undefined);
    while (!sim.trade(no(r))) await new Promise((res) => setTimeout(res, 5));
    await expect(makeChannel().lookup({ attemptId: r.attemptId, orderId: 'o', amount: 0, context: null })).resolves.toMatchObject({ outcome: 'declined' });
    expect(sim.trade(no(r))!.state).toBe('REVOKED');
    ac.abort();
    await paying;
    await expect(lookup(r)).resolves.toMatchObject({ outcome: 'declined', reason: expect.stringContaining('REVOKED') });
  });

  it('NATIVE NOTPAY (nobody waiting) → closed, declined; then CLOSED → declined', async () => {
    const r = req(250);
    const c = makeChannel(makeClient(), { qrDeadlineMs: 60_000 });
    const ac = new AbortController();
    const codes: string[] = [];
    const paying = c.payByQr(r, (code) => codes.push(code), ac.signal).catch(() => undefined);
    while (codes.length === 0) await new Promise((res) => setTimeout(res, 5));
    await expect(makeChannel().lookup({ attemptId: r.attemptId, orderId: 'o', amount: 0, context: null })).resolves.toMatchObject({ outcome: 'declined' });
    expect(sim.trade(no(r))!.state).toBe('CLOSED');
    expect(sim.requests).toContain('/pay/closeorder');
    expect(sim.requests).not.toContain('/secapi/pay/reverse');
    ac.abort();
    await paying;
    await expect(lookup(r)).resolves.toMatchObject({ outcome: 'declined', reason: expect.stringContaining('CLOSED') });
    expect(await sim.payNative(codes[0])).toBe(false); // a closed code cannot be paid
  });

  it('PAYERROR → declined; REFUND (paid, then refunded) → unknown', async () => {
    sim.declineWith('NOTENOUGH');
    const a = req();
    await channel.payWithCode(a, AUTH, signal());
    await expect(lookup(a)).resolves.toMatchObject({ outcome: 'declined', reason: expect.stringContaining('PAYERROR') });
    const b = req(500);
    await channel.payWithCode(b, AUTH, signal());
    await channel.refund(refundReq(b, 100, 'rq-b'));
    await expect(lookup(b)).resolves.toEqual({ outcome: 'unknown' });
  });

  it('the ledger outlives the simulator: a new simulator on the same file answers the same trades', async () => {
    const r = req(999);
    await channel.payWithCode(r, AUTH, signal());
    await sim.stop();
    sim = makeSim();
    await sim.start();
    channel = makeChannel();
    await expect(lookup(r)).resolves.toMatchObject({ outcome: 'approved', amount: 999 });
  });
});

describe('WeChat Pay: refunds (mutual TLS)', () => {
  it('full and partial refunds, idempotent retry, over-refund declined', async () => {
    const r = req(1000);
    await channel.payWithCode(r, AUTH, signal());
    const first = await channel.refund(refundReq(r, 400, 'rq-1'));
    expect(first).toMatchObject({ outcome: 'refunded', via: 'refund', reference: { channel: 'wechat', outTradeNo: no(r), refundRequestNo: 'rq-1', refundId: expect.stringMatching(/^5030/) } });
    await expect(channel.refund(refundReq(r, 400, 'rq-1'))).resolves.toEqual(first);
    expect(sim.trade(no(r))!.refundedFee).toBe(400);
    await expect(channel.refund(refundReq(r, 700, 'rq-2'))).resolves.toMatchObject({ outcome: 'declined' });
    await expect(channel.refund(refundReq(r, 600, 'rq-3'))).resolves.toMatchObject({ outcome: 'refunded' });
    expect(sim.trade(no(r))!.refundedFee).toBe(1000);
  });

  it('SYSTEMERROR after the refund was made → the refund query confirms it', async () => {
    const r = req(800);
    await channel.payWithCode(r, AUTH, signal());
    sim.refuseRefunds('SYSTEMERROR', true);
    await expect(channel.refund(refundReq(r, 800, 'rq-s'))).resolves.toMatchObject({ outcome: 'refunded', reference: { refundRequestNo: 'rq-s' } });
    expect(sim.requests).toContain('/pay/refundquery');
    expect(sim.trade(no(r))!.refundedFee).toBe(800);
  });

  it('refused by the channel (NOTENOUGH) → declined with its description; SYSTEMERROR unprocessed → rejects (retry later)', async () => {
    const r = req(800);
    await channel.payWithCode(r, AUTH, signal());
    sim.refuseRefunds('NOTENOUGH');
    await expect(channel.refund(refundReq(r, 100, 'rq-n'))).resolves.toMatchObject({ outcome: 'declined', reason: expect.stringContaining('NOTENOUGH') });
    sim.refuseRefunds('SYSTEMERROR');
    await expect(channel.refund(refundReq(r, 100, 'rq-u'))).rejects.toMatchObject({ details: { unknownOutcome: true } });
    sim.refuseRefunds(null);
    await expect(channel.refund(refundReq(r, 100, 'rq-u'))).resolves.toMatchObject({ outcome: 'refunded' });
    expect(sim.trade(no(r))!.refundedFee).toBe(100);
  });

  it('a refund without the client certificate is refused in the TLS handshake; nothing refunded', async () => {
    const r = req(600);
    await channel.payWithCode(r, AUTH, signal());
    const noCert = makeChannel(makeClient({ clientCertPem: undefined, clientKeyPem: undefined }));
    const before = sim.requests.length;
    const err = await noCert.refund(refundReq(r, 600, 'rq-x')).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'DEVICE_OFFLINE', details: { unknownOutcome: false, tls: expect.any(String) } });
    expect(sim.requests.length).toBe(before); // the HTTP request never reached the simulator
    expect(sim.trade(no(r))!.refundedFee).toBe(0);
  });

  it('a client certificate from another CA is refused too', async () => {
    const r = req(600);
    await channel.payWithCode(r, AUTH, signal());
    const other = createWechatPki(MCH);
    const c = makeChannel(makeClient({ clientCertPem: other.client.certPem, clientKeyPem: other.client.keyPem }));
    // the server resets the handshake (ECONNRESET): not provably unsent, so the refund query is asked, finds nothing
    await expect(c.refund(refundReq(r, 600, 'rq-y'))).rejects.toMatchObject({ details: { unknownOutcome: true } });
    expect(sim.requests).not.toContain('/secapi/pay/refund');
    expect(sim.trade(no(r))!.refundedFee).toBe(0);
  });
});

describe('WeChat Pay: the client certificate must be the merchant\'s own', () => {
  it("another merchant's certificate from the same CA is answered FAIL; nothing refunded", async () => {
    const r = req(600);
    await channel.payWithCode(r, AUTH, signal());
    const otherMerchant = issueCertificate(pki.merchantCa, 'client', { commonName: '1900000999' });
    const c = makeChannel(makeClient({ clientCertPem: otherMerchant.certPem, clientKeyPem: otherMerchant.keyPem }));
    // the refusal (return_code FAIL) is unsigned, so it proves nothing: the refund query finds no refund → rejects
    await expect(c.refund(refundReq(r, 600, 'rq-z'))).rejects.toMatchObject({ code: 'PROTOCOL', message: expect.stringContaining('REFUNDNOTEXIST') });
    expect(sim.requests).toContain('/secapi/pay/refund');
    expect(sim.trade(no(r))!.refundedFee).toBe(0);
  });
});

describe('WeChat Pay: merchant-presented QR (NATIVE)', () => {
  let notifyServer: http.Server;
  let notifyUrl: string;
  let replies: Array<{ duplicate: boolean } | string>;
  let target: WechatChannel;

  beforeEach(async () => {
    replies = [];
    notifyServer = http.createServer((q, s) => {
      const chunks: Buffer[] = [];
      q.on('data', (c: Buffer) => chunks.push(c));
      q.on('end', () => {
        try {
          const r = target.acceptNotification(Buffer.concat(chunks));
          replies.push({ duplicate: r.duplicate });
          s.writeHead(200, { 'content-type': 'text/xml' }).end(r.reply);
        } catch (e) {
          replies.push(String(e));
          s.writeHead(400).end();
        }
      });
    });
    await new Promise<void>((r) => notifyServer.listen(0, '127.0.0.1', r));
    notifyUrl = `http://127.0.0.1:${(notifyServer.address() as AddressInfo).port}/wechat/notify`;
  });

  afterEach(async () => {
    notifyServer.closeAllConnections();
    await new Promise((r) => notifyServer.close(r));
  });

  it('unifiedorder → code_url shown → paid → duplicate notification acknowledged; the notification ends the wait', async () => {
    target = makeChannel(makeClient({ notifyUrl }), { pollMs: 60_000, qrDeadlineMs: 120_000 });
    sim.duplicateNotifications(true);
    const codes: string[] = [];
    const r = req(888);
    const paying = target.payByQr(r, (c) => codes.push(c), signal());
    while (codes.length === 0) await new Promise((res) => setTimeout(res, 5));
    expect(codes[0]).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=/);
    expect(await sim.payNative(codes[0])).toBe(true);
    // polls are a minute apart: only the notification can have ended the wait
    await expect(paying).resolves.toEqual({ outcome: 'approved', amount: 888, reference: { channel: 'wechat', outTradeNo: no(r) } });
    expect(sim.requests.filter((p) => p === '/pay/orderquery')).toHaveLength(0);
    expect(replies).toEqual([{ duplicate: false }, { duplicate: true }]);
    expect(sim.notifications.map((x) => x.ok)).toEqual([true, true]);
  });

  it('NATIVE paid → polled → approved; prompt scan_merchant_qr', async () => {
    target = makeChannel(makeClient({ notifyUrl }));
    const codes: string[] = [];
    const r = req(321);
    const paying = target.payByQr(r, (c) => codes.push(c), signal());
    while (codes.length === 0) await new Promise((res) => setTimeout(res, 5));
    await sim.payNative(codes[0]);
    await expect(paying).resolves.toMatchObject({ outcome: 'approved', amount: 321, reference: { channel: 'wechat', outTradeNo: no(r) } });
    expect(prompts.map((p) => p.code)).toEqual(['scan_merchant_qr']);
  });

  it('NATIVE never paid → closeorder at the deadline → declined, CLOSED', async () => {
    target = makeChannel(makeClient(), { qrDeadlineMs: 300 });
    const r = req(321);
    await expect(target.payByQr(r, () => undefined, signal())).resolves.toEqual({ outcome: 'declined', reason: 'timed out waiting for the shopper' });
    expect(sim.trade(no(r))!.state).toBe('CLOSED');
    expect(sim.requests).toContain('/pay/closeorder');
  });

  it('notifications: forged or for another merchant are refused; a verified one settles lookup', async () => {
    target = makeChannel(makeClient({ notifyUrl }));
    const r = req(500);
    const codes: string[] = [];
    const paying = target.payByQr(r, (c) => codes.push(c), signal());
    while (codes.length === 0) await new Promise((res) => setTimeout(res, 5));
    await sim.payNative(codes[0]);
    await paying;
    const xml = sim.notificationXml(no(r));
    expect(target.acceptNotification(xml).duplicate).toBe(true); // already taken from the POST
    const fresh = makeChannel(makeClient());
    expect(() => fresh.acceptNotification(xml.replace('<total_fee><![CDATA[500]]>', '<total_fee><![CDATA[5]]>'))).toThrow(/signature/);
    expect(() => fresh.acceptNotification('<xml><a>')).toThrow(/not WeChat XML/);
    sim.badSignature(true);
    expect(() => fresh.acceptNotification(sim.notificationXml(no(r)))).toThrow(/signature/);
    sim.badSignature(false);
    expect(fresh.acceptNotification(sim.notificationXml(no(r))).duplicate).toBe(false);
    await sim.stop(); // the notification alone answers the lookup
    await expect(fresh.lookup({ attemptId: r.attemptId, orderId: 'o', amount: 0, context: null })).resolves.toMatchObject({ outcome: 'approved', amount: 500 });
  });
});
