/**
 * bench/sync: drain a backlog of journal entries from a kiosk outbox to HQ through a Mosquitto on loopback —
 * OutboxPublisher → broker → HqIngest → IngestStore, timed until the kiosk's outbox is empty (every row stored at
 * HQ, acked and deleted) — against bare mqtt.js QoS 1 publishes of the very same payloads (pipelined, all
 * PUBACKs awaited, with a QoS 1 subscriber receiving them as HQ would), in the same run. Rounds alternate.
 * The receiving side (HqIngest, or the baseline's bare subscriber) runs in a child process, as HQ is another machine;
 * the sending side (OutboxPublisher, or bare mqtt.js) runs in this one.
 *
 *   npm run bench:sync
 *   (ENTRIES=10000 ROUNDS=5; WINDOW/BATCH for the publisher; BROKER=mqtt://… to use a running broker)
 */
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import mqtt from 'mqtt';
import { SystemClock } from '../kernel/clock';
import { KioskDb } from '../kernel/sqlite/database';
import { rowToEntry, type JournalRow } from '../protocol/journal/row';
import { encodeEvent } from '../protocol/sync/messages';
import { OutboxPublisher } from '../runtime/hq-sync/outbox-publisher';
import { ackTopic, eventsTopic } from '../protocol/topics';
import { HqIngest } from '../hq/ingest/ingest';
import { IngestStore } from '../hq/ingest/store';
import { Mosquitto } from '../test/support/mosquitto';
import { seedBacklog } from './scan-hq';

