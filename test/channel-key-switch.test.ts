/**
 * Issue 15, "rotation without downtime" (channel key switch): the channel checks ONE key at a time, and the merchant
 * switches it there before or after the kiosks apply HQ's new version. HQ seals the previous values alongside the
 * current ones (one box, hq/channels/deliver.ts); the kiosk keeps both sealed (ChannelSecretsStore.previous()); a
 * request the channel refuses for its SIGNATURE is sent again once with the previous key, and that payment's
 * follow-ups keep the key that worked; refused with both keys it is a clear decline, nothing charged.
 *
 * Real parts: HQ's registry and sealing (setChannelSecrets on a real SQLite HQ database, the secrets encrypted at rest,
 * sealChannelSection), the kiosk's ChannelSecretsStore (its own X25519 key, check/adopt), HqKeyedChannel with the real
 * WeChat Pay / Alipay channel and client — wired as device/devices/wallets.ts wires transport `hq` — the real order
 * engine and Checkout on a real SQLite file, the WeChat Pay simulator over HTTPS and the Alipay gateway simulator on
 * loopback. The channel "switches the key" by restarting its simulator with the other key (same ledger, ports,
 * certificates). The simulators' ledgers judge how often money was taken.
 */
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import pino from 'pino';
import { DEMO_PAYMENT_CODES } from '../device/commands/demo';
import { SqlAuditLog } from '../hq/audit/audit-log';
import { sealChannelSection } from '../hq/channels/deliver';
import { ChannelSecretsRegistry } from '../hq/channels/registry';
import { loadSecretsKey } from '../hq/channels/secrets-key';
import { setChannelSecrets } from '../hq/channels/set-secrets';
import { IngestStore } from '../hq/ingest/store';
import { SystemClock } from '../kernel/clock';
import { channelOrderNo } from '../protocol/payments/channel-numbers';
import { fingerprint, type ChannelSecrets, type SecretChannel } from '../protocol/payments/channel-secrets';
import { ChannelSecretsStore } from '../runtime/hq-control/channel-secrets';
import type { Order } from '../runtime/orders/order';
import { AlipayChannel } from '../runtime/payments/alipay/alipay-channel';
import { HqKeyedChannel, type KeyedSecrets } from '../runtime/payments/channels/hq-keyed-channel';
import type { QrChannel } from '../runtime/payments/channels/qr-channel';
import { Checkout } from '../runtime/payments/checkout';
import { GatewayClient } from '../runtime/payments/gateway/gateway-client';
import type { PaymentProvider } from '../runtime/payments/provider';
import { WechatChannel } from '../runtime/payments/wechat/wechat-channel';
import { WechatClient } from '../runtime/payments/wechat/wechat-client';
import { createSealKey } from '../runtime/trust/seal-key';
import { GatewaySimulator } from '../simulators/gateway/gateway-simulator';
import { WechatSimulator } from '../simulators/wechat/wechat-simulator';
import { engineFixture, line, tempDir, type Fixture } from './support/engine-fixture';

jest.setTimeout(120_000);

const clock = new SystemClock();
const ME = { store: 'S1', device: 'A' };

/** The forms of a secret a scan looks for: as is, base64 and hex. */
const forms = (s: string): Buffer[] => [Buffer.from(s), Buffer.from(Buffer.from(s).toString('base64')), Buffer.from(Buffer.from(s).toString('hex'))];

/** HQ (registry + sealing) and one kiosk (sealing key, secrets store, engine, checkout) with its log captured. */
class Rig {
  logs: string[] = [];
  readonly log = pino({ level: 'debug', base: undefined }, { write: (l: string) => void this.logs.push(l) });
  secrets!: ChannelSecretsStore;
  f!: Fixture;
  private hq!: IngestStore;
  private pub!: string;
  private deps!: Parameters<typeof setChannelSecrets>[0];
  private seq = 0;

  constructor(readonly root: string) {}

