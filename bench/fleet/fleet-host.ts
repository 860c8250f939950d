/*
 * A child process of bench/fleet (forked by fleet.ts, IPC messages below): hosts a share of the simulated kiosks
 * (fleet-kiosk.ts), or bare mqtt.js publishers of the same payloads for the baseline, or (argv `sub`) one bare
 * shared-subscription subscriber of the baseline. It exits when its parent goes away.
 */
import mqtt, { type MqttClient } from 'mqtt';
import sqlite3 from 'sqlite3';
import type { JournalRow } from '../../protocol/journal/row';
import { rowToEntry } from '../../protocol/journal/row';
import { encodeEvent } from '../../protocol/sync/messages';
import { eventsTopic } from '../../protocol/topics';
import type { BackoffPolicy } from '../../runtime/hq-sync/reconnect-backoff';
import { startFleetKiosk, type FleetKiosk } from './fleet-kiosk';

export interface KioskSpec {
  dataDir: string;
  store: string;
  device: string;
}

export type ToHost =
  | { t: 'boot'; kiosks: KioskSpec[]; brokerUrl: string; reconnect: BackoffPolicy; telemetryMs: number; ackTimeoutMs?: number }
  | { t: 'connect' }
  | { t: 'sell'; rate: number; durationMs: number }
  | { t: 'status' }
  | { t: 'close' }
  | { t: 'bare'; kiosks: (KioskSpec & { dbFile: string })[]; brokerUrl: string }
  | { t: 'received' };

export interface HostStatus {
  kiosks: number;
  connected: number;
  /** Kiosks whose every journal entry HQ has acknowledged. */
  drained: number;
  /** Sum of journal heads (= entries written). */
  entries: number;
  /** Every CONNACK time (Date.now()) of every kiosk so far. */
  connects: number[];
  rssBytes: number;
  /** Up to 5 kiosks not drained yet: who, journal head, HQ's ack (for a stuck run's diagnosis). */
  behind: string[];
}

export type FromHost =
  | { t: 'booted'; dbFiles: string[] }
  | { t: 'connected' }
  | { t: 'sold'; orders: number; lateMs: number }
  | { t: 'status'; status: HostStatus }
  | { t: 'closed' }
  | { t: 'bare-done'; published: number }
  | { t: 'ready' }
  | { t: 'received'; n: number }
  | { t: 'failed'; error: string };

const send = (m: FromHost): void => void process.send?.(m);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let kiosks: FleetKiosk[] = [];

/** Each kiosk sells `rate` orders/s for `durationMs`, from a random phase; a sale never overlaps its kiosk's previous one. */
async function sellAll(rate: number, durationMs: number): Promise<{ orders: number; lateMs: number }> {
  const interval = 1000 / rate;
  const end = Date.now() + durationMs;
  let orders = 0;
  let lateMs = 0;
  await Promise.all(
    kiosks.map(async (k) => {
      let next = Date.now() + Math.random() * interval;
      for (;;) {
        const wait = next - Date.now();
        if (next >= end) return;
        if (wait > 0) await sleep(wait);
        else lateMs = Math.max(lateMs, -wait);
        await k.sell();
        orders++;
        next += interval;
      }
    }),
  );
  return { orders, lateMs: Math.round(lateMs) };
}

async function status(): Promise<HostStatus> {
  let connected = 0;
  let drained = 0;
  let entries = 0;
  const connects: number[] = [];
  const behind: string[] = [];
  for (const k of kiosks) {
    if (k.client.connected) connected++;
    const p = await k.progress();
    entries += p.head;
    if (p.acked >= p.head) drained++;
    else if (behind.length < 5) behind.push(`${k.store}/${k.device} head ${p.head} acked ${p.acked}${k.client.connected ? '' : ' (disconnected)'}`);
    connects.push(...k.connects);
  }
  return { kiosks: kiosks.length, connected, drained, entries, connects, rssBytes: process.memoryUsage().rss, behind };
}

