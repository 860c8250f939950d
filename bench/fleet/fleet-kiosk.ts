/*
 * One simulated kiosk of bench/fleet: the real kiosk (bootKiosk: its own SQLite file, engine, lane, config bundles,
 * trust store) with the real HQ link parts composed as device/hq-link.ts composes them — OutboxPublisher, presence
 * (birth, will, telemetry), the signed config bundle receiver with `config/reported`, the CommandRunner with the
 * real command handlers, the PricebookReceiver with its subscription, members and recalls subscriptions, resend
 * requests — on ONE in-process mqtt.js client per kiosk instead of an uplink worker thread per kiosk (a thousand
 * worker threads would not fit on the machine). The client reconnects with the kiosk's full-jitter capped
 * exponential backoff (applyReconnectBackoff, hq.reconnect), as the uplink worker does.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { loadConfig, taxRates } from '../../config/load';
import { bootKiosk, type Kiosk } from '../../device/kiosk';
import { SOFTWARE } from '../../device/hq-link';
import { startRecalls } from '../../device/hq-recalls';
import { SystemClock } from '../../kernel/clock';
import { configVersionInForce, type ConfigReported } from '../../protocol/control/config-bundle';
import { commandResultTopic, commandTopic, configReportedTopic, configTopicsFor } from '../../protocol/control/topics';
import { verifyEnvelope } from '../../protocol/signed-envelope';
import { kioskClientId } from '../../runtime/hq-sync/client-id';
import { OutboxPublisher } from '../../runtime/hq-sync/outbox-publisher';
import { PresencePublisher, stateWill } from '../../runtime/hq-sync/presence';
import { applyReconnectBackoff, type BackoffPolicy } from '../../runtime/hq-sync/reconnect-backoff';
import { subscribeResend } from '../../runtime/hq-sync/resend-subscription';
import { subscribeIngestState } from '../../runtime/hq-sync/ingest-state-subscription';
import { commandHandlers } from '../../runtime/hq-control/command-handlers';
import { CommandRunner } from '../../runtime/hq-control/commands';
import { MembersReceiver } from '../../runtime/members/snapshot-receiver';
import { subscribeMembers } from '../../runtime/members/subscribe';
import type { NewLine } from '../../runtime/orders/events';
import { PricebookReceiver } from '../../runtime/pricebook/sync/receiver';
import { subscribePricebook } from '../../runtime/pricebook/sync/subscribe';
import { sellCompleteCardOrder } from '../sell-order';

export interface FleetKioskOptions {
  dataDir: string;
  store: string;
  device: string;
  brokerUrl: string;
  reconnect: BackoffPolicy;
  telemetryMs: number;
  /** The drain's re-publish wait when HQ stays silent; default the kiosk's own (OutboxPublisher, 30 s). */
  ackTimeoutMs?: number;
}

export interface FleetKiosk {
  readonly store: string;
  readonly device: string;
  readonly dbFile: string;
  readonly client: MqttClient;
  readonly publisher: OutboxPublisher;
  /** Date.now() of every CONNACK this kiosk got. */
  readonly connects: number[];
  /** Connects the MQTT client (every listener is attached before). */
  connect(): void;
  /** Sells one complete card order through the real engine (4 + 2 lines journal entries). */
  sell(): Promise<void>;
  /** The journal's highest seq and the seq HQ has acknowledged. */
  progress(): Promise<{ head: number; acked: number }>;
  close(): Promise<void>;
}

const LINES: NewLine[] = [
  { sku: '6901234567892', names: { 'zh-CN': '矿泉水', en: 'Water' }, barcode: '6901234567892', quantity: 1, weightGrams: null, unitPrice: 350, embeddedPrice: null, taxClass: 'standard', ageLimit: null },
  { sku: '6909876543210', names: { 'zh-CN': '面包', en: 'Bread' }, barcode: '6909876543210', quantity: 1, weightGrams: null, unitPrice: 1200, embeddedPrice: null, taxClass: 'reduced', ageLimit: null },
];

