/**
 * Issue 15, after-sales: a channel refund made by HQ itself for an Alipay sale and for a UnionPay QR sale (the WeChat
 * Pay one is in test/hq-channel-refund.test.ts, whose set-up this follows).
 *
 * The real kiosk (bootKiosk: engine, SQLite journal, simulated scanner) pays an order with Alipay on the independent
 * gateway simulator (HTTP on loopback, its own RSA key) and one with UnionPay on the ACP simulator (HTTPS, its own
 * root CA); its HQ link publishes the journal over a real Mosquitto to HQ's ingest (SQLite file). HQ refunds part of
 * each with the merchant's secrets from its own encrypted registry (hq/refunds/alipay-refunder.ts,
 * unionpay-refunder.ts), retried with the same refund id (one refund at the channel); then the simulator's bill of
 * the day is reconciled at HQ: the payment and HQ's refund matched, fees to the fen — from the bill file in process,
 * and from the file the channel's download gives (Alipay's `….csv.zip` at bill_download_url, UnionPay's zip in the
 * fileTransfer answer, test/support/bill-downloads.ts) through the `hq reconcile` CLI (dist/: `npm run build` first).
 */
import { beijingDayOf } from '../hq/reconcile/beijing-time';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import mqtt from 'mqtt';
import { loadConfig } from '../config/load';
import { defaultReturnsPolicy } from '../config/returns-policy';
import { bootKiosk, type Kiosk } from '../device/kiosk';
import { startHqLink, type HqLink } from '../device/hq-link';
import { DEMO_PAYMENT_CODES } from '../device/commands/demo';
import { SqlAuditLog } from '../hq/audit/audit-log';
import { ChannelSecretsRegistry } from '../hq/channels/registry';
import { loadSecretsKey } from '../hq/channels/secrets-key';
import { HqIngest } from '../hq/ingest/ingest';
import { IngestStore } from '../hq/ingest/store';
import { reconcileBill } from '../hq/reconcile/reconcile';
import { hqRefund, type HqRefundDeps } from '../hq/refunds/hq-refund';
import { hqRefunds } from '../hq/refunds/refund-rows';
import { channelRefunders, loadChannelEndpoints } from '../hq/refunds/refunders';
import { unionpayKnown } from '../hq/refunds/unionpay-known';
import { SystemClock } from '../kernel/clock';
import { channelOrderNo } from '../protocol/payments/channel-numbers';
import { TrustStore } from '../runtime/trust/trust-store';
import { generateHqKeyPair } from '../hq/signing';
import { GatewaySimulator } from '../simulators/gateway/gateway-simulator';
import { UnionpaySimulator } from '../simulators/unionpay/unionpay-simulator';
import { tempDir } from './support/engine-fixture';
import { Mosquitto } from './support/mosquitto';
import { waitFor } from './support/wait';
import { downloadAlipayBill, downloadUnionpayBill } from './support/bill-downloads';
import { ROOT } from './support/cli';

// the kiosk is given a broker, so the embedded Aedes HQ is never started (aedes v1 is an ES module jest cannot load)
jest.mock('../device/embedded-hq', () => ({
  startEmbeddedHq: () => Promise.reject(new Error('the embedded HQ is not used in these tests')),
}));
jest.setTimeout(180_000);

const APP = 'hq-refund-alipay';
const clock = new SystemClock();

/** The UnionPay simulator's clock: real time, moved to the next day to download a day's file (cut at T+1). */
class LaterClock extends SystemClock {
  ahead = 0;
  override now(): number {
    return super.now() + this.ahead;
  }
}
const unionpayClock = new LaterClock();

/** `hq reconcile … --json` (the built CLI) on a downloaded bill file: exit code and result. */
function hqReconcile(args: string[]): { code: number | null; stderr: string; result: { items: unknown[]; totals: { matched: number } } | null } {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'hq', 'cli.js'), 'reconcile', ...args, '--json'], { encoding: 'utf8' });
  return { code: r.status, stderr: r.stderr, result: r.stdout ? (JSON.parse(r.stdout) as { items: unknown[]; totals: { matched: number } }) : null };
}

