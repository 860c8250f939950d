/**
 * HQ's UnionPay refunder against the independent ACP simulator (simulators/unionpay, HTTPS on loopback, its own root
 * CA and signing certificates): the refund by origQryId, its idempotency on HQ's refund number, a refusal, the
 * payment's queryId found by querying it with its journaled txnTime, a lost answer settled by the refund's query (by
 * the txnTime HQ recorded), and an answer that does not verify (never a success).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createPrivateKey } from 'node:crypto';
import { SystemClock } from '../../kernel/clock';
import { boundedPost } from '../../kernel/http/bounded-post';
import { encodeForm } from '../../protocol/payments/unionpay/unionpay-form';
import { certIdOf, signFields } from '../../protocol/payments/unionpay/unionpay-sign';
import { UnionpaySimulator } from '../../simulators/unionpay/unionpay-simulator';
import { beijingTxnTime, UnionpayRefunder } from './unionpay-refunder';

const clock = new SystemClock();

describe('UnionpayRefunder (HQ) against the ACP simulator', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hq-unionpay-refunder-'));
  let sim: UnionpaySimulator;
  /** What HQ "knows": payments by orderId, refunds by number (when recorded). */
  const payments = new Map<string, { queryId: string | null; txnTime: string | null }>();
  const recorded = new Map<string, number>();
  let refunder: UnionpayRefunder;
  let seq = 0;

  beforeAll(async () => {
    sim = new UnionpaySimulator({ ledgerPath: path.join(dir, 'ledger.json'), https: true });
    await sim.start();
    refunder = new UnionpayRefunder(
      { url: sim.url, caPem: sim.tlsCaPem, rootCaPem: sim.rootCaPem },
      { merId: sim.merId, signKeyPem: sim.merchantKeyPem, signCertPem: sim.merchantCertPem },
      {
        payment: async (no) => payments.get(no) ?? { queryId: null, txnTime: null },
        refundRecordedAt: async (no) => recorded.get(no) ?? null,
      },
      clock,
      5_000,
    );
  });
  afterAll(async () => {
    await sim.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A paid UnionPay QR consume of `fen` (the shopper's code, as a lane sends it); returns its orderId. */
  async function paid(fen: number): Promise<{ orderId: string; txnTime: string; queryId: string }> {
    const orderId = `hqpay${String(++seq).padStart(8, '0')}`;
    const txnTime = beijingTxnTime(clock.now());
    const fields = signFields(
      { version: '5.1.0', encoding: 'UTF-8', signMethod: '01', certId: certIdOf(sim.merchantCertPem), merId: sim.merId, accessType: '0', txnType: '01', txnSubType: '06', bizType: '000000', channelType: '08', currencyCode: '156', orderId, txnTime, txnAmt: String(fen), qrNo: '6223456789012345678' },
      createPrivateKey(sim.merchantKeyPem),
    );
    await boundedPost({ url: `${sim.url}/gateway/api/backTransReq.do`, body: encodeForm(fields), contentType: 'application/x-www-form-urlencoded;charset=UTF-8', tls: { ca: sim.tlsCaPem }, clock, timeoutMs: 5_000, maxBytes: 65_536, peer: 'UnionPay', what: 'consume' });
    const t = sim.trade(orderId)!;
    expect(t.status).toBe('PAID');
    return { orderId, txnTime, queryId: t.queryId };
  }

  const refundsOf = (queryId: string) => sim.trades().filter((t) => t.kind === 'refund' && t.origQryId === queryId);

  it('refunds once per refund number (by the payment queryId HQ holds), refuses more than was paid', async () => {
    const p = await paid(1000);
    payments.set(p.orderId, { queryId: p.queryId, txnTime: null });
    const req = { outTradeNo: p.orderId, refundNo: 'HQ0000000000000000000000000000a1', paidAmount: 1000, amount: 250 };
    recorded.set(req.refundNo, clock.now());
    expect(await refunder.refund(req)).toMatchObject({ state: 'refunded' });
    expect(await refunder.refund(req)).toMatchObject({ state: 'refunded' });
    expect(refundsOf(p.queryId).map((t) => [t.orderId, t.txnAmt])).toEqual([[req.refundNo, 250]]);
    expect(await refunder.query(req)).toMatchObject({ state: 'refunded' });
    const over = { ...req, refundNo: 'HQ0000000000000000000000000000a2', amount: 751 };
    recorded.set(over.refundNo, clock.now());
    expect(await refunder.refund(over)).toEqual({ state: 'declined', reason: expect.stringContaining('(33)') });
    expect(sim.trade(p.orderId)!.refundedAmount).toBe(250);
  });

  it("finds the payment's queryId by querying it with its journaled txnTime; without either the refund is not sent", async () => {
    const p = await paid(600);
    payments.set(p.orderId, { queryId: '****1234', txnTime: p.txnTime });
    const req = { outTradeNo: p.orderId, refundNo: 'HQ0000000000000000000000000000b1', paidAmount: 600, amount: 100 };
    recorded.set(req.refundNo, clock.now());
    expect(await refunder.refund(req)).toMatchObject({ state: 'refunded' });
    expect(refundsOf(p.queryId)).toHaveLength(1);

    payments.set(p.orderId, { queryId: null, txnTime: null });
    await expect(refunder.refund({ ...req, refundNo: 'HQ0000000000000000000000000000b2' })).rejects.toMatchObject({ code: 'PROTOCOL', details: { unknownOutcome: false } });
    expect(refundsOf(p.queryId)).toHaveLength(1);
  });

  it('a lost answer is settled by the refund query (the txnTime HQ recorded); one never read is not found, then sent', async () => {
    const p = await paid(800);
    payments.set(p.orderId, { queryId: p.queryId, txnTime: p.txnTime });
    const req = { outTradeNo: p.orderId, refundNo: 'HQ0000000000000000000000000000c1', paidAmount: 800, amount: 300 };
    recorded.set(req.refundNo, clock.now() - 60_000); // recorded a minute ago: the query must use that txnTime
    sim.networkDrop(true, 'after', 1);
    expect(await refunder.refund(req)).toMatchObject({ state: 'refunded' });
    expect(refundsOf(p.queryId).map((t) => [t.txnTime, t.txnAmt])).toEqual([[beijingTxnTime(recorded.get(req.refundNo)!), 300]]);

    const req2 = { ...req, refundNo: 'HQ0000000000000000000000000000c2', amount: 100 };
    recorded.set(req2.refundNo, clock.now());
    sim.networkDrop(true, 'before');
    expect(await refunder.refund(req2)).toMatchObject({ state: 'pending' });
    sim.networkDrop(false);
    expect(await refunder.query(req2)).toEqual({ state: 'not_found' });
    expect(await refunder.refund(req2)).toMatchObject({ state: 'refunded' });
    expect(sim.trade(p.orderId)!.refundedAmount).toBe(400);
  });

  it('an answer signed by a certificate not chained to the root is never a success', async () => {
    const p = await paid(500);
    payments.set(p.orderId, { queryId: p.queryId, txnTime: p.txnTime });
    const req = { outTradeNo: p.orderId, refundNo: 'HQ0000000000000000000000000000d1', paidAmount: 500, amount: 100 };
    recorded.set(req.refundNo, clock.now());
    sim.badSignature('unchained-cert');
    const out = await refunder.refund(req);
    sim.badSignature('off');
    expect(out).toMatchObject({ state: 'pending', reason: expect.stringContaining('does not verify') });
  });
});