  async open(): Promise<void> {
    this.hq = await IngestStore.open(path.join(this.root, 'hq.sqlite'));
    this.deps = { store: this.hq, mqtt: null, hqKey: null, clock, secretsKey: loadSecretsKey(path.join(this.root, 'hq-secrets.key'), { create: true }), audit: new SqlAuditLog(this.hq.db, clock) };
    const dataDir = path.join(this.root, 'kiosk');
    fs.mkdirSync(dataDir);
    this.pub = createSealKey(dataDir).publicKeyPem;
    this.secrets = new ChannelSecretsStore({ dataDir, identity: ME });
    this.f = await engineFixture({ dir: dataDir });
  }

  async close(): Promise<void> {
    await this.f?.close();
    await this.hq?.close();
  }

  /** HQ sets new values for `channel` (chain-wide) and seals what S1/A is due to its key; the kiosk applies them. */
  async rotate(channel: SecretChannel, values: Record<string, string>): Promise<number> {
    const { row } = await setChannelSecrets(this.deps, { scope: '*', channel, values, user: 'admin' });
    const due = await new ChannelSecretsRegistry(this.hq.db).effectiveFor(this.deps.secretsKey, ME.store);
    const checked = this.secrets.check(sealChannelSection(this.pub, ME.store, ME.device, due!));
    if (!checked.ok) throw new Error(checked.problem);
    expect(this.secrets.adopt(checked.section)).toBe(true);
    return row.version;
  }

  /** The lane's channel for `channel`, as wallets.ts builds it for transport `hq` (previous values included). */
  keyed<C extends 'wechat' | 'alipay'>(channel: C, build: (k: NonNullable<ChannelSecrets[C]>) => QrChannel): HqKeyedChannel<NonNullable<ChannelSecrets[C]>> {
    const keys: KeyedSecrets<NonNullable<ChannelSecrets[C]>> = {
      version: () => this.secrets.version(),
      secrets: () => this.secrets.channelSecrets()?.[channel] ?? null,
      previous: () => this.secrets.previous()?.[channel] ?? null,
    };
    return new HqKeyedChannel(channel, keys, build, { log: this.log });
  }

  /** A checkout whose `qr` method is the shopper presenting `code` to `channel`. */
  checkout(channel: QrChannel, code: string): Checkout {
    const provider: PaymentProvider = { method: 'qr', pay: (req, signal) => channel.payWithCode(req, code, signal), lookup: (a) => channel.lookup(a) };
    return new Checkout(this.f.engine, this.f.clock, { currency: 'CNY', timeoutMs: 3_600_000 }, [provider]);
  }

  /** One sale of `price` fen paid with `checkout`; a paid order is completed (the lane free for the next). */
  async sale(checkout: Checkout, price: number): Promise<Order> {
    let o = await this.f.engine.dispatch(null, { type: 'item_added', line: line(`K${++this.seq}`, price) });
    o = await this.f.engine.dispatch(o.id, { type: 'checkout_started' });
    o = await checkout.pay(o.id, 'qr');
    if (o.state === 'paid') await this.f.engine.dispatch(o.id, { type: 'order_completed' });
    return o;
  }

  warnings(): Array<Record<string, unknown>> {
    return this.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.level === 40);
  }
}

const attempt = (o: Order) => o.payments[o.payments.length - 1];

