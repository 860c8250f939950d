/**
 * Issue 17, part G2: HQ's ingest announces itself (retained birth on `kiosk/v1/_hq/ingest` after its SUBACK) and
 * kiosks re-publish what is not acked at once. The window it closes: after a Mosquitto restart the broker restores
 * sessions but not `$share` subscriptions; kiosks reconnect first and re-publish their un-acked outbox to nobody, and
 * without the birth each kiosk then waits its ack timeout (30 s by default, used here) before sending again.
 * Real parts: Mosquitto with persistence, a real HqIngest on a real SQLite ingest file (shared group, as `hq ingest`),
 * the kiosk's real OutboxPublisher on a real SQLite kiosk file — inline, and through the HQ uplink (worker thread and
 * inline), as device/hq-link.ts composes it.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { SystemClock } from '../kernel/clock';
import type { KioskDb } from '../kernel/sqlite/database';
import { HqIngest } from '../hq/ingest/ingest';
import { IngestStore } from '../hq/ingest/store';
import { INGEST_STATE_TOPIC, parseIngestState } from '../protocol/sync/ingest-state';
import { OutboxPublisher } from '../runtime/hq-sync/outbox-publisher';
import { subscribeIngestState } from '../runtime/hq-sync/ingest-state-subscription';
import { RemoteMqttClient } from '../runtime/hq-sync/remote-mqtt-client';
import { RemoteOutboxPublisher } from '../runtime/hq-sync/remote-outbox-publisher';
import { UplinkThread } from '../runtime/hq-sync/uplink-thread';
import { ROOT } from './support/cli';
import { Mosquitto } from './support/mosquitto';
import { appendEntries, kioskDb, tmpDir, verifyIngested, waitFor } from './support/sync-fixtures';

jest.setTimeout(90_000);

const STORE = 's1';
const DEVICE = 'lane-01';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface KioskSide {
  client: MqttClient;
  drain: { start(): void; notify(): void; republishUnacked(): void; stop(): Promise<void>; readonly ackedSeq: number; on(e: 'published', l: (seq: number) => void): unknown };
}

const kiosks: Record<string, (broker: Mosquitto, db: KioskDb) => KioskSide> = {
  'OutboxPublisher on its own mqtt.js client (the bench kiosk)': (broker, db) => {
    const client = mqtt.connect(broker.url, { clientId: `${STORE}/${DEVICE}`, protocolVersion: 5, clean: false, reconnectPeriod: 200, properties: { sessionExpiryInterval: 3600 } });
    client.on('error', () => undefined);
    const drain = new OutboxPublisher({ db, client, storeId: STORE, deviceId: DEVICE, clock: new SystemClock() }); // ackTimeoutMs: the default 30 s
    return { client, drain };
  },
  ...Object.fromEntries(
    ([['the HQ uplink in a worker thread (hq-link)', false], ['the HQ uplink inline', true]] as const).map(([name, inline]) => [
      name,
      (broker: Mosquitto, db: KioskDb): KioskSide => {
        const mqttOpts = { clientId: `${STORE}/${DEVICE}`, clean: false, protocolVersion: 5 as const, reconnectPeriod: 200, properties: { sessionExpiryInterval: 3600 } };
        const thread = new UplinkThread(
          {
            brokerUrl: broker.url,
            mqtt: mqttOpts,
            dbFile: db.file,
            storeId: STORE,
            deviceId: DEVICE,
            drain: { deleteEveryMs: 0, slice: 64, atLane: { window: 4, pauseMs: 5 }, between: { window: 64, pauseMs: 0 } }, // ackTimeoutMs: the default 30 s
            nice: 10,
          },
          100,
          inline,
        );
        const client = new RemoteMqttClient(thread, mqttOpts);
        client.on('error', () => undefined);
        return { client: client as unknown as MqttClient, drain: new RemoteOutboxPublisher(thread, db) };
      },
    ]),
  ),
};

describe.each(Object.keys(kiosks))('HQ ingest birth: kiosk = %s', (kind) => {
  let broker: Mosquitto;
  let dir: string;
  let db: KioskDb;
  let kiosk: KioskSide;
  let stopBirths: () => void;
  const ingests: { close(): Promise<void> }[] = [];

  beforeEach(async () => {
    broker = await Mosquitto.start(); // persistence on
    dir = tmpDir('ingest-birth-');
    db = await kioskDb(dir);
  });
  afterEach(async () => {
    stopBirths?.();
    await kiosk?.drain.stop();
    await kiosk?.client.endAsync(true);
    for (const i of ingests.splice(0)) await i.close();
    await broker.close();
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  let n = 0;
  /** An HqIngest as `hq ingest --shared g` runs it, on the ingest file in `dir`. */
  async function startIngest() {
    const store = await IngestStore.open(path.join(dir, 'ingest.sqlite'));
    const client = await mqtt.connectAsync(broker.url, { clientId: `hq-ingest-${++n}-${process.pid}`, protocolVersion: 5 });
    const ingest = new HqIngest({ store, client, clock: new SystemClock(), shared: 'g' });
    ingest.on('error', () => undefined);
    await ingest.start();
    const handle = {
      close: async () => {
        ingests.splice(ingests.indexOf(handle), 1);
        await ingest.stop();
        await client.endAsync(true);
        await store.close();
      },
    };
    ingests.push(handle);
    return handle;
  }

  it('broker restart, kiosk back before ingest: everything stored within seconds of ingest subscribing again (well under the 30 s ack timeout)', async () => {
    kiosk = kiosks[kind](broker, db);
    const published = new Set<number>();
    kiosk.drain.on('published', (seq) => published.add(seq));
    stopBirths = subscribeIngestState(kiosk.client, kiosk.drain, { clock: new SystemClock() }); // spreadMs: the default 2 s
    await appendEntries(db, DEVICE, 3);
    const first = await startIngest();
    kiosk.drain.start();
    kiosk.client.connect();
    await waitFor(() => kiosk.drain.ackedSeq === 3, 15_000, 'HQ to ack seq 3');

    // ingest is gone over the restart (as a SIGSTOPped or slower worker): the kiosk reconnects and publishes first
    await first.close();
    await broker.restart();
    await waitFor(() => kiosk.client.connected, 15_000, 'the kiosk to reconnect');
    await appendEntries(db, DEVICE, 3, 1_767_259_000_000);
    kiosk.drain.notify();
    await waitFor(() => published.has(6), 15_000, 'the broker to PUBACK seq 6 (it reaches nobody)');
    await sleep(2500); // past the spread of the retained birth the kiosk got at its reconnect
    expect(kiosk.drain.ackedSeq).toBe(3);

    const back = Date.now();
    await startIngest();
    await waitFor(() => kiosk.drain.ackedSeq === 6, 25_000, 'HQ to ack seq 6 after ingest subscribed again');
    const tookMs = Date.now() - back;
    expect(tookMs).toBeLessThan(10_000);

    for (const i of [...ingests]) await i.close();
    const store = await IngestStore.open(path.join(dir, 'ingest.sqlite'));
    try {
      expect(await verifyIngested(store, STORE, DEVICE)).toEqual({ count: 6, maxSeq: 6, problem: null });
    } finally {
      await store.close();
    }
  });
});