const ENTRIES = Number(process.env.ENTRIES ?? 10_000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const WINDOW = process.env.WINDOW ? Number(process.env.WINDOW) : undefined;
const BATCH = process.env.BATCH ? Number(process.env.BATCH) : undefined;
const STORE = 'bench-store';
const DEVICE = 'bench-lane';
const clock = new SystemClock();


/** A kiosk database with ENTRIES journal entries (an order_completed-sized payload each), all in the outbox. */
async function kioskWithBacklog(file: string): Promise<KioskDb> {
  await seedBacklog(file, DEVICE, ENTRIES);
  return KioskDb.open(file);
}

/** The receiving side, in a child process: `hq` = HqIngest on `db`, `sub` = a bare QoS 1 subscriber. */
async function child(role: string, url: string, db: string): Promise<void> {
  const send = (m: unknown) => process.send?.(m);
  if (role === 'hq') {
    const store = await IngestStore.open(db);
    const client = await mqtt.connectAsync(url, { clientId: `bench-hq-${process.pid}` });
    const ingest = new HqIngest({ store, client, clock });
    await ingest.start();
    send('ready');
    process.once('message', async () => {
      await ingest.stop();
      await client.endAsync();
      await store.close();
      send(ingest.stats.stored);
      process.exit(0);
    });
  } else {
    const client = await mqtt.connectAsync(url, { clientId: `bench-sub-${process.pid}` });
    let received = 0;
    client.on('message', () => received++);
    await client.subscribeAsync(eventsTopic(STORE, 'bare-lane'), { qos: 1 });
    send('ready');
    process.once('message', async (m: { expect?: number }) => {
      const deadline = Date.now() + 30_000;
      while (received < (m.expect ?? 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      await client.endAsync();
      send(received);
      process.exit(0);
    });
  }
}

interface Receiver {
  /** Stops the child (a subscriber first waits up to 30 s for `expect` messages); resolves with how many it stored/received. */
  finish(expect?: number): Promise<number>;
}

async function startReceiver(role: 'hq' | 'sub', url: string, db = ''): Promise<Receiver> {
  const proc = fork(__filename, ['--child', role, url, db], { stdio: 'inherit' });
  await new Promise<void>((resolve, reject) => {
    proc.once('message', () => resolve());
    proc.once('exit', (code) => reject(new Error(`bench ${role} child exited with ${code}`)));
  });
  return {
    finish: (expect = 0) =>
      new Promise<number>((resolve) => {
        proc.once('message', (n) => resolve(Number(n)));
        proc.send({ expect });
      }),
  };
}

async function syncRun(dir: string, url: string): Promise<number> {
  const db = await kioskWithBacklog(path.join(dir, 'kiosk.sqlite'));
  const hq = await startReceiver('hq', url, path.join(dir, 'hq.sqlite'));
  const kioskClient = await mqtt.connectAsync(url, { clientId: `bench-kiosk-${Date.now()}` });
  // every round sells the same journal to a fresh HQ database: clear the previous round's retained ack (it names
  // this very chain, so the kiosk would rightly take it and empty its outbox before this round's HQ stored anything)
  await kioskClient.publishAsync(ackTopic(STORE, DEVICE), '', { qos: 1, retain: true });
  const pub = new OutboxPublisher({ db, client: kioskClient, storeId: STORE, deviceId: DEVICE, clock, window: WINDOW, batch: BATCH });
  const t0 = process.hrtime.bigint();
  const done = new Promise<void>((resolve) => pub.on('acked', (seq) => seq >= ENTRIES && resolve()));
  pub.start();
  await done;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if ((await pub.backlog()) !== 0) throw new Error('outbox not empty after the final ack');
  await pub.stop();
  await kioskClient.endAsync();
  await db.close();
  const stored = await hq.finish();
  if (stored !== ENTRIES) throw new Error(`HQ stored ${stored} of ${ENTRIES} events`);
  return seconds;
}

async function bareRun(url: string, payloads: string[]): Promise<number> {
  const topic = eventsTopic(STORE, 'bare-lane');
  const sub = await startReceiver('sub', url);
  const client = await mqtt.connectAsync(url, { clientId: `bench-bare-${Date.now()}` });
  const t0 = process.hrtime.bigint();
  await Promise.all(payloads.map((p) => client.publishAsync(topic, p, { qos: 1 })));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await client.endAsync();
  const received = await sub.finish(payloads.length);
  if (received < payloads.length) throw new Error(`bare subscriber got ${received} of ${payloads.length}`);
  return seconds;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-bench-sync-'));
  // the tests' broker: deploy/mosquitto/mosquitto.conf's queue and in-flight limits (unlimited in flight), no persistence
  const own = process.env.BROKER ? null : await Mosquitto.start({ persistence: false });
  const url = process.env.BROKER ?? own!.url;
  try {
    // the exact payloads the publisher sends, for the bare baseline
    const src = await kioskWithBacklog(path.join(root, 'payloads.sqlite'));
    const rows = await src.read.all<JournalRow>('SELECT * FROM journal ORDER BY seq');
    const payloads = rows.map((r) => encodeEvent(STORE, rowToEntry(r)));
    await src.close();
    await bareRun(url, payloads.slice(0, 1000)); // warm-up
    const bare: number[] = [];
    const sync: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      bare.push(ENTRIES / (await bareRun(url, payloads)));
      sync.push(ENTRIES / (await syncRun(fs.mkdtempSync(path.join(root, 's')), url)));
    }
    const bm = median(bare);
    const sm = median(sync);
    const fmt = (v: number) => v.toFixed(0).padStart(10);
    const bytes = Math.round(payloads.reduce((n, p) => n + p.length, 0) / payloads.length);
    console.log(`\nbench/sync: drain a backlog of ${ENTRIES} journal entries (~${bytes} B each) through Mosquitto on loopback, ${ROUNDS} rounds, median`);
    console.log(`node ${process.version}, ${os.cpus().length} cores; kiosk and HQ SQLite in WAL + synchronous=FULL; receiver in a child process\n`);
    console.log('| variant                                       |   msgs/s   | ratio vs bare |');
    console.log('|-----------------------------------------------|-----------:|--------------:|');
    console.log(`| bare mqtt.js QoS 1 publishes, same payloads   | ${fmt(bm)} |          1.00 |`);
    console.log(`| OutboxPublisher + HqIngest (outbox emptied)   | ${fmt(sm)} | ${(sm / bm).toFixed(2).padStart(13)} |`);
    console.log(`\nrounds (msgs/s): bare ${bare.map((x) => x.toFixed(0)).join(', ')}; sync ${sync.map((x) => x.toFixed(0)).join(', ')}`);
    console.log(`peak RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
  } finally {
    await own?.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

const childAt = process.argv.indexOf('--child');
(childAt >= 0 ? child(process.argv[childAt + 1], process.argv[childAt + 2], process.argv[childAt + 3]) : main()).catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
