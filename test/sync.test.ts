/**
 * Integration: kiosk OutboxPublisher → broker → HqIngest → IngestStore, against a real Mosquitto (MQTT 3.1.1 and 5)
 * and an in-process Aedes. Every scenario ends with the whole chain re-verified from the ingest database.
 */
import * as fs from 'node:fs';
import Module from 'node:module';
import * as net from 'node:net';
import * as path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { SystemClock } from '../kernel/clock';
import { KioskDb } from '../kernel/sqlite/database';
import { OutboxPublisher } from '../runtime/hq-sync/outbox-publisher';
import { subscribeResend } from '../runtime/hq-sync/resend-subscription';
import { HqIngest } from '../hq/ingest/ingest';
import { IngestStore } from '../hq/ingest/store';
import { Mosquitto, freePort } from './support/mosquitto';
import { brokerAndStoreEach } from './support/broker-and-store';
import { appendEntries, kioskDb, tmpDir, verifyIngested, waitFor } from './support/sync-fixtures';

const STORE = 'S1';
const DEVICE = 'K1';
const clock = new SystemClock();

interface Kiosk {
  db: KioskDb;
  client: MqttClient;
  pub: OutboxPublisher;
  stop(): Promise<void>;
}

async function startKiosk(url: string, dir: string, protocolVersion: 4 | 5, db?: KioskDb): Promise<Kiosk> {
  const kdb = db ?? (await kioskDb(dir));
  const client = mqtt.connect(url, { protocolVersion, reconnectPeriod: 100, connectTimeout: 2000, clientId: `kiosk-${Math.random().toString(16).slice(2)}` });
  client.on('error', () => undefined);
  const pub = new OutboxPublisher({ db: kdb, client, storeId: STORE, deviceId: DEVICE, clock, ackTimeoutMs: 2000, window: 64, batch: 64 });
  pub.on('error', () => undefined);
  const unsubscribe = subscribeResend(client, pub, STORE, DEVICE);
  pub.start();
  return {
    db: kdb,
    client,
    pub,
    async stop() {
      unsubscribe();
      await pub.stop();
      await client.endAsync(true);
    },
  };
}

interface Hq {
  ingest: HqIngest;
  client: MqttClient;
  stop(): Promise<void>;
}

async function startHq(url: string, store: IngestStore, protocolVersion: 4 | 5, shared?: string): Promise<Hq> {
  const client = mqtt.connect(url, { protocolVersion, reconnectPeriod: 100, connectTimeout: 2000, clientId: `hq-${Math.random().toString(16).slice(2)}` });
  client.on('error', () => undefined);
  const ingest = new HqIngest({ store, client, clock, shared, gapGraceMs: 300, resendCooldownMs: 1000 });
  ingest.on('error', () => undefined);
  await ingest.start();
  return {
    ingest,
    client,
    async stop() {
      await ingest.stop();
      await client.endAsync(true);
    },
  };
}

