/**
 * Issue 15, "channel configuration from HQ": payment channel secrets entered at HQ, encrypted at rest there, sealed to
 * each kiosk's own X25519 key (made by `kiosk provision`) and delivered in signed device config bundles over a real
 * Mosquitto, with a capture subscriber on `#`. Real kiosks (bootKiosk + startHqLink, both logging into a capture) and
 * HQ's real ingest (its events written out as `hq serve` / `hq ingest` do) and `hq channels` commands (their output
 * captured). A kiosk whose WeChat Pay is configured `hq` pays with the sealed secrets against the WeChat Pay
 * simulator; every captured log line, HQ's output, the data dirs and the MQTT capture are scanned for each secret.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import * as tar from 'tar';
import { loadConfig } from '../config/load';
import { provisionKiosk } from '../device/commands/provision';
import { startHqLink, type HqLink } from '../device/hq-link';
import { bootKiosk, type Kiosk } from '../device/kiosk';
import { buildSupportBundle } from '../device/support-bundle';
import { SqlAuditLog } from '../hq/audit/audit-log';
import { deliverChannelSecrets } from '../hq/channels/deliver';
import { runChannelsList, runChannelsSet } from '../hq/commands/channels';
import { ChannelSecretsRegistry } from '../hq/channels/registry';
import { loadSecretsKey, type HqSecretsKey } from '../hq/channels/secrets-key';
import { setChannelSecrets } from '../hq/channels/set-secrets';
import { kioskChannelStatus } from '../hq/channels/status';
import { channelDeliveryService } from '../hq/channels/service';
import type { ConsoleContext } from '../hq/console/types';
import { publishConfig } from '../hq/config/publish';
import { HqIngest } from '../hq/ingest/ingest';
import { IngestStore } from '../hq/ingest/store';
import { generateHqKeyPair } from '../hq/signing';
import { SystemClock } from '../kernel/clock';
import { isKioskError } from '../kernel/errors';
import type { ConfigReport } from '../protocol/control/config-bundle';
import { fingerprint, type ChannelSecrets } from '../protocol/payments/channel-secrets';
import { channelSecretsAad, type SealedSection } from '../protocol/sealed/channel-section';
import { unseal } from '../protocol/sealed/seal';
import { stateTopic } from '../protocol/topics';
import { ChannelSecretsStore, channelSecretsPath, type ChannelSecretsChange } from '../runtime/hq-control/channel-secrets';
import { createSealKey, sealKeyPath, sealPubPath } from '../runtime/trust/seal-key';
import { DEMO_PAYMENT_CODES } from '../device/commands/demo';
import { channelOrderNo } from '../protocol/payments/channel-numbers';
import { WechatSimulator } from '../simulators/wechat/wechat-simulator';
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

const pemOf = (label: string, der: Buffer) => `-----BEGIN ${label}-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').trimEnd()}\n-----END ${label}-----\n`;
const rsaKey = () => generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const rsaPub = () => generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
/** A certificate-shaped PEM (the payload schema checks PEM shape; the channel clients parse them). */
const certPem = () => pemOf('CERTIFICATE', randomBytes(700));

function wechatValues(apiKey: string) {
  return { appId: 'wx2421b1c4370ec43b', mchId: '10000100', apiKey, clientCertPem: certPem(), clientKeyPem: rsaKey() };
}
const alipayValues = () => ({ appId: '2021000000000001', merchantPrivateKeyPem: rsaKey(), gatewayPublicKeyPem: rsaPub() });

/** Every secret value to look for, in clear, in base64 and in hex (whole values and each long PEM body line). */
function needles(values: Record<string, string>[]): Buffer[] {
  const secret = (v: Record<string, string>) => Object.entries(v).filter(([k]) => !['appId', 'mchId', 'merId'].includes(k)).map(([, s]) => s);
  const out: Buffer[] = [];
  for (const s of values.flatMap(secret)) {
    const hex = Buffer.from(s).toString('hex');
    out.push(Buffer.from(s.trim()), Buffer.from(Buffer.from(s).toString('base64')), Buffer.from(hex), Buffer.from(hex.toUpperCase()));
    for (const line of s.split('\n')) if (line.length >= 32 && !line.startsWith('-----')) out.push(Buffer.from(line));
  }
  return out;
}