describe('HQ channel refunds (Alipay, UnionPay), reconciled against the channel bills', () => {
  const store = `S${process.pid}w`;
  const device = `K${process.pid}w`;
  let dir: string;
  let broker: Mosquitto;
  let gateway: GatewaySimulator;
  let unionpay: UnionpaySimulator;
  let k: Kiosk;
  let link: HqLink;
  let hq: IngestStore;
  let ingest: HqIngest;
  let ingestClient: mqtt.MqttClient;
  let deps: HqRefundDeps;
  let merchantPem: string;

  beforeAll(async () => {
    dir = tempDir('hq-channel-refund-wallets-');
    broker = await Mosquitto.start();
    const merchant = generateKeyPairSync('rsa', { modulusLength: 2048 });
    merchantPem = merchant.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    gateway = new GatewaySimulator({ ledgerPath: path.join(dir, 'gateway-ledger.json'), merchantPublicKey: merchant.publicKey, appId: APP, feeBps: 60 });
    await gateway.start();
    unionpay = new UnionpaySimulator({ ledgerPath: path.join(dir, 'unionpay-ledger.json'), https: true, feeBps: 38, clock: unionpayClock });
    await unionpay.start();
    const file = (name: string, text: string) => {
      fs.writeFileSync(path.join(dir, name), text, { mode: 0o600 });
      return path.join(dir, name);
    };
    const HQ = generateHqKeyPair();
    const kioskDir = path.join(dir, 'kiosk');
    fs.mkdirSync(kioskDir);
    TrustStore.open(kioskDir).install([HQ.publicPem], { replace: true, now: Date.now() });
    const config = loadConfig({
      env: {},
      overrides: {
        dataDir: kioskDir,
        device: { storeId: store, deviceId: device },
        hq: { broker: broker.url, protocolVersion: 5 },
        returns: defaultReturnsPolicy(),
        payments: {
          gateway: { transport: 'http', url: gateway.url, appId: APP, merchantKeyPath: file('merchant.key.pem', merchantPem), gatewayPublicKeyPath: file('gateway.pub.pem', gateway.gatewayPublicKeyPem) },
          unionpay: {
            transport: 'https',
            url: unionpay.url,
            merId: unionpay.merId,
            signKeyPath: file('up-sign.key', unionpay.merchantKeyPem),
            signCertPath: file('up-sign.crt', unionpay.merchantCertPem),
            rootCertPath: file('up-root.crt', unionpay.rootCaPem),
            caPath: file('up-tls-ca.crt', unionpay.tlsCaPem),
          },
          qrPollMs: 100,
        },
      },
    });
    k = await bootKiosk(config, { devices: true, confirmCash: async () => true });
    link = await startHqLink(k, {});

    // HQ: ingest over the broker into a SQLite file; the merchant's secrets in its encrypted registry
    hq = await IngestStore.open(path.join(dir, 'hq.sqlite'));
    ingestClient = mqtt.connect(broker.url, { protocolVersion: 5, reconnectPeriod: 200, clientId: `hq-ingest-${process.pid}-wallets` });
    ingestClient.on('error', () => undefined);
    ingest = new HqIngest({ store: hq, client: ingestClient, clock });
    ingest.on('error', () => undefined);
    await ingest.start();
    const key = loadSecretsKey(path.join(dir, 'hq-secrets.key'), { create: true });
    await new ChannelSecretsRegistry(hq.db).set(key, {
      scope: '*',
      channel: 'alipay',
      values: { appId: APP, merchantPrivateKeyPem: merchantPem, gatewayPublicKeyPem: gateway.gatewayPublicKeyPem },
      user: 'admin',
      now: clock.now(),
    });
    await new ChannelSecretsRegistry(hq.db).set(key, {
      scope: '*',
      channel: 'unionpay',
      values: { merId: unionpay.merId, signKeyPem: unionpay.merchantKeyPem, signCertPem: unionpay.merchantCertPem },
      user: 'admin',
      now: clock.now(),
    });
    const endpointsFile = file(
      'channel-endpoints.json',
      JSON.stringify({ alipay: { url: gateway.url }, unionpay: { url: unionpay.url, caPath: 'up-tls-ca.crt', rootCertPath: 'up-root.crt' } }),
    );
    deps = { db: hq.db, clock, audit: new SqlAuditLog(hq.db, clock), refunderFor: channelRefunders(hq.db, key, loadChannelEndpoints(endpointsFile), clock) };
  });

  afterAll(async () => {
    await ingest?.stop();
    await ingestClient?.endAsync(true);
    await link?.close();
    await k?.close();
    await hq?.close();
    await gateway?.stop();
    await unionpay?.stop();
    await broker?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** One lane sale of two plain items, paid with the shopper's wallet payment code at the scanner. */
  async function walletSale(code: string, n: number): Promise<{ orderId: string; attemptId: string; paid: number }> {
    const items = await k.catalog.sample('plain', 6);
    let id = '';
    for (const it of items.slice(n, n + 2)) {
      const r = await k.lane.scan(it.barcodes[0]);
      if (!r.ok || r.action !== 'item_added') throw new Error(`scan: ${JSON.stringify(r)}`);
      id = r.order.id;
    }
    await k.engine.dispatch(id, { type: 'checkout_started' });
    const paying = k.checkout.pay(id, 'qr');
    await waitFor('the kiosk to ask for the payment code', () => k.hardware!.paymentCodes.waiting);
    await k.hardware!.sim.scanner!.scan(code);
    const o = await paying;
    expect(o.state).toBe('paid');
    const done = await k.engine.dispatch(id, { type: 'order_completed' });
    const attempt = done.payments.find((a) => a.status === 'approved')!;
    return { orderId: id, attemptId: attempt.attemptId, paid: done.paid };
  }

  /** Waits until HQ has ingested the kiosk's whole journal. */
  async function synced(): Promise<void> {
    const last = (await k.db.read.get<{ m: number }>('SELECT MAX(seq) AS m FROM journal'))!.m;
    await waitFor('HQ to ingest the journal', async () => (await hq.db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM sales_events WHERE store_id = ? AND device_id = ?', [store, device]))!.n >= last, 60_000, 100);
  }

  it('Alipay: HQ refunds part of a lane sale once (retry with the same id), bounded; the day bill reconciles with the refund matched', async () => {
    const sale = await walletSale(DEMO_PAYMENT_CODES.alipay, 0);
    await synced();
    const outTradeNo = channelOrderNo('alipay', sale.attemptId);
    expect(gateway.trade(outTradeNo)?.status).toBe('TRADE_SUCCESS');

    const req = { store, device, order: sale.orderId, amount: 150, reason: 'defective', refundId: 'desk-a1', user: 'alice' };
    const first = await hqRefund(deps, req);
    expect(first).toMatchObject({ state: 'refunded', amount: 150, channel: 'alipay', replayed: false, refundNo: expect.stringMatching(/^HQ[0-9a-f]{30}$/) });
    const again = await hqRefund(deps, req);
    expect(again).toMatchObject({ state: 'refunded', replayed: true, refundNo: first.refundNo });
    expect(gateway.trade(outTradeNo)!.refunds).toEqual({ [first.refundNo]: 150 });
    // bounded by what remains of the payment
    await expect(hqRefund(deps, { ...req, refundId: 'desk-a2', amount: sale.paid - 149 })).rejects.toMatchObject({ code: 'GUARD_REJECTED', details: { rule: 'amount', remaining: sale.paid - 150 } });
    expect((await hqRefunds(hq.db.read, [store, device, sale.orderId])).map((r) => [r.amount, r.allocation.state])).toEqual([[150, 'refunded']]);

    // the day's Alipay trade bill, reconciled at HQ: the payment and HQ's refund matched
    const day = beijingDayOf(clock.now());
    const r = await reconcileBill(hq.db, { channel: 'alipay', day, bill: gateway.bill(day), bps: 60 }, { by: 'test', now: clock.now() });
    expect(r.items).toEqual([]);
    expect(r.totals.matched).toBe(2);
    expect(r.totals.journal).toEqual({ payments: 1, refunds: 1, paymentAmount: sale.paid, refundAmount: 150 });
    expect(r.totals.channel).toMatchObject({ payments: 1, refunds: 1, paymentAmount: sale.paid, refundAmount: 150 });
    expect(r.totals.fees.actual).toBe(r.totals.fees.expected);

    // as a store downloads it: bill_download_url serves the zip (detail + summary), which `hq reconcile` reads as is
    const dl = await downloadAlipayBill({ gatewayUrl: gateway.url, appId: APP, merchantKeyPem: merchantPem, day });
    expect(dl.contentType).toBe('application/zip');
    expect(dl.fileName).toBe(`20880000000000010156_${day.replace(/-/g, '')}.csv.zip`);
    expect(dl.bytes.subarray(0, 4)).toEqual(Buffer.from('PK\x03\x04', 'latin1'));
    const zipFile = path.join(dir, dl.fileName);
    fs.writeFileSync(zipFile, dl.bytes);
    const cli = hqReconcile(['--channel', 'alipay', '--date', day, '--bill', zipFile, '--db', path.join(dir, 'hq.sqlite'), '--fee-bps', 'alipay=60']);
    expect({ code: cli.code, stderr: cli.stderr }).toEqual({ code: 0, stderr: '' });
    expect(cli.result?.items).toEqual([]);
    expect(cli.result?.totals.matched).toBe(2);
  });

  it('UnionPay: HQ refunds part of a lane sale once (retry with the same id), bounded; the day bill reconciles with the refund matched', async () => {
    const sale = await walletSale(DEMO_PAYMENT_CODES.unionpay, 2);
    await synced();
    const orderNo = channelOrderNo('unionpay', sale.attemptId);
    const payment = unionpay.trade(orderNo)!;
    expect(payment.status).toBe('PAID');
    // what HQ knows for ACP: the txnTime the kiosk journaled for the payment; its queryId unless masked as card-like
    const known = await unionpayKnown(hq.db.read, store).payment(orderNo);
    expect(known.txnTime).toBe(payment.txnTime);
    expect([payment.queryId, null]).toContain(known.queryId);

    const req = { store, device, order: sale.orderId, amount: 120, reason: 'defective', refundId: 'desk-u1', user: 'alice' };
    const first = await hqRefund(deps, req);
    expect(first).toMatchObject({ state: 'refunded', amount: 120, channel: 'unionpay', replayed: false, refundNo: expect.stringMatching(/^HQ[0-9a-f]{30}$/) });
    const again = await hqRefund(deps, req);
    expect(again).toMatchObject({ state: 'refunded', replayed: true, refundNo: first.refundNo });
    const refunds = unionpay.trades().filter((t) => t.kind === 'refund' && t.origQryId === payment.queryId);
    expect(refunds.map((t) => [t.orderId, t.txnAmt, t.status])).toEqual([[first.refundNo, 120, 'PAID']]);
    expect(unionpay.trade(orderNo)!.refundedAmount).toBe(120);
    await expect(hqRefund(deps, { ...req, refundId: 'desk-u2', amount: sale.paid - 119 })).rejects.toMatchObject({ code: 'GUARD_REJECTED', details: { rule: 'amount', remaining: sale.paid - 120 } });

    // the day's UnionPay ZM bill, reconciled at HQ: the payment and HQ's refund matched
    const day = beijingDayOf(clock.now());
    const r = await reconcileBill(hq.db, { channel: 'unionpay', day, bill: Buffer.from(unionpay.bill(day), 'utf8'), bps: 38 }, { by: 'test', now: clock.now() });
    expect(r.items).toEqual([]);
    expect(r.totals.matched).toBe(2);
    expect(r.totals.journal).toEqual({ payments: 1, refunds: 1, paymentAmount: sale.paid, refundAmount: 120 });
    expect(r.totals.channel).toMatchObject({ payments: 1, refunds: 1, paymentAmount: sale.paid, refundAmount: 120 });
    expect(r.totals.fees.actual).toBe(r.totals.fees.expected);

    // as a store downloads it: the fileTransfer answer (signed) carries the day's zip — not before T+1
    const download = (now: number) =>
      downloadUnionpayBill({
        url: unionpay.url, caPem: unionpay.tlsCaPem, merId: unionpay.merId, merchantKeyPem: unionpay.merchantKeyPem, merchantCertPem: unionpay.merchantCertPem,
        unionpayCertPem: unionpay.keys.unionpaySigning.certPem, day, now,
      });
    expect((await download(clock.now())).answer).toMatchObject({ respCode: '98', txnType: '76', txnSubType: '01' });
    unionpayClock.ahead = 86_400_000;
    try {
      const dl = await download(unionpayClock.now());
      expect(dl.answer).toMatchObject({ respCode: '00', fileType: '00', settleDate: day.slice(5, 7) + day.slice(8, 10), fileName: `${unionpay.merId}_${day.replace(/-/g, '')}.zip` });
      const zipFile = path.join(dir, dl.answer.fileName);
      fs.writeFileSync(zipFile, dl.zip!);
      const cli = hqReconcile(['--channel', 'unionpay', '--date', day, '--bill', zipFile, '--db', path.join(dir, 'hq.sqlite'), '--fee-bps', 'unionpay=38']);
      expect({ code: cli.code, stderr: cli.stderr }).toEqual({ code: 0, stderr: '' });
      expect(cli.result?.items).toEqual([]);
      expect(cli.result?.totals.matched).toBe(2);
    } finally {
      unionpayClock.ahead = 0;
    }
  });
});