export async function startFleetKiosk(o: FleetKioskOptions): Promise<FleetKiosk> {
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir: o.dataDir,
      device: { storeId: o.store, deviceId: o.device },
      hq: { broker: o.brokerUrl, protocolVersion: 5, telemetryMs: o.telemetryMs, reconnect: o.reconnect },
      pricebook: { starter: null },
    },
  });
  const k: Kiosk = await bootKiosk(config, { clock: new SystemClock(), confirmCash: async () => true });
  const { clock, db, engine } = k;
  const store = o.store;
  const device = o.device;
  const options: IClientOptions = {
    clientId: kioskClientId(store, device),
    clean: false,
    protocolVersion: 5,
    reconnectPeriod: o.reconnect.baseMs,
    reconnectOnConnackError: true, // as device/hq-link.ts
    connectTimeout: 10_000,
    will: stateWill(store, device),
    properties: { sessionExpiryInterval: 30 * 86_400 },
    manualConnect: true,
    writeCache: false,
  };
  const client = mqtt.connect(o.brokerUrl, options);
  client.setMaxListeners(32);
  client.on('error', () => undefined); // refused connects while the broker restarts: the backoff retries
  applyReconnectBackoff(client, o.reconnect);
  const connects: number[] = [];
  client.on('connect', () => connects.push(Date.now()));

  const publisher = new OutboxPublisher({ db, client, storeId: store, deviceId: device, clock, deleteEveryMs: 1000, window: 256, ...(o.ackTimeoutMs ? { ackTimeoutMs: o.ackTimeoutMs } : {}) });
  publisher.on('error', () => undefined);
  const onCommitted = () => publisher.notify();
  engine.on('committed', onCommitted);
  const unsubscribeResend = subscribeResend(client, publisher, store, device);
  subscribeIngestState(client, publisher, { clock }); // stops with the client's end

  let configVersion: string | null = configVersionInForce(await k.bundles.reported());
  let pricebookVersion: string | null = await k.catalog.version();
  const presence = new PresencePublisher({
    client,
    storeId: store,
    deviceId: device,
    clock,
    software: SOFTWARE,
    versions: () => ({ configVersion, pricebookVersion }),
    backlog: () => publisher.backlog(),
    devices: () => null,
    diskPath: o.dataDir,
    telemetryIntervalMs: o.telemetryMs,
  });

  const reportConfig = async () => {
    const reports = await k.bundles.reported();
    configVersion = configVersionInForce(reports);
    const reported: ConfigReported = { v: 1, levels: reports };
    client.publish(configReportedTopic(store, device), JSON.stringify(reported), { qos: 1, retain: true });
  };
  const handlers = commandHandlers({
    db,
    lane: k.lane,
    clock,
    identity: { store, device },
    currency: { code: k.config.currency.code, minorUnits: k.config.currency.minorUnits },
    businessDay: () => ({ timeZone: k.liveConfig.timezone, dayStartHour: k.liveConfig.reports.dayStartHour }),
    hardware: null,
    journalChanged: () => publisher.notify(),
    resendFrom: (fromSeq) => publisher.resendFrom(fromSeq),
    rebirth: () => {
      presence.birth();
      return presence.stateMessage();
    },
    software: SOFTWARE,
    returns: k.returns,
  });
  const commands = new CommandRunner({ db, trust: k.trust, clock, identity: { store, device }, handlers });
  const configTopics = configTopicsFor(store, device);
  const onMessage = (topic: string, payload: Buffer) => {
    if (configTopics.includes(topic)) {
      if (payload.length === 0) return;
      void k.bundles
        .offer(topic, payload)
        .then(async (r) => {
          await reportConfig();
          if (r.ok && r.applied) presence.birth();
        })
        .catch(() => undefined);
    } else if (topic === commandTopic(store, device)) {
      void commands
        .offer(topic, payload)
        .then((result) => client.publish(commandResultTopic(store, device), JSON.stringify(result), { qos: 1 }))
        .catch(() => undefined);
    }
  };
  const pricebooks = new PricebookReceiver({
    db,
    clock,
    deviceId: device,
    taxClasses: () => Object.keys(taxRates(k.liveConfig)),
    verifyManifest: (raw) => {
      const r = verifyEnvelope(raw, k.trust, clock.now(), {
        kind: 'pricebook',
        scope: (s) => ((s.kind === 'device' && s.store === store && s.device === device) || (s.kind === 'store' && s.store === store) ? null : 'not addressed to this kiosk'),
      });
      return r.ok ? { ok: true, manifest: r.envelope.body, issuedAt: Date.parse(r.envelope.issuedAt) } : { ok: false, reason: r.reason, detail: r.detail };
    },
    onReport: (r) => {
      if (r.type === 'status' && r.status.status === 'applied') {
        pricebookVersion = r.status.version;
        publisher.notify();
        presence.birth();
      }
    },
  });
  await pricebooks.resume();
  client.on('message', onMessage);
  const subscribe = () => client.subscribe([...configTopics, commandTopic(store, device)], { qos: 1 }, () => undefined);
  client.on('connect', subscribe);
  const pbSub = await subscribePricebook(client, { store, device }, pricebooks, { onError: () => undefined });
  const members = new MembersReceiver({ db, trust: k.trust, clock, identity: { store, device } });
  const membersSub = subscribeMembers(client, { store, device }, members, { onReport: () => undefined, onError: () => undefined });
  const recallsSub = startRecalls(client, { db, trust: k.trust, clock, store, device });
  client.once('connect', () => void reportConfig().catch(() => undefined));
  publisher.start();
  presence.start();

  let sold = 0;
  return {
    store,
    device,
    dbFile: k.dbFile,
    client,
    publisher,
    connects,
    connect: () => client.connect(),
    sell: () => sellCompleteCardOrder(engine, LINES, ++sold),
    async progress() {
      const row = await db.read.get<{ head: number | null }>('SELECT MAX(seq) AS head FROM journal');
      return { head: row?.head ?? 0, acked: publisher.ackedSeq };
    },
    async close() {
      engine.off('committed', onCommitted);
      unsubscribeResend();
      await pbSub.close({ keepSubscriptions: true }).catch(() => undefined);
      await membersSub.close({ keepSubscriptions: true }).catch(() => undefined);
      await recallsSub.close({ keepSubscriptions: true }).catch(() => undefined);
      await presence.stop().catch(() => undefined);
      await publisher.stop();
      client.options.reconnectPeriod = 0;
      await client.endAsync(!client.connected).catch(() => undefined);
      client.off('message', onMessage);
      client.off('connect', subscribe);
      await k.close();
    },
  };
}
