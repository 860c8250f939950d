/**
 * Issue 15, "rotation without downtime" for payment channel secrets sealed to a kiosk: a real provisioned kiosk
 * (bootKiosk + startHqLink, simulated devices) on a real Mosquitto pays with WeChat Pay (config transport `hq`) against
 * the WeChat Pay simulator. HQ rotates the API key WHILE a payment is in flight (the shopper still confirming,
 * USERPAYING, the kiosk polling the order query): the rotated bundle waits as pending, the payment in flight completes
 * with the keys it started with (every request of it verified by the simulator against the old key), the rotation
 * is applied as soon as the order closes (no restart), and the next payment is signed with the new key (the
 * simulator, now holding only the new key, refuses a request signed with the old one). The journal, the logs and
 * the data dir hold neither key, in clear, base64 or hex.
 */
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import { createPrivateKey, randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { loadConfig } from '../config/load';
import { DEMO_PAYMENT_CODES } from '../device/commands/demo';
import { provisionKiosk } from '../device/commands/provision';
import { startHqLink, type HqLink } from '../device/hq-link';
import { bootKiosk, type Kiosk } from '../device/kiosk';
import { SqlAuditLog } from '../hq/audit/audit-log';
import { loadSecretsKey } from '../hq/channels/secrets-key';
import { setChannelSecrets } from '../hq/channels/set-secrets';
import { HqIngest } from '../hq/ingest/ingest';
import { IngestStore } from '../hq/ingest/store';
import { generateHqKeyPair } from '../hq/signing';
import { SystemClock } from '../kernel/clock';
import { channelOrderNo } from '../protocol/payments/channel-numbers';
import type { ChannelSecretsChange } from '../runtime/hq-control/channel-secrets';
import { WechatSimulator } from '../simulators/wechat/wechat-simulator';
import { signValue } from '../simulators/wechat/wechat-signing';
import { readXml, writeXml } from '../simulators/wechat/wechat-wire';
import { tempDir } from './support/engine-fixture';
import { Mosquitto } from './support/mosquitto';
import { waitFor } from './support/wait';

jest.mock('../device/embedded-hq', () => ({
  startEmbeddedHq: () => Promise.reject(new Error('the embedded HQ is not used in these tests')),
}));
jest.setTimeout(180_000);

const clock = new SystemClock();
const HQ = generateHqKeyPair();
const LONG = 60_000;

/** The forms of a secret a scan looks for: as is, base64 and hex. */
const forms = (s: string): Buffer[] => [Buffer.from(s), Buffer.from(Buffer.from(s).toString('base64')), Buffer.from(Buffer.from(s).toString('hex'))];
const holds = (bytes: Buffer, needles: Buffer[]) => needles.some((n) => bytes.includes(n));

/** An order query signed with `apiKey` straight to the simulator (the channel's own wire rules): its return_code/msg. */
function orderQuerySignedWith(sim: WechatSimulator, apiKey: string, outTradeNo: string): Promise<Record<string, string>> {
  const fields: Record<string, string> = { appid: sim.appId, mch_id: sim.mchId, out_trade_no: outTradeNo, nonce_str: randomBytes(8).toString('hex'), sign_type: 'HMAC-SHA256' };
  fields.sign = signValue(fields, apiKey, 'HMAC-SHA256');
  const body = writeXml(fields);
  return new Promise((resolve, reject) => {
    const req = https.request(`${sim.url}/pay/orderquery`, { method: 'POST', ca: sim.caPem, headers: { 'content-type': 'text/xml' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const xml = readXml(Buffer.concat(chunks));
        if (xml) resolve(xml);
        else reject(new Error('the simulator answered no XML'));
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('rotating a kiosk\'s sealed WeChat Pay key while a payment is in flight', () => {
  let broker: Mosquitto;
  let root: string;
  let store: IngestStore;
  let hq: MqttClient;
  let ingest: HqIngest;
  let sim: WechatSimulator;
  let k: Kiosk | null = null;
  let link: HqLink | null = null;

  beforeAll(async () => {
    broker = await Mosquitto.start();
    root = tempDir('channel-secrets-rotation-');
    store = await IngestStore.open(path.join(root, 'hq.sqlite'));
    hq = await mqtt.connectAsync(broker.url, { clientId: 'hq-rotation' });
    ingest = new HqIngest({ store, client: hq, clock, fleetWriteMs: 50 });
    await ingest.start();
  });

  afterAll(async () => {
    await link?.close().catch(() => undefined);
    await k?.close().catch(() => undefined);
    await sim?.stop().catch(() => undefined);
    await ingest.stop();
    await hq.endAsync();
    await store.close();
    await broker.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('the payment in flight completes with the old key, the rotation applies when the order closes, the next payment uses the new key', async () => {
    const key1 = `old${randomBytes(14).toString('hex')}`;
    const key2 = `new${randomBytes(14).toString('hex')}`;
    const ledgerPath = path.join(root, 'wechat-ledger.json');
    sim = new WechatSimulator({ ledgerPath, apiKey: key1 });
    await sim.start();
    const caPath = path.join(root, 'wechat-ca.pem');
    fs.writeFileSync(caPath, sim.caPem);

    // a provisioned kiosk (its own sealing key), WeChat Pay configured `hq`, every log line captured
    const dir = path.join(root, 'S1-A');
    fs.writeFileSync(path.join(root, 'hq.pub'), HQ.publicPem);
    await provisionKiosk({ data: dir, store: 'S1', device: 'A', broker: broker.url, trust: [path.join(root, 'hq.pub')] }, { out: () => undefined, err: () => undefined, clock, brokerTimeoutMs: 5000, identityCheckTimeoutMs: 500 });
    const payments = { gateway: { transport: 'none' }, unionpay: { transport: 'none' }, wechat: { transport: 'hq', url: sim.url, secapiUrl: sim.secapiUrl, caPath }, qrPollMs: 100, qrWaitDeadlineMs: 60_000 };
    const logs: string[] = [];
    const log = pino({ level: 'debug', base: undefined }, { write: (line: string) => void logs.push(line) });
    k = await bootKiosk(loadConfig({ env: {}, overrides: { dataDir: dir, payments } }), { confirmCash: async () => true, log, devices: true });
    link = await startHqLink(k, { log });
    const kiosk = k;
    const secrets = kiosk.bundles.channelSecretsStore()!;
    const changes: ChannelSecretsChange[] = [];
    secrets.on('changed', (c) => changes.push(c));
    await waitFor("A's sealing key at HQ", async () => (await store.db.read.get('SELECT 1 AS x FROM kiosk_seal_keys WHERE store_id = ? AND device_id = ?', ['S1', 'A'])) !== undefined, LONG);

    const deps = { store, mqtt: hq, hqKey: createPrivateKey(HQ.privatePem), clock, secretsKey: loadSecretsKey(path.join(root, 'hq-secrets.key'), { create: true }), audit: new SqlAuditLog(store.db, clock), retainedWaitMs: 300 };
    const values = { appId: sim.appId, mchId: sim.mchId, clientCertPem: sim.clientCertPem, clientKeyPem: sim.clientKeyPem };
    const v1 = await setChannelSecrets(deps, { scope: '*', channel: 'wechat', values: { ...values, apiKey: key1 }, user: 'admin' });
    expect(v1.deliveries?.map((d) => [d.device, d.status])).toEqual([['A', 'sent']]);
    await waitFor('A holds version 1', () => secrets.version() === v1.row.version, LONG);

    const [item1, item2] = await kiosk.catalog.sample('plain', 2);
    const startSale = async (barcode: string) => {
      const added = await kiosk.lane.scan(barcode);
      if (!added.ok || added.action !== 'item_added') throw new Error(`scan: ${JSON.stringify(added)}`);
      await kiosk.engine.dispatch(added.order.id, { type: 'checkout_started' });
      const paying = kiosk.checkout.pay(added.order.id, 'qr');
      await waitFor('the lane to ask for the payment code', () => kiosk.hardware!.paymentCodes.waiting, LONG);
      await kiosk.hardware!.sim.scanner!.scan(DEMO_PAYMENT_CODES.wechat);
      return paying;
    };

    // ---- sale 1: the shopper is still confirming (USERPAYING) for ~80 order queries (≈ 8 s at 100 ms: room for a slow machine)
    sim.userPayingThenPays(80);
    const paying1 = startSale(item1.barcodes[0]);
    await waitFor('the kiosk polling the order query', () => sim.requests.filter((p) => p === '/pay/orderquery').length >= 2, LONG);
    const inFlight = sim.trades().find((t) => t.state === 'USERPAYING');
    expect(inFlight).toBeDefined();

    // HQ rotates the key now; the kiosk accepts the bundle but keeps it pending: an order is open
    const v2 = await setChannelSecrets(deps, { scope: '*', channel: 'wechat', values: { ...values, apiKey: key2 }, user: 'admin' });
    expect(v2.row.version).toBeGreaterThan(v1.row.version);
    expect(v2.deliveries?.map((d) => [d.device, d.status])).toEqual([['A', 'sent']]);
    const pending = await waitFor('the rotation pending at the kiosk', async () => (await kiosk.bundles.reported()).find((r) => r.level === 'device' && r.pending !== undefined), LONG);
    expect(pending.status).toBe('pending');
    expect(sim.trade(inFlight!.outTradeNo)?.state).toBe('USERPAYING'); // still in flight when the rotation arrived
    expect(secrets.version()).toBe(v1.row.version);
    expect(kiosk.bundles.channelSecrets()?.wechat?.apiKey).toBe(key1);

    const paid1 = await paying1;
    expect(paid1.state).toBe('paid');
    const a1 = paid1.payments.find((a) => a.status === 'approved')!;
    expect(a1.context).toEqual({ channel: 'wechat' });
    expect(channelOrderNo('wechat', a1.attemptId)).toBe(inFlight!.outTradeNo);
    expect(sim.trade(inFlight!.outTradeNo)).toMatchObject({ state: 'SUCCESS', totalFee: paid1.priced.total });
    expect(sim.requests.filter((p) => p === '/pay/orderquery').length).toBeGreaterThanOrEqual(80); // all signed with key 1, all verified
    expect(secrets.version()).toBe(v1.row.version); // the order is not closed yet: nothing changed under it

    // the order closes: the rotation applies at once, without a restart
    await kiosk.engine.dispatch(paid1.id, { type: 'order_completed' });
    await waitFor('the rotation applied', () => secrets.version() === v2.row.version, LONG);
    expect(kiosk.bundles.channelSecrets()?.wechat?.apiKey).toBe(key2);
    expect(changes.map((c) => c.version)).toEqual([v1.row.version, v2.row.version]);
    await waitFor('the device level reported applied', async () => (await kiosk.bundles.reported()).find((r) => r.level === 'device' && r.status === 'applied' && r.pending === undefined), LONG);

    // the merchant's key at WeChat Pay is now key 2 only (the same simulator: ledger, certificates and ports kept)
    const ports = [new URL(sim.url).port, new URL(sim.secapiUrl).port].map(Number);
    await sim.stop();
    sim = new WechatSimulator({ ledgerPath, apiKey: key2, pki: sim.pki });
    await sim.start(ports[0], ports[1]);
    // the channel refuses the old key (so a payment that succeeds below was signed with the new one) and takes the new one
    expect(await orderQuerySignedWith(sim, key1, inFlight!.outTradeNo)).toMatchObject({ return_code: 'FAIL', return_msg: '签名错误' });
    expect(await orderQuerySignedWith(sim, key2, inFlight!.outTradeNo)).toMatchObject({ return_code: 'SUCCESS', trade_state: 'SUCCESS' });

    // ---- sale 2: the new key, no restart of the kiosk
    sim.paysAtOnce();
    const paid2 = await startSale(item2.barcodes[0]);
    expect(paid2.state).toBe('paid');
    const a2 = paid2.payments.find((a) => a.status === 'approved')!;
    expect(sim.trade(channelOrderNo('wechat', a2.attemptId))).toMatchObject({ state: 'SUCCESS', totalFee: paid2.priced.total });
    expect(sim.requests).not.toHaveLength(0);
    await kiosk.engine.dispatch(paid2.id, { type: 'order_completed' });

    // ---- neither key in the journal, the logs or any file of the data dir (clear, base64, hex)
    const needles = [...forms(key1), ...forms(key2)];
    expect(holds(Buffer.from(JSON.stringify(kiosk.bundles.channelSecrets())), needles)).toBe(true); // the scan finds what is there
    const journal = await kiosk.db.read.all<{ type: string; payload: string }>('SELECT type, payload FROM journal ORDER BY seq');
    expect(journal.length).toBeGreaterThan(4);
    expect(holds(Buffer.from(JSON.stringify(journal)), needles)).toBe(false);
    expect(logs.length).toBeGreaterThan(0);
    expect(holds(Buffer.from(logs.join('')), needles)).toBe(false);
    for (const f of fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile())) {
      const file = path.join(f.parentPath, f.name);
      expect({ file, leaks: holds(fs.readFileSync(file), needles) }).toEqual({ file, leaks: false });
    }
  });
});
