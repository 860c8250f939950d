/**
 * AlipayChannel (QrChannel 'alipay') against the independent Alipay simulator over HTTP on loopback: the wire
 * (method names, `<method>_response`, yuan amounts), each documented result code's handling end to end, the
 * 20000-while-paid case, cancel's retry_flag and the refund query.
 */
import { generateKeyPairSync } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as iconv from 'iconv-lite';
import { SystemClock } from '../../../kernel/clock';
import { isKioskError } from '../../../kernel/errors';
import { GatewaySimulator, type ScriptedAnswer } from '../../../simulators/gateway/gateway-simulator';
import { pythonUnzip } from '../../../test/support/python-unzip';
import { GatewayClient } from '../gateway/gateway-client';
import type { PaymentRequest } from '../provider';
import { AlipayChannel } from './alipay-channel';

const merchant = generateKeyPairSync('rsa', { modulusLength: 2048 });
const gatewayKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const clock = new SystemClock();
let dir: string;
let sim: GatewaySimulator;
let client: GatewayClient;
let channel: AlipayChannel;

let n = 0;
const req = (amount = 1234): PaymentRequest => ({ attemptId: `6f1c2d3e-0000-4000-8000-${String(++n).padStart(12, '0')}`, orderId: 'o-1', amount, currency: 'CNY' });
const signal = () => new AbortController().signal;
const count = (method: string) => sim.requests.filter((m) => m === method).length;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alipay-ch-'));
  fs.writeFileSync(path.join(dir, 'merchant.pem'), merchant.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  fs.writeFileSync(path.join(dir, 'alipay.pub.pem'), gatewayKeys.publicKey.export({ type: 'spki', format: 'pem' }));
  sim = new GatewaySimulator({ ledgerPath: path.join(dir, 'ledger.json'), merchantPublicKey: merchant.publicKey, gatewayPrivateKey: gatewayKeys.privateKey, clock });
  client = new GatewayClient({
    url: await sim.start(),
    appId: 'sim-app',
    merchantPrivateKeyPath: path.join(dir, 'merchant.pem'),
    gatewayPublicKeyPath: path.join(dir, 'alipay.pub.pem'),
    clock,
    timeoutMs: 3000,
  });
  channel = new AlipayChannel({ client, clock, pollMs: 10, waitDeadlineMs: 400, qrDeadlineMs: 2000 });
});

