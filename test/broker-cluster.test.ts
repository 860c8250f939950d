/**
 * A clustered broker: NATS (Debian's nats-server 2.9) as three nodes on loopback, JetStream on each, MQTT on each with
 * its sessions, QoS 1 messages and retained messages in JetStream streams replicated on all three (R3, Raft), behind a
 * TCP round-robin balancer (test/support/tcp-balancer.ts) as a production load balancer in front of a broker cluster.
 * NATS speaks MQTT 3.1.1 only: the kiosks (set to MQTT 5) and HQ fall back by themselves.
 *
 * Real kiosks (bootKiosk + startHqLink: the uplink worker thread, outbox drain, presence) each boot with a backlog of
 * journal entries in their outbox; a real HqIngest on a SQLite ingest file takes them (persistent session, clean:false).
 * Mid-drain — some hundreds of events stored at HQ, thousands to go — the node HQ's connection runs through is killed
 * with SIGKILL (a kiosk is on it too). Everything reconnects through the balancer to the live nodes, the kiosks sell on,
 * and at the end every outbox is empty and HQ holds every (store, device, seq) exactly once, with the kiosk's hashes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { loadConfig } from '../config/load';
import { bootKiosk, dbPath, type Kiosk } from '../device/kiosk';
import { startHqLink, type HqLink } from '../device/hq-link';
import { HqIngest } from '../hq/ingest/ingest';
import { IngestStore } from '../hq/ingest/store';
import { SystemClock } from '../kernel/clock';
import { applyProtocolFallback } from '../kernel/mqtt-protocol-fallback';
import { applyReconnectBackoff } from '../kernel/reconnect-backoff';
import { appendJournal, type JournalHead } from '../runtime/journal/append';
import { tempDir } from './support/engine-fixture';
import { NatsCluster } from './support/nats-cluster';
import { withRawDb } from './support/sqlite';
import { kioskDb } from './support/sync-fixtures';
import { TcpBalancer } from './support/tcp-balancer';
import { waitFor } from './support/wait';

// the kiosks here are given a broker: the embedded Aedes HQ (an ES module jest cannot load) is never started
jest.mock('../device/embedded-hq', () => ({
  startEmbeddedHq: () => Promise.reject(new Error('the embedded HQ is not used in these tests')),
}));
jest.setTimeout(150_000);

const STORE = 'SN';
const KIOSKS = 3;
/** Journal entries in each kiosk's outbox at boot. */
const BACKLOG = 2500;
/** HQ has stored at least this many events when the node is killed… */
const KILL_AFTER = 300;
/** …and at least this many are still to come. */
const MIN_TO_GO = 1000;
const HQ_CLIENT_ID = 'hq-ingest-nats-test';
const LONG = 60_000;

/** `n` order_completed entries (five lines each) chained from genesis in the kiosk database at `file`, before it boots. */
async function seedBacklog(dataDir: string, deviceId: string, n: number): Promise<void> {
  const file = dbPath(dataDir);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = await kioskDb(path.dirname(file), path.basename(file));
  const t0 = Date.now() - n;
  let head: JournalHead | null = null;
  await db.transaction(async (tx) => {
    for (let i = 0; i < n; i++) {
      const payload = { total: 1999 + i, receiptNo: i, lines: Array.from({ length: 5 }, (_, j) => ({ sku: `S${j}`, qty: 1, price: 199 + j })) };
      head = await appendJournal(tx, { deviceId, ts: t0 + i, orderId: `backlog-${deviceId}-${i}`, type: 'order_completed', payload }, head);
    }
  });
  await db.close();
}

async function sell(k: Kiosk): Promise<void> {
  const [code] = (await k.catalog.sample('plain', 1))[0].barcodes;
  const r = await k.lane.scan(code);
  if (!r.ok || r.action !== 'item_added') throw new Error(`scan: ${JSON.stringify(r)}`);
  const started = await k.engine.dispatch(r.order.id, { type: 'checkout_started' });
  const paid = await k.checkout.pay(started.id, 'cash');
  await k.engine.dispatch(paid.id, { type: 'order_completed' });
}