describe('WeChat Pay: the API key switched at the channel before or after the kiosk applies HQ\'s new version', () => {
  let rig: Rig;
  let sim: WechatSimulator;
  let ledgerPath: string;

  beforeEach(async () => {
    rig = new Rig(tempDir('channel-key-switch-'));
    await rig.open();
    ledgerPath = path.join(rig.root, 'wechat-ledger.json');
  });
  afterEach(async () => {
    await sim?.stop().catch(() => undefined);
    await rig.close();
    fs.rmSync(rig.root, { recursive: true, force: true });
  });

  /** The merchant switches the API key at WeChat Pay: the same simulator (ledger, ports, certificates), another key. */
  const channelSwitchesTo = async (apiKey: string) => {
    const ports = [new URL(sim.url).port, new URL(sim.secapiUrl).port].map(Number);
    await sim.stop();
    sim = new WechatSimulator({ ledgerPath, apiKey, pki: sim.pki });
    await sim.start(ports[0], ports[1]);
  };
  const lane = () => {
    const channel = rig.keyed('wechat', (k) => {
      const client = new WechatClient({ url: sim.url, secapiUrl: sim.secapiUrl, appId: k.appId, mchId: k.mchId, apiKey: k.apiKey, caPem: sim.caPem, clientCertPem: k.clientCertPem, clientKeyPem: k.clientKeyPem, clock, timeoutMs: 5000 });
      return new WechatChannel({ client, clock, pollMs: 50, waitDeadlineMs: 20_000 });
    });
    return rig.checkout(channel, DEMO_PAYMENT_CODES.wechat);
  };
  const values = () => ({ appId: sim.appId, mchId: sim.mchId, clientCertPem: sim.clientCertPem, clientKeyPem: sim.clientKeyPem });
  const count = (p: string) => sim.requests.filter((r) => r === p).length;
  const chargedFor = (o: Order) => sim.trades().filter((t) => t.outTradeNo === channelOrderNo('wechat', attempt(o).attemptId) && t.paidAt !== undefined && t.reversedAt === undefined);

  it('(a) HQ rotates first, the channel still has the old key: paid through the previous key, charged once; after the channel switches, paid on the new key', async () => {
    const key1 = `old${randomBytes(14).toString('hex')}`;
    const key2 = `new${randomBytes(14).toString('hex')}`;
    sim = new WechatSimulator({ ledgerPath, apiKey: key1 });
    await sim.start();
    await rig.rotate('wechat', { ...values(), apiKey: key1 });
    expect(rig.secrets.previous()).toBeNull();
    const checkout = lane();
    const paid1 = await rig.sale(checkout, 1250);
    expect(paid1.state).toBe('paid');

    // HQ rotates; the kiosk applies it (with the previous values sealed alongside); WeChat Pay still holds key 1
    await rig.rotate('wechat', { ...values(), apiKey: key2 });
    expect(rig.secrets.channelSecrets()?.wechat?.apiKey).toBe(key2);
    expect(rig.secrets.previous()?.wechat?.apiKey).toBe(key1);
    expect(rig.secrets.describe()?.previousFingerprints?.['wechat.apiKey']).toBe(fingerprint(key1));
    let micropays = count('/pay/micropay');
    const paid2 = await rig.sale(checkout, 2380);
    expect(paid2.state).toBe('paid');
    expect(attempt(paid2)).toMatchObject({ status: 'approved', amount: 2380 });
    expect(count('/pay/micropay') - micropays).toBe(2); // refused 签名错误 with key 2, the same request taken with key 1
    expect(chargedFor(paid2)).toEqual([expect.objectContaining({ totalFee: 2380, state: 'SUCCESS' })]);

    // a payment the shopper confirms in the app: its order queries go straight to the key that worked (3 queries, not 6)
    sim.userPayingThenPays(3);
    micropays = count('/pay/micropay');
    const queries = count('/pay/orderquery');
    const paid3 = await rig.sale(checkout, 990);
    expect(paid3.state).toBe('paid');
    expect(count('/pay/micropay') - micropays).toBe(2);
    expect(count('/pay/orderquery') - queries).toBe(3);
    expect(chargedFor(paid3)).toEqual([expect.objectContaining({ totalFee: 990 })]);

    // one warning for the version, naming both keys by fingerprint only
    const warned = rig.warnings();
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ channel: 'wechat', inForce: { 'wechat.apiKey': fingerprint(key2) }, previous: { 'wechat.apiKey': fingerprint(key1) } });

    // the merchant switches the key at WeChat Pay: the next payment is signed with key 2 and taken at once
    await channelSwitchesTo(key2);
    micropays = count('/pay/micropay');
    const paid4 = await rig.sale(checkout, 4400);
    expect(paid4.state).toBe('paid');
    expect(count('/pay/micropay') - micropays).toBe(1);
    expect(chargedFor(paid4)).toEqual([expect.objectContaining({ totalFee: 4400 })]);

    // every sale charged exactly once, for its amount
    expect(sim.trades().filter((t) => t.paidAt !== undefined).map((t) => t.totalFee).sort((a, b) => a - b)).toEqual([990, 1250, 2380, 4400]);
    // neither key in the log nor the journal (clear, base64, hex)
    const needles = [...forms(key1), ...forms(key2)];
    const journal = await rig.f.db.read.all<{ payload: string }>('SELECT payload FROM journal ORDER BY seq');
    expect(journal.length).toBeGreaterThan(8);
    for (const text of [rig.logs.join(''), JSON.stringify(journal)]) expect(needles.some((n) => Buffer.from(text).includes(n))).toBe(false);
  });

  it('(b) the channel switches first, the kiosk still on the old version: a clear decline, nothing charged, never unknown; after the kiosk applies, paid', async () => {
    const key1 = `one${randomBytes(14).toString('hex')}`;
    const key2 = `two${randomBytes(14).toString('hex')}`;
    const key3 = `tri${randomBytes(14).toString('hex')}`;
    sim = new WechatSimulator({ ledgerPath, apiKey: key1 });
    await sim.start();
    await rig.rotate('wechat', { ...values(), apiKey: key1 });
    const checkout = lane();
    expect((await rig.sale(checkout, 500)).state).toBe('paid');

    // the merchant switches to key 2 at WeChat Pay before HQ has it: the kiosk (key 1, no previous) is refused
    await channelSwitchesTo(key2);
    let micropays = count('/pay/micropay');
    const refused = await rig.sale(checkout, 700);
    expect(refused.state).not.toBe('payment_unknown');
    expect(refused.state).not.toBe('paid');
    expect(attempt(refused)).toMatchObject({ status: 'declined' });
    expect(JSON.stringify(attempt(refused))).toContain('签名错误');
    expect(count('/pay/micropay') - micropays).toBe(1);
    expect(sim.trades().filter((t) => t.totalFee === 700)).toEqual([]);

    // HQ gets key 2; the kiosk applies it: the same order is paid
    await rig.rotate('wechat', { ...values(), apiKey: key2 });
    micropays = count('/pay/micropay');
    const ok = await checkout.pay(refused.id, 'qr');
    expect(ok.state).toBe('paid');
    expect(count('/pay/micropay') - micropays).toBe(1);
    expect(chargedFor(ok)).toEqual([expect.objectContaining({ totalFee: 700 })]);
    await rig.f.engine.dispatch(ok.id, { type: 'order_completed' });

    // the channel switches to key 3 while the kiosk holds key 2 (previous key 1): refused with both — still a clear decline
    await channelSwitchesTo(key3);
    micropays = count('/pay/micropay');
    const both = await rig.sale(checkout, 800);
    expect(attempt(both)).toMatchObject({ status: 'declined' });
    expect(JSON.stringify(attempt(both))).toContain('previous');
    expect(count('/pay/micropay') - micropays).toBe(2);
    expect(sim.trades().filter((t) => t.totalFee === 800)).toEqual([]);
    expect(rig.warnings()).toHaveLength(0); // the previous key never worked
    await rig.rotate('wechat', { ...values(), apiKey: key3 });
    expect((await checkout.pay(both.id, 'qr')).state).toBe('paid');
    expect(sim.trades().filter((t) => t.paidAt !== undefined).map((t) => t.totalFee).sort((a, b) => a - b)).toEqual([500, 700, 800]);
  });
});