/** The needles found in `bytes` (described by their fingerprint, never printed). */
function found(bytes: Buffer, ns: Buffer[]): string[] {
  return ns.filter((n) => bytes.includes(n)).map((n) => fingerprint(n));
}

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

interface Lane {
  k: Kiosk;
  link: HqLink;
  store: string;
  device: string;
  dir: string;
  logs: string[];
  changes: ChannelSecretsChange[];
  fingerprint: string;
  close(): Promise<void>;
}

/** What a kiosk is booted with beyond its data dir: its devices (simulated) and payment channels. */
interface LaneSetup {
  devices?: boolean;
  payments?: Record<string, unknown>;
}

async function provisionAndStart(brokerUrl: string, root: string, store: string, device: string, setup: LaneSetup = {}): Promise<Lane> {
  const dir = path.join(root, `${store}-${device}`);
  const hqPub = path.join(root, 'hq.pub');
  if (!fs.existsSync(hqPub)) fs.writeFileSync(hqPub, HQ.publicPem);
  const out: string[] = [];
  const summary = await provisionKiosk(
    { data: dir, store, device, broker: brokerUrl, trust: [hqPub] },
    { out: (t) => out.push(t), err: () => undefined, clock, brokerTimeoutMs: 5000, identityCheckTimeoutMs: 500 },
  );
  expect(out.join('')).toContain(`public key fingerprint ${summary.sealKeyFingerprint}`);
  const config = loadConfig({ env: {}, overrides: { dataDir: dir, ...(setup.payments ? { payments: setup.payments } : {}) } });
  // one capturing logger for everything the kiosk logs: the lane, devices, wallets, payments and the HQ link
  const logs: string[] = [];
  const log = pino({ level: 'debug', base: undefined }, { write: (line: string) => void logs.push(line) });
  const k = await bootKiosk(config, { confirmCash: async () => true, log, devices: setup.devices === true });
  const link = await startHqLink(k, { log });
  const changes: ChannelSecretsChange[] = [];
  k.bundles.channelSecretsStore()!.on('changed', (c) => changes.push(c));
  return {
    k,
    link,
    store,
    device,
    dir,
    logs,
    changes,
    fingerprint: summary.sealKeyFingerprint,
    async close() {
      await link.close();
      await k.close();
    },
  };
}