function journalPayloads(dbFile: string, store: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(dbFile, sqlite3.OPEN_READONLY, (err) => {
      if (err) return reject(err);
      db.all('SELECT * FROM journal ORDER BY seq', (e, rows) => {
        db.close();
        if (e) return reject(e);
        resolve((rows as JournalRow[]).map((r) => encodeEvent(store, rowToEntry(r))));
      });
    });
  });
}

/** The baseline: one bare mqtt.js client per kiosk publishing its journal's event payloads, QoS 1, all in flight. */
async function bare(specs: (KioskSpec & { dbFile: string })[], brokerUrl: string): Promise<number> {
  const loads = await Promise.all(specs.map(async (s) => ({ s, payloads: await journalPayloads(s.dbFile, s.store) })));
  const clients: MqttClient[] = [];
  try {
    let published = 0;
    await Promise.all(
      loads.map(async ({ s, payloads }) => {
        const c = await mqtt.connectAsync(brokerUrl, { clientId: `bare-${s.store}-${s.device}`, protocolVersion: 5, reconnectPeriod: 1000, writeCache: false });
        clients.push(c);
        const topic = eventsTopic(s.store, s.device);
        await Promise.all(payloads.map((p) => c.publishAsync(topic, p, { qos: 1 })));
        published += payloads.length;
      }),
    );
    return published;
  } finally {
    await Promise.all(clients.map((c) => c.endAsync().catch(() => undefined)));
  }
}

async function onMessage(m: ToHost): Promise<void> {
  switch (m.t) {
    case 'boot': {
      // one by one: a thousand boots at once would only contend for the same two cores
      for (const s of m.kiosks) kiosks.push(await startFleetKiosk({ ...s, brokerUrl: m.brokerUrl, reconnect: m.reconnect, telemetryMs: m.telemetryMs, ackTimeoutMs: m.ackTimeoutMs }));
      return send({ t: 'booted', dbFiles: kiosks.map((k) => k.dbFile) });
    }
    case 'connect':
      for (const k of kiosks) k.connect();
      return send({ t: 'connected' });
    case 'sell':
      return send({ t: 'sold', ...(await sellAll(m.rate, m.durationMs)) });
    case 'status':
      return send({ t: 'status', status: await status() });
    case 'close':
      await Promise.all(kiosks.map((k) => k.close()));
      kiosks = [];
      return send({ t: 'closed' });
    case 'bare':
      return send({ t: 'bare-done', published: await bare(m.kiosks, m.brokerUrl) });
    case 'received':
      return; // a host has no subscriber
  }
}

/** `sub GROUP URL`: one bare subscriber of the shared group, counting the events it receives. */
async function subscriber(group: string, url: string): Promise<void> {
  let n = 0;
  const c = mqtt.connect(url, { clientId: `bare-sub-${process.pid}`, protocolVersion: 5, clean: true, manualConnect: true, writeCache: false });
  c.on('message', () => n++);
  c.on('error', () => undefined);
  c.connect();
  await new Promise<void>((resolve) => c.once('connect', () => resolve()));
  await c.subscribeAsync(`$share/${group}/kiosk/v1/+/+/events`, { qos: 1 });
  process.on('message', (m: ToHost) => {
    if (m.t === 'received') send({ t: 'received', n });
  });
  send({ t: 'ready' });
}

if (require.main === module) {
  process.on('disconnect', () => process.exit(0)); // the bench went away: no leftovers
  if (process.argv[2] === 'sub') {
    subscriber(process.argv[3], process.argv[4]).catch((e: unknown) => {
      send({ t: 'failed', error: String(e) });
      process.exit(1);
    });
  } else {
    let queue = Promise.resolve();
    process.on('message', (m: ToHost) => {
      // status requests may come while a sale runs: they are answered at once, everything else in order
      const run = (): Promise<void> => onMessage(m).catch((e: unknown) => send({ t: 'failed', error: e instanceof Error ? (e.stack ?? e.message) : String(e) }));
      if (m.t === 'status') void run();
      else queue = queue.then(run);
    });
    send({ t: 'ready' });
  }
}
