/**
 * Integration: a real kiosk (bootKiosk) with its HQ link (startHqLink) against a real Mosquitto, and an HQ side on
 * the same broker: IngestStore + HqIngest for the sales journal, and a plain mqtt.js client that publishes signed
 * config bundles, commands and price books and reads `config/reported`, `cmd/result` and `state`.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createPrivateKey, type KeyObject } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { loadConfig } from '../config/load';
import { bootKiosk, type Kiosk } from '../device/kiosk';
import { startHqLink, type HqLink } from '../device/hq-link';
import { HqIngest } from '../hq/ingest/ingest';
import { IngestStore } from '../hq/ingest/store';
import { mosquittoAcl } from '../hq/broker-acl';
import { pricebookPush } from '../hq/commands/pricebook-push';
import { sendCommand } from '../hq/commands/cmd';
import { generateHqKeyPair, signCommand, signConfigBundle, signManifest } from '../hq/signing';
import { SystemClock } from '../kernel/clock';
import type { Order } from '../runtime/orders/order';
import { item, items } from './support/pricebook-sync';
import type { StateMessage } from '../protocol/sync/messages';
import { mqttRequestResend } from '../hq/ingest/request-resend';
import { eventsTopic, resendTopic, stateTopic } from '../protocol/topics';
import type { CommandResult } from '../protocol/control/commands';
import type { ConfigReport } from '../protocol/control/config-bundle';
import { serializeEnvelope, type Envelope, type Scope } from '../protocol/signed-envelope';
import { TrustStore } from '../runtime/trust/trust-store';
import { writeIdentity } from '../runtime/trust/identity';
import { commandResultTopic, commandTopic, configReportedTopic, configTopic } from '../protocol/control/topics';
import { tempDir } from './support/engine-fixture';
import { freePort, Mosquitto } from './support/mosquitto';
import { waitFor } from './support/wait';

// Every kiosk here is given a broker, so the embedded Aedes HQ is never started; aedes v1 is an ES module that
// jest's CommonJS registry cannot load, so its module is replaced by one that refuses.
jest.mock('../device/embedded-hq', () => ({
  startEmbeddedHq: () => Promise.reject(new Error('the embedded HQ is not used in these tests')),
}));
jest.setTimeout(120_000);

const clock = new SystemClock();
const HQ = generateHqKeyPair();
const hqKey: KeyObject = createPrivateKey(HQ.privatePem);
const LONG = 60_000; // generous deadlines: the machine is shared and loaded

let ids = 0;
const uniqueIds = () => {
  ids += 1;
  const tag = `${process.pid}-${ids}`;
  return { store: `S${tag}`, device: `K${tag}` };
};

/** A kiosk booted with an HQ key installed in its trust store, and its HQ link to `broker`. */
interface LinkedKiosk {
  k: Kiosk;
  link: HqLink;
  store: string;
  device: string;
  dir: string;
  /** The link's structured log lines (pino JSON), parsed. */
  logs: Record<string, unknown>[];
  /** Stops the link and the kiosk, keeping its data dir (start it again with startKiosk(…, lk)). */
  stop(): Promise<void>;
  close(): Promise<void>;
}

/**
 * `again`: the same kiosk (data dir, store, device) started once more after a stop (`stop()`). `login`: provisioned
 * with these broker credentials (identity.json and its password file, as `kiosk provision --username` writes them).
 */
