/**
 * Integration: HQ's acks are bound to what the kiosk stored and sent (issue 11, points 5 and 6). A real Mosquitto,
 * the real HqIngest on a SQLite IngestStore, and the kiosk's real OutboxPublisher on its own SQLite journal.
 *
 * - A kiosk identity reused on a fresh database sells: HQ stores none of it in the main journal, acks none of it,
 *   keeps all of it in quarantine, and the kiosk's outbox still holds all of it.
 * - Forged acks on the kiosk's ack topic (no hash; a wrong hash for an entry the kiosk has) delete nothing, are
 *   reported, and the sales made right after are published and acked by HQ in the normal flow.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { SimulatedClock } from '../kernel/clock';
import type { KioskDb } from '../kernel/sqlite/database';
import { OutboxPublisher, type AckRefusal } from '../runtime/hq-sync/outbox-publisher';
import { subscribeResend } from '../runtime/hq-sync/resend-subscription';
import { ackTopic } from '../protocol/topics';
import { HqIngest, type IngestAlert } from '../hq/ingest/ingest';
import { IngestStore } from '../hq/ingest/store';
import { Mosquitto } from './support/mosquitto';
import { brokerAndStoreEach } from './support/broker-and-store';
import { appendEntries, kioskDb, verifyIngested, waitFor } from './support/sync-fixtures';

const STORE = 'S1';
const DEVICE = 'K1';

interface KioskSide {
  db: KioskDb;
  client: MqttClient;
  pub: OutboxPublisher;
  clock: SimulatedClock;
  refused: AckRefusal[];
  published: number[];
  acked: number[];
  stop(): Promise<void>;
}

async function startKiosk(url: string, db: KioskDb): Promise<KioskSide> {
  const clock = new SimulatedClock();
  const client = await mqtt.connectAsync(url, { protocolVersion: 5, clientId: `kiosk-${Math.random().toString(16).slice(2)}` });
  const pub = new OutboxPublisher({ db, client, storeId: STORE, deviceId: DEVICE, clock });
  const refused: AckRefusal[] = [];
  const published: number[] = [];
  const acked: number[] = [];
  pub.on('ackRefused', (r) => refused.push(r));
  pub.on('acked', (s) => acked.push(s));
  pub.on('published', (s) => published.push(s));
  pub.on('error', () => undefined);
  const unsubscribe = subscribeResend(client, pub, STORE, DEVICE);
  pub.start();
  return {
    db,
    client,
    pub,
    clock,
    refused,
    published,
    acked,
    async stop() {
      unsubscribe();
      await pub.stop();
      await client.endAsync(true);
    },
  };
}

interface HqSide {
  ingest: HqIngest;
  clock: SimulatedClock;
  alerts: IngestAlert[];
  stop(): Promise<void>;
}

async function startHq(url: string, store: IngestStore): Promise<HqSide> {
  const clock = new SimulatedClock();
  const client = await mqtt.connectAsync(url, { protocolVersion: 5, clientId: `hq-${Math.random().toString(16).slice(2)}` });
  const ingest = new HqIngest({ store, client, clock });
  const alerts: IngestAlert[] = [];
  ingest.on('alert', (a) => alerts.push(a));
  ingest.on('error', () => undefined);
  await ingest.start();
  return {
    ingest,
    clock,
    alerts,
    async stop() {
      await ingest.stop();
      await client.endAsync(true);
    },
  };
}

const outboxSeqs = async (db: KioskDb) => (await db.read.all<{ seq: number }>('SELECT seq FROM outbox ORDER BY seq')).map((r) => r.seq);
const journalHashes = async (db: KioskDb) => (await db.read.all<{ hash: string }>('SELECT hash FROM journal ORDER BY seq')).map((r) => r.hash);

describe('HQ acks bound to what was stored and sent (real Mosquitto, HqIngest, OutboxPublisher)', () => {
  let broker: Mosquitto;
  let dir: string;
  let store: IngestStore;
  const cleanup = brokerAndStoreEach('sync-acks-', (env) => ({ broker, dir, store } = env));

  it('a reused identity on a fresh database: HQ stores 0 of its 25 entries in the journal, acks none, quarantines all; the outbox keeps all', async () => {
    const hq = await startHq(broker.url, store);
    cleanup.push(() => hq.stop());

    // the identity's first life: 30 entries, all synced
    const firstDb = await kioskDb(dir, 'first.sqlite');
    cleanup.push(() => firstDb.close());
    await appendEntries(firstDb, DEVICE, 30);
    const first = await startKiosk(broker.url, firstDb);
    await waitFor(async () => (await first.pub.backlog()) === 0, 20_000, 'the first life synced');
    await first.stop();

    // every ack HQ publishes from now on (the retained one of the first life arrives first, flagged retained)
    const observer = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
    cleanup.push(() => observer.endAsync(true));
    const liveAcks: string[] = [];
    observer.on('message', (_t, p, packet) => {
      if (!packet.retain) liveAcks.push(p.toString());
    });
    await observer.subscribeAsync(ackTopic(STORE, DEVICE), { qos: 1 });

    // re-provisioned with the same identity on a fresh database: 25 sales of its own
    const freshDb = await kioskDb(dir, 'fresh.sqlite');
    cleanup.push(() => freshDb.close());
    await appendEntries(freshDb, DEVICE, 25, 1_800_000_000_000);
    const rejected = new Set<number>();
    hq.ingest.on('accepted', (e, r) => {
      if (r.status === 'rejected') rejected.add(e.seq);
    });
    const fresh = await startKiosk(broker.url, freshDb);
    cleanup.push(() => fresh.stop());
    await waitFor(() => rejected.size === 25, 20_000, 'HQ to decide on all 25');
    await hq.ingest.drain();
    // HQ's retained ack (seq 30 of the first life) reaches the kiosk: refused (its journal ends at 25), not acted on
    await waitFor(() => fresh.refused.length > 0 || fresh.acked.length > 0, 10_000, 'the kiosk to hear HQ');

    expect(await outboxSeqs(freshDb)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(fresh.acked).toEqual([]);
    expect(fresh.pub.ackedSeq).toBe(0);
    expect(liveAcks).toEqual([]);
    expect(fresh.refused[0]).toMatchObject({ seq: 30, reason: 'ahead' });
    const freshHashes = await journalHashes(freshDb);
    const inJournal = await store.db.read.all<{ hash: string }>('SELECT hash FROM sales_events WHERE store_id = ? AND device_id = ?', [STORE, DEVICE]);
    expect(inJournal.filter((r) => freshHashes.includes(r.hash))).toEqual([]);
    expect(await verifyIngested(store, STORE, DEVICE)).toEqual({ count: 30, maxSeq: 30, problem: null });
    expect((await store.quarantine(STORE, DEVICE)).map((r) => r.hash)).toEqual(freshHashes);
    expect(hq.alerts.reduce((n, a) => n + a.entries, 0)).toBe(25);
    expect(hq.ingest.fleet.rows(hq.clock.now()).find((r) => r.deviceId === DEVICE)?.health).toMatch(/quarantined 25/);
  });

  it('forged acks (no hash; a wrong hash for an entry the kiosk has) delete nothing, are reported, and later sales are published and acked', async () => {
    const db = await kioskDb(dir);
    cleanup.push(() => db.close());
    const kiosk = await startKiosk(broker.url, db);
    cleanup.push(() => kiosk.stop());
    // HQ is not there yet: 21 sales are published (PUBACKed) and stay un-acked
    await appendEntries(db, DEVICE, 21);
    kiosk.pub.notify();
    await waitFor(() => kiosk.published.length === 21, 10_000, '21 PUBACKs');

    const forger = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
    cleanup.push(() => forger.endAsync(true));
    await forger.publishAsync(ackTopic(STORE, DEVICE), '{"v":1,"seq":999999}', { qos: 1 });
    await forger.publishAsync(ackTopic(STORE, DEVICE), JSON.stringify({ v: 1, seq: 12, hash: 'e'.repeat(64) }), { qos: 1 });
    await waitFor(() => kiosk.refused.length === 2 || kiosk.acked.length > 0, 10_000, 'the forged acks to be handled');
    expect(await outboxSeqs(db)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    expect(kiosk.acked).toEqual([]);
    expect(kiosk.pub.ackedSeq).toBe(0);
    expect(kiosk.refused.map((r) => [r.seq, r.reason])).toEqual([
      [999999, 'malformed'],
      [12, 'hash'],
    ]);

    // HQ comes up; the next sales go out at once, HQ sees the hole below them and asks for it, then acks everything
    const hq = await startHq(broker.url, store);
    cleanup.push(() => hq.stop());
    const resends: number[] = [];
    hq.ingest.on('resend', (r) => resends.push(r.fromSeq));
    const storedAbove = new Set<number>();
    hq.ingest.on('accepted', (e, r) => {
      if (r.status === 'stored') storedAbove.add(e.seq);
    });
    await appendEntries(db, DEVICE, 3, 1_800_000_000_000);
    kiosk.pub.notify();
    await waitFor(() => [22, 23, 24].every((s) => kiosk.published.includes(s)), 10_000, 'the new sales published');
    await waitFor(() => [22, 23, 24].every((s) => storedAbove.has(s)), 10_000, 'HQ to store the new sales');
    hq.clock.advance(1000); // HQ's gap grace time
    await waitFor(async () => (await kiosk.pub.backlog()) === 0, 20_000, 'the outbox to empty');
    expect(resends[0]).toBe(1);
    expect(kiosk.pub.ackedSeq).toBe(24);
    expect(await verifyIngested(store, STORE, DEVICE)).toEqual({ count: 24, maxSeq: 24, problem: null });
    expect(await store.quarantine()).toEqual([]);
    expect(kiosk.refused).toHaveLength(2);
  });
});