describe('payment channel secrets sealed to each kiosk', () => {
  let broker: Mosquitto;
  let root: string;
  let store: IngestStore;
  let hq: MqttClient;
  let ingest: HqIngest;
  let capture: MqttClient;
  const captured: Buffer[] = [];
  /** HQ's output: its ingest's events as `hq serve` / `hq ingest` write them, and the `hq channels` commands' output. */
  const hqLogs: string[] = [];
  let secretsKey: HqSecretsKey;
  const lanes: Lane[] = [];

  beforeAll(async () => {
    broker = await Mosquitto.start();
    root = tempDir('channel-secrets-');
    capture = await mqtt.connectAsync(broker.url, { clientId: 'capture-all' });
    capture.on('message', (topic, payload) => captured.push(Buffer.from(topic), Buffer.from(payload)));
    await capture.subscribeAsync('#', { qos: 1 });
    store = await IngestStore.open(path.join(root, 'hq.sqlite'));
    hq = await mqtt.connectAsync(broker.url, { clientId: 'hq-test' });
    ingest = new HqIngest({ store, client: hq, clock, fleetWriteMs: 50 });
    ingest.on('error', (e) => hqLogs.push(`hq serve: ingest: ${e.message}\n`));
    ingest.on('alert', (a) => hqLogs.push(`ingest: ALERT ${a.message}\n`));
    ingest.on('quarantined', (q) => hqLogs.push(`ingest: quarantined ${JSON.stringify(q)}\n`));
    ingest.on('accepted', (e, r) => hqLogs.push(`ingest: ${e.storeId}/${e.deviceId} seq ${e.seq}: ${JSON.stringify(r)}\n`));
    await ingest.start();
    secretsKey = loadSecretsKey(path.join(root, 'hq-secrets.key'), { create: true });
  });

  afterAll(async () => {
    for (const l of lanes) await l.close().catch(() => undefined);
    await ingest.stop();
    await hq.endAsync();
    await capture.endAsync();
    await store.close();
    await broker.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const deps = () => ({ store, mqtt: hq, hqKey: createPrivateKey(HQ.privatePem), clock, secretsKey, audit: new SqlAuditLog(store.db, clock), retainedWaitMs: 300 });

  it('provisions, seals for each kiosk, delivers, refuses what is not a kiosk\'s own, rotates without restart, and leaks no secret', async () => {
    lanes.push(await provisionAndStart(broker.url, root, 'S1', 'A'), await provisionAndStart(broker.url, root, 'S1', 'B'));
    const [a, b] = lanes;
    // each kiosk its own key pair, 0600
    expect(a.fingerprint).not.toBe(b.fingerprint);
    for (const l of lanes) {
      expect(fs.statSync(sealKeyPath(l.dir)).mode & 0o777).toBe(0o600);
      expect(fs.statSync(sealPubPath(l.dir)).mode & 0o777).toBe(0o600);
    }
    // HQ learns both public keys from the births (kiosk_seal_keys, schema v12)
    await waitFor('both sealing keys at HQ', async () => (await store.db.read.all<{ fingerprint: string }>('SELECT fingerprint FROM kiosk_seal_keys ORDER BY device_id')).length === 2, LONG);
    expect((await store.db.read.all<{ fingerprint: string }>('SELECT fingerprint FROM kiosk_seal_keys ORDER BY device_id')).map((r) => r.fingerprint)).toEqual([a.fingerprint, b.fingerprint]);
    // an older kiosk that never announced a key: listed waiting, sent nothing
    await hq.publishAsync(stateTopic('S1', 'OLD'), JSON.stringify({ v: 1, online: true, ts: clock.now() }), { qos: 1, retain: true });
    await waitFor('the old kiosk in the fleet', async () => (await store.db.read.get('SELECT 1 AS x FROM fleet WHERE store_id = ? AND device_id = ?', ['S1', 'OLD'])) !== undefined, LONG);

    const wechat1 = wechatValues('k'.repeat(8) + randomBytes(12).toString('hex'));
    const alipay1 = alipayValues();
    const r1 = await setChannelSecrets(deps(), { scope: '*', channel: 'wechat', values: wechat1, user: 'admin' });
    expect(r1.deliveries?.map((d) => [d.device, d.status])).toEqual([
      ['A', 'sent'],
      ['B', 'sent'],
      ['OLD', 'waiting_key'],
    ]);
    const r2 = await setChannelSecrets(deps(), { scope: 'S1', channel: 'alipay', values: alipay1, user: 'admin' });
    expect(r2.row.version).toBe(r1.row.version + 1);
    const expected1: ChannelSecrets = { wechat: wechat1, alipay: alipay1 };
    for (const l of lanes) {
      await waitFor(`${l.device} applies version ${r2.row.version}`, () => l.k.bundles.channelSecretsStore()!.version() === r2.row.version, LONG);
      expect(l.k.bundles.channelSecrets()).toEqual(expected1);
    }

    // kiosk B's key cannot open A's section (nor with A's AAD)
    const sectionA = (JSON.parse(fs.readFileSync(channelSecretsPath(a.dir), 'utf8')) as { section: SealedSection }).section;
    const bKey = fs.readFileSync(sealKeyPath(b.dir), 'utf8');
    for (const aad of [channelSecretsAad('S1', 'A', sectionA.version), channelSecretsAad('S1', 'B', sectionA.version)]) {
      let err: unknown = null;
      try {
        unseal(bKey, sectionA.box, aad);
      } catch (e) {
        err = e;
      }
      expect(isKioskError(err, 'SEALED_INVALID')).toBe(true);
    }
    // A's file copied off the kiosk (a disk image, a backup) opens with nothing but A's own private key
    const stolenDir = tempDir('channel-secrets-stolen-');
    fs.mkdirSync(path.dirname(channelSecretsPath(stolenDir)), { recursive: true });
    fs.copyFileSync(channelSecretsPath(a.dir), channelSecretsPath(stolenDir));
    const stolen = new ChannelSecretsStore({ dataDir: stolenDir, identity: { store: 'S1', device: 'A' } });
    expect(stolen.version()).toBe(sectionA.version); // the file itself is read
    expect(stolen.channelSecrets()).toBeNull(); // no private key
    createSealKey(stolenDir);
    expect(stolen.channelSecrets()).toBeNull(); // a key of its own, claiming to be S1/A
    fs.copyFileSync(sealKeyPath(a.dir), sealKeyPath(stolenDir));
    expect(stolen.channelSecrets()).toEqual(expected1); // with A's key (the control: the copy is intact)
    fs.rmSync(stolenDir, { recursive: true, force: true });
    // A's sealed section re-addressed to B in a validly signed device bundle: B refuses it and reports why
    const reported: ConfigReport[][] = [];
    const reader = await mqtt.connectAsync(broker.url, { clientId: 'reported-reader' });
    reader.on('message', (_t, p) => p.length && reported.push((JSON.parse(p.toString()) as { levels: ConfigReport[] }).levels));
    await reader.subscribeAsync('kiosk/v1/S1/B/config/reported', { qos: 1 });
    const forged = await publishConfig(deps(), { scope: { kind: 'device', store: 'S1', device: 'B' }, body: { sealed: { ...sectionA, version: sectionA.version + 5 } }, user: 'mallory', kind: 'publish' });
    expect(forged.ok).toBe(true);
    const refusal = await waitFor('B refuses the re-addressed section', () => reported.flat().find((r) => r.level === 'device' && r.status === 'rejected'), LONG);
    expect(refusal.reason).toBe('invalid_body');
    expect(refusal.detail).toMatch(/^sealed: cannot be opened by S1\/B/);
    await reader.endAsync();
    expect(b.k.bundles.channelSecrets()).toEqual(expected1); // what B had stays in force
    expect(b.k.bundles.channelSecretsStore()!.version()).toBe(r2.row.version);

    // rotation: a new WeChat API key reaches both kiosks, is in force for the next payment, no restart
    const wechat2 = { ...wechat1, apiKey: 'r'.repeat(8) + randomBytes(12).toString('hex') };
    const r3 = await setChannelSecrets(deps(), { scope: '*', channel: 'wechat', values: wechat2, user: 'admin' });
    // B's device config is at a higher version now (the refused offer): the delivery still goes through
    expect(r3.deliveries?.filter((d) => d.device !== 'OLD').map((d) => d.status)).toEqual(['sent', 'sent']);
    for (const l of lanes) {
      await waitFor(`${l.device} rotates to ${r3.row.version}`, () => l.k.bundles.channelSecrets()?.wechat?.apiKey === wechat2.apiKey, LONG);
      const versions = l.changes.map((c) => c.version);
      expect(versions.at(-1)).toBe(r3.row.version);
      expect(versions).toEqual([...versions].sort((x, y) => x - y));
      expect(l.changes.at(-1)!.fingerprints['wechat.apiKey']).toBe(fingerprint(wechat2.apiKey));
    }
    // what the console's /channels page shows per kiosk
    const statusOf = async () => (await kioskChannelStatus(store.db.read)).map((s) => [s.device, s.status, s.version, s.keyFingerprint]);
    await waitFor('both kiosks report the rotation applied', async () => (await statusOf()).filter((s) => s[1] === 'applied').length === 2, LONG);
    expect(await statusOf()).toEqual([
      ['A', 'applied', r3.row.version, a.fingerprint],
      ['B', 'applied', r3.row.version, b.fingerprint],
      ['OLD', 'waiting_key', r3.row.version, null],
    ]);
    // nothing to do when nothing changed
    const again = await deliverChannelSecrets(deps(), { user: 'admin' });
    expect(again.filter((d) => d.device !== 'OLD').map((d) => d.status)).toEqual(['unchanged', 'unchanged']);

    // ---- scans: no secret value (nor its base64) anywhere
    const ns = needles([wechat1, wechat2, alipay1]);
    expect(ns.length).toBeGreaterThan(10);
    // the scan can find a value: it is in the kiosk's memory once unsealed
    expect(found(Buffer.from(JSON.stringify(a.k.bundles.channelSecrets())), ns).length).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 200)); // the capture's last messages
    expect(found(Buffer.concat(captured), ns)).toEqual([]);
    // no private key of any kind crossed the broker in clear: no PEM private key block, no kiosk's sealing key
    expect(captured.length).toBeGreaterThan(20);
    expect(Buffer.concat(captured).includes('PRIVATE KEY')).toBe(false);
    for (const l of lanes) expect(found(Buffer.concat(captured), needles([{ sealKey: fs.readFileSync(sealKeyPath(l.dir), 'utf8') }]))).toEqual([]);
    for (const l of lanes) {
      for (const f of filesUnder(l.dir)) expect({ f, found: found(fs.readFileSync(f), ns) }).toEqual({ f, found: [] });
      expect(l.logs.length).toBeGreaterThan(0);
      expect(found(Buffer.from(l.logs.join('')), ns)).toEqual([]);
    }
    expect(hqLogs.length).toBeGreaterThan(0);
    expect(found(Buffer.from(hqLogs.join('')), ns)).toEqual([]);
    for (const f of filesUnder(root).filter((x) => /hq\.sqlite/.test(x))) expect({ f, found: found(fs.readFileSync(f), ns) }).toEqual({ f, found: [] });
    // the audit names channel, scope and fingerprints, never a value
    const audit = await store.db.read.all<{ action: string; detail: string }>("SELECT action, detail FROM audit_log WHERE action = 'channels.set'");
    expect(audit).toHaveLength(3);
    expect(audit[2].detail).toContain(fingerprint(wechat2.apiKey));
    expect(found(Buffer.from(JSON.stringify(audit)), ns)).toEqual([]);
    // HQ still reads them back (encrypted at rest, not lost)
    expect((await new ChannelSecretsRegistry(store.db).effectiveFor(secretsKey, 'S1'))?.secrets.wechat?.apiKey).toBe(wechat2.apiKey);

    // the support bundle: even a log line that quoted a secret is redacted
    const bundle = path.join(root, 'bundle.tar.gz');
    const config = loadConfig({ env: {}, overrides: { dataDir: a.dir } });
    await buildSupportBundle(config, bundle, { clock, logLines: 50, logs: () => ({ source: 'test', text: `oops ${wechat2.apiKey} and\n${alipay1.merchantPrivateKeyPem}\nas bytes ${Buffer.from(wechat2.apiKey).toString('hex')} ${Buffer.from(wechat2.apiKey).toString('base64')}\n${a.logs.join('')}` }) });
    const chunks: Buffer[] = [];
    await tar.t({ file: bundle, onReadEntry: (e) => e.on('data', (c: Buffer) => chunks.push(c)) });
    const text = Buffer.concat(chunks);
    expect(text.length).toBeGreaterThan(1000);
    expect(found(text, ns)).toEqual([]);
  });

  it('a kiosk that joins later gets them from hq serve\'s deliverer once its birth brings its key', async () => {
    const stopService = channelDeliveryService({ store, clock, mqtt: hq, hqKey: createPrivateKey(HQ.privatePem), secretsKey, ingest, audit: new SqlAuditLog(store.db, clock), live: { publish: () => undefined } } as unknown as ConsoleContext);
    try {
      const c = await provisionAndStart(broker.url, root, 'S1', 'C');
      lanes.push(c);
      const due = await new ChannelSecretsRegistry(store.db).effectiveFor(secretsKey, 'S1');
      await waitFor('C receives the secrets in force', () => c.k.bundles.channelSecretsStore()!.version() === due!.version, LONG);
      expect(c.k.bundles.channelSecrets()).toEqual(due!.secrets);
      // HQ records the delivery once the broker took the publish: the kiosk may have applied it a moment before
      const delivery = () => store.db.read.get<{ status: string; key_fingerprint: string }>('SELECT status, key_fingerprint FROM channel_deliveries WHERE store_id = ? AND device_id = ?', ['S1', 'C']);
      await waitFor('HQ to record the delivery to C', async () => (await delivery())?.status === 'sent', LONG);
      expect(await delivery()).toEqual({ status: 'sent', key_fingerprint: c.fingerprint });
    } finally {
      await stopService.stop();
    }
  });

  it('a kiosk whose WeChat Pay is configured `hq` pays with the sealed secrets; no secret in a log line, HQ output, data dir or MQTT message', async () => {
    const apiKey = 'p'.repeat(8) + randomBytes(12).toString('hex');
    const sim = new WechatSimulator({ ledgerPath: path.join(root, 'wechat-pay-ledger.json'), apiKey });
    await sim.start();
    try {
      const inRoot = (name: string, text: string) => {
        fs.writeFileSync(path.join(root, name), text, { mode: 0o600 });
        return path.join(root, name);
      };
      const caPath = inRoot('wechat-ca.pem', sim.caPem);
      const p = await provisionAndStart(broker.url, root, 'S2', 'P', {
        devices: true,
        payments: { gateway: { transport: 'none' }, unionpay: { transport: 'none' }, wechat: { transport: 'hq', url: sim.url, secapiUrl: sim.secapiUrl, caPath }, qrPollMs: 50, qrWaitDeadlineMs: 5000 },
      });
      lanes.push(p);
      await waitFor("P's sealing key at HQ", async () => (await store.db.read.get('SELECT 1 AS x FROM kiosk_seal_keys WHERE store_id = ? AND device_id = ?', ['S2', 'P'])) !== undefined, LONG);

      // the operator's `hq channels set` (secrets from files, as the CLI takes them); its output is HQ's output
      const out = (t: string) => void hqLogs.push(t);
      const values = { appId: sim.appId, mchId: sim.mchId, apiKey, clientCertPem: sim.clientCertPem, clientKeyPem: sim.clientKeyPem };
      const cli = { db: path.join(root, 'hq.sqlite'), secretsKey: path.join(root, 'hq-secrets.key') };
      const set = await runChannelsSet(
        {
          ...cli,
          broker: broker.url,
          key: inRoot('hq.key', HQ.privatePem),
          channel: 'wechat',
          store: 'S2',
          appId: values.appId,
          mchId: values.mchId,
          apiKeyFile: inRoot('wechat-api.key', `${apiKey}\n`),
          clientCert: inRoot('wechat-client.crt', values.clientCertPem),
          clientKey: inRoot('wechat-client.key', values.clientKeyPem),
        },
        { out, err: out, clock, retainedWaitMs: 300 },
      );
      expect(set.deliveries?.map((d) => [d.store, d.device, d.status])).toEqual([['S2', 'P', 'sent']]);
      await runChannelsList(cli, { out, err: out, clock });
      await waitFor('P holds the sealed WeChat Pay secrets', () => p.k.bundles.channelSecrets()?.wechat?.apiKey === apiKey, LONG);

      // one lane sale, paid with the shopper's WeChat payment code at the simulated scanner
      const [item] = await p.k.catalog.sample('plain', 1);
      const added = await p.k.lane.scan(item.barcodes[0]);
      if (!added.ok || added.action !== 'item_added') throw new Error(`scan: ${JSON.stringify(added)}`);
      await p.k.engine.dispatch(added.order.id, { type: 'checkout_started' });
      const paying = p.k.checkout.pay(added.order.id, 'qr');
      await waitFor('P to ask for the payment code', () => p.k.hardware!.paymentCodes.waiting, LONG);
      await p.k.hardware!.sim.scanner!.scan(DEMO_PAYMENT_CODES.wechat);
      const paid = await paying;
      expect(paid.state).toBe('paid');
      const attempt = paid.payments.find((a) => a.status === 'approved')!;
      expect(attempt.context).toEqual({ channel: 'wechat' });
      expect(sim.trade(channelOrderNo('wechat', attempt.attemptId))).toMatchObject({ state: 'SUCCESS', totalFee: attempt.approvedAmount });
      expect(attempt.approvedAmount).toBe(paid.priced.total);
      await p.k.engine.dispatch(paid.id, { type: 'order_completed' });
      // the sale reaches HQ (its journal over MQTT, ingested)
      await waitFor('the sale at HQ', async () => (await store.db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM sales_events WHERE store_id = ? AND device_id = ?', ['S2', 'P']))!.n > 0, LONG);

      // ---- scans: no value HQ sealed for P (nor its base64, nor a line of a PEM body) anywhere
      const ns = needles([values]);
      expect(ns.length).toBeGreaterThan(10);
      expect(found(Buffer.from(JSON.stringify(p.k.bundles.channelSecrets())), ns).length).toBeGreaterThan(0); // the scan finds what is there
      await new Promise((r) => setTimeout(r, 200)); // the capture's last messages
      expect(found(Buffer.concat(captured), ns)).toEqual([]);
      expect(p.logs.some((l) => l.includes('"lane condition"'))).toBe(true); // the lane's own logs are in the capture
      expect(found(Buffer.from(p.logs.join('')), ns)).toEqual([]);
      expect(hqLogs.join('')).toContain('S2/P: sent');
      expect(found(Buffer.from(hqLogs.join('')), ns)).toEqual([]);
      for (const f of filesUnder(p.dir)) expect({ f, found: found(fs.readFileSync(f), ns) }).toEqual({ f, found: [] });
      for (const f of filesUnder(root).filter((x) => /hq\.sqlite/.test(x))) expect({ f, found: found(fs.readFileSync(f), ns) }).toEqual({ f, found: [] });
    } finally {
      await sim.stop();
    }
  });
});
