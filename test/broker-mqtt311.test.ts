/**
 * Brokers that speak only MQTT 3.1.1, with a real Aedes (child process) as the broker:
 * - a real kiosk (bootKiosk + startHqLink, uplink in its worker thread) configured for MQTT 5 falls back to 3.1.1 by
 *   itself, logs it once with the cause, and its sales reach HQ's ingest and are acknowledged;
 * - `hq ingest --shared` cannot split the load there: it warns and subscribes plainly; two workers on one store each
 *   take every event and every event is still stored once. On Mosquitto (MQTT 5) the same two workers split it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { loadConfig } from '../config/load';
import { bootKiosk, type Kiosk } from '../device/kiosk';
import { startHqLink, type HqLink } from '../device/hq-link';
import { runIngest } from '../hq/commands/ingest';
import { HqIngest, type IngestStats } from '../hq/ingest/ingest';
import { IngestStore } from '../hq/ingest/store';
import { SimulatedClock, SystemClock } from '../kernel/clock';
import { eventsTopic } from '../protocol/topics';
import { AedesBroker } from './support/aedes-broker';
import { tempDir } from './support/engine-fixture';
import { Mosquitto } from './support/mosquitto';
import { chain } from './support/sync-fixtures';
import { waitFor } from './support/wait';

// the kiosks here are given a broker: the embedded Aedes HQ (an ES module jest cannot load) is never started
jest.mock('../device/embedded-hq', () => ({
  startEmbeddedHq: () => Promise.reject(new Error('the embedded HQ is not used in these tests')),
}));
jest.setTimeout(120_000);

const LONG = 60_000;

describe('a kiosk set to MQTT 5 on an MQTT 3.1.1-only broker (Aedes)', () => {
  let aedes: AedesBroker;
  let dir: string;
  const ends: (() => Promise<unknown>)[] = [];
  beforeEach(async () => {
    aedes = await AedesBroker.start();
    dir = tempDir('kiosk-mqtt311-');
  });
  afterEach(async () => {
    for (const end of ends.splice(0).reverse()) await end().catch(() => undefined);
    await aedes.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function sell(k: Kiosk): Promise<void> {
    const [code] = (await k.catalog.sample('plain', 1))[0].barcodes;
    const r = await k.lane.scan(code);
    if (!r.ok || r.action !== 'item_added') throw new Error(`scan: ${JSON.stringify(r)}`);
    const started = await k.engine.dispatch(r.order.id, { type: 'checkout_started' });
    const paid = await k.checkout.pay(started.id, 'cash');
    await k.engine.dispatch(paid.id, { type: 'order_completed' });
  }

  it('falls back to 3.1.1 by itself, logs it once with the cause, and its sales reach HQ exactly once', async () => {
    // HQ's ingest on the same broker (a 3.1.1 client, as every client of Aedes)
    const store = await IngestStore.open(path.join(dir, 'hq.sqlite'));
    ends.push(() => store.close());
    const hqClient: MqttClient = mqtt.connect(aedes.url, { protocolVersion: 4, reconnectPeriod: 200, clientId: `hq-ingest-${process.pid}` });
    hqClient.on('error', () => undefined);
    ends.push(() => hqClient.endAsync(true));
    const ingest = new HqIngest({ store, client: hqClient, clock: new SystemClock() });
    ingest.on('error', () => undefined);
    ends.push(() => ingest.stop());
    await ingest.start();
    await waitFor('HQ connected', () => hqClient.connected, LONG);

    const config = loadConfig({
      env: {},
      overrides: { dataDir: path.join(dir, 'kiosk'), device: { storeId: 'S311', deviceId: 'K1' }, hq: { broker: aedes.url, protocolVersion: 5, reconnect: { baseMs: 100, capMs: 1000 } } },
    });
    const k = await bootKiosk(config, { confirmCash: async () => true });
    ends.push(() => k.close());
    const logs: Record<string, unknown>[] = [];
    const log = pino({ level: 'info', base: undefined }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
    const link: HqLink = await startHqLink(k, { log });
    ends.push(() => link.close());
    await waitFor('the kiosk connected', () => link.client.connected, LONG);
    for (let i = 0; i < 3; i++) await sell(k);
    const head = (await k.db.read.get<{ n: number }>('SELECT MAX(seq) AS n FROM journal'))!.n;
    expect(head).toBeGreaterThanOrEqual(3 * 4);
    await waitFor('HQ to hold the whole journal', async () => (await store.device('S311', 'K1'))?.contiguous_seq === head, LONG);
    await waitFor('the outbox to empty (HQ acked)', async () => (await link.publisher.backlog()) === 0, LONG);
    expect(await store.device('S311', 'K1')).toMatchObject({ contiguous_seq: head, stored: head, chain_ok: 1, rejected: 0 });

    const fallbackLines = logs.filter((l) => String(l.msg).includes('does not speak MQTT 5'));
    expect(fallbackLines).toHaveLength(1);
    expect(fallbackLines[0]).toMatchObject({ level: 40, broker: aedes.url, cause: expect.stringMatching(/refused MQTT 5 \(CONNACK 1: .*Unacceptable protocol version\)/) });
    // the refusal is told once, as the fallback, not also as a link error
    expect(logs.filter((l) => l.msg === 'hq link error')).toEqual([]);
    expect(link.client.options.protocolVersion).toBe(4);
    // one MQTT 5 try, then 3.1.1 (the kiosk and HQ's own client)
    expect(aedes.connects()[5]).toBe(1);

    // the link drops (network): it comes back at 3.1.1, no new MQTT 5 try, no second log line, and sells on
    // heard as an event: the reconnect may come within one poll of `connected` (full jitter from 0 ms)
    let dropped = false;
    link.client.once('close', () => (dropped = true));
    link.client.stream.destroy();
    await waitFor('the drop', () => dropped, LONG);
    await waitFor('the reconnect', () => link.client.connected, LONG);
    await sell(k);
    const head2 = (await k.db.read.get<{ n: number }>('SELECT MAX(seq) AS n FROM journal'))!.n;
    await waitFor('HQ to hold the new sale', async () => (await store.device('S311', 'K1'))?.contiguous_seq === head2, LONG);
    expect(aedes.connects()[5]).toBe(1);
    expect(logs.filter((l) => String(l.msg).includes('does not speak MQTT 5'))).toHaveLength(1);
  });
});

describe('hq ingest --shared on a broker without shared subscriptions', () => {
  const N = 30;

  /** Two `hq ingest --shared g` workers on one SQLite store; `N` events of one kiosk; their final stats and output. */
  async function twoWorkers(url: string, dbFile: string): Promise<{ stats: IngestStats[]; out: string[][] }> {
    await (await IngestStore.open(dbFile)).close(); // created once: two first opens at once would both migrate it
    const ac = new AbortController();
    const out: string[][] = [[], []];
    const clock = new SimulatedClock();
    const running = out.map((o) => runIngest({ db: dbFile, broker: url, shared: 'g', every: '3600' }, { out: (t) => o.push(t), clock, signal: ac.signal }));
    await waitFor('both workers subscribed', () => out.every((o) => o.some((l) => l.startsWith(`ingest: ${dbFile}`))), LONG);
    await new Promise((r) => setTimeout(r, 300));
    const pub = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0 });
    for (const e of chain('S9', 'K1', N)) await pub.publishAsync(eventsTopic('S9', 'K1'), JSON.stringify(e), { qos: 1 });
    await pub.endAsync();
    const store = await IngestStore.open(dbFile);
    try {
      await waitFor('every event stored', async () => (await store.device('S9', 'K1'))?.contiguous_seq === N, LONG);
      expect(await store.device('S9', 'K1')).toMatchObject({ contiguous_seq: N, stored: N, rejected: 0 });
    } finally {
      await store.close();
    }
    await new Promise((r) => setTimeout(r, 500)); // the other worker's copies, on the plain subscription
    ac.abort();
    return { stats: await Promise.all(running), out };
  }

  it('on Aedes (3.1.1 only): warns, subscribes plainly; each worker takes every event, each stored once', async () => {
    const aedes = await AedesBroker.start();
    const dir = tempDir('ingest-mqtt311-');
    try {
      const { stats, out } = await twoWorkers(aedes.url, path.join(dir, 'hq.sqlite'));
      for (const o of out) {
        expect(o).toContainEqual(expect.stringMatching(/^ingest: the broker refused MQTT 5 \(CONNACK 1: .*Unacceptable protocol version\): using MQTT 3\.1\.1\n$/));
        expect(o).toContainEqual(expect.stringMatching(/^ingest: WARNING the broker speaks only MQTT 3\.1\.1: --shared g cannot split the load; subscribing to every event instead/));
        expect(o.some((l) => l.includes('(shared group g)'))).toBe(false);
        expect(o.some((l) => l.startsWith('ingest: mqtt:'))).toBe(false); // the refusal is not also an error line
      }
      // no split: both workers saw all N events; between them each was stored once, the other copy a duplicate
      for (const s of stats) expect(s.stored + s.duplicate).toBe(N);
      expect(stats[0].stored + stats[1].stored).toBe(N);
      expect(stats[0].duplicate + stats[1].duplicate).toBe(N);
      expect(aedes.connects()).toMatchObject({ 5: 2 });
    } finally {
      await aedes.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('on Mosquitto (MQTT 5): no warning, and the two workers split the events between them', async () => {
    const broker = await Mosquitto.start({ persistence: false });
    const dir = tempDir('ingest-mqtt5-');
    try {
      const { stats, out } = await twoWorkers(broker.url, path.join(dir, 'hq.sqlite'));
      for (const o of out) {
        expect(o.some((l) => l.includes('WARNING') || l.includes('using MQTT 3.1.1'))).toBe(false);
        expect(o.some((l) => l.includes('(shared group g)'))).toBe(true);
      }
      expect(stats[0].stored + stats[0].duplicate + stats[1].stored + stats[1].duplicate).toBe(N); // each event to one worker
      expect(stats[0].stored + stats[1].stored).toBe(N);
      expect(stats[0].stored).toBeGreaterThan(0);
      expect(stats[1].stored).toBeGreaterThan(0);
    } finally {
      await broker.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
