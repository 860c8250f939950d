/**
 * The lane's wallet channels (Alipay, WeChat Pay, UnionPay QR): each one's real client and channel code, against the
 * store's merchant API or a local simulator of it, behind the QR router (`qr`: the shopper's payment code picks the
 * wallet) and the merchant-presented QR provider (`qr_merchant`: the kiosk shows one chosen wallet's code).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { rootCertificates } from 'node:tls';
import type { KioskConfig } from '../../config/schema';
import { writeFileAtomic } from '../../kernel/atomic-file';
import type { ChannelSecrets } from '../../protocol/payments/channel-secrets';
import type { PaymentPrompt } from '../../protocol/screen';
import { AlipayChannel } from '../../runtime/payments/alipay/alipay-channel';
import { HqKeyedChannel, type KeyedSecrets } from '../../runtime/payments/channels/hq-keyed-channel';
import { MerchantQrProvider } from '../../runtime/payments/channels/merchant-qr';
import { CHANNEL_IDS, type ChannelId, type QrChannel, type QrChannelOptions } from '../../runtime/payments/channels/qr-channel';
import { QrRouter } from '../../runtime/payments/channels/qr-router';
import { GatewayClient } from '../../runtime/payments/gateway/gateway-client';
import type { PaymentCodeInbox } from '../../runtime/payments/payment-code-inbox';
import type { PaymentRequest } from '../../runtime/payments/provider';
import { UnionpayChannel } from '../../runtime/payments/unionpay/unionpay-channel';
import { UnionpayClient } from '../../runtime/payments/unionpay/unionpay-client';
import { WechatChannel } from '../../runtime/payments/wechat/wechat-channel';
import { WechatClient } from '../../runtime/payments/wechat/wechat-client';
import { GatewaySimulator } from '../../simulators/gateway/gateway-simulator';
import { UnionpaySimulator, type UnionpaySimulatorKeys } from '../../simulators/unionpay/unionpay-simulator';
import { createWechatPki, type WechatPki } from '../../simulators/wechat/wechat-pki';
import { WechatSimulator } from '../../simulators/wechat/wechat-simulator';
import { WechatV3Channel } from '../../runtime/payments/wechat/v3/wechat-v3-channel';
import { WechatV3Client } from '../../runtime/payments/wechat/v3/wechat-v3-client';
import { WechatV3Simulator, type WechatV3SimKeys } from '../../simulators/wechat/v3/wechat-v3-simulator';
import type { DeviceContext } from './types';

export interface WalletSims {
  alipay?: GatewaySimulator;
  wechat?: WechatSimulator;
  /** The WeChat Pay APIv3 simulator, when `payments.wechat` is `simulated` with `api: 'v3'`. */
  wechatV3?: WechatV3Simulator;
  unionpay?: UnionpaySimulator;
}

export interface BuiltWallets {
  /** The channels this lane takes, by id. */
  channels: ReadonlyMap<ChannelId, QrChannel>;
  /** Shopper-presented code (`qr`), routed to the wallet the code belongs to. */
  router: QrRouter;
  /** Merchant-presented code (`qr_merchant`) through `config.payments.merchantQr` (default: the first wallet taken). */
  merchant: MerchantQrProvider;
  /** The simulators of the wallets configured `simulated`. */
  sims: WalletSims;
  close(): Promise<void>;
}

export interface WalletScreen {
  onQrCode?: (qrCode: string, req: PaymentRequest) => void;
  onPrompt?: (method: string, prompt: PaymentPrompt) => void;
}

const SIM_TIMEOUT_MS = 5000;

/**
 * A simulator's credentials (its own and its simulated merchant's keys and certificates: test material, no real
 * merchant's) kept in the data dir, 0600, so its ledger and keys survive restarts. RSA key generation takes seconds on
 * a Pi-class board, so a fresh data dir takes the ones this machine made before (a per-user cache under the temp dir).
 */
function persisted<T>(file: string, make: () => T): T {
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  const cached = path.join(os.tmpdir(), `kiosk-sim-credentials-${process.getuid?.() ?? 'user'}`, path.basename(path.dirname(file)), path.basename(file));
  let text: string;
  try {
    text = fs.readFileSync(cached, 'utf8');
    JSON.parse(text);
  } catch {
    text = JSON.stringify(make());
    fs.mkdirSync(path.dirname(cached), { recursive: true, mode: 0o700 });
    writeFileAtomic(cached, text, 0o600);
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, text, 0o600);
  return JSON.parse(text) as T;
}

