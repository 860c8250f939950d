import * as fs from 'node:fs';
import mqtt, { type MqttClient } from 'mqtt';
import { SimulatedClock } from '../../kernel/clock';
import type { KioskDb } from '../../kernel/sqlite/database';
import { Mosquitto } from '../../test/support/mosquitto';
import { appendBulk, appendEntries, kioskDb, tmpDir, waitFor } from '../../test/support/sync-fixtures';
import { hashMatches } from '../../protocol/journal/chain';
import { encodeAck, parseEvent } from '../../protocol/sync/messages';
import { OutboxPublisher, type AckRefusal } from './outbox-publisher';
import { ackTopic, eventsTopic } from '../../protocol/topics';

const STORE = 'S1';
const DEVICE = 'K1';

describe.each([4, 5] as const)('OutboxPublisher over MQTT protocol version %i', (protocolVersion) => {
  let broker: Mosquitto;
  let dir: string;
  let db: KioskDb;
  let kiosk: MqttClient;
  let hq: MqttClient;
  let received: number[];
  /** The raw `events` messages HQ got. */
  let wire: Buffer[];
  let clock: SimulatedClock;
  let pub: OutboxPublisher | null;
  const errors: Error[] = [];

  beforeAll(async () => {
    broker = await Mosquitto.start();
  });
  afterAll(() => broker.close());

  beforeEach(async () => {
    dir = tmpDir('outbox-pub-');
    db = await kioskDb(dir);
    clock = new SimulatedClock();
    received = [];
    wire = [];
    errors.length = 0;
    pub = null;
    hq = await mqtt.connectAsync(broker.url, { protocolVersion, clientId: `hq-${protocolVersion}-${Date.now()}` });
    hq.on('message', (_t, p) => {
      wire.push(p);
      received.push(parseEvent(p).seq);
    });
    await hq.subscribeAsync(eventsTopic(STORE, DEVICE), { qos: 1 });
    kiosk = await mqtt.connectAsync(broker.url, { protocolVersion, clientId: `kiosk-${protocolVersion}-${Date.now()}` });
  });
  afterEach(async () => {
    await pub?.stop();
    await kiosk.endAsync(true);
    await hq.endAsync(true);
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function publisher(opts: { window?: number; batch?: number; windowNow?: () => number; deleteEveryMs?: number; slice?: number; pauseMs?: () => number } = {}): OutboxPublisher {
    pub = new OutboxPublisher({ db, client: kiosk, storeId: STORE, deviceId: DEVICE, clock, ...opts });
    pub.on('error', (e) => errors.push(e));
    return pub;
  }
  /** A publisher whose `acked` seqs and `ackRefused` refusals are recorded. */
  function watchedPublisher(opts: Parameters<typeof publisher>[0] = {}): { p: OutboxPublisher; acked: number[]; refused: AckRefusal[] } {
    const p = publisher(opts);
    const acked: number[] = [];
    const refused: AckRefusal[] = [];
    p.on('acked', (s) => acked.push(s));
    p.on('ackRefused', (r) => refused.push(r));
    return { p, acked, refused };
  }
  /** HQ's ack as the real ingest sends it: the seq and the hash of the kiosk's own entry there. */
  const hashAt = async (seq: number) => (await db.read.get<{ hash: string }>('SELECT hash FROM journal WHERE seq = ?', [seq]))!.hash;
  const ack = async (seq: number | string) =>
    hq.publishAsync(ackTopic(STORE, DEVICE), typeof seq === 'number' ? encodeAck(seq, await hashAt(seq)) : seq, { qos: 1 });
  const outboxSeqs = async () => (await db.read.all<{ seq: number }>('SELECT seq FROM outbox ORDER BY seq')).map((r) => r.seq);

  it('publishes every row in seq order, and PUBACK alone deletes nothing', async () => {
    await appendEntries(db, DEVICE, 30);
    const p = publisher();
    const published: number[] = [];
    p.on('published', (s) => published.push(s));
    p.start();
    await waitFor(() => received.length === 30 && published.length === 30, 10_000, 'all published');
    expect(received).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(await p.backlog()).toBe(30);
    expect((await outboxSeqs()).length).toBe(30);
  });

  it('sends events as v2, the payload as JSON whose canonical form is the journal text its hash covers', async () => {
    const entries = await appendEntries(db, DEVICE, 3);
    publisher().start();
    await waitFor(() => received.length === 3, 10_000, 'all published');
    for (const [i, p] of wire.entries()) {
      const raw = JSON.parse(p.toString()) as { v: number; payload: unknown };
      expect(raw.v).toBe(2);
      expect(raw.payload).toEqual(JSON.parse(entries[i].payload));
      const got = parseEvent(p);
      expect(got).toMatchObject({ v: 2, storeId: STORE, seq: entries[i].seq, payload: entries[i].payload, prevHash: entries[i].prevHash, hash: entries[i].hash });
      expect(hashMatches(got)).toBe(true);
    }
  });

  it('deletes rows only up to the ack, ignores lower acks and refuses malformed ones', async () => {
    await appendEntries(db, DEVICE, 10);
    const { p, acked, refused } = watchedPublisher();
    p.start();
    await waitFor(() => received.length === 10);
    await ack(6);
    await waitFor(() => acked.includes(6));
    expect(await outboxSeqs()).toEqual([7, 8, 9, 10]);
    await ack(3);
    await ack('{"v":1,"seq":"x"}');
    await ack('not json');
    await waitFor(() => refused.length === 2, 5000, 'two refusals');
    expect(refused.every((r) => r.reason === 'malformed' && r.seq === -1 && /malformed ack/.test(r.detail))).toBe(true);
    expect(errors).toEqual([]);
    expect(p.ackedSeq).toBe(6);
    await ack(10);
    await waitFor(async () => (await p.backlog()) === 0);
    expect(acked).toEqual([6, 10]);
  });

  it('keeps at most `window` publishes awaiting PUBACK, but does pipeline', async () => {
    await appendBulk(db, DEVICE, 400);
    let outstanding = 0;
    let max = 0;
    const original = kiosk.publish.bind(kiosk);
    jest.spyOn(kiosk, 'publish').mockImplementation(((topic: string, message: string, opts: mqtt.IClientPublishOptions, cb: mqtt.PacketCallback) => {
      outstanding++;
      max = Math.max(max, outstanding);
      return original(topic, message, opts, (err, packet) => {
        outstanding--;
        cb(err, packet);
      });
    }) as typeof kiosk.publish);
    publisher({ window: 16, batch: 50 }).start();
    await waitFor(() => received.length === 400);
    expect(max).toBeLessThanOrEqual(16);
    expect(max).toBeGreaterThan(1);
    expect(received).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
  });

  it('windowNow narrows the window while it says so (a shopper at the lane) and widens it again', async () => {
    await appendBulk(db, DEVICE, 600);
    let outstanding = 0;
    const maxIn = { narrow: 0, wide: 0 };
    let narrow = true;
    const original = kiosk.publish.bind(kiosk);
    jest.spyOn(kiosk, 'publish').mockImplementation(((topic: string, message: string, opts: mqtt.IClientPublishOptions, cb: mqtt.PacketCallback) => {
      outstanding++;
      if (narrow) maxIn.narrow = Math.max(maxIn.narrow, outstanding);
      else maxIn.wide = Math.max(maxIn.wide, outstanding);
      return original(topic, message, opts, (err, packet) => {
        outstanding--;
        cb(err, packet);
      });
    }) as typeof kiosk.publish);
    publisher({ window: 128, batch: 64, windowNow: () => (narrow ? 4 : 128) }).start();
    await waitFor(() => received.length >= 200);
    narrow = false;
    await waitFor(() => received.length === 600);
    expect(maxIn.narrow).toBeLessThanOrEqual(4);
    expect(maxIn.wide).toBeGreaterThan(4);
    expect(received).toEqual(Array.from({ length: 600 }, (_, i) => i + 1));
  });

  it('deleteEveryMs merges acks into at most one delete per interval on the clock; stop() deletes what is acked', async () => {
    await appendEntries(db, DEVICE, 10);
    const p = publisher({ deleteEveryMs: 1000 });
    const acked: number[] = [];
    p.on('acked', (s) => acked.push(s));
    p.start();
    await waitFor(() => received.length === 10);
    await ack(2);
    await waitFor(() => acked.includes(2));
    await ack(5);
    await ack(7);
    await waitFor(() => p.ackedSeq === 7);
    expect(await outboxSeqs()).toEqual([3, 4, 5, 6, 7, 8, 9, 10]); // paused: no second delete yet
    clock.advance(1000);
    await waitFor(() => acked.includes(7));
    expect(acked).toEqual([2, 7]);
    expect(await outboxSeqs()).toEqual([8, 9, 10]);
    await ack(9);
    await waitFor(() => p.ackedSeq === 9);
    await p.stop();
    expect(await outboxSeqs()).toEqual([10]);
  });

  it('reads the backlog in bounded batches', async () => {
    await appendBulk(db, DEVICE, 1000);
    const spy = jest.spyOn(db.read, 'all');
    publisher({ batch: 64 }).start();
    await waitFor(() => received.length === 1000);
    const sizes = await Promise.all(spy.mock.results.map((r) => r.value as Promise<unknown[]>));
    expect(Math.max(...sizes.map((s) => s.length))).toBe(64);
    expect(spy.mock.calls.length).toBeGreaterThanOrEqual(1000 / 64);
  });

  it('starts from the lowest seq still in the outbox', async () => {
    await appendEntries(db, DEVICE, 12);
    await db.transaction((tx) => tx.run('DELETE FROM outbox WHERE seq <= 7'));
    publisher().start();
    await waitFor(() => received.length === 5);
    expect(received).toEqual([8, 9, 10, 11, 12]);
  });

  it('wakes up on notify() after a commit', async () => {
    const p = publisher();
    p.start();
    await appendEntries(db, DEVICE, 3);
    p.notify();
    await waitFor(() => received.length === 3);
    await appendEntries(db, DEVICE, 2);
    p.notify();
    await waitFor(() => received.length === 5);
    expect(received).toEqual([1, 2, 3, 4, 5]);
  });

  it('re-publishes un-acked rows when acks stop coming for the ack timeout', async () => {
    await appendEntries(db, DEVICE, 5);
    const p = publisher();
    p.start();
    await waitFor(() => received.length === 5);
    await ack(2);
    await waitFor(() => p.ackedSeq === 2);
    clock.advance(29_000);
    await new Promise((r) => setTimeout(r, 200));
    expect(received).toHaveLength(5);
    clock.advance(1_000);
    await waitFor(() => received.length === 8);
    expect(received.slice(5)).toEqual([3, 4, 5]);
    // still silent: the next re-publish waits twice as long
    clock.advance(30_000);
    await new Promise((r) => setTimeout(r, 200));
    expect(received).toHaveLength(8);
    clock.advance(30_000);
    await waitFor(() => received.length === 11);
    // ack progress resets the wait
    await ack(5);
    await waitFor(async () => (await p.backlog()) === 0);
  });

  it('republishUnacked() (HQ ingest announced itself) re-publishes un-acked rows now and starts the ack-timeout backoff over', async () => {
    await appendEntries(db, DEVICE, 4);
    const p = publisher();
    p.start();
    await waitFor(() => received.length === 4);
    await ack(1);
    await waitFor(() => p.ackedSeq === 1);
    // two silent timeouts: the next wait would be 4x (120 s)
    clock.advance(30_000);
    await waitFor(() => received.length === 7);
    clock.advance(60_000);
    await waitFor(() => received.length === 10);
    p.republishUnacked();
    await waitFor(() => received.length === 13);
    expect(received.slice(10)).toEqual([2, 3, 4]);
    // the backoff started over: the next re-publish comes after 30 s again, not 120 s
    clock.advance(29_999);
    await new Promise((r) => setTimeout(r, 200));
    expect(received).toHaveLength(13);
    clock.advance(1);
    await waitFor(() => received.length === 16, 5000, 're-publish 30 s after republishUnacked');
    await p.stop();
    p.republishUnacked(); // stopped: nothing
    await new Promise((r) => setTimeout(r, 200));
    expect(received).toHaveLength(16);
    expect(errors).toEqual([]);
  });

  it('resendFrom(n) re-publishes from the journal even after the outbox emptied', async () => {
    await appendEntries(db, DEVICE, 6);
    const p = publisher();
    p.start();
    await waitFor(() => received.length === 6);
    await ack(6);
    await waitFor(async () => (await p.backlog()) === 0);
    p.resendFrom(3);
    await waitFor(() => received.length === 10);
    expect(received.slice(6)).toEqual([3, 4, 5, 6]);
    await appendEntries(db, DEVICE, 1, 1_800_000_000_000);
    p.notify();
    await waitFor(() => received.length === 11);
    expect(received[10]).toBe(7);
  });

  it('refuses forged acks (no hash, ahead of the journal, a hash that is not ours): nothing deleted, publishing goes on', async () => {
    await appendEntries(db, DEVICE, 8);
    const { p, acked, refused } = watchedPublisher();
    p.start();
    await waitFor(() => received.length === 8);
    await ack('{"v":1,"seq":999999}'); // the forged ack that used to empty the outbox
    await ack(encodeAck(999999, 'a'.repeat(64)));
    await ack(encodeAck(5, 'b'.repeat(64)));
    await ack(encodeAck(8, await hashAt(7))); // a real hash, of another entry
    await waitFor(() => refused.length === 4, 5000, 'four refusals');
    expect(refused.map((r) => [r.seq, r.reason])).toEqual([
      [999999, 'malformed'],
      [999999, 'ahead'],
      [5, 'hash'],
      [8, 'hash'],
    ]);
    expect(refused[0].detail).toMatch(/hash missing/);
    expect(refused[1].detail).toMatch(/journal ends at seq 8/);
    expect(p.ackedSeq).toBe(0);
    expect(acked).toEqual([]);
    expect(await outboxSeqs()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // not stalled: new sales go out at once, and the next real ack works
    await appendEntries(db, DEVICE, 2, 1_800_000_000_000);
    p.notify();
    await waitFor(() => received.length === 10);
    expect(received.slice(8)).toEqual([9, 10]);
    await ack(9);
    await waitFor(() => acked.includes(9));
    expect(await outboxSeqs()).toEqual([10]);
    // the same ack again (the retained one on every subscribe) is ignored, not refused; so is a lower one
    await ack(9);
    await ack(4);
    await ack(encodeAck(9, 'c'.repeat(64)));
    await ack(10);
    await waitFor(() => acked.includes(10));
    expect(refused).toHaveLength(4);
    expect(errors).toEqual([]);
  });

  it('while HQ acks nothing (a quarantined chain), re-publishing backs off to once per 8x the ack timeout; refused acks do not speed it up', async () => {
    await appendEntries(db, DEVICE, 3);
    const { p, refused } = watchedPublisher();
    p.start();
    await waitFor(() => received.length === 3);
    const rounds: number[] = [];
    for (const wait of [30_000, 60_000, 120_000, 240_000, 240_000, 240_000]) {
      // a forged ack in between changes nothing
      await ack(encodeAck(2, 'd'.repeat(64)));
      await waitFor(() => refused.length === rounds.length + 1);
      clock.advance(wait - 1);
      await new Promise((r) => setTimeout(r, 150));
      expect(received).toHaveLength(3 * (rounds.length + 1));
      clock.advance(1);
      await waitFor(() => received.length === 3 * (rounds.length + 2), 5000, `round after ${wait} ms`);
      rounds.push(wait);
    }
    expect(received.slice(3)).toEqual(Array.from({ length: 6 }, () => [1, 2, 3]).flat());
    expect(await p.backlog()).toBe(3);
  });

  it('ignores an empty (cleared retained) ack', async () => {
    await appendEntries(db, DEVICE, 2);
    const { p, refused } = watchedPublisher();
    p.start();
    await waitFor(() => received.length === 2);
    await ack('');
    await ack(2);
    await waitFor(async () => (await p.backlog()) === 0);
    expect(refused).toEqual([]);
  });

  it('restarts from the outbox when the client reconnects', async () => {
    await appendEntries(db, DEVICE, 4);
    const p = publisher();
    p.start();
    await waitFor(() => received.length === 4);
    await ack(1);
    await waitFor(() => p.ackedSeq === 1);
    kiosk.reconnect();
    await waitFor(() => received.length >= 7);
    expect(received.slice(4, 7)).toEqual([2, 3, 4]);
  });

  it('deletes acked rows in a background, non-durable transaction: a lane transaction waiting for the writer goes first', async () => {
    await appendEntries(db, DEVICE, 5);
    const { p, acked } = watchedPublisher();
    const options: unknown[] = [];
    const transaction = db.transaction.bind(db);
    jest.spyOn(db, 'transaction').mockImplementation((body, o) => {
      options.push(o);
      return transaction(body, o);
    });
    p.start();
    await waitFor(() => received.length === 5);
    // the lane holds the writer; the delete queues behind it as background work, and a second lane write overtakes it
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const order: string[] = [];
    const holding = db.transaction(async () => {
      await gate;
      order.push('lane-1');
    });
    await ack(3);
    await waitFor(() => db.writesWaiting.background === 1, 10_000, 'the delete queued as background work');
    const second = db.transaction(async (tx) => {
      order.push(`lane-2 sees ${(await tx.all('SELECT seq FROM outbox')).length} rows`);
    });
    expect(db.writesWaiting).toEqual({ foreground: 1, background: 1 });
    release();
    await Promise.all([holding, second]);
    await waitFor(() => acked.includes(3));
    expect(order).toEqual(['lane-1', 'lane-2 sees 5 rows']);
    expect(await outboxSeqs()).toEqual([4, 5]);
    expect(options.filter((o) => (o as { background?: boolean } | undefined)?.background)).toEqual([{ background: true, durable: false }]);
  });

  it('publishes at most `slice` rows per turn of the event loop, then yields', async () => {
    await appendEntries(db, DEVICE, 40);
    // a turn counter that ticks once per event-loop iteration (check phase)
    let turn = 0;
    let ticking = true;
    const tick = () => {
      turn++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const perTurn = new Map<number, number>();
    const publish = kiosk.publish.bind(kiosk);
    jest.spyOn(kiosk, 'publish').mockImplementation(((...args: Parameters<MqttClient['publish']>) => {
      perTurn.set(turn, (perTurn.get(turn) ?? 0) + 1);
      return publish(...args);
    }) as MqttClient['publish']);
    publisher({ slice: 4 }).start();
    await waitFor(() => received.length === 40);
    ticking = false;
    expect(received).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    // a turn may hold the end of one slice's phase and the next slice: never more than two slices
    expect(Math.max(...perTurn.values())).toBeLessThanOrEqual(8);
    expect(perTurn.size).toBeGreaterThanOrEqual(5);
  });

  it('pauses `pauseMs()` on the clock after each slice while asked to, and drains at once when the pause is 0', async () => {
    await appendEntries(db, DEVICE, 12);
    let pauseMs = 1000;
    const p = publisher({ slice: 4, pauseMs: () => pauseMs });
    p.start();
    await waitFor(() => received.length === 4, 10_000, 'the first slice');
    // the pause is on the clock: no real time lets the next slice out
    await new Promise((r) => setTimeout(r, 200));
    expect(received.length).toBe(4);
    clock.advance(999);
    await new Promise((r) => setTimeout(r, 100));
    expect(received.length).toBe(4);
    pauseMs = 0; // e.g. the shopper left: the next pauses are one turn of the event loop
    clock.advance(1);
    await waitFor(() => received.length === 12, 10_000, 'the rest without pauses');
    expect(received).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  });

  it('stop() ends a pause between slices at once', async () => {
    await appendEntries(db, DEVICE, 8);
    const p = publisher({ slice: 2, pauseMs: () => 60_000 });
    p.start();
    await waitFor(() => received.length === 2, 10_000, 'the first slice');
    await p.stop();
    pub = null;
    clock.advance(60_000);
    await new Promise((r) => setTimeout(r, 100));
    expect(received).toEqual([1, 2]);
  });

  it('deletes a large ack in chunks of 256 rows, each its own background transaction', async () => {
    await appendBulk(db, DEVICE, 600);
    const { p, acked } = watchedPublisher();
    let background = 0;
    const transaction = db.transaction.bind(db);
    jest.spyOn(db, 'transaction').mockImplementation((body, o) => {
      if (o?.background) background++;
      return transaction(body, o);
    });
    p.start();
    await waitFor(() => received.length >= 600, 20_000, 'all published');
    await ack(600);
    await waitFor(() => acked.includes(600), 10_000, 'acked');
    expect(background).toBe(3); // 256 + 256 + 88
    expect(await outboxSeqs()).toEqual([]);
  });
});
