import * as fs from 'node:fs';
import * as path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { loadConfig } from '../../config/load';
import { defaultReturnsPolicy } from '../../config/returns-policy';
import { bootKiosk, type Kiosk } from '../../device/kiosk';
import { startHqLink, type HqLink } from '../../device/hq-link';
import { SqlAuditLog } from '../../hq/audit/audit-log';
import { ChannelSecretsRegistry } from '../../hq/channels/registry';
import { loadSecretsKey, type HqSecretsKey } from '../../hq/channels/secrets-key';
import { HqIngest } from '../../hq/ingest/ingest';
import { IngestStore } from '../../hq/ingest/store';
import type { HqRefundDeps } from '../../hq/refunds/hq-refund';
import { channelRefunders, loadChannelEndpoints } from '../../hq/refunds/refunders';
import { generateHqKeyPair } from '../../hq/signing';
import type { Clock } from '../../kernel/clock';
import { TrustStore } from '../../runtime/trust/trust-store';
import { WechatSimulator } from '../../simulators/wechat/wechat-simulator';
import { tempDir } from './engine-fixture';
import { Mosquitto } from './mosquitto';

/**
 * One real kiosk paying with WeChat Pay (merchant API over HTTPS to the independent simulator, mutual TLS for
 * refunds), its HQ link publishing the journal over a real Mosquitto to HQ's ingest (a SQLite file), and HQ's side of
 * a channel refund: the merchant's secrets in HQ's encrypted registry, the channel endpoints, `HqRefundDeps`.
 * The test file must mock device/embedded-hq (the kiosk is given a broker; aedes v1 is an ES module jest cannot load).
 */
export interface WechatRefundWorld {
  dir: string;
  broker: Mosquitto;
  sim: WechatSimulator;
  k: Kiosk;
  link: HqLink;
  hq: IngestStore;
  ingest: HqIngest;
  /** HQ's signing key pair (the kiosk trusts its public half). */
  hqKeys: { privatePem: string; publicPem: string };
  secretsKey: HqSecretsKey;
  keyFile: string;
  endpointsFile: string;
  audit: SqlAuditLog;
  deps: HqRefundDeps;
  /** Stops everything started here and removes `dir`. */
  close(): Promise<void>;
}

export async function startWechatRefundWorld(o: { prefix: string; store: string; device: string; apiKey: string; mchId: string; appId: string; clock: Clock; tag: string }): Promise<WechatRefundWorld> {
  const { clock } = o;
  const dir = tempDir(o.prefix);
  const stops: (() => Promise<unknown> | unknown)[] = [() => fs.rmSync(dir, { recursive: true, force: true })];
  const close = async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  };
  try {
    const broker = await Mosquitto.start();
    stops.push(() => broker.close());
    const sim = new WechatSimulator({ ledgerPath: path.join(dir, 'wechat-ledger.json'), apiKey: o.apiKey, mchId: o.mchId, appId: o.appId, feeBps: 60 });
    await sim.start();
    stops.push(() => sim.stop());
    const file = (name: string, text: string) => {
      fs.writeFileSync(path.join(dir, name), text, { mode: 0o600 });
      return path.join(dir, name);
    };
    const hqKeys = generateHqKeyPair();
    const kioskDir = path.join(dir, 'kiosk');
    fs.mkdirSync(kioskDir);
    TrustStore.open(kioskDir).install([hqKeys.publicPem], { replace: true, now: Date.now() });
    const config = loadConfig({
      env: {},
      overrides: {
        dataDir: kioskDir,
        device: { storeId: o.store, deviceId: o.device },
        hq: { broker: broker.url, protocolVersion: 5 },
        returns: defaultReturnsPolicy(),
        payments: {
          wechat: {
            transport: 'https',
            url: sim.url,
            secapiUrl: sim.secapiUrl,
            appId: o.appId,
            mchId: o.mchId,
            apiKeyPath: file('wx-api.key', o.apiKey),
            clientCertPath: file('wx-client.crt', sim.clientCertPem),
            clientKeyPath: file('wx-client.key', sim.clientKeyPem),
            caPath: file('wx-ca.crt', sim.caPem),
          },
          qrPollMs: 100,
        },
      },
    });
    const k = await bootKiosk(config, { devices: true, confirmCash: async () => true });
    stops.push(() => k.close());
    const link = await startHqLink(k, {});
    stops.push(() => link.close());

    const hq = await IngestStore.open(path.join(dir, 'hq.sqlite'));
    stops.push(() => hq.close());
    const ingestClient: MqttClient = mqtt.connect(broker.url, { protocolVersion: 5, reconnectPeriod: 200, clientId: `hq-ingest-${process.pid}-${o.tag}` });
    ingestClient.on('error', () => undefined);
    stops.push(() => ingestClient.endAsync(true));
    const ingest = new HqIngest({ store: hq, client: ingestClient, clock });
    ingest.on('error', () => undefined);
    await ingest.start();
    stops.push(() => ingest.stop());

    const keyFile = path.join(dir, 'hq-secrets.key');
    const secretsKey = loadSecretsKey(keyFile, { create: true });
    await new ChannelSecretsRegistry(hq.db).set(secretsKey, {
      scope: '*',
      channel: 'wechat',
      values: { appId: o.appId, mchId: o.mchId, apiKey: o.apiKey, clientCertPem: sim.clientCertPem, clientKeyPem: sim.clientKeyPem },
      user: 'admin',
      now: clock.now(),
    });
    const endpointsFile = file('channel-endpoints.json', JSON.stringify({ wechat: { url: sim.url, secapiUrl: sim.secapiUrl, caPath: 'wx-ca.crt' } }));
    const audit = new SqlAuditLog(hq.db, clock);
    const deps: HqRefundDeps = { db: hq.db, clock, audit, refunderFor: channelRefunders(hq.db, secretsKey, loadChannelEndpoints(endpointsFile), clock) };
    return { dir, broker, sim, k, link, hq, ingest, hqKeys, secretsKey, keyFile, endpointsFile, audit, deps, close };
  } catch (e) {
    await close();
    throw e;
  }
}
