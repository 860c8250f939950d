/**
 * Ingest workers can be killed at any time without loss or duplicates (issue 17): two real `hq ingest --db
 * postgres://… --shared g` processes (the built CLI) split the events of several kiosks through Mosquitto's shared
 * subscription, while the kiosks' real OutboxPublishers drain a backlog and the kiosks keep selling. The workers are
 * SIGKILLed one after the other, several times, and restarted. At the end every outbox is empty and the independent
 * checker (bench/fleet/exactly-once.ts) finds every (store, device, seq) in PostgreSQL exactly once, gap-free, with
 * the kiosks' hashes.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { Client } from 'pg';
import { checkExactlyOnce } from '../bench/fleet/exactly-once';
import { SystemClock } from '../kernel/clock';
import type { KioskDb } from '../kernel/sqlite/database';
import { appendJournal, setJournalStore, type JournalHead } from '../runtime/journal/append';
import { OutboxPublisher } from '../runtime/hq-sync/outbox-publisher';
import { subscribeResend } from '../runtime/hq-sync/resend-subscription';
import { exited, ROOT, watchLines } from './support/cli';
import { Mosquitto } from './support/mosquitto';
import { Postgres } from './support/postgres';
import { kioskDb, tmpDir } from './support/sync-fixtures';
import { waitFor } from './support/wait';

const HQ_CLI = path.join(ROOT, 'dist', 'hq', 'cli.js');
const KIOSKS: [string, string][] = [
  ['S1', 'K1'],
  ['S1', 'K2'],
  ['S2', 'K1'],
  ['S2', 'K2'],
];
const BACKLOG = 1500;
const clock = new SystemClock();

interface Lane {
  storeId: string;
  deviceId: string;
  file: string;
  db: KioskDb;
  head: JournalHead | null;
  client: MqttClient;
  publisher: OutboxPublisher;
  stopResend: () => void;
}

/** Appends `n` sales in one kiosk transaction (as a lane's engine commits them) and tells the publisher. */
async function sell(lane: Lane, n: number, ts: number): Promise<void> {
  await lane.db.transaction(async (tx) => {
    for (let i = 0; i < n; i++) {
      const seq = (lane.head?.seq ?? 0) + 1;
      const e = await appendJournal(
        tx,
        { deviceId: lane.deviceId, ts: ts + i, orderId: `${lane.deviceId}-${seq}`, type: 'order_completed', payload: { total: 100 + (seq % 900), lines: [{ sku: 'S1', qty: 1 }] } },
        lane.head,
      );
      lane.head = { seq: e.seq, hash: e.hash };
    }
  });
  lane.publisher.notify();
}