const storedCount = async (store: IngestStore) =>
  (await store.db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM sales_events'))?.n ?? 0;

async function expectComplete(store: IngestStore, kiosk: Kiosk, n: number) {
  await waitFor(async () => (await kiosk.pub.backlog()) === 0, 30_000, 'outbox to empty');
  expect(await storedCount(store)).toBe(n);
  expect(await verifyIngested(store, STORE, DEVICE)).toEqual({ count: n, maxSeq: n, problem: null });
  expect(await store.device(STORE, DEVICE)).toMatchObject({ contiguous_seq: n, chain_ok: 1, stored: n, rejected: 0 });
}

describe.each([4, 5] as const)('sale sync over Mosquitto, MQTT protocol version %i', (protocolVersion) => {
  let broker: Mosquitto;
  let dir: string;
  let store: IngestStore;
  const cleanup = brokerAndStoreEach('sync-it-', (env) => ({ broker, dir, store } = env));

  it('offline then online: 200 entries appended while the broker is down all arrive once, and the outbox empties', async () => {
    await broker.stop();
    const kiosk = await startKiosk(broker.url, dir, protocolVersion);
    cleanup.push(() => kiosk.db.close(), () => kiosk.stop());
    const hq = await startHq(broker.url, store, protocolVersion);
    cleanup.push(() => hq.stop());
    await appendEntries(kiosk.db, DEVICE, 200);
    kiosk.pub.notify();
    expect(await kiosk.pub.backlog()).toBe(200);
    await broker.start();
    await expectComplete(store, kiosk, 200);
  });

  it('PUBACK is not enough: without HQ ingest, published rows stay in the outbox; they leave once HQ stores them', async () => {
    const kiosk = await startKiosk(broker.url, dir, protocolVersion);
    cleanup.push(() => kiosk.db.close(), () => kiosk.stop());
    const published = new Set<number>();
    kiosk.pub.on('published', (s) => published.add(s));
    await appendEntries(kiosk.db, DEVICE, 25);
    kiosk.pub.notify();
    await waitFor(() => published.size === 25, 10_000, 'PUBACKs');
    await new Promise((r) => setTimeout(r, 300));
    expect(await kiosk.pub.backlog()).toBe(25);
    const hq = await startHq(broker.url, store, protocolVersion);
    cleanup.push(() => hq.stop());
    // nothing is retained or queued for a subscriber that did not exist: the ack timeout brings them again
    await expectComplete(store, kiosk, 25);
  });

  it('survives a flapping broker (graceful restarts and crashes) with every seq exactly once and the chain intact', async () => {
    const kiosk = await startKiosk(broker.url, dir, protocolVersion);
    cleanup.push(() => kiosk.db.close(), () => kiosk.stop());
    const hq = await startHq(broker.url, store, protocolVersion);
    cleanup.push(() => hq.stop());
    let connects = 0;
    kiosk.client.on('connect', () => connects++);
    let total = 0;
    for (let round = 0; round < 6; round++) {
      const appending = (async () => {
        for (let i = 0; i < 5; i++) {
          await appendEntries(kiosk.db, DEVICE, 10, 1_767_258_000_000 + total * 1000 + i * 10);
          kiosk.pub.notify();
          await new Promise((r) => setTimeout(r, 15));
        }
      })();
      await new Promise((r) => setTimeout(r, 30));
      const before = connects;
      if (round % 2 === 0) await broker.restart();
      else {
        await broker.stop(true);
        await new Promise((r) => setTimeout(r, 50));
        await broker.start();
      }
      // the kiosk is back on this broker before the next round takes it down (under load a reconnect could otherwise
      // still be under way through the next restart, and two flaps would count as one)
      await waitFor(() => connects > before, 20_000, `reconnect after flap ${round}`);
      await appending;
      total += 50;
    }
    await expectComplete(store, kiosk, total);
    expect(connects).toBeGreaterThanOrEqual(6);
  });

  it('process restart: close publisher and db mid-stream, reopen, and the rest arrives without duplicates stored', async () => {
    let kiosk = await startKiosk(broker.url, dir, protocolVersion);
    const hq = await startHq(broker.url, store, protocolVersion);
    cleanup.push(() => hq.stop());
    await appendEntries(kiosk.db, DEVICE, 150);
    let acked = 0;
    kiosk.pub.on('acked', (s) => (acked = s));
    kiosk.pub.notify();
    await waitFor(() => acked > 0, 10_000, 'a first ack');
    await kiosk.stop();
    await kiosk.db.close();
    const file = path.join(dir, 'kiosk.sqlite');
    expect(fs.existsSync(file)).toBe(true);
    const reopened = await KioskDb.open(file);
    kiosk = await startKiosk(broker.url, dir, protocolVersion, reopened);
    cleanup.push(() => reopened.close(), () => kiosk.stop());
    await appendEntries(kiosk.db, DEVICE, 50, 1_800_000_000_000);
    kiosk.pub.notify();
    await expectComplete(store, kiosk, 200);
  });

  it('a gap at HQ (it lost 6 and 7) is filled by the resend request, and contiguous reaches the head', async () => {
    const kdb = await kioskDb(dir);
    const entries = await appendEntries(kdb, DEVICE, 8);
    // HQ holds 1..5 (the kiosk saw them acked earlier); 6 and 7 were lost after their ack; 8 is still in the outbox
    await store.acceptMany(entries.slice(0, 5).map((e) => ({ v: 1 as const, storeId: STORE, ...e })));
    await kdb.transaction((tx) => tx.run('DELETE FROM outbox WHERE seq <= 7'));
    const hq = await startHq(broker.url, store, protocolVersion);
    cleanup.push(() => hq.stop());
    const resends: number[] = [];
    hq.ingest.on('resend', (r) => resends.push(r.fromSeq));
    const kiosk = await startKiosk(broker.url, dir, protocolVersion, kdb);
    cleanup.push(() => kdb.close(), () => kiosk.stop());
    await expectComplete(store, kiosk, 8);
    expect(resends[0]).toBe(6);
  });

  it('two HqIngest instances in one $share group on one store file store each seq exactly once', async () => {
    const hqA = await startHq(broker.url, store, protocolVersion, 'ingest');
    const storeB = await IngestStore.open(path.join(dir, 'hq.sqlite'));
    const hqB = await startHq(broker.url, storeB, protocolVersion, 'ingest');
    cleanup.push(() => storeB.close(), () => hqB.stop(), () => hqA.stop());
    await waitFor(() => hqA.client.connected && hqB.client.connected);
    const kiosk = await startKiosk(broker.url, dir, protocolVersion);
    cleanup.push(() => kiosk.db.close(), () => kiosk.stop());
    await appendEntries(kiosk.db, DEVICE, 300);
    kiosk.pub.notify();
    await expectComplete(store, kiosk, 300);
    // both took a share of the load
    expect(hqA.ingest.stats.stored).toBeGreaterThan(0);
    expect(hqB.ingest.stats.stored).toBeGreaterThan(0);
    expect(hqA.ingest.stats.stored + hqB.ingest.stats.stored).toBe(300);
  });
});

describe('sale sync over an in-process Aedes broker (MQTT 3.1.1)', () => {
  it('delivers a backlog once, acks it and empties the outbox', async () => {
    // aedes v1 is an ES module, which jest's CommonJS registry cannot load: hand it to Node's own loader
    // (require(esm), Node >= 20.19) — the broker still runs in this process
    const nodeLoad = (Module as unknown as { _load(request: string): unknown })._load;
    const { Aedes } = nodeLoad(require.resolve('aedes')) as typeof import('aedes');
    const broker = await Aedes.createBroker();
    const server = net.createServer(broker.handle);
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    const url = `mqtt://127.0.0.1:${port}`;
    const dir = tmpDir('sync-aedes-');
    const store = await IngestStore.open(path.join(dir, 'hq.sqlite'));
    const hq = await startHq(url, store, 4);
    await waitFor(() => hq.client.connected);
    const kiosk = await startKiosk(url, dir, 4);
    try {
      await appendEntries(kiosk.db, DEVICE, 120);
      kiosk.pub.notify();
      await expectComplete(store, kiosk, 120);
    } finally {
      await kiosk.stop();
      await kiosk.db.close();
      await hq.stop();
      await store.close();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
