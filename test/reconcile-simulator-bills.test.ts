/**
 * Issue 15, reconciliation (对账) end to end from the channel simulators: for Alipay, WeChat Pay and UnionPay QR the
 * kiosk's real channel provider pays and refunds on the channel's simulator over HTTPS on loopback (WeChat's refund
 * with the merchant's client certificate), the kiosk journals the same sales (the runtime's engine, SQLite journal),
 * HQ ingests them, and the simulator writes its day bill in the channel's own format with ALL FIVE of its bill fault
 * switches on at once (a phantom trade, a dropped trade, another amount, another refund amount, another fee):
 * `reconcileBill` finds each kind exactly once, on the right order, and nothing else; without the faults the same
 * day matches completely.
 */
import { generateKeyPairSync } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_FEE_BPS } from '../config/fees';
import { IngestStore } from '../hq/ingest/store';
import { reconcileBill } from '../hq/reconcile/reconcile';
import { SystemClock } from '../kernel/clock';
import { channelRefundNo, type WalletChannel } from '../protocol/payments/channel-numbers';
import { AlipayChannel } from '../runtime/payments/alipay/alipay-channel';
import { GatewayClient } from '../runtime/payments/gateway/gateway-client';
import type { PaymentRequest, PaymentResult, RefundOutcome } from '../runtime/payments/provider';
import { UnionpayChannel } from '../runtime/payments/unionpay/unionpay-channel';
import { UnionpayClient } from '../runtime/payments/unionpay/unionpay-client';
import { WechatChannel } from '../runtime/payments/wechat/wechat-channel';
import { WechatClient } from '../runtime/payments/wechat/wechat-client';
import { GatewaySimulator } from '../simulators/gateway/gateway-simulator';
import { UnionpaySimulator } from '../simulators/unionpay/unionpay-simulator';
import { WechatSimulator } from '../simulators/wechat/wechat-simulator';
import { reconcileKiosk, type ReconcileKiosk } from './support/reconcile-kiosk';
import { tmpDir } from './support/sync-fixtures';

jest.setTimeout(90_000);

/** 2026-12-05 09:00 Beijing. */
const START = Date.UTC(2026, 11, 5, 1, 0, 0);
const DAY = '2026-12-05';
const PHANTOM = 'ffffffffffffffffffffffffffffffff';

/** Real time (real timers for the providers' polls and timeouts) shifted to START: every trade is on DAY. */
class ShiftedClock extends SystemClock {
  private readonly shift = START - Date.now();
  override now(): number {
    return super.now() + this.shift;
  }
}

/** One channel's simulator and the kiosk's provider for it. */
interface Rig {
  code: string;
  pay(r: PaymentRequest, code: string): Promise<PaymentResult>;
  refund(r: { attemptId: string; orderId: string; amount: number }, reference: PaymentResult, amount: number, requestNo: string): Promise<RefundOutcome>;
  /** The day's bill (the bill file the channel's download gives) with the five faults on, or none. */
  bill(faults: null | { phantom: string; drop: string; amountOf: [string, number]; refundOf: [string, number]; feeOf: [string, number] }): Buffer;
  stop(): Promise<void>;
}

