/**
 * WeChat Pay APIv3 end to end: the kiosk's WechatV3Channel (runtime/payments/wechat/v3) against the independent v3
 * simulator (simulators/wechat/v3) over real HTTPS on loopback: requests signed with the merchant API certificate's
 * key and verified by the simulator with that certificate; answers signed with the simulator's WeChat Pay key and
 * verified by the kiosk with the WeChat Pay public key (PUB_KEY_ID_… mode).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SystemClock } from '../kernel/clock';
import { channelOrderNo } from '../protocol/payments/channel-numbers';
import type { PaymentPrompt } from '../protocol/screen';
import type { PaymentRequest, RefundRequest } from '../runtime/payments/provider';
import { WechatV3Channel, type WechatV3ChannelOptions } from '../runtime/payments/wechat/v3/wechat-v3-channel';
import { WechatV3Client, type WechatV3ClientOptions } from '../runtime/payments/wechat/v3/wechat-v3-client';
import { WechatV3Simulator, type WechatV3SimKeys } from '../simulators/wechat/v3/wechat-v3-simulator';

const MCH = '1900009191';
const APP = 'wxd678efh567hg6787';
const AUTH = '130061098828009406';
const clock = new SystemClock();
let keys: WechatV3SimKeys;
let dir: string;
let sim: WechatV3Simulator;
let channel: WechatV3Channel;
let prompts: PaymentPrompt[];

function makeClient(extra: Partial<WechatV3ClientOptions> = {}): WechatV3Client {
  return new WechatV3Client({
    url: sim.url,
    appId: APP,
    mchId: MCH,
    merchantKeyPem: sim.merchantKeyPem,
    merchantCertSerial: sim.merchantCertSerial,
    wechatpayPublicKeyPem: sim.wechatpayPublicKeyPem,
    wechatpayPublicKeyId: sim.publicKeyId,
    caPem: sim.caPem,
    clock,
    timeoutMs: 3000,
    ...extra,
  });
}

function makeChannel(client = makeClient(), extra: Partial<WechatV3ChannelOptions> = {}): WechatV3Channel {
  return new WechatV3Channel({ client, clock, pollMs: 10, waitDeadlineMs: 5000, qrDeadlineMs: 5000, storeId: '0001', onPrompt: (p) => prompts.push(p), ...extra });
}

let n = 0;
const uuid = () => `1000${String(++n).padStart(4, '0')}-aaaa-4bbb-8ccc-${String(Date.now()).slice(-12).padStart(12, '0')}`;
const req = (amount = 1234): PaymentRequest => ({ attemptId: uuid(), orderId: 'o-1', amount, currency: 'CNY' });
const signal = () => new AbortController().signal;
const no = (r: PaymentRequest) => channelOrderNo('wechat', r.attemptId);
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
const count = (what: string) => sim.requests.filter((p) => p === what).length;
const CODEPAY = 'POST /v3/pay/transactions/codepay';
const QUERY = (r: PaymentRequest) => `GET /v3/pay/transactions/out-trade-no/${no(r)}`;
const REVERSE = (r: PaymentRequest) => `POST /v3/pay/transactions/out-trade-no/${no(r)}/reverse`;

beforeAll(() => {
  keys = WechatV3Simulator.makeKeys(MCH);
});

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wechat-v3-'));
  sim = new WechatV3Simulator({ ledgerPath: path.join(dir, 'ledger.json'), mchId: MCH, appId: APP, clock, keys });
  await sim.start();
  prompts = [];
  channel = makeChannel();
});

afterEach(async () => {
  await sim.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('WeChat Pay APIv3: payment code (codepay)', () => {
  it('paid at once → approved with the transaction id; one codepay, trade in the ledger', async () => {
    const r = req();
    const res = await channel.payWithCode(r, AUTH, signal());
    const t = sim.trade(no(r))!;
    expect(res).toEqual({ outcome: 'approved', amount: 1234, reference: { channel: 'wechat', outTradeNo: no(r), tradeNo: t.transactionId } });
    expect(t).toMatchObject({ state: 'SUCCESS', totalFee: 1234, tradeType: 'MICROPAY' });
    expect(sim.requests).toEqual([CODEPAY]);
  });

  it('USERPAYING, then the shopper confirms at the 3rd query → approved, prompt confirm_in_app, one codepay', async () => {
    sim.userPayingThenPays(3);
    const r = req();
    await expect(channel.payWithCode(r, AUTH, signal())).resolves.toMatchObject({ outcome: 'approved', amount: 1234 });
    expect(prompts.map((p) => p.code)).toEqual(['confirm_in_app']);
    expect(count(QUERY(r))).toBe(3);
    expect(count(CODEPAY)).toBe(1);
  });

  it('USERPAYING, then PAYERROR → declined; nothing reversed, no money', async () => {
    sim.userPayingThenFails(2, 'PAYERROR');
    const r = req(555);
    const res = await channel.payWithCode(r, AUTH, signal());
    expect(res).toMatchObject({ outcome: 'declined' });
    expect(res.outcome === 'declined' && res.reason).toContain('PAYERROR');
    expect(count(REVERSE(r))).toBe(0);
    const t = sim.trade(no(r))!;
    expect(t.state).toBe('PAYERROR');
    expect(t.paidAt).toBeUndefined();
  });

  it('USERPAYING until the deadline → reversed: REVOKED, no money, declined', async () => {
    sim.userPayingNever();
    const r = req();
    await expect(makeChannel(makeClient(), { waitDeadlineMs: 400 }).payWithCode(r, AUTH, signal())).resolves.toEqual({ outcome: 'declined', reason: 'timed out waiting for the shopper' });
    const t = sim.trade(no(r))!;
    expect(t.state).toBe('REVOKED');
    expect(t.paidAt).toBeUndefined();
    expect(count(REVERSE(r))).toBe(1);
    expect(count(QUERY(r))).toBeGreaterThanOrEqual(1);
  });

  it('a definite refusal (NOTENOUGH) → declined at once, no query', async () => {
    sim.declineWith('NOTENOUGH', '用户的零钱余额不足');
    const r = req();
    await expect(channel.payWithCode(r, AUTH, signal())).resolves.toEqual({ outcome: 'declined', reason: '用户的零钱余额不足 (NOTENOUGH)' });
    expect(sim.requests).toEqual([CODEPAY]);
  });

  it.each(['SYSTEM_ERROR', 'BANK_ERROR'] as const)('%s (the trade was in fact paid) → the order query settles it approved; never a second codepay', async (kind) => {
    sim.systemError(kind);
    const r = req(800);
    const res = await channel.payWithCode(r, AUTH, signal());
    expect(res).toMatchObject({ outcome: 'approved', amount: 800, reference: { outTradeNo: no(r) } });
    expect(count(CODEPAY)).toBe(1);
    expect(count(QUERY(r))).toBeGreaterThanOrEqual(1);
    expect(sim.trades().filter((t) => t.outTradeNo === no(r))).toHaveLength(1);
    expect(sim.trades()).toHaveLength(1);
  });

  it('a forged answer signature → unknown → settled by the order query once answers verify again', async () => {
    sim.badSignature(true);
    const r = req(321);
    const pay = makeChannel(makeClient(), { pollMs: 50 }).payWithCode(r, AUTH, signal());
    // the codepay and the first queries come back with a signature from another key: not believed
    await new Promise((res) => setTimeout(res, 300));
    expect(count(CODEPAY)).toBe(1);
    expect(sim.trade(no(r))?.state).toBe('SUCCESS'); // the money was taken at WeChat Pay
    sim.badSignature(false);
    await expect(pay).resolves.toMatchObject({ outcome: 'approved', amount: 321 });
    expect(count(CODEPAY)).toBe(1);
  });

  it('a forged signature on every answer → never approved: the reversal cannot be confirmed → unknown outcome', async () => {
    sim.badSignature(true);
    const r = req();
    await expect(makeChannel(makeClient(), { waitDeadlineMs: 300, settleAttempts: 2 }).payWithCode(r, AUTH, signal())).rejects.toMatchObject({ code: 'TIMEOUT', details: { unknownOutcome: true } });
    expect(count(CODEPAY)).toBe(1);
  });

  it('the connection drops after WeChat Pay took the trade → query → approved, one trade', async () => {
    sim.networkDrop(true, 'after');
    const r = req(999);
    const pay = makeChannel(makeClient(), { pollMs: 50 }).payWithCode(r, AUTH, signal());
    await new Promise((res) => setTimeout(res, 200));
    sim.networkDrop(false);
    await expect(pay).resolves.toMatchObject({ outcome: 'approved', amount: 999 });
    expect(count(CODEPAY)).toBe(1);
  });

  it('a request signed with another key is refused 401 SIGN_ERROR by the simulator (verified answer → declined, no trade)', async () => {
    const other = WechatV3Simulator.makeKeys(MCH);
    const r = req();
    await expect(makeChannel(makeClient({ merchantKeyPem: other.pki.client.keyPem })).payWithCode(r, AUTH, signal())).resolves.toMatchObject({ outcome: 'declined' });
    expect(sim.trades()).toHaveLength(0);
  });

  it('connection refused (nothing sent) → DEVICE_OFFLINE, unknownOutcome false', async () => {
    const offline = makeChannel(makeClient());
    await sim.stop();
    await expect(offline.payWithCode(req(), AUTH, signal())).rejects.toMatchObject({ code: 'DEVICE_OFFLINE', details: { unknownOutcome: false } });
    await sim.start();
  });
});

describe('WeChat Pay APIv3: lookup, merchant QR, refunds', () => {
  it('lookup: paid → approved; waiting → reversed → declined; never created → declined (and a tombstone)', async () => {
    const paid = req(700);
    await channel.payWithCode(paid, AUTH, signal());
    await expect(channel.lookup({ attemptId: paid.attemptId, orderId: 'o-1', amount: 700, context: null })).resolves.toMatchObject({ outcome: 'approved', amount: 700 });
    sim.userPayingNever();
    const waiting = req();
    const ac = new AbortController();
    const p = channel.payWithCode(waiting, AUTH, ac.signal);
    await new Promise((res) => setTimeout(res, 50));
    await expect(channel.lookup({ attemptId: waiting.attemptId, orderId: 'o-1', amount: 1234, context: null })).resolves.toMatchObject({ outcome: 'declined' });
    expect(sim.trade(no(waiting))?.state).toBe('REVOKED');
    ac.abort();
    await expect(p).resolves.toMatchObject({ outcome: 'declined' });
    const never = req();
    await expect(channel.lookup({ attemptId: never.attemptId, orderId: 'o-1', amount: 1234, context: null })).resolves.toMatchObject({ outcome: 'declined' });
    expect(sim.trade(no(never))?.state).toBe('REVOKED');
  });

  it('merchant QR (Native): code shown, shopper pays → approved; unpaid at the deadline → closed', async () => {
    const r = req(432);
    let shown = '';
    const pay = channel.payByQr(r, (code) => {
      shown = code;
      setTimeout(() => sim.payNative(code), 50);
    }, signal());
    await expect(pay).resolves.toMatchObject({ outcome: 'approved', amount: 432 });
    expect(shown).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=/);
    const r2 = req(100);
    await expect(makeChannel(makeClient(), { qrDeadlineMs: 200 }).payByQr(r2, () => undefined, signal())).resolves.toEqual({ outcome: 'declined', reason: 'timed out waiting for the shopper' });
    expect(sim.trade(no(r2))?.state).toBe('CLOSED');
  });

  it('refund, then the same out_refund_no again → refunded once (idempotent); a lost answer is settled by the refund query', async () => {
    const r = req(1000);
    await channel.payWithCode(r, AUTH, signal());
    const first = await channel.refund(refundReq(r, 300, `${r.attemptId}-refund-1`));
    expect(first).toMatchObject({ outcome: 'refunded', via: 'refund', reference: { outTradeNo: no(r), refundRequestNo: `${r.attemptId}-refund-1` } });
    const again = await channel.refund(refundReq(r, 300, `${r.attemptId}-refund-1`));
    expect(again).toEqual(first);
    expect(sim.trade(no(r))).toMatchObject({ refundedFee: 300, state: 'REFUND' });
    // SYSTEM_ERROR after the refund was made → the refund query finds it
    sim.refuseRefunds('SYSTEMERROR', true);
    await expect(channel.refund(refundReq(r, 200, `${r.attemptId}-refund-2`))).resolves.toMatchObject({ outcome: 'refunded' });
    expect(sim.trade(no(r))?.refundedFee).toBe(500);
    expect(sim.requests).toContain(`GET /v3/refund/domestic/refunds/${r.attemptId}-refund-2`);
    sim.refuseRefunds(null);
    // more than is left → declined, nothing changed
    await expect(channel.refund(refundReq(r, 600, `${r.attemptId}-refund-3`))).resolves.toMatchObject({ outcome: 'declined' });
    expect(sim.trade(no(r))?.refundedFee).toBe(500);
  });

  it('available(): a verified answer → true; a forged one → false', async () => {
    await expect(channel.available()).resolves.toBe(true);
    sim.badSignature(true);
    await expect(channel.available()).resolves.toBe(false);
  });
});