describe('Alipay: the app key pair switched at the channel after HQ rotates', () => {
  let rig: Rig;
  let sim: GatewaySimulator;
  const pair = () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return { privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
  };
  const gateway = pair();

  beforeEach(async () => {
    rig = new Rig(tempDir('channel-key-switch-alipay-'));
    await rig.open();
  });
  afterEach(async () => {
    await sim?.stop().catch(() => undefined);
    await rig.close();
    fs.rmSync(rig.root, { recursive: true, force: true });
  });

  it('(c) HQ rotates first, Alipay still has the old public key: paid through the previous key, charged once; after the merchant uploads the new one, paid on it', async () => {
    const m1 = pair();
    const m2 = pair();
    const ledgerPath = path.join(rig.root, 'alipay-ledger.json');
    sim = new GatewaySimulator({ ledgerPath, merchantPublicKey: m1.publicPem, gatewayPrivateKey: gateway.privatePem, appId: 'kiosk-app', clock });
    await sim.start();
    const channel = rig.keyed('alipay', (k) => {
      const client = new GatewayClient({ url: sim.url, appId: k.appId, merchantPrivateKeyPem: k.merchantPrivateKeyPem, gatewayPublicKeyPem: k.gatewayPublicKeyPem, clock, timeoutMs: 5000 });
      return new AlipayChannel({ client, clock, pollMs: 50, waitDeadlineMs: 20_000 });
    });
    const checkout = rig.checkout(channel, DEMO_PAYMENT_CODES.alipay);
    const pays = () => sim.requests.filter((m) => m === 'alipay.trade.pay').length;
    const charged = (o: Order) => sim.ledger().filter((t) => t.outTradeNo === channelOrderNo('alipay', attempt(o).attemptId) && t.status === 'TRADE_SUCCESS');

    await rig.rotate('alipay', { appId: 'kiosk-app', merchantPrivateKeyPem: m1.privatePem, gatewayPublicKeyPem: gateway.publicPem });
    expect((await rig.sale(checkout, 1800)).state).toBe('paid');

    await rig.rotate('alipay', { appId: 'kiosk-app', merchantPrivateKeyPem: m2.privatePem, gatewayPublicKeyPem: gateway.publicPem });
    expect(rig.secrets.previous()?.alipay?.merchantPrivateKeyPem).toBe(m1.privatePem);
    let before = pays();
    const paid = await rig.sale(checkout, 2600);
    expect(paid.state).toBe('paid');
    expect(pays() - before).toBe(2); // isv.invalid-signature with the new key, the same request taken with the old one
    expect(charged(paid)).toEqual([expect.objectContaining({ totalAmount: 2600 })]);
    expect(rig.warnings()).toEqual([expect.objectContaining({ channel: 'alipay', inForce: expect.objectContaining({ 'alipay.merchantPrivateKeyPem': fingerprint(m2.privatePem) }), previous: expect.objectContaining({ 'alipay.merchantPrivateKeyPem': fingerprint(m1.privatePem) }) })]);

    // the merchant uploads the new public key at Alipay
    const port = Number(new URL(sim.url).port);
    await sim.stop();
    sim = new GatewaySimulator({ ledgerPath, merchantPublicKey: m2.publicPem, gatewayPrivateKey: gateway.privatePem, appId: 'kiosk-app', clock });
    await sim.start(port);
    before = pays();
    const next = await rig.sale(checkout, 3100);
    expect(next.state).toBe('paid');
    expect(pays() - before).toBe(1);
    expect(charged(next)).toEqual([expect.objectContaining({ totalAmount: 3100 })]);
    expect(sim.ledger().filter((t) => t.status === 'TRADE_SUCCESS').map((t) => t.totalAmount).sort((a, b) => a - b)).toEqual([1800, 2600, 3100]);
    expect(rig.logs.join('')).not.toContain(m1.privatePem.split('\n')[1]);
    expect(rig.logs.join('')).not.toContain(m2.privatePem.split('\n')[1]);
  });

  it('a non-signature refusal (insufficient funds) is never sent again with the previous key', async () => {
    const m1 = pair();
    const m2 = pair();
    sim = new GatewaySimulator({ ledgerPath: path.join(rig.root, 'alipay-ledger.json'), merchantPublicKey: m2.publicPem, gatewayPrivateKey: gateway.privatePem, appId: 'kiosk-app', clock });
    await sim.start();
    const channel = rig.keyed('alipay', (k) => new AlipayChannel({ client: new GatewayClient({ url: sim.url, appId: k.appId, merchantPrivateKeyPem: k.merchantPrivateKeyPem, gatewayPublicKeyPem: k.gatewayPublicKeyPem, clock, timeoutMs: 5000 }), clock, pollMs: 50 }));
    await rig.rotate('alipay', { appId: 'kiosk-app', merchantPrivateKeyPem: m1.privatePem, gatewayPublicKeyPem: gateway.publicPem });
    await rig.rotate('alipay', { appId: 'kiosk-app', merchantPrivateKeyPem: m2.privatePem, gatewayPublicKeyPem: gateway.publicPem });
    sim.insufficientFunds();
    const r = await channel.payWithCode({ attemptId: randomUUID(), orderId: 'o1', amount: 100, currency: 'CNY' }, DEMO_PAYMENT_CODES.alipay, new AbortController().signal);
    expect(r).toMatchObject({ outcome: 'declined' });
    expect(sim.requests.filter((m) => m === 'alipay.trade.pay')).toHaveLength(1);
    expect(rig.warnings()).toHaveLength(0);
  });
});

