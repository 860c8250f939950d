/**
 * HQ's Alipay refunder against the independent gateway simulator (simulators/gateway, HTTP on loopback, its own RSA
 * key): the refund, its idempotency on out_request_no, a refusal, a lost answer settled by the refund query, a
 * refund that never arrived (query: not found), and an answer that does not verify (never a success).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { SystemClock } from '../../kernel/clock';
import { boundedPost } from '../../kernel/http/bounded-post';
import { signParams } from '../../protocol/payments/alipay/canonical';
import { GatewaySimulator } from '../../simulators/gateway/gateway-simulator';
import { AlipayRefunder } from './alipay-refunder';

const clock = new SystemClock();
const APP = 'hq-refund-app';

describe('AlipayRefunder (HQ) against the gateway simulator', () => {
  const merchant = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const merchantPrivateKeyPem = merchant.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  let sim: GatewaySimulator;
  let refunder: AlipayRefunder;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hq-alipay-refunder-'));

  beforeAll(async () => {
    sim = new GatewaySimulator({ ledgerPath: path.join(dir, 'ledger.json'), merchantPublicKey: merchant.publicKey, appId: APP });
    await sim.start();
    refunder = new AlipayRefunder({ url: sim.url, caPem: '' }, { appId: APP, merchantPrivateKeyPem, gatewayPublicKeyPem: sim.gatewayPublicKeyPem }, clock, 5_000);
  });
  afterAll(async () => {
    await sim.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A paid trade of `fen` at the simulator (the shopper's payment code, as a lane would send it). */
  async function paid(outTradeNo: string, fen: number): Promise<void> {
    const biz = { out_trade_no: outTradeNo, total_amount: (fen / 100).toFixed(2), auth_code: '281234567890123456', scene: 'bar_code', subject: 'test' };
    const params = signParams({ app_id: APP, method: 'alipay.trade.pay', charset: 'utf-8', sign_type: 'RSA2', timestamp: '2026-12-06 10:00:00', version: '1.0', biz_content: JSON.stringify(biz) }, merchant.privateKey);
    await boundedPost({ url: sim.url, body: new URLSearchParams(params as Record<string, string>).toString(), contentType: 'application/x-www-form-urlencoded;charset=utf-8', clock, timeoutMs: 5_000, maxBytes: 1 << 20, peer: 'gateway', what: 'pay' });
    expect(sim.trade(outTradeNo)?.status).toBe('TRADE_SUCCESS');
  }

  it('refunds once per refund number, and refuses more than was paid', async () => {
    await paid('hq-a1', 1000);
    const req = { outTradeNo: 'hq-a1', refundNo: 'HQ00000000000000000000000000000a', paidAmount: 1000, amount: 250 };
    expect(await refunder.refund(req)).toMatchObject({ state: 'refunded' });
    expect(await refunder.refund(req)).toMatchObject({ state: 'refunded' });
    expect(sim.trade('hq-a1')!.refunds).toEqual({ [req.refundNo]: 250 });
    expect(await refunder.query(req)).toMatchObject({ state: 'refunded' });
    const over = await refunder.refund({ ...req, refundNo: 'HQ00000000000000000000000000000b', amount: 751 });
    expect(over).toEqual({ state: 'declined', reason: expect.stringContaining('ACQ.REFUND_AMT_NOT_EQUAL_TOTAL') });
    expect(sim.trade('hq-a1')!.refundedAmount).toBe(250);
  });

  it('a lost answer is settled by the refund query; a refund that never arrived is not found, then sent', async () => {
    await paid('hq-a2', 800);
    const req = { outTradeNo: 'hq-a2', refundNo: 'HQ00000000000000000000000000000c', paidAmount: 800, amount: 300 };
    // processed, the answer lost: the query finds it
    sim.networkDrop(true, 'after');
    // the drop applies to the query too: the outcome is pending (nothing verified said otherwise)
    expect(await refunder.refund(req)).toMatchObject({ state: 'pending' });
    sim.networkDrop(false);
    expect(await refunder.query(req)).toMatchObject({ state: 'refunded' });
    expect(sim.trade('hq-a2')!.refunds).toEqual({ [req.refundNo]: 300 });

    // never read by the gateway: the query does not know it
    const req2 = { ...req, refundNo: 'HQ00000000000000000000000000000d', amount: 100 };
    sim.networkDrop(true, 'before');
    expect(await refunder.refund(req2)).toMatchObject({ state: 'pending' });
    sim.networkDrop(false);
    expect(await refunder.query(req2)).toEqual({ state: 'not_found' });
    expect(await refunder.refund(req2)).toMatchObject({ state: 'refunded' });
    expect(sim.trade('hq-a2')!.refundedAmount).toBe(400);
  });

  it('a service error (20000) asks the refund query; an answer that does not verify is never a success', async () => {
    await paid('hq-a3', 500);
    const req = { outTradeNo: 'hq-a3', refundNo: 'HQ00000000000000000000000000000e', paidAmount: 500, amount: 100 };
    sim.scriptAnswer('alipay.trade.refund', { code: '20000', sub_code: 'isp.unknow-error', process: true });
    expect(await refunder.refund(req)).toMatchObject({ state: 'refunded' });
    expect(sim.requests.slice(-2)).toEqual(['alipay.trade.refund', 'alipay.trade.fastpay.refund.query']);

    sim.badSignature(true);
    const bad = await refunder.refund({ ...req, refundNo: 'HQ00000000000000000000000000000f' });
    sim.badSignature(false);
    expect(bad).toMatchObject({ state: 'pending', reason: expect.stringContaining('does not verify') });
  });
});