const read = (file: string): string => fs.readFileSync(file, 'utf8');

/** One channel's part of the secrets HQ sealed to this kiosk (none at all on a kiosk that takes no sealed config). */
function sealed<C extends keyof ChannelSecrets>(keys: KeyedSecrets<ChannelSecrets> | undefined, channel: C): KeyedSecrets<NonNullable<ChannelSecrets[C]>> {
  return {
    version: () => (keys?.version() ?? null),
    secrets: () => keys?.secrets()?.[channel] ?? null,
    previous: () => keys?.previous?.()?.[channel] ?? null,
  };
}

function simDir(config: KioskConfig, name: string): string {
  const dir = path.join(config.dataDir, name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

async function alipay(ctx: DeviceContext, opts: QrChannelOptions, sims: WalletSims, keys: KeyedSecrets<ChannelSecrets> | undefined): Promise<QrChannel | null> {
  const cfg = ctx.config.payments.gateway;
  if (cfg.transport === 'none') return null;
  if (cfg.transport === 'http') {
    const client = new GatewayClient({ url: cfg.url, appId: cfg.appId, merchantPrivateKeyPath: cfg.merchantKeyPath, gatewayPublicKeyPath: cfg.gatewayPublicKeyPath, clock: ctx.clock });
    return new AlipayChannel({ client, clock: ctx.clock, ...opts });
  }
  if (cfg.transport === 'hq') {
    return new HqKeyedChannel('alipay', sealed(keys, 'alipay'), (k) => {
      const client = new GatewayClient({ url: cfg.url, appId: k.appId, merchantPrivateKeyPem: k.merchantPrivateKeyPem, gatewayPublicKeyPem: k.gatewayPublicKeyPem, clock: ctx.clock });
      return new AlipayChannel({ client, clock: ctx.clock, ...opts });
    }, { ...(ctx.log ? { log: ctx.log } : {}) });
  }
  const dir = simDir(ctx.config, 'sim-gateway');
  const simKeys = persisted(path.join(dir, 'keys.json'), () => {
    const pair = () => {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      return { privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
    };
    return { merchant: pair(), gateway: pair() };
  });
  // the client reads its keys from files, as it does for a store's real gateway
  const merchantKeyPath = path.join(dir, 'merchant.key.pem');
  const gatewayPublicKeyPath = path.join(dir, 'gateway.pub.pem');
  if (!fs.existsSync(merchantKeyPath)) writeFileAtomic(merchantKeyPath, simKeys.merchant.privatePem, 0o600);
  if (!fs.existsSync(gatewayPublicKeyPath)) writeFileAtomic(gatewayPublicKeyPath, simKeys.gateway.publicPem, 0o644);
  const sim = new GatewaySimulator({ ledgerPath: path.join(dir, 'ledger.json'), merchantPublicKey: simKeys.merchant.publicPem, gatewayPrivateKey: simKeys.gateway.privatePem, appId: 'kiosk-sim', clock: ctx.clock });
  const url = await sim.start();
  sims.alipay = sim;
  const client = new GatewayClient({ url, appId: 'kiosk-sim', merchantPrivateKeyPath: merchantKeyPath, gatewayPublicKeyPath, clock: ctx.clock, timeoutMs: SIM_TIMEOUT_MS });
  return new AlipayChannel({ client, clock: ctx.clock, ...opts });
}

async function wechat(ctx: DeviceContext, opts: QrChannelOptions, sims: WalletSims, keys: KeyedSecrets<ChannelSecrets> | undefined): Promise<QrChannel | null> {
  const cfg = ctx.config.payments.wechat;
  if (cfg.transport === 'none') return null;
  if ((cfg.transport === 'https' || cfg.transport === 'simulated') && cfg.api === 'v3') return wechatV3(ctx, opts, sims);
  if (cfg.transport === 'https') {
    const client = new WechatClient({
      url: cfg.url,
      ...(cfg.secapiUrl ? { secapiUrl: cfg.secapiUrl } : {}),
      appId: cfg.appId,
      mchId: cfg.mchId,
      apiKey: read(cfg.apiKeyPath).trim(),
      caPem: cfg.caPath ? read(cfg.caPath) : rootCertificates.join('\n'),
      clientCertPem: read(cfg.clientCertPath),
      clientKeyPem: read(cfg.clientKeyPath),
      clock: ctx.clock,
    });
    return new WechatChannel({ client, clock: ctx.clock, ...opts });
  }
  if (cfg.transport === 'hq') {
    const caPem = cfg.caPath ? read(cfg.caPath) : rootCertificates.join('\n');
    return new HqKeyedChannel('wechat', sealed(keys, 'wechat'), (k) => {
      const client = new WechatClient({ url: cfg.url, ...(cfg.secapiUrl ? { secapiUrl: cfg.secapiUrl } : {}), appId: k.appId, mchId: k.mchId, apiKey: k.apiKey, caPem, clientCertPem: k.clientCertPem, clientKeyPem: k.clientKeyPem, clock: ctx.clock });
      return new WechatChannel({ client, clock: ctx.clock, ...opts });
    }, { ...(ctx.log ? { log: ctx.log } : {}) });
  }
  const dir = simDir(ctx.config, 'sim-wechat');
  const mchId = '10000100';
  const creds = persisted(path.join(dir, 'credentials.json'), () => ({ apiKey: randomBytes(16).toString('hex'), pki: createWechatPki(mchId) as WechatPki }));
  const sim = new WechatSimulator({ ledgerPath: path.join(dir, 'ledger.json'), apiKey: creds.apiKey, mchId, appId: 'wx-kiosk-sim', clock: ctx.clock, pki: creds.pki });
  await sim.start();
  sims.wechat = sim;
  const client = new WechatClient({
    url: sim.url,
    secapiUrl: sim.secapiUrl,
    appId: sim.appId,
    mchId,
    apiKey: creds.apiKey,
    caPem: sim.caPem,
    clientCertPem: sim.clientCertPem,
    clientKeyPem: sim.clientKeyPem,
    clock: ctx.clock,
    timeoutMs: SIM_TIMEOUT_MS,
  });
  return new WechatChannel({ client, clock: ctx.clock, ...opts });
}

/** WeChat Pay APIv3 (runtime/payments/wechat/v3) against the store's merchant API or the v3 simulator. */
async function wechatV3(ctx: DeviceContext, opts: QrChannelOptions, sims: WalletSims): Promise<QrChannel> {
  const cfg = ctx.config.payments.wechat;
  if (cfg.transport === 'https') {
    const client = new WechatV3Client({
      url: cfg.url,
      appId: cfg.appId,
      mchId: cfg.mchId,
      merchantKeyPem: read(cfg.merchantKeyPath!),
      merchantCertSerial: cfg.merchantCertSerial!,
      wechatpayPublicKeyPem: read(cfg.wechatpayPublicKeyPath!),
      wechatpayPublicKeyId: cfg.wechatpayPublicKeyId!,
      caPem: cfg.caPath ? read(cfg.caPath) : rootCertificates.join('\n'),
      clock: ctx.clock,
      ...(cfg.notifyUrl ? { notifyUrl: cfg.notifyUrl } : {}),
    });
    return new WechatV3Channel({ client, clock: ctx.clock, storeId: ctx.config.device.storeId, ...opts });
  }
  const dir = simDir(ctx.config, 'sim-wechat-v3');
  const mchId = '1900009191';
  const keys = persisted<WechatV3SimKeys>(path.join(dir, 'credentials.json'), () => WechatV3Simulator.makeKeys(mchId));
  const sim = new WechatV3Simulator({ ledgerPath: path.join(dir, 'ledger.json'), mchId, appId: 'wx-kiosk-sim-v3', clock: ctx.clock, keys });
  await sim.start();
  sims.wechatV3 = sim;
  const client = new WechatV3Client({
    url: sim.url,
    appId: sim.appId,
    mchId,
    merchantKeyPem: sim.merchantKeyPem,
    merchantCertSerial: sim.merchantCertSerial,
    wechatpayPublicKeyPem: sim.wechatpayPublicKeyPem,
    wechatpayPublicKeyId: sim.publicKeyId,
    caPem: sim.caPem,
    clock: ctx.clock,
    timeoutMs: SIM_TIMEOUT_MS,
  });
  return new WechatV3Channel({ client, clock: ctx.clock, storeId: ctx.config.device.storeId, ...opts });
}

async function unionpay(ctx: DeviceContext, opts: QrChannelOptions, sims: WalletSims, keys: KeyedSecrets<ChannelSecrets> | undefined): Promise<QrChannel | null> {
  const cfg = ctx.config.payments.unionpay;
  if (cfg.transport === 'none') return null;
  if (cfg.transport === 'https') {
    const client = new UnionpayClient({
      url: cfg.url,
      merId: cfg.merId,
      merchantKeyPem: read(cfg.signKeyPath),
      merchantCertPem: read(cfg.signCertPath),
      unionpayRootCaPem: read(cfg.rootCertPath),
      ...(cfg.caPath ? { tlsCaPem: read(cfg.caPath) } : {}),
      clock: ctx.clock,
    });
    return new UnionpayChannel({ client, clock: ctx.clock, ...opts });
  }
  if (cfg.transport === 'hq') {
    const root = read(cfg.rootCertPath);
    const tls = cfg.caPath ? { tlsCaPem: read(cfg.caPath) } : {};
    return new HqKeyedChannel('unionpay', sealed(keys, 'unionpay'), (k) => {
      const client = new UnionpayClient({ url: cfg.url, merId: k.merId, merchantKeyPem: k.signKeyPem, merchantCertPem: k.signCertPem, unionpayRootCaPem: root, ...tls, clock: ctx.clock });
      return new UnionpayChannel({ client, clock: ctx.clock, ...opts });
    }, { ...(ctx.log ? { log: ctx.log } : {}) });
  }
  const dir = simDir(ctx.config, 'sim-unionpay');
  const simKeys = persisted<UnionpaySimulatorKeys>(path.join(dir, 'keys.json'), () => UnionpaySimulator.makeKeys());
  const sim = new UnionpaySimulator({ ledgerPath: path.join(dir, 'ledger.json'), clock: ctx.clock, keys: simKeys });
  const url = await sim.start();
  sims.unionpay = sim;
  const client = new UnionpayClient({ url, merId: sim.merId, merchantKeyPem: sim.merchantKeyPem, merchantCertPem: sim.merchantCertPem, unionpayRootCaPem: sim.rootCaPem, clock: ctx.clock, timeoutMs: SIM_TIMEOUT_MS });
  return new UnionpayChannel({ client, clock: ctx.clock, ...opts });
}

/** Builds every configured wallet channel; null when the lane takes none. */
export async function buildWallets(
  ctx: DeviceContext,
  inbox: PaymentCodeInbox,
  screen: WalletScreen = {},
  /** The channel secrets HQ sealed to this kiosk, for channels configured `hq`. */
  keys?: KeyedSecrets<ChannelSecrets>,
): Promise<BuiltWallets | null> {
  const p = ctx.config.payments;
  const base = { pollMs: p.qrPollMs, waitDeadlineMs: p.qrWaitDeadlineMs, qrDeadlineMs: p.qrWaitDeadlineMs };
  const sims: WalletSims = {};
  const closeSims = async () => {
    await Promise.all(Object.values(sims).map((s: { stop(): Promise<void> }) => s.stop().catch(() => undefined)));
  };
  const channels = new Map<ChannelId, QrChannel>();
  try {
    // one prompt sink per method: the screen knows which flow (shopper's code or the kiosk's) is running
    const prompts = (method: string): QrChannelOptions => ({ ...base, onPrompt: (prompt) => screen.onPrompt?.(method, prompt) });
    const made = { alipay: await alipay(ctx, prompts('qr'), sims, keys), wechat: await wechat(ctx, prompts('qr'), sims, keys), unionpay: await unionpay(ctx, prompts('qr'), sims, keys) };
    for (const id of CHANNEL_IDS) if (made[id]) channels.set(id, made[id]);
  } catch (e) {
    await closeSims();
    throw e;
  }
  if (channels.size === 0) return null;
  const present = p.merchantQr && channels.has(p.merchantQr) ? p.merchantQr : [...channels.keys()][0];
  const router = new QrRouter({
    channels,
    readCode: (signal) => inbox.next(signal),
    clock: ctx.clock,
    codeDeadlineMs: p.qrWaitDeadlineMs,
    onPrompt: (prompt) => screen.onPrompt?.('qr', prompt),
    legacyChannel: 'alipay',
  });
  const merchant = new MerchantQrProvider({ channels, present, show: (code, req) => screen.onQrCode?.(code, req), legacyChannel: 'alipay' });
  return { channels, router, merchant, sims, close: closeSims };
}
