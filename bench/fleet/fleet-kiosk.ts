/*
 * One simulated kiosk of bench/fleet: the real kiosk (bootKiosk: its own SQLite file, engine, lane, config bundles,
 * trust store) with the real HQ link parts wired by the kiosk's own code (device/hq-link-parts.ts, as device/hq-link.ts
 * wires them) — the outbox drain (pace following the lane), presence (birth, will, telemetry), the signed config bundle
 * receiver with `config/reported`, the CommandRunner with every real command handler, the PricebookReceiver with
 * `pricebook/reported`, members, recalls, resend requests and HQ ingest births.
 *
 * What differs from the kiosk, and only that: the connection and the drain run on ONE in-process mqtt.js client and
 * OutboxPublisher per kiosk instead of an uplink worker thread per kiosk (a thousand worker threads would not fit on
 * the machine), set up as runtime/hq-sync/uplink-worker.ts sets up its own (manualConnect, no write cache, reconnect
 * on a refused CONNACK, MQTT 3.1.1 fallback, the kiosk's full-jitter capped exponential backoff hq.reconnect); no
 * hardware, no provisioned identity (no broker credentials, no sealing key), no log; the drain's re-publish wait may
 * be set (ackTimeoutMs).
 */
import mqtt, { type MqttClient } from 'mqtt';
import { loadConfig } from '../../config/load';
import { bootKiosk, type Kiosk } from '../../device/kiosk';
import { hqMqttOptions, KIOSK_DRAIN, wireHqLinkParts, type HqLinkDrain } from '../../device/hq-link-parts';
import { SystemClock } from '../../kernel/clock';
import { applyProtocolFallback } from '../../kernel/mqtt-protocol-fallback';
import { OutboxPublisher } from '../../runtime/hq-sync/outbox-publisher';
import { applyReconnectBackoff, type BackoffPolicy } from '../../runtime/hq-sync/reconnect-backoff';
import type { NewLine } from '../../runtime/orders/events';
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
  // as the uplink worker makes the kiosk's connection (runtime/hq-sync/uplink-worker.ts), here in process
  const client = mqtt.connect(o.brokerUrl, { ...hqMqttOptions(k, { credentials: {}, embedded: false }), manualConnect: true, writeCache: false, reconnectOnConnackError: true });
  applyProtocolFallback(client, () => undefined);
  applyReconnectBackoff(client, o.reconnect);
  const connects: number[] = [];
  client.on('connect', () => connects.push(Date.now()));

  // the uplink worker's drain, in process: window and pause follow the lane (KIOSK_DRAIN)
  let atLane = false;
  const pace = () => (atLane ? KIOSK_DRAIN.atLane : KIOSK_DRAIN.between);
  const publisher = new OutboxPublisher({
    db,
    client,
    storeId: store,
    deviceId: device,
    clock,
    window: Math.max(KIOSK_DRAIN.atLane.window, KIOSK_DRAIN.between.window),
    windowNow: () => pace().window,
    pauseMs: () => pace().pauseMs,
    deleteEveryMs: KIOSK_DRAIN.deleteEveryMs,
    slice: KIOSK_DRAIN.slice,
    ...(o.ackTimeoutMs ? { ackTimeoutMs: o.ackTimeoutMs } : {}),
  });
  const drain: HqLinkDrain = Object.assign(publisher, {
    shopperAtLane(now: boolean) {
      if (atLane === now) return;
      atLane = now;
      publisher.notify(); // a shopper left: the window opens now
    },
  });
  const parts = await wireHqLinkParts(k, { client, publisher: drain, brokerUrl: o.brokerUrl });

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
      await parts.close();
      await k.close();
    },
  };
}
