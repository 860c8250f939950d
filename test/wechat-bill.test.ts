/**
 * The WeChat Pay simulator's downloadbill (bill_type=ALL) per docs/bill-formats.md: exact text for a day of
 * payments and a refund made through the kiosk's channel, Beijing day bounds, fees round-half-up at the configured
 * rate, "No Bill Exist", the request sign checked, and each billFault changing exactly what it names.
 */
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { SimulatedClock } from '../kernel/clock';
import { channelOrderNo } from '../protocol/payments/channel-numbers';
import { WechatChannel } from '../runtime/payments/wechat/wechat-channel';
import { WechatClient } from '../runtime/payments/wechat/wechat-client';
import { signWechat } from '../protocol/payments/wechat/wechat-sign';
import { decodeWechatXml, encodeWechatXml } from '../protocol/payments/wechat/wechat-xml';
import { WechatSimulator } from '../simulators/wechat/wechat-simulator';

const KEY = 'bill0000000000000000000000000key';
const MCH = '1900000109';
const APP = 'wx8888888888888888';
// 2026-12-05 10:00 Beijing = 02:00 UTC
const clock = new SimulatedClock(Date.UTC(2026, 11, 5, 2, 0, 0));
let dir: string;
let sim: WechatSimulator;
let channel: WechatChannel;

const HEADER =
  '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注';
const SUMMARY = '总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额';
const ATTEMPTS = ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222', '33333333-3333-4333-8333-333333333333', '44444444-4444-4444-8444-444444444444'];
const no = (i: number) => channelOrderNo('wechat', ATTEMPTS[i]);

async function pay(i: number, amount: number): Promise<void> {
  const r = await channel.payWithCode({ attemptId: ATTEMPTS[i], orderId: `o${i}`, amount, currency: 'CNY' }, '134567890123456789', new AbortController().signal);
  expect(r.outcome).toBe('approved');
}

function downloadBill(billDate: string, key = KEY, type: 'MD5' | 'HMAC-SHA256' = 'HMAC-SHA256'): Promise<string> {
  const fields = { appid: APP, mch_id: MCH, nonce_str: 'n0nce', bill_date: billDate, bill_type: 'ALL', ...(type === 'MD5' ? {} : { sign_type: type }) };
  const body = encodeWechatXml(signWechat(fields, key, type));
  return new Promise((resolve, reject) => {
    const q = https.request(new URL('/pay/downloadbill', sim.url), { method: 'POST', ca: sim.caPem, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
    q.on('error', reject);
    q.end(body);
  });
}

const tick = (...f: string[]) => f.map((v) => '`' + v).join(',');

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wechat-bill-'));
  sim = new WechatSimulator({ ledgerPath: path.join(dir, 'ledger.json'), apiKey: KEY, mchId: MCH, appId: APP, clock, feeBps: 60 });
  await sim.start();
  const client = new WechatClient({ url: sim.url, secapiUrl: sim.secapiUrl, appId: APP, mchId: MCH, apiKey: KEY, caPem: sim.caPem, clientCertPem: sim.clientCertPem, clientKeyPem: sim.clientKeyPem, clock });
  channel = new WechatChannel({ client, clock, body: (r) => `kiosk ${r.orderId}` });
  await pay(0, 1234); // 10:00:00 Beijing
  clock.advance(90_000);
  await pay(1, 50); // 10:01:30
  clock.advance(3600_000);
  await pay(2, 10000); // 11:01:30
  clock.advance(60_000);
  const refund = await channel.refund({ attemptId: ATTEMPTS[2], orderId: 'o2', approvedAmount: 10000, refundedBefore: 0, amount: 400, reference: null, captured: false, requestNo: 'rfd-1' });
  expect(refund.outcome).toBe('refunded');
  clock.set(Date.UTC(2026, 11, 5, 16, 0, 0)); // 00:00 Beijing, 6 December: the next bill day
  await pay(3, 999);
});