afterEach(async () => {
  await sim.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('AlipayChannel: wire', () => {
  it('pays 12.34 yuan for 1234 fen; the reference is {gateway, channel, outTradeNo, tradeNo}', async () => {
    const r = req(1234);
    const result = await channel.payWithCode(r, '284712345678901234', signal());
    const trade = sim.trade(r.attemptId)!;
    expect(result).toEqual({ outcome: 'approved', amount: 1234, reference: { gateway: 'qr', channel: 'alipay', outTradeNo: r.attemptId, tradeNo: trade.tradeNo } });
    expect(trade).toMatchObject({ totalAmount: 1234, status: 'TRADE_SUCCESS' });
    expect(sim.requests).toEqual(['alipay.trade.pay']);
    expect(channel.channel).toBe('alipay');
  });

  it('the answer sits under alipay_trade_query_response and its amount is a yuan string', async () => {
    const r = req(1);
    await channel.payWithCode(r, '284712345678901234', signal());
    const answer = await client.call('alipay.trade.query', { out_trade_no: r.attemptId });
    expect(answer).toMatchObject({ code: '10000', trade_status: 'TRADE_SUCCESS', total_amount: '0.01' });
  });

  it('merchant-presented QR: precreate, show, the shopper pays → approved with the channel reference', async () => {
    const r = req(888);
    const shown: string[] = [];
    const paying = channel.payByQr(r, (c) => shown.push(c), signal());
    while (shown.length === 0) await new Promise((res) => setTimeout(res, 5));
    expect(await sim.payQr(shown[0])).toBe(true);
    await expect(paying).resolves.toMatchObject({ outcome: 'approved', amount: 888, reference: { gateway: 'qr', channel: 'alipay', outTradeNo: r.attemptId } });
  });

  it('available(): a verified answer of any business code', async () => {
    expect(await channel.available()).toBe(true);
    await sim.stop();
    expect(await channel.available()).toBe(false);
  });
});

describe('AlipayChannel: each trade.pay result code, end to end (exactly one trade.pay every time)', () => {
  type Row = [string, ScriptedAnswer, { outcome: 'approved' | 'declined'; queried: boolean; reason?: RegExp }];
  const rows: Row[] = [
    ['20000 isp.unknow-error, trade paid', { code: '20000', sub_code: 'isp.unknow-error', sub_msg: '系统繁忙' }, { outcome: 'approved', queried: true }],
    ['20000, nothing recorded → query finds none → cancel', { code: '20000', sub_code: 'isp.unknow-error', process: false }, { outcome: 'declined', queried: true, reason: /did not go through/ }],
    ['40004 ACQ.SYSTEM_ERROR, trade paid', { code: '40004', sub_code: 'ACQ.SYSTEM_ERROR', sub_msg: '系统错误' }, { outcome: 'approved', queried: true }],
    ['40004 ACQ.TRADE_HAS_SUCCESS', { code: '40004', sub_code: 'ACQ.TRADE_HAS_SUCCESS', sub_msg: '交易已被支付' }, { outcome: 'approved', queried: true }],
    ['an undocumented code, trade paid', { code: '50000', sub_code: 'something.new' }, { outcome: 'approved', queried: true }],
    ['40004 ACQ.PAYMENT_AUTH_CODE_INVALID', { code: '40004', sub_code: 'ACQ.PAYMENT_AUTH_CODE_INVALID', sub_msg: '付款码无效', process: false }, { outcome: 'declined', queried: false, reason: /付款码无效 \(ACQ.PAYMENT_AUTH_CODE_INVALID\)/ }],
    ['40002 isv.invalid-signature', { code: '40002', sub_code: 'isv.invalid-signature', sub_msg: '无效签名', process: false }, { outcome: 'declined', queried: false, reason: /isv.invalid-signature/ }],
    ['40001 isv.missing-signature', { code: '40001', sub_code: 'isv.missing-signature', process: false }, { outcome: 'declined', queried: false, reason: /isv.missing-signature/ }],
    ['40006 isv.insufficient-isv-permissions', { code: '40006', sub_code: 'isv.insufficient-isv-permissions', process: false }, { outcome: 'declined', queried: false, reason: /insufficient/ }],
    ['20001 aop.invalid-auth-token', { code: '20001', sub_code: 'aop.invalid-auth-token', process: false }, { outcome: 'declined', queried: false, reason: /invalid-auth-token/ }],
  ];
  it.each(rows)('%s', async (_name, scripted, expected) => {
    sim.scriptAnswer('alipay.trade.pay', scripted);
    const r = req(500);
    const result = await channel.payWithCode(r, '284712345678901234', signal());
    expect(result.outcome).toBe(expected.outcome);
    if (expected.reason) expect(result.outcome === 'declined' && result.reason).toMatch(expected.reason);
    if (expected.outcome === 'approved') expect(result).toMatchObject({ amount: 500, reference: { channel: 'alipay', outTradeNo: r.attemptId } });
    expect(count('alipay.trade.pay')).toBe(1);
    expect(count('alipay.trade.query') > 0).toBe(expected.queried);
    const paid = sim.ledger().filter((t) => t.status === 'TRADE_SUCCESS');
    expect(paid).toHaveLength(expected.outcome === 'approved' ? 1 : 0);
  });

  it('10003: the shopper confirms in the app after 2 polls → approved', async () => {
    sim.userPaysAfter(2);
    const prompts: string[] = [];
    const ch = new AlipayChannel({ client, clock, pollMs: 10, waitDeadlineMs: 2000, onPrompt: (p) => prompts.push(p.code) });
    await expect(ch.payWithCode(req(), '284712345678901234', signal())).resolves.toMatchObject({ outcome: 'approved' });
    expect(prompts).toEqual(['confirm_in_app']);
    expect(count('alipay.trade.pay')).toBe(1);
    expect(count('alipay.trade.query')).toBe(2);
  });

  it('40004 ACQ.BUYER_BALANCE_NOT_ENOUGH from the desk itself → declined with sub_msg, no query', async () => {
    sim.insufficientFunds();
    const result = await channel.payWithCode(req(), '284712345678901234', signal());
    expect(result).toEqual({ outcome: 'declined', reason: '买家余额不足 (ACQ.BUYER_BALANCE_NOT_ENOUGH)' });
    expect(count('alipay.trade.query')).toBe(0);
  });

  it('20000 while the trade is in fact paid → approved by the query, exactly one trade.pay, one trade', async () => {
    sim.serviceUnavailableWhilePaid(true);
    const r = req(4321);
    const result = await channel.payWithCode(r, '284712345678901234', signal());
    expect(result).toMatchObject({ outcome: 'approved', amount: 4321, reference: { gateway: 'qr', channel: 'alipay', outTradeNo: r.attemptId, tradeNo: sim.trade(r.attemptId)!.tradeNo } });
    expect(count('alipay.trade.pay')).toBe(1);
    expect(count('alipay.trade.query')).toBeGreaterThanOrEqual(1);
    expect(count('alipay.trade.cancel')).toBe(0);
    expect(sim.ledger()).toHaveLength(1);
  });
});

describe('AlipayChannel: cancel honours retry_flag', () => {
  it('retry_flag Y → cancelled again; the second cancel closes the trade → declined', async () => {
    sim.userPaysAfter(Infinity);
    sim.scriptAnswer('alipay.trade.cancel', { code: '40004', sub_code: 'ACQ.SYSTEM_ERROR', retry_flag: 'Y', process: false });
    const r = req();
    await expect(channel.payWithCode(r, '284712345678901234', signal())).resolves.toEqual({ outcome: 'declined', reason: 'timed out waiting for the shopper' });
    expect(count('alipay.trade.cancel')).toBe(2);
    expect(sim.trade(r.attemptId)?.status).toBe('TRADE_CLOSED');
  });

  it('retry_flag N → not retried; the outcome is unknown, and lookup settles it', async () => {
    sim.userPaysAfter(Infinity);
    sim.scriptAnswer('alipay.trade.cancel', { code: '40004', sub_code: 'ACQ.TRADE_STATUS_ERROR', retry_flag: 'N', process: false });
    const r = req();
    const err = await channel.payWithCode(r, '284712345678901234', signal()).catch((e: unknown) => e);
    expect(isKioskError(err) && err.details.unknownOutcome).toBe(true);
    expect(count('alipay.trade.cancel')).toBe(1);
    await expect(channel.lookup({ attemptId: r.attemptId, orderId: 'o', amount: 1234, context: null })).resolves.toMatchObject({ outcome: 'declined' });
    expect(sim.trade(r.attemptId)?.status).toBe('TRADE_CLOSED');
  });
});

describe('AlipayChannel: refunds', () => {
  const refundReq = (attemptId: string, amount: number, requestNo: string) => ({
    attemptId,
    orderId: 'o-1',
    approvedAmount: 1000,
    refundedBefore: 0,
    amount,
    reference: null,
    captured: false,
    requestNo,
  });

  it('refunds 4.00 yuan, idempotent on out_request_no', async () => {
    const r = req(1000);
    await channel.payWithCode(r, '284712345678901234', signal());
    await expect(channel.refund(refundReq(r.attemptId, 400, 'R1'))).resolves.toEqual({
      outcome: 'refunded',
      via: 'refund',
      reference: { gateway: 'qr', channel: 'alipay', outTradeNo: r.attemptId, refundRequestNo: 'R1', refundedTotal: 400 },
    });
    await expect(channel.refund(refundReq(r.attemptId, 400, 'R1'))).resolves.toMatchObject({ outcome: 'refunded' });
    expect(sim.trade(r.attemptId)?.refundedAmount).toBe(400);
  });

  it('the refund answer is unknown (20000) but it was made → the refund query says so; refunded once', async () => {
    const r = req(1000);
    await channel.payWithCode(r, '284712345678901234', signal());
    sim.scriptAnswer('alipay.trade.refund', { code: '20000', sub_code: 'isp.unknow-error' });
    await expect(channel.refund(refundReq(r.attemptId, 300, 'R2'))).resolves.toMatchObject({ outcome: 'refunded', reference: { refundRequestNo: 'R2' } });
    expect(count('alipay.trade.fastpay.refund.query')).toBe(1);
    expect(count('alipay.trade.refund')).toBe(1);
    expect(sim.trade(r.attemptId)?.refundedAmount).toBe(300);
  });

  it('ACQ.SYSTEM_ERROR and the refund was not made → query finds none → sent again with the same out_request_no', async () => {
    const r = req(1000);
    await channel.payWithCode(r, '284712345678901234', signal());
    sim.scriptAnswer('alipay.trade.refund', { code: '40004', sub_code: 'ACQ.SYSTEM_ERROR', process: false });
    await expect(channel.refund(refundReq(r.attemptId, 250, 'R3'))).resolves.toMatchObject({ outcome: 'refunded', reference: { refundedTotal: 250 } });
    expect(count('alipay.trade.refund')).toBe(2);
    expect(sim.trade(r.attemptId)?.refunds).toEqual({ R3: 250 });
  });

  it('a business refusal is declined with its sub_msg, no refund query', async () => {
    const r = req(1000);
    await channel.payWithCode(r, '284712345678901234', signal());
    await expect(channel.refund(refundReq(r.attemptId, 1001, 'R4'))).resolves.toMatchObject({ outcome: 'declined', reason: expect.stringMatching(/ACQ.REFUND_AMT_NOT_EQUAL_TOTAL/) });
    expect(count('alipay.trade.fastpay.refund.query')).toBe(0);
  });
});

describe('alipay.data.dataservice.bill.downloadurl.query', () => {
  it('answers a bill_download_url the simulator serves: a zip whose GBK detail CSV holds the paid trade', async () => {
    const r = req(1234);
    await channel.payWithCode(r, '284712345678901234', signal());
    const day = new Date(clock.now() + 8 * 3600_000).toISOString().slice(0, 10);
    const answer = await client.call('alipay.data.dataservice.bill.downloadurl.query', { bill_type: 'trade', bill_date: day });
    expect(answer.code).toBe('10000');
    const res = await fetch(String(answer.bill_download_url));
    expect(res.headers.get('content-type')).toBe('application/zip');
    // the zip as Alipay serves it (docs/bill-formats.md), unpacked by an independent reader: detail + summary, GBK
    const entries = pythonUnzip(Buffer.from(await res.arrayBuffer()));
    const stem = `20880000000000010156_${day.replace(/-/g, '')}`;
    expect(entries.map((e) => e.name)).toEqual([`${stem}_业务明细.csv`, `${stem}_业务明细(汇总).csv`]);
    expect(iconv.decode(entries[1].data, 'gbk')).toContain('合计\t,\t,1\t,0\t,12.34\t,12.34\t,');
    const text = iconv.decode(entries[0].data, 'gbk');
    expect(text.split('\r\n')[0]).toBe('#支付宝业务明细查询');
    expect(text).toContain(`${r.attemptId}\t,交易\t,`);
    expect(text).toContain('12.34\t,12.34\t,');
    expect(text).toContain('#交易合计：1笔，退款合计：0笔');
  });
});