describe('HQ: the previous values a kiosk is due, per channel, sealed in the same box', () => {
  it('the store\'s own older values, else the chain\'s; never in clear in HQ\'s database; one box with both', async () => {
    const root = tempDir('channel-key-switch-hq-');
    const hq = await IngestStore.open(path.join(root, 'hq.sqlite'));
    try {
      const key = loadSecretsKey(path.join(root, 'hq-secrets.key'), { create: true });
      const registry = new ChannelSecretsRegistry(hq.db);
      const pem = (label: string) => `-----BEGIN ${label}-----\n${randomBytes(90).toString('base64')}\n-----END ${label}-----\n`;
      const certs = { clientCertPem: pem('CERTIFICATE'), clientKeyPem: pem('PRIVATE KEY') };
      const keys = ['A', 'B', 'C', 'D', 'E'].map((k) => `${k}${randomBytes(15).toString('hex')}`);
      const set = (scope: string, apiKey: string) => registry.set(key, { scope, channel: 'wechat', values: { appId: 'wx1', mchId: '10000100', apiKey, ...certs }, user: 'admin', now: clock.now() });
      const due = async (store: string) => {
        const e = await registry.effectiveFor(key, store);
        return [e?.secrets.wechat?.apiKey, e?.previous?.wechat?.apiKey];
      };
      await set('*', keys[0]);
      expect(await due('S1')).toEqual([keys[0], undefined]);
      await set('*', keys[1]);
      expect(await due('S1')).toEqual([keys[1], keys[0]]);
      await set('S1', keys[2]); // S1 gets its own: what it had before is the chain's
      expect(await due('S1')).toEqual([keys[2], keys[1]]);
      await set('*', keys[3]); // the chain rotates: S1 keeps its own
      expect(await due('S1')).toEqual([keys[2], keys[1]]);
      expect(await due('S2')).toEqual([keys[3], keys[1]]);
      await set('S1', keys[4]);
      expect(await due('S1')).toEqual([keys[4], keys[2]]);

      // one box: the kiosk's key opens both; nothing of either in clear in the section
      const dataDir = path.join(root, 'kiosk');
      const pub = createSealKey(dataDir).publicKeyPem;
      const section = sealChannelSection(pub, 'S1', 'A', (await registry.effectiveFor(key, 'S1'))!);
      const kiosk = new ChannelSecretsStore({ dataDir, identity: { store: 'S1', device: 'A' } });
      const checked = kiosk.check(section);
      expect(checked.ok && [checked.secrets.wechat?.apiKey, checked.previous?.wechat?.apiKey]).toEqual([keys[4], keys[2]]);
      const needles = keys.flatMap(forms);
      expect(needles.some((n) => Buffer.from(JSON.stringify(section)).includes(n))).toBe(false);
      const hqFiles = fs.readdirSync(root).filter((f) => f.startsWith('hq.sqlite'));
      expect(hqFiles).toContain('hq.sqlite');
      for (const f of hqFiles) expect({ f, clear: needles.some((n) => fs.readFileSync(path.join(root, f)).includes(n)) }).toEqual({ f, clear: false });
    } finally {
      await hq.close();
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