afterAll(async () => {
  await sim.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('WeChat Pay simulator: downloadbill', () => {
  it('the day bill, exactly as the spec lays it out', async () => {
    const t = (i: number) => sim.trade(no(i))!;
    const refundId = t(2).refunds[0].refundId;
    const expected = [
      HEADER,
      tick('2026-12-05 10:00:00', APP, MCH, '0', '', t(0).transactionId, no(0), t(0).openid, 'MICROPAY', 'SUCCESS', 'CFT', 'CNY', '12.34', '0.00', '0', '0', '0.00', '0.00', '', '', 'kiosk o0', '', '0.07', '0.60%', '12.34', '0.00', ''),
      tick('2026-12-05 10:01:30', APP, MCH, '0', '', t(1).transactionId, no(1), t(1).openid, 'MICROPAY', 'SUCCESS', 'CFT', 'CNY', '0.50', '0.00', '0', '0', '0.00', '0.00', '', '', 'kiosk o1', '', '0.00', '0.60%', '0.50', '0.00', ''),
      tick('2026-12-05 11:01:30', APP, MCH, '0', '', t(2).transactionId, no(2), t(2).openid, 'MICROPAY', 'SUCCESS', 'CFT', 'CNY', '100.00', '0.00', '0', '0', '0.00', '0.00', '', '', 'kiosk o2', '', '0.60', '0.60%', '100.00', '0.00', ''),
      tick('2026-12-05 11:02:30', APP, MCH, '0', '', t(2).transactionId, no(2), t(2).openid, 'MICROPAY', 'REFUND', 'CFT', 'CNY', '100.00', '0.00', refundId, 'rfd-1', '4.00', '0.00', 'ORIGINAL', 'SUCCESS', 'kiosk o2', '', '-0.02', '0.60%', '100.00', '4.00', ''),
      SUMMARY,
      tick('4', '112.84', '4.00', '0.00', '0.65', '112.84', '4.00'),
    ];
    const text = await downloadBill('20261205');
    expect(text).toBe(expected.map((l) => `${l}\r\n`).join(''));
    expect(sim.bill('2026-12-05')).toBe(text);
    // a request signed MD5 (no sign_type: the rules' default) is accepted the same
    expect(await downloadBill('20261205', KEY, 'MD5')).toBe(text);
    expect(decodeWechatXml(await downloadBill('20261205', 'not-the-key', 'MD5'))).toMatchObject({ return_code: 'FAIL', return_msg: '签名错误' });
    expect(text).not.toContain('134567890123456789'); // never a payment code
  });

  it('Beijing day bounds: the payment at 00:00 on the 6th is on the next bill', async () => {
    const text = await downloadBill('20261206');
    expect(text.split('\r\n').filter((l) => l.startsWith('`2026'))).toHaveLength(1);
    expect(text).toContain(no(3));
    expect(text).toContain(tick('1', '9.99', '0.00', '0.00', '0.06', '9.99', '0.00'));
  });

  it('no trades that day → XML "No Bill Exist"; a bad request sign → 签名错误', async () => {
    expect(decodeWechatXml(await downloadBill('20261204'))).toMatchObject({ return_code: 'FAIL', return_msg: 'No Bill Exist' });
    expect(decodeWechatXml(await downloadBill('2026120'))).toMatchObject({ return_code: 'FAIL', return_msg: 'No Bill Exist' });
    expect(decodeWechatXml(await downloadBill('20261205', 'not-the-key'))).toMatchObject({ return_code: 'FAIL', return_msg: '签名错误' });
  });

  describe('billFaults: each changes exactly what it names', () => {
    const clean = () => {
      sim.billFaults = {};
      return sim.bill('20261205')!.split('\r\n');
    };
    afterEach(() => {
      sim.billFaults = {};
    });
    const diff = (a: string[], b: string[]) => ({ removed: a.filter((l) => !b.includes(l)), added: b.filter((l) => !a.includes(l)) });

    it('dropTrade: that payment line is gone, nothing else but the totals', () => {
      const before = clean();
      sim.billFaults = { dropTrade: no(1) };
      const d = diff(before, sim.bill('20261205')!.split('\r\n'));
      expect(d.removed).toHaveLength(2);
      expect(d.removed[0]).toContain(no(1));
      expect(d.added).toEqual([tick('3', '112.34', '4.00', '0.00', '0.65', '112.34', '4.00')]);
    });

    it('phantomTrade: one paid line the kiosk never sent', () => {
      const before = clean();
      sim.billFaults = { phantomTrade: { outTradeNo: 'ffffffffffffffffffffffffffffffff', amount: 2500 } };
      const d = diff(before, sim.bill('20261205')!.split('\r\n'));
      const line = d.added.find((l) => l.includes('ffffffffffffffffffffffffffffffff'))!;
      expect(line.split(',')).toEqual(expect.arrayContaining(['`2026-12-05 12:00:00', '`SUCCESS', '`25.00', '`0.15']));
      expect(d.added).toHaveLength(2); // the phantom and the totals
    });

    it('tradeAmount: one payment written with another amount, its fee untouched', () => {
      const before = clean();
      sim.billFaults = { tradeAmount: { outTradeNo: no(0), amount: 1200 } };
      const d = diff(before, sim.bill('20261205')!.split('\r\n'));
      expect(d.removed[0]).toContain('`12.34');
      expect(d.added[0]).toBe(d.removed[0].replace(/`12\.34/g, '`12.00'));
    });

    it('refundAmount: one refund written with another amount', () => {
      const before = clean();
      sim.billFaults = { refundAmount: { outRefundNo: 'rfd-1', amount: 500 } };
      const d = diff(before, sim.bill('20261205')!.split('\r\n'));
      expect(d.removed[0]).toContain('`rfd-1');
      expect(d.added[0]).toBe(d.removed[0].replace(/`4\.00/g, '`5.00'));
    });

    it('tradeFee: one payment written with another fee', () => {
      const before = clean();
      sim.billFaults = { tradeFee: { outTradeNo: no(2), fee: 99 } };
      const d = diff(before, sim.bill('20261205')!.split('\r\n'));
      expect(d.removed[0]).toContain(no(2));
      expect(d.added[0]).toBe(d.removed[0].replace('`0.60,`0.60%', '`0.99,`0.60%'));
    });
  });
});