describe('the `hq ingest` CLI (dist/) stopped over a broker restart (SIGSTOP, as test/ingest-session.test.ts)', () => {
  it('a named worker back after the kiosk re-sent to nobody: every event stored within seconds of SIGCONT', async () => {
    const broker = await Mosquitto.start(); // persistence on
    const dir = tmpDir('ingest-birth-cli-');
    const db = await kioskDb(dir);
    const ingestDb = path.join(dir, 'ingest.sqlite');
    const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'hq', 'cli.js'), 'ingest', '--every', '1', '--db', ingestDb, '--broker', broker.url, '--shared', 'g', '--worker', 'w1'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const client = mqtt.connect(broker.url, { clientId: `${STORE}/${DEVICE}`, protocolVersion: 5, clean: false, reconnectPeriod: 200, properties: { sessionExpiryInterval: 3600 } });
    client.on('error', () => undefined);
    const drain = new OutboxPublisher({ db, client, storeId: STORE, deviceId: DEVICE, clock: new SystemClock() }); // ack timeout 30 s
    const published = new Set<number>();
    drain.on('published', (seq) => published.add(seq));
    const stop = subscribeIngestState(client, drain, { clock: new SystemClock() });
    try {
      await waitFor(() => / <- /.test(out) || child.exitCode !== null, 20_000, 'hq ingest to subscribe');
      await appendEntries(db, DEVICE, 3);
      drain.start();
      await waitFor(() => drain.ackedSeq === 3, 15_000, 'HQ to ack seq 3');

      child.kill('SIGSTOP');
      await broker.restart();
      await waitFor(() => client.connected, 15_000, 'the kiosk to reconnect');
      await appendEntries(db, DEVICE, 3, 1_767_259_000_000);
      drain.notify();
      await waitFor(() => published.has(6), 15_000, 'the broker to PUBACK seq 6 (it reaches nobody)');
      await sleep(2500);
      expect(drain.ackedSeq).toBe(3);

      const back = Date.now();
      child.kill('SIGCONT');
      await waitFor(() => drain.ackedSeq === 6, 25_000, 'HQ to ack seq 6 after the worker is back').catch((e) => {
        throw new Error(`${(e as Error).message}\n${out}`);
      });
      expect(Date.now() - back).toBeLessThan(10_000);
    } finally {
      stop();
      await drain.stop();
      await client.endAsync(true);
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      await exited;
      await broker.close();
      await db.close();
    }
    const store = await IngestStore.open(ingestDb);
    try {
      expect(await verifyIngested(store, STORE, DEVICE)).toEqual({ count: 6, maxSeq: 6, problem: null });
    } finally {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('HqIngest announces itself after every (re)subscribe', () => {
  it('a retained, parseable birth with a new id after its SUBACK, and again after a broker restart', async () => {
    const broker = await Mosquitto.start();
    const dir = tmpDir('ingest-birth-hq-');
    const store = await IngestStore.open(path.join(dir, 'ingest.sqlite'));
    const client = mqtt.connect(broker.url, { clientId: 'hq-ingest-a', protocolVersion: 5, reconnectPeriod: 200 });
    client.on('error', () => undefined);
    const ingest = new HqIngest({ store, client, clock: new SystemClock(), shared: 'g' });
    const watcher = await mqtt.connectAsync(broker.url, { clientId: 'watcher', protocolVersion: 5, reconnectPeriod: 200 });
    const births: { id: string; retain: boolean }[] = [];
    watcher.on('message', (t, p, packet) => {
      const b = t === INGEST_STATE_TOPIC ? parseIngestState(p) : null;
      if (b) births.push({ id: b.id, retain: packet.retain });
    });
    try {
      await watcher.subscribeAsync(INGEST_STATE_TOPIC, { qos: 1 });
      await ingest.start();
      await waitFor(() => births.length === 1, 10_000, 'the first birth');
      await broker.restart();
      await waitFor(() => births.filter((b) => !b.retain).length >= 2, 15_000, 'a live birth after the restart');
      const ids = births.map((b) => b.id);
      expect(new Set(ids.filter((_, i) => !births[i].retain)).size).toBe(births.filter((b) => !b.retain).length);
      // retained: a late subscriber gets the newest at once
      const late = await mqtt.connectAsync(broker.url, { clientId: 'late', protocolVersion: 5 });
      const got = new Promise<{ id: string; retain: boolean }>((resolve) => late.on('message', (_t, p, packet) => resolve({ id: parseIngestState(p)!.id, retain: packet.retain })));
      await late.subscribeAsync(INGEST_STATE_TOPIC, { qos: 1 });
      expect(await got).toEqual({ id: ids[ids.length - 1], retain: true });
      await late.endAsync(true);
    } finally {
      await ingest.stop();
      await client.endAsync(true);
      await watcher.endAsync(true);
      await store.close();
      await broker.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * Why the retained birth a kiosk gets right after its own connect may be passed over (ingest-state-subscription.ts): the
 * kiosk re-publishes what is not acked on every connect, and the broker handles one connection's packets in order — so
 * when the kiosk's subscription to the birth is in place before its first publish of that connection, a birth retained
 * by then proves ingest was subscribed before that publish. Read from Mosquitto's own debug log (the order it received
 * the kiosk's packets in): at the first connect, and after a broker restart — one that kept the session (persistence:
 * the subscription is still there, mqtt.js sends no SUBSCRIBE) and one that lost it (mqtt.js subscribes again, before
 * anything else of that connection).
 */
describe.each([
  ['in a worker thread', false],
  ['inline', true],
])('the HQ uplink %s is subscribed to the birth before it publishes, on every connect', (_name, inline) => {
  it.each([
    ['keeps the session (persistence on)', true],
    ['loses the session (persistence off)', false],
  ])('a broker restart that %s', async (_how, persistence) => {
    const broker = await Mosquitto.start({ persistence, extraConfig: ['log_type debug'] });
    const dir = tmpDir('ingest-birth-order-');
    const db = await kioskDb(dir);
    const mqttOpts = { clientId: `${STORE}/${DEVICE}`, clean: false, protocolVersion: 5 as const, reconnectPeriod: 200, properties: { sessionExpiryInterval: 3600 } };
    const thread = new UplinkThread(
      {
        brokerUrl: broker.url,
        mqtt: mqttOpts,
        dbFile: db.file,
        storeId: STORE,
        deviceId: DEVICE,
        drain: { deleteEveryMs: 0, slice: 64, atLane: { window: 4, pauseMs: 5 }, between: { window: 64, pauseMs: 0 } },
        nice: 10,
      },
      100,
      inline,
    );
    const client = new RemoteMqttClient(thread, mqttOpts);
    client.on('error', () => undefined);
    const drain = new RemoteOutboxPublisher(thread, db);
    const published = new Set<number>();
    drain.on('published', (seq) => published.add(seq));
    const stop = subscribeIngestState(client as unknown as MqttClient, drain, { clock: new SystemClock() });
    /** For each CONNACK to the kiosk in the broker's debug log: session present, and where its birth SUBSCRIBE and first events PUBLISH are. */
    const connects = (log: string) => {
      const out: { sessionPresent: boolean; subscribeAt: number; publishAt: number }[] = [];
      log.split('\n').forEach((line, i) => {
        const text = line.replace(/^\d+: /, '');
        const connack = /^Sending CONNACK to (\S+) \((\d), (\d+)\)$/.exec(text);
        if (connack && connack[1] === `${STORE}/${DEVICE}`) out.push({ sessionPresent: connack[2] === '1', subscribeAt: -1, publishAt: -1 });
        const c = out[out.length - 1];
        if (!c) return;
        // a SUBSCRIBE's topics follow its "Received SUBSCRIBE" line, one a line, tab-indented
        if (c.subscribeAt < 0 && text === `\t${INGEST_STATE_TOPIC} (QoS 1)`) c.subscribeAt = i;
        if (c.publishAt < 0 && text.startsWith(`Received PUBLISH from ${STORE}/${DEVICE} `) && text.includes('/events')) c.publishAt = i;
      });
      return out;
    };
    try {
      await appendEntries(db, DEVICE, 3);
      drain.start();
      client.connect();
      await waitFor(() => published.has(3), 15_000, 'the broker to PUBACK seq 3 (no ingest: nobody acks)');
      const firstLog = broker.log;
      published.clear();
      await broker.restart();
      await waitFor(() => published.has(3), 15_000, 'the kiosk to re-publish seq 3 after the restart');
      const [first] = connects(firstLog);
      expect(first.sessionPresent).toBe(false);
      expect(first.subscribeAt).toBeGreaterThanOrEqual(0);
      expect(first.publishAt).toBeGreaterThan(first.subscribeAt);
      const after = connects(broker.log.slice(firstLog.length));
      expect(after).toHaveLength(1);
      expect(after[0].sessionPresent).toBe(persistence);
      expect(after[0].publishAt).toBeGreaterThanOrEqual(0);
      if (persistence) expect(after[0].subscribeAt).toBe(-1); // the session kept the subscription: nothing to send
      else {
        expect(after[0].subscribeAt).toBeGreaterThanOrEqual(0);
        expect(after[0].publishAt).toBeGreaterThan(after[0].subscribeAt); // mqtt.js subscribed again, first
      }
    } finally {
      stop();
      await drain.stop();
      await client.endAsync(true);
      await broker.close();
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