describe('hq ingest workers killed with SIGKILL under load (PostgreSQL, Mosquitto, shared subscription)', () => {
  let broker: Mosquitto;
  let pg: Postgres;
  let dir: string;
  const lanes: Lane[] = [];
  const workers = new Set<ChildProcessWithoutNullStreams>();
  /** Each worker's last summary line (printed every second while its counters move). */
  const summaries = new Map<ChildProcessWithoutNullStreams, { stored: number; duplicate: number; resends: number }>();

  beforeAll(async () => {
    [broker, pg] = await Promise.all([Mosquitto.start({ persistence: false }), Postgres.start()]);
    dir = tmpDir('ingest-kill-');
  }, 60_000);

  afterAll(async () => {
    for (const w of workers) w.kill('SIGKILL');
    for (const l of lanes) {
      l.stopResend();
      await l.publisher.stop().catch(() => undefined);
      await l.client.endAsync(true).catch(() => undefined);
      await l.db.close().catch(() => undefined);
    }
    await broker?.close();
    await pg?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** `hq ingest … --shared g`, up to its start line (store open, subscribed). */
  async function startWorker(): Promise<ChildProcessWithoutNullStreams> {
    const child = spawn(process.execPath, [HQ_CLI, 'ingest', '--db', pg.url, '--broker', broker.url, '--shared', 'g', '--every', '1'], {
      cwd: ROOT,
      env: { ...process.env, TZ: 'UTC' },
    });
    workers.add(child);
    child.once('exit', () => workers.delete(child));
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let started = false;
    await watchLines(child, (line) => (started = line.startsWith('ingest: ') && line.includes('(shared group g)')));
    if (!started) throw new Error(`hq ingest exited before it started (code ${child.exitCode}): ${stderr}`);
    void watchLines(child, (line) => {
      const m = /^ingest: stored (\d+), duplicate (\d+), .*resend requests (\d+)/.exec(line);
      if (m) summaries.set(child, { stored: Number(m[1]), duplicate: Number(m[2]), resends: Number(m[3]) });
    });
    return child;
  }

  const outboxes = async () => {
    let n = 0;
    for (const l of lanes) n += (await l.db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM outbox'))!.n;
    return n;
  };

  it('every sale reaches PostgreSQL exactly once though workers die mid-batch, again and again', async () => {
    const pool: ChildProcessWithoutNullStreams[] = await Promise.all([startWorker(), startWorker()]);

    // the backlog was sold last month (its partition is made on demand, by both workers at once); new sales are now's
    const lastMonth = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() - 1, 3);
    for (const [storeId, deviceId] of KIOSKS) {
      const kdir = path.join(dir, `${storeId}-${deviceId}`);
      fs.mkdirSync(kdir);
      const db = await kioskDb(kdir);
      await db.transaction((tx) => setJournalStore(tx, storeId));
      const client = mqtt.connect(broker.url, { clientId: `kiosk-${storeId}-${deviceId}`, protocolVersion: 5, reconnectPeriod: 200 });
      // a short ack timeout: what a killed worker took from the broker but never stored is sent again soon
      const publisher = new OutboxPublisher({ db, client, storeId, deviceId, clock, ackTimeoutMs: 1500 });
      const lane: Lane = { storeId, deviceId, file: path.join(kdir, 'kiosk.sqlite'), db, head: null, client, publisher, stopResend: () => undefined };
      lane.stopResend = subscribeResend(client, publisher, storeId, deviceId);
      lanes.push(lane);
      await sell(lane, BACKLOG, lastMonth);
    }
    const sold = () => lanes.reduce((n, l) => n + (l.head?.seq ?? 0), 0);
    for (const l of lanes) l.publisher.start();

    // the kiosks sell on (5 sales each every 50 ms) while a worker is killed every second or so (once it has stored events) and restarted at once
    let selling = true;
    const sales = (async () => {
      while (selling) {
        for (const l of lanes) await sell(l, 5, Date.now());
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    let kills = 0;
    let killedWithWork = 0;
    for (let round = 0; round < 6; round++) {
      const victim = pool[round % 2];
      // killed while at work: once it has stored events of its own
      await new Promise((r) => setTimeout(r, 1000));
      await waitFor('the worker to store events', () => (summaries.get(victim)?.stored ?? 0) > 0, 15_000, 20);
      // and while load flows: some outbox holds rows (the kiosks sell every 50 ms; the workers may have just caught up)
      await waitFor('an outbox to hold rows', async () => (await outboxes()) > 0, 15_000, 5);
      killedWithWork++;
      victim.kill('SIGKILL');
      expect((await exited(victim)).signal).toBe('SIGKILL');
      kills++;
      pool[round % 2] = await startWorker();
    }
    selling = false;
    await sales;
    expect(kills).toBe(6);
    // load was flowing at the kills: each victim had stored events, and some outbox still held rows
    expect(killedWithWork).toBe(6);

    await waitFor('every outbox to empty', async () => (await outboxes()) === 0, 45_000, 200);

    // the survivors stop cleanly
    for (const w of pool) w.kill('SIGTERM');
    for (const w of pool) expect(await exited(w)).toEqual({ code: 0, signal: null });
    // the kills cost work that had to be recovered (events a dead worker took were sent again, some twice)
    expect([...summaries.values()].reduce((n, x) => n + x.duplicate, 0)).toBeGreaterThan(0);

    const report = await checkExactlyOnce({ pgUrl: pg.url, kioskFiles: lanes.map((l) => l.file) });
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ ok: true, devices: KIOSKS.length, events: sold() });

    // HQ's own bookkeeping agrees: each device contiguous up to the kiosk's head, nothing quarantined
    const c = new Client({ connectionString: pg.url });
    await c.connect();
    try {
      const devices = await c.query<{ store_id: string; device_id: string; contiguous_seq: string; chain_ok: number }>(
        'SELECT store_id, device_id, contiguous_seq, chain_ok FROM devices ORDER BY store_id, device_id',
      );
      expect(devices.rows).toEqual(lanes.map((l) => ({ store_id: l.storeId, device_id: l.deviceId, contiguous_seq: String(l.head!.seq), chain_ok: 1 })));
      expect((await c.query('SELECT COUNT(*)::int AS n FROM quarantine')).rows).toEqual([{ n: 0 }]);
      // the backlog's month and this month, each in its own partition
      const parts = await c.query<{ part: string }>('SELECT DISTINCT tableoid::regclass::text AS part FROM sales_events ORDER BY 1');
      expect(parts.rows.map((r) => r.part)).not.toContain('sales_events_default');
      expect(parts.rows).toHaveLength(2);
    } finally {
      await c.end();
    }
  }, 90_000);
});