async function rig(channel: WalletChannel, dir: string): Promise<Rig> {
  const clock = new ShiftedClock();
  const signal = () => new AbortController().signal;
  if (channel === 'alipay') {
    const merchant = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const gatewayKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
    fs.writeFileSync(path.join(dir, 'merchant.pem'), merchant.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    fs.writeFileSync(path.join(dir, 'alipay.pub.pem'), gatewayKeys.publicKey.export({ type: 'spki', format: 'pem' }));
    const sim = new GatewaySimulator({ ledgerPath: path.join(dir, 'alipay-ledger.json'), merchantPublicKey: merchant.publicKey, gatewayPrivateKey: gatewayKeys.privateKey, clock, feeBps: 60 });
    const client = new GatewayClient({ url: await sim.start(), appId: 'sim-app', merchantPrivateKeyPath: path.join(dir, 'merchant.pem'), gatewayPublicKeyPath: path.join(dir, 'alipay.pub.pem'), clock, timeoutMs: 5000 });
    const c = new AlipayChannel({ client, clock, pollMs: 10, waitDeadlineMs: 2000, qrDeadlineMs: 2000 });
    return {
      code: '284712345678901234',
      pay: (r, code) => c.payWithCode(r, code, signal()),
      refund: (s, ref, amount, requestNo) =>
        c.refund({ attemptId: s.attemptId, orderId: s.orderId, approvedAmount: s.amount, refundedBefore: 0, amount, reference: ref.outcome === 'approved' ? (ref.reference ?? null) : null, captured: false, requestNo }),
      bill(f) {
        sim.billFaults = f
          ? [
              { kind: 'phantom-trade', outTradeNo: f.phantom, amount: 999 },
              { kind: 'drop-trade', outTradeNo: f.drop },
              { kind: 'trade-amount', outTradeNo: f.amountOf[0], amount: f.amountOf[1] },
              { kind: 'refund-amount', outRequestNo: f.refundOf[0], amount: f.refundOf[1] },
              { kind: 'trade-fee', outTradeNo: f.feeOf[0], fee: f.feeOf[1] },
            ]
          : [];
        return sim.billZip(DAY); // as bill_download_url serves it: the zip of the detail and the summary
      },
      stop: () => sim.stop(),
    };
  }
  if (channel === 'wechat') {
    const KEY = 'recon000000000000000000000000key';
    const sim = new WechatSimulator({ ledgerPath: path.join(dir, 'wechat-ledger.json'), apiKey: KEY, mchId: '1900000109', appId: 'wx8888888888888888', clock, feeBps: 60 });
    await sim.start();
    const client = new WechatClient({ url: sim.url, secapiUrl: sim.secapiUrl, appId: sim.appId, mchId: sim.mchId, apiKey: KEY, caPem: sim.caPem, clientCertPem: sim.clientCertPem, clientKeyPem: sim.clientKeyPem, clock });
    const c = new WechatChannel({ client, clock, pollMs: 10, waitDeadlineMs: 2000, qrDeadlineMs: 2000 });
    return {
      code: '134567890123456789',
      pay: (r, code) => c.payWithCode(r, code, signal()),
      refund: (s, ref, amount, requestNo) =>
        c.refund({ attemptId: s.attemptId, orderId: s.orderId, approvedAmount: s.amount, refundedBefore: 0, amount, reference: ref.outcome === 'approved' ? (ref.reference ?? null) : null, captured: false, requestNo }),
      bill(f) {
        sim.billFaults = f
          ? { phantomTrade: { outTradeNo: f.phantom, amount: 999 }, dropTrade: f.drop, tradeAmount: { outTradeNo: f.amountOf[0], amount: f.amountOf[1] }, refundAmount: { outRefundNo: f.refundOf[0], amount: f.refundOf[1] }, tradeFee: { outTradeNo: f.feeOf[0], fee: f.feeOf[1] } }
          : {};
        return Buffer.from(sim.bill(DAY) ?? '', 'utf8');
      },
      stop: () => sim.stop(),
    };
  }
  const sim = new UnionpaySimulator({ ledgerPath: path.join(dir, 'unionpay-ledger.json'), clock, feeBps: 38, https: true });
  const url = await sim.start();
  // the kiosk's side checks the certificates (made now) at its own time: real time; the acquirer books on DAY
  const real = new SystemClock();
  const client = new UnionpayClient({ url, merId: sim.merId, merchantKeyPem: sim.merchantKeyPem, merchantCertPem: sim.merchantCertPem, unionpayRootCaPem: sim.rootCaPem, clock: real, timeoutMs: 5000, tlsCaPem: sim.tlsCaPem });
  const c = new UnionpayChannel({ client, clock: real, pollMs: 10, waitDeadlineMs: 2000, qrDeadlineMs: 2000 });
  return {
    code: '6225123412341234567',
    pay: (r, code) => c.payWithCode(r, code, signal()),
    refund: (s, ref, amount, requestNo) =>
      c.refund({ attemptId: s.attemptId, orderId: s.orderId, approvedAmount: s.amount, refundedBefore: 0, amount, reference: ref.outcome === 'approved' ? (ref.reference ?? null) : null, captured: false, requestNo }),
    bill(f) {
      sim.billFaults = f
        ? { phantomTrade: { orderId: f.phantom, amount: 999 }, dropTrade: f.drop, tradeAmount: { orderId: f.amountOf[0], amount: f.amountOf[1] }, refundAmount: { orderId: f.refundOf[0], amount: f.refundOf[1] }, tradeFee: { orderId: f.feeOf[0], fee: f.feeOf[1] } }
        : {};
      return Buffer.from(sim.bill(DAY), 'utf8');
    },
    stop: () => sim.stop(),
  };
}

describe.each(['alipay', 'wechat', 'unionpay'] as const)('%s: the simulator\'s own day bill, reconciled at HQ', (channel) => {
  let dir: string;
  let kiosk: ReconcileKiosk;
  let sim: Rig;
  let store: IngestStore;
  const sales: Record<string, { orderId: string; attemptId: string; orderNo: string; amount: number }> = {};
  let refundNo = '';

  beforeAll(async () => {
    dir = tmpDir(`reconcile-sim-${channel}-`);
    sim = await rig(channel, dir);
    kiosk = await reconcileKiosk('S1', 'K1', START);
    for (const [name, amount] of [['s1', 1234], ['s2', 2500], ['s3', 888], ['s4', 350], ['s5', 5000]] as const) {
      const sale = await kiosk.walletSale(channel, amount);
      const paid = await sim.pay({ attemptId: sale.attemptId, orderId: sale.orderId, amount, currency: 'CNY' }, sim.code);
      expect(paid).toMatchObject({ outcome: 'approved', amount, reference: { channel, outTradeNo: sale.orderNo } });
      sales[name] = { ...sale, amount };
      if (name === 's5') {
        refundNo = await kiosk.walletRefund(channel, sale, 2000);
        const refunded = await sim.refund(sales.s5, paid, 2000, `${sale.attemptId}-refund-1`);
        expect(refunded).toMatchObject({ outcome: 'refunded', reference: { refundRequestNo: refundNo } });
        expect(refundNo).toBe(channelRefundNo(channel, `${sale.attemptId}-refund-1`));
      }
    }
    store = await IngestStore.open(path.join(dir, 'hq.sqlite'));
    await store.acceptMany(await kiosk.events());
  });

  afterAll(async () => {
    await store?.close();
    await sim?.stop();
    await kiosk?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('without faults every payment and the refund match; fees and net settlement agree to the fen', async () => {
    const r = await reconcileBill(store.db, { channel, day: DAY, bill: sim.bill(null), bps: DEFAULT_FEE_BPS[channel] }, { by: 'test', now: START + 86_400_000 });
    expect(r.items).toEqual([]);
    expect(r.totals.matched).toBe(6);
    expect(r.totals.channel).toEqual({ payments: 5, refunds: 1, paymentAmount: 9972, refundAmount: 2000 });
    expect(r.totals.journal).toEqual(r.totals.channel);
    expect(r.totals.fees.actual).toBe(r.totals.fees.expected);
    expect(r.totals.settlement.channel).toBe(r.totals.settlement.journal);
  });

  it('all five faults at once: each kind found exactly once, on the order it was injected on', async () => {
    const bill = sim.bill({ phantom: PHANTOM, drop: sales.s4.orderNo, amountOf: [sales.s3.orderNo, 880], refundOf: [refundNo, 1500], feeOf: [sales.s2.orderNo, 77] });
    const r = await reconcileBill(store.db, { channel, day: DAY, bill, bps: DEFAULT_FEE_BPS[channel] }, { by: 'test', now: START + 86_400_000 });
    expect(r.items.map((i) => i.kind).sort()).toEqual(['amount_mismatch', 'channel_only', 'fee_mismatch', 'journal_only', 'refund_mismatch']);
    const by = (k: string) => r.items.find((i) => i.kind === k);
    expect(by('channel_only')).toMatchObject({ orderNo: PHANTOM, actualAmount: 999 });
    expect(by('journal_only')).toMatchObject({ orderId: sales.s4.orderId, attemptId: sales.s4.attemptId, expectedAmount: 350 });
    expect(by('amount_mismatch')).toMatchObject({ orderId: sales.s3.orderId, expectedAmount: 888, actualAmount: 880 });
    expect(by('refund_mismatch')).toMatchObject({ orderId: sales.s5.orderId, expectedAmount: 2000, actualAmount: 1500, detail: 'the amounts differ' });
    expect(by('fee_mismatch')).toMatchObject({ orderId: sales.s2.orderId, expectedAmount: 2500, actualFee: 77 });
    expect(r.totals.matched).toBe(2); // s1 and s5's payment
  });
});