async function startKiosk(
  brokerUrl: string,
  protocolVersion: 4 | 5,
  again?: { store: string; device: string; dir: string },
  login?: { username: string; password: string },
): Promise<LinkedKiosk> {
  const { store, device } = again ?? uniqueIds();
  const dir = again?.dir ?? tempDir('kiosk-hq-link-');
  if (!fs.existsSync(path.join(dir, 'trust'))) TrustStore.open(dir).install([HQ.publicPem], { replace: true, now: Date.now() });
  if (login) {
    fs.mkdirSync(path.join(dir, 'secrets'), { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(dir, 'secrets', 'mqtt-password'), login.password, { mode: 0o600 });
    writeIdentity(dir, {
      v: 1,
      store,
      device,
      broker: { url: brokerUrl, auth: { kind: 'password', username: login.username, passwordFile: 'secrets/mqtt-password' } },
      provisionedAt: new Date().toISOString(),
    });
  }
  const config = loadConfig({
    env: {},
    overrides: { dataDir: dir, device: { storeId: store, deviceId: device }, hq: { broker: brokerUrl, protocolVersion } },
  });
  const k = await bootKiosk(config, { confirmCash: async () => true });
  const logs: Record<string, unknown>[] = [];
  const log = pino({ level: 'info', base: undefined }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  let link: HqLink;
  try {
    link = await startHqLink(k, { log });
  } catch (e) {
    await k.close();
    throw e;
  }
  const stop = async () => {
    await link.close();
    await k.close();
  };
  return {
    k,
    link,
    store,
    device,
    dir,
    logs,
    stop,
    async close() {
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** HQ: the ingest (sales journal) and an observer/publisher client that records everything under `kiosk/v1/#`. */
interface HqSide {
  store: IngestStore;
  ingest: HqIngest;
  client: MqttClient;
  /** Every message seen, in order of arrival. */
  seen: { topic: string; payload: string; retain: boolean }[];
  publish(topic: string, payload: string | Buffer, retain?: boolean): Promise<void>;
  close(): Promise<void>;
}

async function startHq(brokerUrl: string, protocolVersion: 4 | 5, dir: string): Promise<HqSide> {
  const store = await IngestStore.open(path.join(dir, `hq-${Date.now()}-${ids}.sqlite`));
  const ingestClient = mqtt.connect(brokerUrl, { protocolVersion, reconnectPeriod: 200, connectTimeout: 5000, clientId: `hq-ingest-${process.pid}-${++ids}` });
  ingestClient.on('error', () => undefined);
  const ingest = new HqIngest({ store, client: ingestClient, clock });
  ingest.on('error', () => undefined);
  await ingest.start();
  const client = mqtt.connect(brokerUrl, { protocolVersion, reconnectPeriod: 200, connectTimeout: 5000, clientId: `hq-obs-${process.pid}-${++ids}` });
  client.on('error', () => undefined);
  const seen: HqSide['seen'] = [];
  client.on('message', (topic, payload, packet) => seen.push({ topic, payload: payload.toString('utf8'), retain: packet.retain }));
  const subscribe = () => client.subscribe('kiosk/v1/#', { qos: 1 });
  client.on('connect', subscribe);
  return {
    store,
    ingest,
    client,
    seen,
    async publish(topic, payload, retain = false) {
      await waitFor('the HQ client to be connected', () => client.connected, LONG);
      await client.publishAsync(topic, payload, { qos: 1, retain });
    },
    async close() {
      await ingest.stop();
      await ingestClient.endAsync(true);
      await client.endAsync(true);
      await store.close();
    },
  };
}

const journalHead = async (k: Kiosk): Promise<number> => (await k.db.read.get<{ n: number | null }>('SELECT MAX(seq) AS n FROM journal'))?.n ?? 0;
const storedCount = async (s: IngestStore, store: string, device: string): Promise<number> =>
  (await s.db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM sales_events WHERE store_id = ? AND device_id = ?', [store, device]))?.n ?? 0;

/** Scans `codes` into a (new) order; returns it. */
async function openOrder(k: Kiosk, codes: string[]): Promise<Order> {
  let o: Order | null = null;
  for (const c of codes) {
    const r = await k.lane.scan(c);
    if (!r.ok || r.action !== 'item_added') throw new Error(`scan ${c}: ${JSON.stringify(r)}`);
    o = r.order;
  }
  return o!;
}

/** Checkout, cash (the attendant confirms), completed. */
async function finishOrder(k: Kiosk, o: Order): Promise<Order> {
  const started = await k.engine.dispatch(o.id, { type: 'checkout_started' });
  const paid = await k.checkout.pay(started.id, 'cash');
  expect(paid.state).toBe('paid');
  return k.engine.dispatch(paid.id, { type: 'order_completed' });
}

const sell = async (k: Kiosk, codes: string[]): Promise<Order> => finishOrder(k, await openOrder(k, codes));

/** The latest message on `topic` seen by HQ, parsed. */
function latest<T>(hq: HqSide, topic: string): T | null {
  for (let i = hq.seen.length - 1; i >= 0; i--) if (hq.seen[i].topic === topic) return JSON.parse(hq.seen[i].payload) as T;
  return null;
}

/** Waits for HQ to see the retained `config/reported` with a report at `level` matching `pred`. */
async function waitReport(hq: HqSide, lk: LinkedKiosk, level: ConfigReport['level'], what: string, pred: (r: ConfigReport) => boolean): Promise<ConfigReport> {
  return waitFor(
    `config/reported: ${what}`,
    () => latest<{ v: 1; levels: ConfigReport[] }>(hq, configReportedTopic(lk.store, lk.device))?.levels.find((r) => r.level === level && pred(r)),
    LONG,
  );
}

/** Publishes a command envelope and waits for its `cmd/result` (the `nth` one with this id, 1-based). */
async function runCommand(hq: HqSide, lk: LinkedKiosk, env: Envelope, nth = 1): Promise<CommandResult> {
  const id = (env.body as { id: string }).id;
  const results = () =>
    hq.seen.filter((m) => m.topic === commandResultTopic(lk.store, lk.device)).map((m) => JSON.parse(m.payload) as CommandResult).filter((r) => r.id === id);
  await hq.publish(commandTopic(lk.store, lk.device), serializeEnvelope(env));
  return waitFor(`cmd/result #${nth} of ${id}`, () => results()[nth - 1], LONG);
}

const bundle = (scope: Scope, version: number, body: Record<string, unknown>, key = hqKey, now = Date.now()) =>
  signConfigBundle({ scope, version, body, key, now, expiresInMs: 3_600_000 });

describe.each([5, 4] as const)('offline then online over Mosquitto (MQTT protocol version %i)', (protocolVersion) => {
  let broker: Mosquitto;
  let hqDir: string;
  let hq: HqSide | null = null;
  let lk: LinkedKiosk | null = null;

  beforeEach(async () => {
    broker = await Mosquitto.start();
    hqDir = tempDir('hq-link-hq-');
  });
  afterEach(async () => {
    await lk?.close();
    const stuck = lk?.logs.filter((l) => typeof l.step === 'string') ?? [];
    await hq?.close();
    lk = null;
    hq = null;
    await broker.close();
    fs.rmSync(hqDir, { recursive: true, force: true });
    // every step of the kiosk's stop finished (a hung one is logged by name and left behind: device/hq-link.ts close())
    expect(stuck).toEqual([]);
  });

  it('boots and sells with the broker down; once it is up every journal entry reaches HQ exactly once and the outbox empties', async () => {
    await broker.stop();
    lk = await startKiosk(broker.url, protocolVersion);
    const { k } = lk;
    expect(k.connectivity.hq).toBe(false);
    const codes = (await k.catalog.sample('plain', 3)).map((i) => i.barcodes[0]);
    const N = 15;
    for (let i = 0; i < N; i++) {
      const o = await sell(k, [codes[i % codes.length]]);
      expect(o.state).toBe('completed');
    }
    const head = await journalHead(k);
    expect(head).toBeGreaterThanOrEqual(N * 4); // each order: created, item, checkout, payment..., completed
    expect(await lk.link.publisher.backlog()).toBe(head); // nothing left while offline
    expect(k.connectivity.hq).toBe(false);

    await broker.start();
    hq = await startHq(broker.url, protocolVersion, hqDir);
    const h = hq;
    await waitFor('the outbox to empty', async () => (await lk!.link.publisher.backlog()) === 0, LONG);
    await waitFor('HQ to hold the whole journal', async () => (await h.store.device(lk!.store, lk!.device))?.contiguous_seq === head, LONG);
    await h.ingest.drain();
    expect(k.connectivity.hq).toBe(true);
    expect(await storedCount(h.store, lk.store, lk.device)).toBe(head);
    expect(await h.store.device(lk.store, lk.device)).toMatchObject({ contiguous_seq: head, stored: head, chain_ok: 1, rejected: 0 });
    const seqs = await h.store.db.read.all<{ seq: number }>('SELECT seq FROM sales_events WHERE store_id = ? AND device_id = ? ORDER BY seq', [lk.store, lk.device]);
    expect(seqs.map((r) => r.seq)).toEqual(Array.from({ length: head }, (_, i) => i + 1));
    // and the kiosk journal's hashes are what HQ stored
    const local = await k.db.read.all<{ seq: number; hash: string }>('SELECT seq, hash FROM journal ORDER BY seq');
    const remote = await h.store.db.read.all<{ seq: number; hash: string }>('SELECT seq, hash FROM sales_events WHERE store_id = ? AND device_id = ? ORDER BY seq', [
      lk.store,
      lk.device,
    ]);
    expect(remote).toEqual(local);
    // every entry's hash covers this kiosk's store (bootKiosk records it for the journal)
    expect(await k.db.read.all('SELECT DISTINCT store_id AS s FROM journal')).toEqual([{ s: lk.store }]);
  });

  it('stopping the kiosk while the broker is down does not hang (the link ends its client at once)', async () => {
    await broker.stop();
    const down = await startKiosk(broker.url, protocolVersion);
    await sell(down.k, [(await down.k.catalog.sample('plain', 1))[0].barcodes[0]]);
    expect(down.k.connectivity.hq).toBe(false);
    await down.close(); // hung for ever before: a queued unsubscribe made the graceful end wait for the broker
    expect(down.link.client.disconnected).toBe(true);
  });

  it('a command published while the kiosk is disconnected is delivered from its persistent session when it is back', async () => {
    hq = await startHq(broker.url, protocolVersion, hqDir);
    lk = await startKiosk(broker.url, protocolVersion);
    const h = hq;
    const cur = lk;
    await waitFor('the birth state', () => latest<StateMessage>(h, stateTopic(cur.store, cur.device))?.online === true, LONG);
    await waitFor('config/reported (subscribed)', () => latest(h, configReportedTopic(cur.store, cur.device)) !== null, LONG);
    // an unclean drop: the will tells HQ at once, the link reconnects by itself 2 s later; HQ sends the command in
    // between (were the kiosk back already, it would get it live, so this cannot fail spuriously)
    const before = h.seen.length;
    cur.link.client.stream.destroy();
    await waitFor('the kiosk to be offline', () => h.seen.slice(before).some((m) => m.topic === stateTopic(cur.store, cur.device)), LONG);
    const lock = signCommand({ store: cur.store, device: cur.device, name: 'lock', args: { reason: 'while away' }, key: hqKey, now: Date.now() });
    await h.publish(commandTopic(cur.store, cur.device), serializeEnvelope(lock));
    const results = () => h.seen.filter((m) => m.topic === commandResultTopic(cur.store, cur.device)).map((m) => JSON.parse(m.payload) as CommandResult);
    expect(await waitFor('the queued command to run', () => results().find((r) => r.id === lock.body.id), LONG)).toMatchObject({ status: 'ok' });
    expect(await cur.k.lane.scan((await cur.k.catalog.sample('plain', 1))[0].barcodes[0])).toMatchObject({ ok: false, code: 'LANE_CLOSED' });
  });

  it('last will: an unclean drop leaves HQ a retained state online:false with the time and versions; HQ keeps the versions', async () => {
    hq = await startHq(broker.url, protocolVersion, hqDir);
    const startedAt = Date.now();
    lk = await startKiosk(broker.url, protocolVersion);
    const h = hq;
    const { store, device } = lk;
    const topic = stateTopic(store, device);
    const birth = await waitFor('the birth state', () => (latest<StateMessage>(h, topic)?.online === true ? latest<StateMessage>(h, topic) : null), LONG);
    expect(birth.pricebookVersion).toEqual(await lk.k.catalog.version());
    // a config applied after the connect: the broker holds the will taken at CONNECT, without this version
    const scope: Scope = { kind: 'device', store, device };
    await h.publish(configTopic(scope), serializeEnvelope(bundle(scope, 1, { loyalty: { points: 2 } })), true);
    await waitFor('a birth with the config version', () => latest<StateMessage>(h, topic)?.configVersion === 'device:1', LONG);

    const before = h.seen.length;
    const droppedAt = Date.now();
    lk.link.client.options.reconnectPeriod = 0; // stay down, so the will is the last word
    lk.link.client.stream.destroy();
    const will = await waitFor('the last will', () => h.seen.slice(before).find((m) => m.topic === topic), LONG);
    const offline = JSON.parse(will.payload) as StateMessage;
    expect(offline).toMatchObject({ v: 1, online: false, software: birth.software, pricebookVersion: birth.pricebookVersion });
    expect(offline.ts).toBeGreaterThanOrEqual(startedAt);
    expect(offline.ts).toBeLessThanOrEqual(droppedAt);
    // HQ's fleet view: offline, and still the kiosk's versions (the newer birth's config version over the will's)
    const fleetState = () => h.ingest.fleet.get(store, device)?.state;
    const seenByHq = await waitFor('HQ fleet view offline', () => (fleetState()?.online === false ? fleetState() : null), LONG);
    expect(seenByHq).toMatchObject({ online: false, software: birth.software, configVersion: 'device:1', pricebookVersion: birth.pricebookVersion });
    expect(seenByHq.ts).toBeGreaterThanOrEqual(startedAt);
    const row = h.ingest.fleet.rows(Date.now()).find((r) => r.storeId === store && r.deviceId === device);
    expect(row).toMatchObject({ online: false, configVersion: 'device:1', pricebookVersion: birth.pricebookVersion, health: 'offline' });
    // retained: a client connecting afterwards (an HQ that restarts) is told the kiosk is offline, since when, and its versions
    const late = await mqtt.connectAsync(broker.url, { protocolVersion, reconnectPeriod: 0 });
    try {
      const retained = new Promise<{ payload: string; retain: boolean }>((resolve) =>
        late.on('message', (t, p, packet) => t === topic && resolve({ payload: p.toString('utf8'), retain: packet.retain })),
      );
      await late.subscribeAsync(topic, { qos: 1 });
      const r = await retained;
      expect(r.retain).toBe(true);
      expect(JSON.parse(r.payload)).toEqual(offline);
    } finally {
      await late.endAsync(true);
    }
  });
});

describe.each([5, 4] as const)('messages HQ queues while the kiosk is stopped are run when it starts (MQTT %i)', (protocolVersion) => {
  let broker: Mosquitto;
  let hqDir: string;
  const ends: (() => Promise<unknown>)[] = [];

  beforeEach(async () => {
    broker = await Mosquitto.start();
    hqDir = tempDir('hq-link-queued-');
  });
  afterEach(async () => {
    for (const end of ends.splice(0).reverse()) await end().catch(() => undefined);
    await broker.close();
    fs.rmSync(hqDir, { recursive: true, force: true });
  });

  /** HQ's ingest with a persistent session of its own: events published while it is stopped wait for it at the broker. */
  async function startIngest(store: IngestStore): Promise<{ ingest: HqIngest; stop(): Promise<void> }> {
    const client = mqtt.connect(broker.url, {
      protocolVersion,
      clientId: `hq-ingest-queued-${process.pid}`,
      clean: false,
      reconnectPeriod: 200,
      ...(protocolVersion === 5 ? { properties: { sessionExpiryInterval: 3600 } } : {}),
    });
    client.on('error', () => undefined);
    const ingest = new HqIngest({ store, client, clock });
    ingest.on('error', () => undefined);
    await ingest.start();
    let ended = false;
    const end = async (): Promise<void> => {
      if (ended) return;
      ended = true;
      await ingest.stop();
      await client.endAsync(true);
    };
    // also ended when the test fails midway: a client left reconnecting outlives the file and breaks the next one in the worker
    ends.push(end);
    await waitFor('the ingest to connect', () => client.connected, LONG);
    return { ingest, stop: end };
  }

  it('a signed lock, an ack, a resend request and a config bundle all take effect', async () => {
    const ingestStore = await IngestStore.open(path.join(hqDir, 'ingest.sqlite'));
    ends.push(() => ingestStore.close());
    const observer = await mqtt.connectAsync(broker.url, { protocolVersion, reconnectPeriod: 200, clientId: `hq-obs-queued-${process.pid}` });
    ends.push(() => observer.endAsync(true));
    const seen: { topic: string; payload: string }[] = [];
    observer.on('message', (topic, payload) => seen.push({ topic, payload: payload.toString('utf8') }));
    await observer.subscribeAsync('kiosk/v1/#', { qos: 1 });

    let ingest = await startIngest(ingestStore);
    let lk = await startKiosk(broker.url, protocolVersion);
    const first = lk;
    ends.push(() => first.close());
    const { store, device, dir } = lk;
    const code = (await lk.k.catalog.sample('plain', 1))[0].barcodes[0];
    await sell(lk.k, [code]);
    const synced = await journalHead(lk.k);
    await waitFor('HQ to store the first sale', async () => (await ingestStore.device(store, device))?.contiguous_seq === synced, LONG);
    await waitFor('the outbox to empty', async () => (await first.link.publisher.backlog()) === 0, LONG);

    // HQ's ingest is down while the kiosk sells once more; its events wait at the broker for the ingest's session
    await ingest.stop();
    await sell(lk.k, [code]);
    const head = await journalHead(lk.k);
    const event = (seq: number) => (m: { topic: string; payload: string }) => m.topic === eventsTopic(store, device) && (JSON.parse(m.payload) as { seq: number }).seq === seq;
    await waitFor('the broker to have the second sale', () => seen.some(event(head)), LONG);
    expect(await lk.link.publisher.backlog()).toBe(head - synced);
    await lk.stop();

    // the kiosk is away: HQ stores the sale and acks it, asks for a resend from 1, locks the lane, sends a bundle
    ingest = await startIngest(ingestStore);
    await waitFor('HQ to store the second sale', async () => (await ingestStore.device(store, device))?.contiguous_seq === head, LONG);
    await waitFor('HQ\'s ack at the broker', () => seen.some((m) => m.topic === `kiosk/v1/${store}/${device}/ack` && (JSON.parse(m.payload) as { seq: number }).seq === head), LONG);
    await ingest.stop(); // from here on nothing but the queued ack can trim the kiosk's outbox
    mqttRequestResend(observer)(store, device, 1);
    await waitFor('the resend request at the broker', () => seen.some((m) => m.topic === resendTopic(store, device)), LONG);
    const lock = signCommand({ store, device, name: 'lock', args: { reason: 'locked while away' }, key: hqKey, now: Date.now() });
    await observer.publishAsync(commandTopic(store, device), serializeEnvelope(lock), { qos: 1 });
    // not retained: only the copy queued in the kiosk's session can deliver it
    const scope: Scope = { kind: 'device', store, device };
    await observer.publishAsync(configTopic(scope), serializeEnvelope(bundle(scope, 1, { loyalty: { points: 9 } })), { qos: 1 });

    const before = seen.length;
    lk = await startKiosk(broker.url, protocolVersion, { store, device, dir });
    const again = lk;
    ends.push(() => again.close());
    const results = () => seen.slice(before).filter((m) => m.topic === commandResultTopic(store, device)).map((m) => JSON.parse(m.payload) as CommandResult);
    expect(await waitFor('the queued lock to run', () => results().find((r) => r.id === lock.body.id), LONG)).toMatchObject({ status: 'ok', result: { locked: true } });
    expect(await again.k.lane.scan(code)).toMatchObject({ ok: false, code: 'LANE_CLOSED' });
    // (the lock journals `lane_closed`, which stays in the outbox: no ingest runs now to ack it)
    const unacked = async () => (await again.k.db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM outbox WHERE seq <= ?', [head]))?.n;
    await waitFor('the queued ack to trim the outbox', async () => (await unacked()) === 0, LONG);
    expect(again.link.publisher.ackedSeq).toBe(head);
    // seq 1 left the outbox before the first stop: only the resend request publishes it again
    await waitFor('the resend to be served', () => seen.slice(before).some(event(1)), LONG);
    await waitFor('the queued bundle to be applied', () => again.k.liveConfig.loyalty.points === 9, LONG);
    expect(await again.k.bundles.reported()).toEqual([{ v: 1, level: 'device', version: 1, status: 'applied', inForce: 1 }]);
  });
});

describe.each([5, 4] as const)('a provisioned kiosk on the shipped broker configuration (MQTT %i)', (protocolVersion) => {
  let broker: Mosquitto;
  let dir: string;
  const ends: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const end of ends.splice(0).reverse()) await end().catch(() => undefined);
    await broker.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('connects with its username as client id, and its session (with a lock sent while it was stopped) survives its restart', async () => {
    const { store, device } = uniqueIds();
    const user = `${store}/${device}`;
    dir = tempDir('hq-link-shipped-');
    const files = { 'kiosk.passwd': path.join(dir, 'kiosk.passwd'), 'hq.passwd': path.join(dir, 'hq.passwd'), 'kiosk.acl': path.join(dir, 'kiosk.acl') };
    fs.writeFileSync(files['kiosk.passwd'], '');
    fs.writeFileSync(files['hq.passwd'], '');
    execFileSync('mosquitto_passwd', ['-b', files['kiosk.passwd'], user, 'pw-kiosk']);
    execFileSync('mosquitto_passwd', ['-b', files['hq.passwd'], 'hq', 'pw-hq']);
    fs.writeFileSync(files['kiosk.acl'], mosquittoAcl([{ store, device }]));
    for (const f of Object.values(files)) fs.chmodSync(f, 0o644);
    fs.chmodSync(dir, 0o755);
    broker = await Mosquitto.start({ shipped: { hqPort: await freePort(), files } });

    const hq = await mqtt.connectAsync(broker.hqUrl, { username: 'hq', password: 'pw-hq', protocolVersion, reconnectPeriod: 200, clientId: `hq-shipped-${process.pid}` });
    ends.push(() => hq.endAsync(true));
    const seen: { topic: string; payload: string }[] = [];
    hq.on('message', (topic, p) => seen.push({ topic, payload: p.toString('utf8') }));
    await hq.subscribeAsync('kiosk/v1/#', { qos: 1 });

    const kioskDir = tempDir('kiosk-hq-link-shipped-');
    const login = { username: user, password: 'pw-kiosk' };
    const first = await startKiosk(broker.url, protocolVersion, { store, device, dir: kioskDir }, login);
    ends.push(() => first.close());
    expect(first.link.client.options.clientId).toBe(user);
    const online = () => seen.some((m) => m.topic === stateTopic(store, device) && (JSON.parse(m.payload) as StateMessage).online);
    await waitFor('the kiosk online', online, LONG);
    await first.stop();

    const lock = signCommand({ store, device, name: 'lock', args: { reason: 'closed while stopped' }, key: hqKey, now: Date.now() });
    await hq.publishAsync(commandTopic(store, device), serializeEnvelope(lock), { qos: 1 });
    const again = await startKiosk(broker.url, protocolVersion, { store, device, dir: kioskDir }, login);
    ends.push(() => again.stop());
    const result = () => seen.filter((m) => m.topic === commandResultTopic(store, device)).map((m) => JSON.parse(m.payload) as CommandResult).find((r) => r.id === lock.body.id);
    expect(await waitFor('the lock queued in its session', result, LONG)).toMatchObject({ status: 'ok', result: { locked: true } });
    expect(await again.k.lane.scan((await again.k.catalog.sample('plain', 1))[0].barcodes[0])).toMatchObject({ ok: false, code: 'LANE_CLOSED' });
  });
});

describe('signed config, commands and price books over Mosquitto (MQTT 5)', () => {
  let broker: Mosquitto;
  let hqDir: string;
  let hq: HqSide;
  let lk: LinkedKiosk | null = null;

  beforeAll(async () => {
    broker = await Mosquitto.start();
    hqDir = tempDir('hq-link-hq-');
    hq = await startHq(broker.url, 5, hqDir);
  });
  afterAll(async () => {
    await hq.close();
    await broker.close();
    fs.rmSync(hqDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    lk = await startKiosk(broker.url, 5);
    const cur = lk;
    // subscribed to config and commands: the retained `config/reported` (empty levels) or `state` shows it is up
    await waitFor('the kiosk birth', () => latest<StateMessage>(hq, stateTopic(cur.store, cur.device))?.online === true, LONG);
  });
  afterEach(async () => {
    await lk?.close();
    lk = null;
  });

  it('a store bundle arriving mid-order stays pending; it is applied when the order ends and reported with its version', async () => {
    const { k, store } = lk!;
    const codes = (await k.catalog.sample('plain', 2)).map((i) => i.barcodes[0]);
    const before = k.liveConfig;
    expect(before.loyalty.points).toBe(1);
    const order = await openOrder(k, [codes[0]]);

    const env = bundle({ kind: 'store', store }, 3, { loyalty: { points: 5 }, device: { name: 'Lane renamed by HQ' } });
    await hq.publish(configTopic({ kind: 'store', store }), serializeEnvelope(env), true);
    const pending = await waitReport(hq, lk!, 'store', 'store pending', (r) => r.status === 'pending');
    expect(pending).toEqual({ v: 1, level: 'store', version: 3, status: 'pending', inForce: null, pending: 3 });
    expect(await k.bundles.reported()).toEqual([{ v: 1, level: 'store', version: 3, status: 'pending', inForce: null, pending: 3 }]);
    expect(k.liveConfig).toBe(before);
    expect(k.liveConfig.loyalty.points).toBe(1);
    expect(k.liveConfig.device.name).toBe(before.device.name);

    const done = await finishOrder(k, order);
    expect(done.state).toBe('completed');
    const applied = await waitReport(hq, lk!, 'store', 'store applied', (r) => r.status === 'applied');
    expect(applied).toEqual({ v: 1, level: 'store', version: 3, status: 'applied', inForce: 3 });
    expect(k.liveConfig.loyalty.points).toBe(5);
    expect(k.liveConfig.device.name).toBe('Lane renamed by HQ');
    expect(await k.bundles.reported()).toEqual([{ v: 1, level: 'store', version: 3, status: 'applied', inForce: 3 }]);
    // the next sale earns points by the new rule, and the birth state carries the config version
    const next = await sell(k, [codes[1]]);
    expect(next.paid).toBeGreaterThan(0);
    await waitFor('a birth with the config version', () => latest<StateMessage>(hq, stateTopic(lk!.store, lk!.device))?.configVersion === 'store:3', LONG);
  });

  it('bad signature, unknown key, wrong scope, replayed version and invalid body are rejected with the reason; the last good config stays', async () => {
    const { k, store, device } = lk!;
    const scope: Scope = { kind: 'device', store, device };
    const topic = configTopic(scope);
    await hq.publish(topic, serializeEnvelope(bundle(scope, 1, { loyalty: { points: 7 } })), true);
    await waitReport(hq, lk!, 'device', 'v1 applied', (r) => r.status === 'applied' && r.version === 1);
    expect(k.liveConfig.loyalty.points).toBe(7);
    const good = k.liveConfig;

    const tampered = { ...bundle(scope, 2, { loyalty: { points: 8 } }), body: { loyalty: { points: 80 } } };
    const other = generateHqKeyPair();
    const cases: { what: string; env: Envelope; reason: string; version: number | null }[] = [
      { what: 'bad signature', env: tampered, reason: 'bad_signature', version: null },
      { what: 'unknown key', env: bundle(scope, 3, { loyalty: { points: 9 } }, createPrivateKey(other.privatePem)), reason: 'unknown_key', version: null },
      { what: 'wrong scope', env: bundle({ kind: 'device', store, device: 'someone-else' }, 4, { loyalty: { points: 10 } }), reason: 'wrong_scope', version: 4 },
      { what: 'replayed version', env: bundle(scope, 1, { loyalty: { points: 11 } }, hqKey, Date.now() + 1000), reason: 'not_newer', version: 1 },
      { what: 'invalid body', env: bundle(scope, 5, { tax: { rate: '7%' } }), reason: 'invalid_body', version: 5 },
    ];
    for (const c of cases) {
      await hq.publish(topic, serializeEnvelope(c.env), true);
      const r = await waitReport(hq, lk!, 'device', c.what, (x) => x.status === 'rejected' && x.reason === c.reason);
      expect(r).toMatchObject({ level: 'device', status: 'rejected', reason: c.reason, version: c.version });
      expect(typeof r.detail).toBe('string');
      if (c.reason === 'invalid_body') expect(r.detail).toMatch(/tax\.rate/);
      expect(k.liveConfig).toBe(good);
      expect(k.bundles.current().loyalty.points).toBe(7);
      expect(k.liveConfig.tax.rate).toBe(good.tax.rate);
    }
    // a good newer version is still accepted after all that
    await hq.publish(topic, serializeEnvelope(bundle(scope, 6, { loyalty: { points: 12 } })), true);
    await waitReport(hq, lk!, 'device', 'v6 applied', (r) => r.status === 'applied' && r.version === 6);
    expect(k.liveConfig.loyalty.points).toBe(12);
  });

  it('commands: lock/unlock, at most once, expiry, resend and rebirth, each with its cmd/result', async () => {
    const { k, store, device } = lk!;
    const codes = (await k.catalog.sample('plain', 2)).map((i) => i.barcodes[0]);
    await sell(k, [codes[0]]);
    await sell(k, [codes[1]]);
    const head = await journalHead(k);
    await waitFor('HQ to hold the journal', async () => (await hq.store.device(store, device))?.contiguous_seq === head, LONG);

    const lock = signCommand({ store, device, name: 'lock', args: { reason: 'cleaning' }, key: hqKey, now: Date.now() });
    expect(await runCommand(hq, lk!, lock)).toMatchObject({ v: 1, id: lock.body.id, name: 'lock', status: 'ok', result: { locked: true } });
    expect(await k.lane.scan(codes[0])).toMatchObject({ ok: false, code: 'LANE_CLOSED' });
    expect(await k.engine.openOrder()).toBeNull();

    const unlock = signCommand({ store, device, name: 'unlock', args: {}, key: hqKey, now: Date.now() });
    expect(await runCommand(hq, lk!, unlock)).toMatchObject({ status: 'ok', result: { locked: false } });
    const reopened = await k.lane.scan(codes[0]);
    expect(reopened).toMatchObject({ ok: true, action: 'item_added' });
    if (reopened.ok && reopened.action === 'item_added') await finishOrder(k, reopened.order);

    // the very same lock envelope again: not run twice
    expect(await runCommand(hq, lk!, lock, 2)).toMatchObject({ id: lock.body.id, status: 'rejected', reason: 'already_executed' });
    expect((await k.lane.scan(codes[1])).ok).toBe(true); // still open
    const o = await k.engine.openOrder();
    await finishOrder(k, o!);

    const expired = signCommand({ store, device, name: 'lock', args: {}, key: hqKey, now: Date.now() - 11 * 60_000 });
    expect(await runCommand(hq, lk!, expired)).toMatchObject({ id: expired.body.id, status: 'rejected', reason: 'expired' });
    const stillOpen = await k.lane.scan(codes[1]);
    expect(stillOpen.ok).toBe(true);
    await finishOrder(k, (await k.engine.openOrder())!);

    // resend from 1: HQ gets the whole journal again, counts duplicates, stores nothing twice
    const all = await journalHead(k);
    await waitFor('HQ to hold the journal', async () => (await hq.store.device(store, device))?.contiguous_seq === all, LONG);
    await hq.ingest.drain();
    const dupBefore = (await hq.store.device(store, device))!.duplicates;
    const resend = signCommand({ store, device, name: 'resend', args: { fromSeq: 1 }, key: hqKey, now: Date.now() });
    expect(await runCommand(hq, lk!, resend)).toMatchObject({ status: 'ok', result: { resendingFrom: 1 } });
    await waitFor('HQ to count the resent entries as duplicates', async () => (await hq.store.device(store, device))!.duplicates >= dupBefore + all, LONG);
    expect(await storedCount(hq.store, store, device)).toBe(all);
    expect(await hq.store.device(store, device)).toMatchObject({ contiguous_seq: all, stored: all, rejected: 0, chain_ok: 1 });

    // rebirth: a fresh retained state, online
    const stateT = stateTopic(store, device);
    const seenBefore = hq.seen.length;
    const issued = Date.now();
    const rebirth = signCommand({ store, device, name: 'rebirth', args: {}, key: hqKey, now: issued });
    expect(await runCommand(hq, lk!, rebirth)).toMatchObject({ status: 'ok', result: { state: { v: 1, online: true } } });
    const fresh = await waitFor('a fresh state', () => hq.seen.slice(seenBefore).find((m) => m.topic === stateT), LONG);
    const state = JSON.parse(fresh.payload) as StateMessage;
    expect(state).toMatchObject({ v: 1, online: true });
    expect(state.ts).toBeGreaterThanOrEqual(issued);
  });

  it('a refused command it could not verify: cmd/result echoes nothing forged, and `hq cmd --wait` still gets it by payload hash', async () => {
    const { k, store, device, dir } = lk!;
    const keyFile = path.join(dir, 'stranger.key');
    fs.writeFileSync(keyFile, generateHqKeyPair().privatePem, { mode: 0o600 });
    const r = await sendCommand(`${store}/${device}`, 'lock', { key: keyFile, broker: broker.url, wait: true, timeout: '60' }, { out: () => undefined, clock });
    expect(r).toMatchObject({ v: 1, id: null, name: null, status: 'rejected', reason: 'unknown_key', payloadSha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect((await k.lane.scan((await k.catalog.sample('plain', 1))[0].barcodes[0])).ok).toBe(true); // not locked
  });

  it('price book: HQ chunks, signs and publishes a 50-item book for the store; the kiosk applies it', async () => {
    const { k, store, dir } = lk!;
    const keyFile = path.join(dir, 'hq.key');
    fs.writeFileSync(keyFile, HQ.privatePem, { mode: 0o600 });
    const book = path.join(dir, 'book.jsonl');
    fs.writeFileSync(book, items(1, 50).map((i) => JSON.stringify(i)).join('\n') + '\n');
    const fresh = item(42);
    expect(await k.catalog.byBarcode(fresh.barcodes[0])).toBeNull();
    const before = await k.catalog.version();
    expect(before).not.toBe('2026.11.22');

    const manifest = await pricebookPush(book, { version: '2026.11.22', scope: `store:${store}`, key: keyFile, broker: broker.url }, { sign: signManifest, out: () => undefined });
    expect(manifest).toMatchObject({ version: '2026.11.22', kind: 'full', items: 50 });
    await waitFor('the kiosk to apply the book', async () => (await k.catalog.version()) === '2026.11.22', LONG);
    expect(await k.catalog.byBarcode(fresh.barcodes[0])).toEqual(fresh);
    expect(await k.catalog.count()).toBe(50);
    expect(await lk!.link.pricebooks.status()).toMatchObject({ version: '2026.11.22', status: 'applied' });
    // a book signed by a key the kiosk does not trust is refused, the catalog stays
    const otherKey = path.join(dir, 'other.key');
    fs.writeFileSync(otherKey, generateHqKeyPair().privatePem, { mode: 0o600 });
    // … and `pricebook push --wait` hears that refusal (the kiosk names the version the manifest claimed) instead of timing out
    const refused = await pricebookPush(
      book,
      { version: '2026.11.23', scope: `store:${store}`, key: otherKey, broker: broker.url, wait: true, timeout: '30', devices: lk!.device },
      { sign: signManifest, out: () => undefined },
    );
    expect(refused.kiosks).toEqual([expect.objectContaining({ device: lk!.device, status: 'rejected', reason: 'unknown_key' })]);
    expect(refused.kiosks?.[0].detail).toContain('could not be verified');
    await waitFor(
      'the untrusted book to be refused',
      () => lk!.logs.some((l) => l.msg === 'price book' && JSON.stringify(l.pricebook).includes('"reason":"unknown_key"')),
      LONG,
    );
    expect(await k.catalog.version()).toBe('2026.11.22');
  });
});
