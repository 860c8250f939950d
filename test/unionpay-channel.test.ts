/**
 * The kiosk's UnionPay QR channel (runtime/payments/unionpay) against the independent UnionPay acquirer simulator
 * (simulators/unionpay) over real HTTP on loopback: every flow of the channel, forged answers, refunds, lookups and
 * the ZM bill file.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { SystemClock } from '../kernel/clock';
import { isKioskError } from '../kernel/errors';
import { channelOrderNo, channelRefundNo } from '../protocol/payments/channel-numbers';
import type { PaymentPrompt } from '../protocol/screen';
import type { PaymentRequest, RefundRequest } from '../runtime/payments/provider';
import { UnionpayChannel, type UnionpayChannelOptions } from '../runtime/payments/unionpay/unionpay-channel';
import { UnionpayClient } from '../runtime/payments/unionpay/unionpay-client';
import { UnionpaySimulator, type UnionpaySimulatorKeys } from '../simulators/unionpay/unionpay-simulator';

const clock = new SystemClock();
const CODE = '6225123412341234567'; // a 云闪付 payment code (19 digits, starts with 62)
let keys: UnionpaySimulatorKeys;
let dir: string;
let sim: UnionpaySimulator;
let channel: UnionpayChannel;
let prompts: PaymentPrompt[];
let notifyServer: http.Server;
let backUrl: string;
let notified: string[];

let otherMerchant: UnionpaySimulatorKeys['merchant'];
beforeAll(async () => {
  keys = UnionpaySimulator.makeKeys();
  otherMerchant = UnionpaySimulator.makeKeys().merchant;
  notifyServer = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        channel.acceptNotification(Buffer.concat(chunks).toString('utf8'));
        notified.push('ok');
        res.writeHead(200).end('ok');
      } catch (e) {
        notified.push(isKioskError(e) ? e.code : 'error');
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((r) => notifyServer.listen(0, '127.0.0.1', () => r()));
  backUrl = `http://127.0.0.1:${(notifyServer.address() as AddressInfo).port}/unionpay/notify`;
});
afterAll(async () => {
  await new Promise<void>((r) => notifyServer.close(() => r()));
});

function makeSim(extra: { https?: boolean } = {}): UnionpaySimulator {
  return new UnionpaySimulator({ ledgerPath: path.join(dir, 'unionpay-ledger.json'), clock, keys, ...extra });
}

function makeChannel(url: string, extra: Partial<UnionpayChannelOptions> = {}, withBackUrl = false): UnionpayChannel {
  const client = new UnionpayClient({
    url,
    merId: sim.merId,
    merchantKeyPem: sim.merchantKeyPem,
    merchantCertPem: sim.merchantCertPem,
    unionpayRootCaPem: sim.rootCaPem,
    clock,
    timeoutMs: 3000, // generous: RSA and HTTP on a loaded machine
    tlsCaPem: sim.tlsCaPem,
    ...(withBackUrl ? { backUrl } : {}),
  });
  return new UnionpayChannel({
    client,
    clock,
    pollMs: 10,
    waitDeadlineMs: 400,
    qrDeadlineMs: 3000,
    onPrompt: (p) => prompts.push(p),
    ...extra,
  });
}

let n = 0;
const uuid = () => `0b8f${String(++n).padStart(4, '0')}-1c2d-4e5f-8a9b-${String(Date.now() % 1e12).padStart(12, '0')}`;
const req = (amount = 1234): PaymentRequest => ({ attemptId: uuid(), orderId: 'o-1', amount, currency: 'CNY' });
const signal = () => new AbortController().signal;
const orderOf = (r: PaymentRequest) => channelOrderNo('unionpay', r.attemptId);
const count = (kind: string) => sim.requests.filter((k) => k === kind).length;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unionpay-'));
  sim = makeSim();
  prompts = [];
  notified = [];
  channel = makeChannel(await sim.start());
});
afterEach(async () => {
  await sim.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('UnionPay QR: shopper-presented code (被扫 consume)', () => {
  it('paid at once: approved with the reference {channel, outTradeNo, tradeNo = queryId, traceNo}', async () => {
    const r = req();
    const res = await channel.payWithCode(r, CODE, signal());
    const t = sim.trade(orderOf(r))!;
    expect(t.status).toBe('PAID');
    expect(res).toEqual({
      outcome: 'approved',
      amount: 1234,
      reference: { channel: 'unionpay', outTradeNo: orderOf(r), tradeNo: t.queryId, traceNo: t.traceNo },
    });
    expect(orderOf(r)).toMatch(/^[0-9a-f]{32}$/);
    expect(sim.requests).toEqual(['01/06', '00/00']);
    expect(prompts).toEqual([]);
  });

  it('what the kiosk journals (attempt context, reference) holds no text a card-number scan would flag', async () => {
    const r = req();
    const ctx = channel.prepare(r);
    const res = await channel.payWithCode(r, CODE, signal());
    expect(typeof ctx.unionpayTxnTime).toBe('number'); // 14 digits as text could pass Luhn
    const texts = [...Object.values(ctx), ...Object.values(res.outcome === 'approved' ? res.reference ?? {} : {})].filter((v) => typeof v === 'string');
    expect(texts.join(' ')).not.toMatch(/(?<!\d)\d{13,19}(?!\d)/);
    expect(JSON.stringify(sim.trades())).not.toContain(CODE); // the payment code is not kept by the acquirer either
  });

  it('in progress, the shopper confirms at the 3rd query: confirm_in_app prompt, one consume', async () => {
    sim.payAfterQueries(3);
    const r = req();
    await expect(channel.payWithCode(r, CODE, signal())).resolves.toMatchObject({ outcome: 'approved', amount: 1234 });
    expect(prompts.map((p) => p.code)).toEqual(['confirm_in_app']);
    expect(count('01/06')).toBe(1);
    expect(count('00/00')).toBe(3);
  });

  it('in progress to the deadline: reversed (冲正), declined, no money in the ledger or the bill', async () => {
    sim.neverPays();
    const r = req();
    await expect(channel.payWithCode(r, CODE, signal())).resolves.toEqual({ outcome: 'declined', reason: 'timed out waiting for the shopper' });
    expect(count('99/01')).toBe(1);
    const t = sim.trade(orderOf(r))!;
    expect(t.status).toBe('CLOSED');
    expect(sim.bill(beijingDate(t.createdAt))).toBe('');
  });

  it('aborted while the shopper confirms: reversed, declined "payment aborted"', async () => {
    sim.neverPays();
    const r = req();
    const ac = new AbortController();
    const paying = channel.payWithCode(r, CODE, ac.signal);
    while (prompts.length === 0) await new Promise((res) => setTimeout(res, 5));
    ac.abort();
    await expect(paying).resolves.toEqual({ outcome: 'declined', reason: 'payment aborted' });
    expect(sim.trade(orderOf(r))?.status).toBe('CLOSED');
  });

  it('the answer says 03 while the trade is paid: the query approves it, exactly one consume', async () => {
    sim.answer03WhilePaid();
    const r = req(50);
    await expect(channel.payWithCode(r, CODE, signal())).resolves.toMatchObject({ outcome: 'approved', amount: 50 });
    expect(count('01/06')).toBe(1);
    expect(sim.trades()).toHaveLength(1);
  });

  it.each([
    ['66', '余额不足'],
    ['61', '输入的卡号无效'],
  ])('declined with respCode %s', async (code, msg) => {
    sim.decline(code, msg);
    const r = req();
    await expect(channel.payWithCode(r, CODE, signal())).resolves.toEqual({ outcome: 'declined', reason: `${msg} (${code})` });
    expect(sim.trade(orderOf(r))?.status).toBe('FAILED');
    expect(count('00/00')).toBe(0);
  });

  it('the network drops after UnionPay processed the consume: unknown, lookup approves, one consume', async () => {
    sim.networkDrop(true, 'after');
    const r = req();
    const ctx = channel.prepare(r);
    const err = await channel.payWithCode(r, CODE, signal()).catch((e: unknown) => e);
    expect(isKioskError(err) && err.details.unknownOutcome).toBe(true);
    sim.networkDrop(false);
    await expect(channel.lookup({ attemptId: r.attemptId, orderId: 'o', amount: 1234, context: ctx })).resolves.toMatchObject({ outcome: 'approved', amount: 1234 });
    expect(count('01/06')).toBe(1);
  });

  it('the network drops before UnionPay processed it: unknown, lookup finds nothing → declined', async () => {
    sim.networkDrop(true, 'before', 1);
    const r = req();
    const ctx = channel.prepare(r);
    await expect(channel.payWithCode(r, CODE, signal())).rejects.toMatchObject({ details: { unknownOutcome: true } });
    await expect(channel.lookup({ attemptId: r.attemptId, orderId: 'o', amount: 1234, context: ctx })).resolves.toEqual({ outcome: 'declined', reason: 'trade not found' });
    expect(sim.trades()).toHaveLength(0);
  });

  it('a slow acquirer times out with an unknown outcome', async () => {
    sim.slowResponse(5000);
    await expect(channel.payWithCode(req(), CODE, signal())).rejects.toMatchObject({ code: 'TIMEOUT', details: { unknownOutcome: true } });
  });

  it('refused connection: DEVICE_OFFLINE without unknown outcome; available() false', async () => {
    expect(await channel.available()).toBe(true);
    await sim.stop();
    expect(await channel.available()).toBe(false);
    await expect(channel.payWithCode(req(), CODE, signal())).rejects.toMatchObject({ code: 'DEVICE_OFFLINE', details: { unknownOutcome: false } });
  });

  it('the ledger outlives the simulator process (re-created from its file)', async () => {
    const r = req();
    const ctx = channel.prepare(r);
    await channel.payWithCode(r, CODE, signal());
    await sim.stop();
    sim = makeSim();
    const fresh = makeChannel(await sim.start()); // a restarted kiosk: only the attempt context survives
    expect(sim.trade(orderOf(r))?.status).toBe('PAID');
    await expect(fresh.lookup({ attemptId: r.attemptId, orderId: 'o', amount: 0, context: ctx })).resolves.toMatchObject({ outcome: 'approved', amount: 1234 });
  });
});

describe('UnionPay QR: forged answers are never a success', () => {
  it.each(['wrong-key', 'unchained-cert'] as const)('%s: pay is unknown, lookup unknown, available false; nothing approved', async (mode) => {
    sim.badSignature(mode);
    const r = req();
    const ctx = channel.prepare(r);
    await expect(channel.payWithCode(r, CODE, signal())).rejects.toMatchObject({ code: 'PROTOCOL', details: { unknownOutcome: true } });
    await expect(channel.lookup({ attemptId: r.attemptId, orderId: 'o', amount: 1234, context: ctx })).resolves.toEqual({ outcome: 'unknown' });
    expect(await channel.available()).toBe(false);
    sim.badSignature('off'); // the consume did reach UnionPay and was paid: an honest answer says so
    await expect(channel.lookup({ attemptId: r.attemptId, orderId: 'o', amount: 1234, context: ctx })).resolves.toMatchObject({ outcome: 'approved' });
  });

  it('a forged notification is refused and approves nothing', async () => {
    sim.neverPays();
    const c = makeChannel(sim.url, {}, true);
    channel = c;
    const r = req();
    const ctx = c.prepare(r);
    const paying = c.payWithCode(r, CODE, signal());
    while (!sim.trade(orderOf(r))) await new Promise((res) => setTimeout(res, 5));
    sim.badSignature('unchained-cert');
    // a notification claiming the order was paid, signed by a certificate the kiosk does not trust
    const forged = sim.notificationBody(orderOf(r));
    expect(() => c.acceptNotification(forged)).toThrow(/does not verify/);
    sim.badSignature('off');
    await expect(paying).resolves.toMatchObject({ outcome: 'declined' });
    await expect(c.lookup({ attemptId: r.attemptId, orderId: 'o', amount: 1234, context: ctx })).resolves.toMatchObject({ outcome: 'declined' });
  });

  it('a request signed with a key UnionPay does not know is refused (11), nothing recorded', async () => {
    const other = otherMerchant;
    const c = new UnionpayChannel({
      client: new UnionpayClient({ url: sim.url, merId: sim.merId, merchantKeyPem: other.keyPem, merchantCertPem: other.certPem, unionpayRootCaPem: sim.rootCaPem, clock }),
      clock,
    });
    await expect(c.payWithCode(req(), CODE, signal())).resolves.toEqual({ outcome: 'declined', reason: '验证签名失败 (11)' });
    expect(sim.trades()).toHaveLength(0);
  });
});

describe('UnionPay QR: merchant-presented code (主扫 applyQrCode)', () => {
  it('the code is shown, the shopper pays it, the query approves', async () => {
    const codes: string[] = [];
    const r = req(888);
    const paying = channel.payByQr(r, (c) => codes.push(c), signal());
    while (codes.length === 0) await new Promise((res) => setTimeout(res, 5));
    expect(sim.scanQr(codes[0])?.orderId).toBe(orderOf(r));
    expect(sim.payQr(codes[0])).toBe(true);
    await expect(paying).resolves.toMatchObject({ outcome: 'approved', amount: 888, reference: { channel: 'unionpay', outTradeNo: orderOf(r) } });
    expect(prompts.map((p) => p.code)).toEqual(['scan_merchant_qr']);
    expect(count('01/07')).toBe(1);
  });

  it('paid with duplicated backUrl notifications: verified, the wait ends without another query, one approval', async () => {
    sim.duplicateNotifications(true);
    const c = makeChannel(sim.url, { pollMs: 60_000 }, true); // only the notification can end the wait in time
    channel = c;
    const codes: string[] = [];
    const r = req(300);
    const paying = c.payByQr(r, (code) => codes.push(code), signal());
    while (codes.length === 0 || count('00/00') === 0) await new Promise((res) => setTimeout(res, 5));
    sim.payQr(codes[0]);
    await expect(paying).resolves.toMatchObject({ outcome: 'approved', amount: 300, reference: { outTradeNo: orderOf(r) } });
    await sim.notificationsSettled();
    expect(notified).toEqual(['ok', 'ok']);
    expect(sim.notifyFailures).toEqual([]);
    expect(count('00/00')).toBe(1);
    expect(count('99/01')).toBe(0);
    await expect(c.lookup({ attemptId: r.attemptId, orderId: 'o', amount: 300, context: null })).resolves.toMatchObject({ outcome: 'approved', amount: 300 });
  });

  it('not paid before the deadline: closed, declined', async () => {
    const c = makeChannel(sim.url, { qrDeadlineMs: 200 });
    const r = req();
    let code = '';
    await expect(c.payByQr(r, (x) => (code = x), signal())).resolves.toEqual({ outcome: 'declined', reason: 'timed out waiting for the shopper' });
    expect(sim.trade(orderOf(r))?.status).toBe('CLOSED');
    expect(sim.payQr(code)).toBe(false);
  });
});

describe('UnionPay QR: lookup of each state', () => {
  const look = (r: PaymentRequest, ctx: ReturnType<UnionpayChannel['prepare']> | null) => channel.lookup({ attemptId: r.attemptId, orderId: 'o', amount: r.amount, context: ctx });

  it('paid → approved; failed → declined; never sent → declined; no txnTime known → unknown', async () => {
    const paid = req();
    const paidCtx = channel.prepare(paid);
    await channel.payWithCode(paid, CODE, signal());
    const failed = req();
    const failedCtx = channel.prepare(failed);
    sim.decline('66', '余额不足');
    await channel.payWithCode(failed, CODE, signal());
    const neverSent = req();
    const neverCtx = channel.prepare(neverSent);
    const fresh = makeChannel(sim.url);
    await expect(fresh.lookup({ attemptId: paid.attemptId, orderId: 'o', amount: 0, context: paidCtx })).resolves.toMatchObject({ outcome: 'approved', amount: 1234 });
    await expect(fresh.lookup({ attemptId: failed.attemptId, orderId: 'o', amount: 0, context: failedCtx })).resolves.toEqual({ outcome: 'declined', reason: '余额不足 (66)' });
    await expect(look(neverSent, neverCtx)).resolves.toEqual({ outcome: 'declined', reason: 'trade not found' });
    await expect(fresh.lookup({ attemptId: paid.attemptId, orderId: 'o', amount: 0, context: null })).resolves.toEqual({ outcome: 'unknown' });
  });

  it('still in progress → reversed and declined; it can no longer be paid', async () => {
    sim.neverPays();
    const r = req();
    const ctx = channel.prepare(r);
    sim.networkDrop(true, 'after'); // the consume lands, its answer is lost
    await channel.payWithCode(r, CODE, signal()).catch(() => undefined);
    sim.networkDrop(false);
    expect(sim.trade(orderOf(r))?.status).toBe('PAYING');
    await expect(look(r, ctx)).resolves.toMatchObject({ outcome: 'declined' });
    expect(sim.trade(orderOf(r))?.status).toBe('CLOSED');
    expect(count('01/06')).toBe(1);
  });
});

describe('UnionPay QR: refunds', () => {
  const refundReq = (r: PaymentRequest, reference: Record<string, string | number> | undefined, amount: number, requestNo: string): RefundRequest => ({
    attemptId: r.attemptId,
    orderId: r.orderId,
    approvedAmount: r.amount,
    refundedBefore: 0,
    amount,
    reference: reference ?? null,
    captured: false,
    requestNo,
  });

  it('partial, idempotent retry, over-refund declined, the rest refunded', async () => {
    const r = req(1000);
    const paid = await channel.payWithCode(r, CODE, signal());
    const ref = paid.outcome === 'approved' ? paid.reference : undefined;
    const first = await channel.refund(refundReq(r, ref, 400, `${r.attemptId}-refund-1`));
    expect(first).toMatchObject({ outcome: 'refunded', via: 'refund', reference: { channel: 'unionpay', outTradeNo: orderOf(r), refundRequestNo: channelRefundNo('unionpay', `${r.attemptId}-refund-1`) } });
    const again = await channel.refund(refundReq(r, ref, 400, `${r.attemptId}-refund-1`));
    expect(again).toEqual(first);
    await expect(channel.refund(refundReq(r, ref, 700, `${r.attemptId}-refund-2`))).resolves.toEqual({ outcome: 'declined', reason: '交易金额超限 (33)' });
    await expect(channel.refund(refundReq(r, ref, 600, `${r.attemptId}-refund-3`))).resolves.toMatchObject({ outcome: 'refunded' });
    expect(sim.trade(orderOf(r))?.refundedAmount).toBe(1000);
    expect(sim.trades().filter((t) => t.kind === 'refund')).toHaveLength(2);
    expect(count('04/00')).toBe(4);
  });

  it('without the payment reference it finds the payment by query; refused refunds are declined', async () => {
    const r = req(500);
    channel.prepare(r);
    await channel.payWithCode(r, CODE, signal());
    sim.refuseRefunds(true);
    await expect(channel.refund(refundReq(r, undefined, 500, `${r.attemptId}-refund-1`))).resolves.toMatchObject({ outcome: 'declined' });
    sim.refuseRefunds(false);
    await expect(channel.refund(refundReq(r, undefined, 500, `${r.attemptId}-refund-1`))).resolves.toMatchObject({ outcome: 'refunded' });
  });

  it('the refund answer is lost: the refund query decides (no second refund)', async () => {
    const r = req(800);
    const paid = await channel.payWithCode(r, CODE, signal());
    sim.networkDrop(true, 'after', 1); // the refund is made, its answer lost
    const p = channel.refund(refundReq(r, paid.outcome === 'approved' ? paid.reference : undefined, 800, `${r.attemptId}-refund-1`));
    await expect(p).resolves.toMatchObject({ outcome: 'refunded' });
    expect(count('00/00')).toBe(2); // the payment's first query, then the refund's
    expect(sim.trades().filter((t) => t.kind === 'refund')).toHaveLength(1);
  });
});

// ---- the ZM bill, parsed with the widths of docs/bill-formats.md ----

const WIDTHS = [3, 11, 11, 6, 10, 19, 12, 4, 2, 21, 2, 32, 2, 6, 10, 13, 13, 4, 15, 2, 2, 6, 2, 4, 32, 1, 21, 15, 1, 15, 32, 13, 13, 8, 32, 13, 13, 12, 2, 1];
const F = { code: 0, trace: 3, time: 4, acct: 5, amount: 6, queryId: 9, orderId: 11, origTrace: 13, origTime: 14, fee: 15, settle: 16, txnType: 19, origQueryId: 26, merId: 27 };

function parseBill(text: string): string[][] {
  if (text === '') return [];
  expect(text.endsWith('\r\n')).toBe(true);
  return text
    .slice(0, -2)
    .split('\r\n')
    .map((line) => {
      expect(line.length).toBe(WIDTHS.reduce((a, b) => a + b, 0) + WIDTHS.length - 1);
      let at = 0;
      return WIDTHS.map((w) => {
        const v = line.slice(at, at + w);
        expect(line[at + w] === ' ' || at + w === line.length).toBe(true);
        at += w + 1;
        return v;
      });
    });
}

function beijingDate(ms: number): string {
  return new Date(ms + 8 * 3_600_000).toISOString().slice(0, 10);
}

describe('UnionPay ZM bill', () => {
  it('a payment and a partial refund, fixed width, fees at 38 bps, with every billFault', async () => {
    const a = req(1234);
    const b = req(2000);
    const pa = await channel.payWithCode(a, CODE, signal());
    await channel.payWithCode(b, CODE, signal());
    await channel.refund({ attemptId: a.attemptId, orderId: 'o', approvedAmount: 1234, refundedBefore: 0, amount: 1000, reference: pa.outcome === 'approved' ? pa.reference! : null, captured: false, requestNo: `${a.attemptId}-refund-1` });
    const ta = sim.trade(orderOf(a))!;
    const tb = sim.trade(orderOf(b))!;
    const refundNo = channelRefundNo('unionpay', `${a.attemptId}-refund-1`);
    const tr = sim.trade(refundNo)!;
    const date = beijingDate(ta.completedAt!);
    expect(sim.billFileName(date)).toBe(`INN${date.slice(2).replace(/-/g, '')}88ZM_${sim.merId}`);
    const rows = parseBill(sim.bill(date));
    expect(rows).toHaveLength(3);
    const pay = rows.find((r) => r[F.orderId].trim() === ta.orderId)!;
    expect(pay[F.code]).toBe('S22');
    expect(pay[F.amount]).toBe('000000001234');
    expect(pay[F.fee]).toBe('D000000000005'); // 1234 × 0.38 % = 4.69 → 5
    expect(pay[F.settle]).toBe('C000000001229');
    expect(pay[F.queryId]).toBe(ta.queryId);
    expect(pay[F.trace]).toBe(ta.traceNo);
    expect(pay[F.origTrace]).toBe('000000');
    expect(pay[F.origTime]).toBe('0000000000');
    expect(pay[F.acct].trim()).toBe('');
    expect(pay[F.txnType]).toBe('01');
    expect(pay[F.merId]).toBe(sim.merId);
    const ref = rows.find((r) => r[F.code] === 'S30')!;
    // the field is 32 wide, and so is the kiosk's refund orderId (channel-numbers.ts): the file carries it whole
    expect(refundNo).toHaveLength(32);
    expect(ref[F.orderId]).toBe(refundNo);
    expect(ref[F.amount]).toBe('000000001000');
    expect(ref[F.fee]).toBe('C000000000004'); // 1000 × 0.38 % = 3.8 → 4
    expect(ref[F.settle]).toBe('D000000000996');
    expect(ref[F.origQueryId].trim()).toBe(ta.queryId);
    expect(ref[F.origTrace]).toBe(ta.traceNo);
    expect(ref[F.origTime]).toBe(ta.traceTime);
    expect(ref[F.queryId]).toBe(tr.queryId);
    expect(ref[F.txnType]).toBe('04');

    sim.billFaults = { dropTrade: tb.orderId };
    expect(parseBill(sim.bill(date)).map((r) => r[F.orderId].trim())).not.toContain(tb.orderId);
    sim.billFaults = { phantomTrade: { orderId: 'f'.repeat(32), amount: 999 } };
    const phantom = parseBill(sim.bill(date)).find((r) => r[F.orderId].trim() === 'f'.repeat(32))!;
    expect(phantom[F.amount]).toBe('000000000999');
    sim.billFaults = { tradeAmount: { orderId: tb.orderId, amount: 2100 } };
    expect(parseBill(sim.bill(date)).find((r) => r[F.orderId].trim() === tb.orderId)![F.amount]).toBe('000000002100');
    sim.billFaults = { refundAmount: { orderId: refundNo, amount: 1100 } };
    expect(parseBill(sim.bill(date)).find((r) => r[F.code] === 'S30')![F.amount]).toBe('000000001100');
    sim.billFaults = { tradeFee: { orderId: ta.orderId, fee: 7 } };
    expect(parseBill(sim.bill(date)).find((r) => r[F.orderId].trim() === ta.orderId)![F.fee]).toBe('D000000000007');
    sim.billFaults = {};
    expect(sim.bill(beijingDate(ta.completedAt! - 86_400_000))).toBe('');
  });
});

describe('UnionPay over HTTPS', () => {
  it('pays through the TLS server certificate from the simulator root', async () => {
    await sim.stop();
    sim = makeSim({ https: true });
    const c = makeChannel(await sim.start());
    expect(sim.url.startsWith('https://')).toBe(true);
    await expect(c.payWithCode(req(), CODE, signal())).resolves.toMatchObject({ outcome: 'approved' });
  });
});