const headOf = async (k: Kiosk): Promise<number> => (await k.db.read.get<{ n: number }>('SELECT MAX(seq) AS n FROM journal'))!.n;

describe('a 3-node NATS cluster (JetStream R3, MQTT 3.1.1) behind a TCP balancer', () => {
  let cluster: NatsCluster;
  let balancer: TcpBalancer;
  let dir: string;
  const ends: (() => Promise<unknown>)[] = [];
  beforeAll(async () => {
    dir = tempDir('broker-cluster-');
    cluster = await NatsCluster.start({ nodes: 3 });
    balancer = await TcpBalancer.start(cluster.nodes.map((n) => n.mqttPort));
  });
  afterAll(async () => {
    for (const end of ends.splice(0).reverse()) await end().catch(() => undefined);
    await balancer?.close();
    await cluster?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a node killed with SIGKILL mid-drain: every outbox empties and HQ holds every event exactly once', async () => {
    const t0 = Date.now();
    const say = (msg: string) => process.stdout.write(`[broker-cluster +${((Date.now() - t0) / 1000).toFixed(1)} s] ${msg}\n`);

    // HQ: a real HqIngest on a SQLite file; its client as `hq ingest` makes it (MQTT 5 first, falls back; HQ's
    // backoff), with a persistent session so the cluster keeps what arrives for HQ while HQ is away
    const store = await IngestStore.open(path.join(dir, 'hq.sqlite'));
    ends.push(() => store.close());
    const hqClient: MqttClient = mqtt.connect(balancer.url, {
      protocolVersion: 5,
      properties: { sessionExpiryInterval: 86_400 },
      clean: false,
      clientId: HQ_CLIENT_ID,
      reconnectPeriod: 500,
      connectTimeout: 10_000,
    });
    applyReconnectBackoff(hqClient, { baseMs: 200, capMs: 2000 });
    const hqFallbacks: string[] = [];
    let refusal: Error | undefined;
    applyProtocolFallback(hqClient, ({ cause, error }) => {
      refusal = error;
      hqFallbacks.push(cause);
    });
    const hqErrors: string[] = [];
    hqClient.on('error', (e) => e !== refusal && hqErrors.push(e.message));
    const connacks: { at: number; sessionPresent: boolean }[] = [];
    let redelivered = 0; // PUBLISHes the broker marked DUP (sent to HQ again by the broker itself)
    hqClient.on('packetreceive', (p) => {
      if (p.cmd === 'connack' && !(p as { returnCode?: number }).returnCode) connacks.push({ at: Date.now(), sessionPresent: Boolean((p as { sessionPresent?: boolean }).sessionPresent) });
      if (p.cmd === 'publish' && (p as { dup?: boolean }).dup) redelivered++;
    });
    ends.push(() => hqClient.endAsync(true));
    const ingest = new HqIngest({ store, client: hqClient, clock: new SystemClock() });
    ingest.on('error', () => undefined);
    ends.push(() => ingest.stop());
    await ingest.start();
    await waitFor('HQ connected', () => hqClient.connected, LONG);
    expect(hqClient.options.protocolVersion).toBe(4);
    expect(hqFallbacks).toEqual([expect.stringMatching(/refused MQTT 5 \(CONNACK 1/)]);

    // a bare probe beside them, without any outbox: every QoS 1 message the cluster PUBACKed must reach a persistent
    // subscriber (on whatever node), whatever node dies — what NATS itself keeps, with nobody resending beyond MQTT's
    // own in-flight retry
    const probeSub = mqtt.connect(balancer.url, { protocolVersion: 4, clean: false, clientId: 'probe-sub', reconnectPeriod: 200 });
    const probeGot = new Set<number>();
    probeSub.on('message', (_t, p) => probeGot.add(Number(p.toString())));
    probeSub.on('error', () => undefined);
    ends.push(() => probeSub.endAsync(true));
    await waitFor('probe subscriber connected', () => probeSub.connected, LONG);
    await probeSub.subscribeAsync('probe/seq', { qos: 1 });
    const probePub = mqtt.connect(balancer.url, { protocolVersion: 4, clean: false, clientId: 'probe-pub', reconnectPeriod: 200 });
    probePub.on('error', () => undefined);
    ends.push(() => probePub.endAsync(true));
    const probeAcked = new Set<number>();
    let probeNext = 0;
    const probeTimer = setInterval(() => {
      const n = ++probeNext;
      probePub.publish('probe/seq', String(n), { qos: 1 }, (err) => void (!err && probeAcked.add(n)));
    }, 20);
    ends.push(async () => clearInterval(probeTimer));

    // the kiosks, one after another, each with its backlog, set to MQTT 5 as by default
    const kiosks: { id: string; k: Kiosk; link: HqLink; logs: Record<string, unknown>[] }[] = [];
    for (let i = 1; i <= KIOSKS; i++) {
      const id = `K${i}`;
      const dataDir = path.join(dir, id);
      await seedBacklog(dataDir, id, BACKLOG);
      const config = loadConfig({
        env: {},
        overrides: { dataDir, device: { storeId: STORE, deviceId: id }, hq: { broker: balancer.url, protocolVersion: 5, reconnect: { baseMs: 200, capMs: 2000 } } },
      });
      const k = await bootKiosk(config, { confirmCash: async () => true });
      ends.push(() => k.close());
      const logs: Record<string, unknown>[] = [];
      const log = pino({ level: 'info', base: undefined }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
      const link = await startHqLink(k, { log });
      ends.push(() => link.close());
      await waitFor(`kiosk ${id} connected`, () => link.client.connected, LONG);
      kiosks.push({ id, k, link, logs });
    }
    const total = KIOSKS * BACKLOG;

    // mid-drain: the node HQ's connection runs through dies without a word
    await waitFor(`${KILL_AFTER} events stored at HQ`, () => ingest.stats.stored >= KILL_AFTER, LONG, 5);
    const storedAtKill = ingest.stats.stored;
    const hqConn = balancer.openConnectionOf(HQ_CLIENT_ID)!;
    expect(hqConn).toBeDefined();
    const victim = hqConn.target;
    const victimName = cluster.nodes[victim].name;
    const kiosksOnVictim = kiosks.filter((x) => balancer.openConnectionOf(`${STORE}/${x.id}`)?.target === victim).map((x) => x.id);
    const leaderBefore = await cluster.metaLeader(victim);
    expect(total - storedAtKill).toBeGreaterThanOrEqual(MIN_TO_GO);
    // a kiosk shares HQ's node: the kiosks and HQ connected in turn through the round-robin balancer
    expect(kiosksOnVictim.length).toBeGreaterThanOrEqual(1);
    const killedAt = Date.now();
    await cluster.kill(victim);
    say(`killed ${victimName} (SIGKILL) with ${storedAtKill} of ${total} backlog events stored at HQ; on it: HQ, ${kiosksOnVictim.join(', ')}; JetStream meta leader was ${leaderBefore}`);

    // the lanes sell on while the cluster recovers
    for (const x of kiosks) await sell(x.k);

    await waitFor('HQ reconnected to a live node', () => {
      const c = balancer.openConnectionOf(HQ_CLIENT_ID);
      return c && c.target !== victim && hqClient.connected;
    }, LONG);
    const hqBackAt = Date.now();
    for (const id of kiosksOnVictim) {
      await waitFor(`kiosk ${id} reconnected to a live node`, () => {
        const c = balancer.openConnectionOf(`${STORE}/${id}`);
        return c && c.target !== victim;
      }, LONG);
    }
    const kiosksBackAt = Date.now();
    await cluster.ready(LONG); // the two nodes left agree on a (new) JetStream meta leader
    say(`HQ back on ${cluster.nodes[balancer.openConnectionOf(HQ_CLIENT_ID)!.target].name} after ${hqBackAt - killedAt} ms (session present: ${connacks.at(-1)?.sessionPresent}); kiosks back after ${kiosksBackAt - killedAt} ms; meta leader now ${await cluster.metaLeader(cluster.live()[0])}`);

    for (const x of kiosks) await sell(x.k);

    // the end: every outbox empty, every event at HQ once
    const heads = new Map<string, number>();
    for (const x of kiosks) {
      const head = await headOf(x.k);
      heads.set(x.id, head);
      expect(head).toBeGreaterThan(BACKLOG);
      await waitFor(`HQ to hold ${x.id}'s whole journal (${head})`, async () => (await store.device(STORE, x.id))?.contiguous_seq === head, LONG);
      await waitFor(`${x.id}'s outbox to empty (HQ acked)`, async () => (await x.link.publisher.backlog()) === 0, LONG);
    }
    const drainedAt = Date.now();
    for (const x of kiosks) {
      const head = heads.get(x.id)!;
      expect(await store.device(STORE, x.id)).toMatchObject({ contiguous_seq: head, stored: head, chain_ok: 1, rejected: 0 });
      // every (store, device, seq) once, with the kiosk's own hash
      const kioskRows = await x.k.db.read.all<{ seq: number; hash: string }>('SELECT seq, hash FROM journal ORDER BY seq');
      const hqRows = await withRawDb(path.join(dir, 'hq.sqlite'), (q) =>
        q.all<{ seq: number; hash: string }>('SELECT seq, hash FROM sales_events WHERE store_id = ? AND device_id = ? ORDER BY seq', [STORE, x.id]),
      );
      expect(hqRows).toHaveLength(head);
      expect(hqRows).toEqual(kioskRows);
      // the kiosk went to 3.1.1 by itself, said so once, and stayed there through the node's death
      expect(x.link.client.options.protocolVersion).toBe(4);
      expect(x.logs.filter((l) => String(l.msg).includes('does not speak MQTT 5'))).toHaveLength(1);
      const levels = balancer.connections().filter((c) => c.clientId === `${STORE}/${x.id}`).map((c) => c.level);
      expect(levels[0]).toBe(5);
      expect(levels.slice(1).length).toBeGreaterThanOrEqual(1);
      expect(new Set(levels.slice(1))).toEqual(new Set([4]));
    }
    expect(await store.quarantine()).toEqual([]);
    expect(await store.quarantinedChains()).toEqual([]);
    expect(ingest.stats).toMatchObject({ rejected: 0, malformed: 0, quarantined: 0 });
    expect(ingest.stats.stored).toBe([...heads.values()].reduce((a, b) => a + b, 0));
    // HQ's session survived the node: its reconnect found it (it lives in the R3 $MQTT_sess stream)
    expect(connacks.length).toBeGreaterThanOrEqual(2);
    expect(connacks.at(-1)!.sessionPresent).toBe(true);
    expect(hqErrors).toEqual([]);
    // the probe: every message the cluster PUBACKed, before, during and after the node's death, was delivered
    clearInterval(probeTimer);
    const probeSent = probeNext;
    await waitFor('the probe publisher to settle', () => probePub.connected && Object.keys((probePub as unknown as { outgoing: object }).outgoing).length === 0, LONG);
    await waitFor('every PUBACKed probe message delivered', () => [...probeAcked].every((n) => probeGot.has(n)), LONG);
    expect(probeAcked.size).toBeGreaterThan(100);

    say(
      `drained ${drainedAt - killedAt} ms after the kill (whole run ${drainedAt - t0} ms); HQ stored ${ingest.stats.stored}, ` +
        `duplicates ${ingest.stats.duplicate} (redelivered by NATS with DUP: ${redelivered}), resend requests ${ingest.stats.resendRequests}; ` +
        `connections through the balancer: ${balancer.connections().length}; probe: ${probeAcked.size} of ${probeSent} PUBACKed, all delivered`,
    );
  });
});
