import * as fs from 'node:fs';
import * as path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { Clock } from '../../kernel/clock';
import { KioskDb } from '../../kernel/sqlite/database';
import { defaultConfig } from '../../config/defaults';
import { migrate } from '../../runtime/db/migrations';
import { ConfigBundleManager } from '../../runtime/hq-control/config-bundles';
import { PricebookReceiver, type PricebookStatus } from '../../runtime/pricebook/sync/receiver';
import { subscribePricebook, type PricebookSubscription } from '../../runtime/pricebook/sync/subscribe';
import { TrustStore } from '../../runtime/trust/trust-store';
import { configReportedTopic, configTopicsFor } from '../../protocol/control/topics';
import { pricebookReportedTopic, type PricebookReported } from '../../protocol/pricebook/topics';
import { verifyEnvelope } from '../../protocol/signed-envelope';
import { FleetView, FLEET_FILTERS } from '../../hq/ingest/fleet';
import type { IngestStore } from '../../hq/ingest/store';
import { writeFleet } from '../../hq/fleet/fleet-table';

/**
 * A kiosk's HQ-facing config and price-book parts on a real broker, for batch-push tests: the kiosk's own
 * ConfigBundleManager (signature, scope, monotonic versions, validation) and PricebookReceiver (signed manifest,
 * chunk hashes, applied in one transaction) on a real SQLite file, reporting on `config/reported` and
 * `pricebook/reported` the way device/hq-link.ts does. HQ's side: the fleet topics applied to a FleetView and written
 * to the fleet table (the ingest's path), so the console reads what the kiosks reported.
 */
export interface PushKiosk {
  store: string;
  device: string;
  db: KioskDb;
  bundles: ConfigBundleManager;
  client: MqttClient;
  close(): Promise<void>;
}

export async function startPushKiosk(o: { brokerUrl: string; dir: string; store: string; device: string; hqPublicPem: string; clock: Clock }): Promise<PushKiosk> {
  const { store, device, clock } = o;
  const kdir = path.join(o.dir, `${store}-${device}`);
  fs.mkdirSync(kdir, { recursive: true });
  const trust = TrustStore.open(kdir);
  trust.install([o.hqPublicPem], { replace: true, now: clock.now() });
  const db = await KioskDb.open(path.join(kdir, 'kiosk.sqlite'));
  await migrate(db);
  const bundles = new ConfigBundleManager({ db, trust, clock, identity: { store, device }, base: { ...defaultConfig(), dataDir: kdir }, canApplyNow: async () => true, onApplied: () => undefined });
  await bundles.init();
  const client = mqtt.connect(o.brokerUrl, { reconnectPeriod: 0, clientId: `push-kiosk-${store}-${device}-${process.pid}` });
  const reportConfig = async () => {
    await client.publishAsync(configReportedTopic(store, device), JSON.stringify({ v: 1, levels: await bundles.reported() }), { qos: 1, retain: true });
  };
  const reportBook = async (st: PricebookStatus) => {
    const m: PricebookReported = {
      v: 1,
      version: st.version === '' ? null : st.version,
      status: st.status === 'receiving' ? 'downloading' : st.status,
      ...(st.reason ? { reason: st.reason } : {}),
      ...(st.detail ? { detail: st.detail } : {}),
      ts: clock.now(),
      ...(st.status === 'applied' ? { items: (await db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM items'))?.n ?? 0 } : {}),
      ...(st.status === 'receiving' ? { received: st.received, total: st.total } : {}),
    };
    await client.publishAsync(pricebookReportedTopic(store, device), JSON.stringify(m), { qos: 1, retain: true });
  };
  const configTopics = configTopicsFor(store, device);
  client.on('message', (topic, payload) => {
    if (configTopics.includes(topic) && payload.length > 0) void bundles.offer(topic, payload).then(reportConfig);
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  const receiver = new PricebookReceiver({
    db,
    clock,
    deviceId: device,
    verifyManifest: (raw) => {
      const r = verifyEnvelope(raw, trust, clock.now(), { kind: 'pricebook', scope: (s) => ((s.kind === 'device' && s.store === store && s.device === device) || (s.kind === 'store' && s.store === store) ? null : 'not for this kiosk') });
      return r.ok ? { ok: true, manifest: r.envelope.body, issuedAt: Date.parse(r.envelope.issuedAt) } : { ok: false, reason: r.reason, detail: r.detail };
    },
    onReport: (r) => {
      if (r.type === 'status') void reportBook(r.status);
    },
  });
  const books: PricebookSubscription = await subscribePricebook(client, { store, device }, receiver);
  await client.subscribeAsync(configTopics, { qos: 1 });
  return {
    store,
    device,
    db,
    bundles,
    client,
    async close() {
      await books.close();
      await client.endAsync();
      await db.close();
    },
  };
}

/** HQ's fleet ingestion of `config/reported` and `pricebook/reported` (and state), written through to the fleet table. */
export async function watchFleet(brokerUrl: string, store: IngestStore, clock: Clock): Promise<{ stop(): Promise<void> }> {
  const client = await mqtt.connectAsync(brokerUrl, { reconnectPeriod: 0, clientId: `hq-fleet-watch-${process.pid}-${Math.random().toString(36).slice(2)}` });
  const view = new FleetView();
  let writing: Promise<unknown> = Promise.resolve();
  client.on('message', (topic, payload, packet) => {
    const entry = view.apply(topic, payload, clock.now(), packet.retain);
    if (entry) writing = writing.then(() => writeFleet(store.db, [entry])).catch(() => undefined);
  });
  await client.subscribeAsync([...FLEET_FILTERS], { qos: 1 });
  return {
    async stop() {
      await writing;
      await client.endAsync();
    },
  };
}
