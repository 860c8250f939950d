import * as fs from 'node:fs';
import * as path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { SimulatedClock } from '../../kernel/clock';
import { entryHash, GENESIS_HASH } from '../../protocol/journal/entry';
import { canonicalJson } from '../../kernel/canonical-json';
import { encodeEvent, parseAck, parseResend, type EventMessage } from '../../protocol/sync/messages';
import { ackTopic, eventsTopic, resendTopic, stateTopic, telemetryTopic } from '../../protocol/topics';
import { Mosquitto } from '../../test/support/mosquitto';
import { chain, tmpDir, verifyIngested, waitFor } from '../../test/support/sync-fixtures';
import { HqIngest, type IngestAlert } from './ingest';
import type { AcceptResult } from './outcome';
import { IngestStore } from './store';

describe.each([4, 5] as const)('HqIngest over MQTT protocol version %i', (protocolVersion) => {
  let broker: Mosquitto;
  let dir: string;
  let store: IngestStore;
  let hqClient: MqttClient;
  let kiosk: MqttClient;
  let clock: SimulatedClock;
  let ingest: HqIngest;
  let acks: number[];
  let ackMessages: { seq: number; hash: string; retain: boolean }[];
  let resends: number[];
  let results: AcceptResult[];
  const errors: Error[] = [];
  const requested: [string, string, number][] = [];

  beforeAll(async () => {
    broker = await Mosquitto.start();
  });
  afterAll(() => broker.close());

  async function startIngest(opts: { requestResend?: boolean; resendsPerSecond?: number } = {}) {
    ingest = new HqIngest({
      store,
      client: hqClient,
      clock,
      requestResend: opts.requestResend === false ? undefined : (s, d, n) => requested.push([s, d, n]),
      ...(opts.resendsPerSecond !== undefined ? { resendsPerSecond: opts.resendsPerSecond } : {}),
    });
    ingest.on('error', (e) => errors.push(e));
    ingest.on('accepted', (_e, r) => results.push(r));
    await ingest.start();
  }

  beforeEach(async () => {
    dir = tmpDir('hq-ingest-');
    store = await IngestStore.open(path.join(dir, 'hq.sqlite'));
    clock = new SimulatedClock();
    acks = [];
    ackMessages = [];
    resends = [];
    results = [];
    errors.length = 0;
    requested.length = 0;
    hqClient = await mqtt.connectAsync(broker.url, { protocolVersion });
    kiosk = await mqtt.connectAsync(broker.url, { protocolVersion });
    kiosk.on('message', (t, p, packet) => {
      if (t === ackTopic('S1', 'K1') && p.length > 0) {
        const a = parseAck(p);
        acks.push(a.seq);
        ackMessages.push({ seq: a.seq, hash: a.hash, retain: packet.retain });
      }
      if (t === resendTopic('S1', 'K1')) resends.push(parseResend(p).fromSeq);
    });
    await kiosk.subscribeAsync([ackTopic('S1', 'K1'), resendTopic('S1', 'K1')], { qos: 1 });
  });
  afterEach(async () => {
    await kiosk.publishAsync(ackTopic('S1', 'K1'), '', { qos: 1, retain: true }); // the next test starts without HQ's retained ack
    await ingest.stop();
    await hqClient.endAsync(true);
    await kiosk.endAsync(true);
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const send = (e: object) => kiosk.publishAsync(eventsTopic('S1', 'K1'), JSON.stringify(e), { qos: 1 });

  it('takes the events its persistent session holds at connect, also while it still reads the fleet it knew', async () => {
    const session = { protocolVersion, clientId: `hq-session-${protocolVersion}-${process.pid}`, clean: false, ...(protocolVersion === 5 ? { properties: { sessionExpiryInterval: 600 } } : {}) };
    const before = await mqtt.connectAsync(broker.url, session);
    await before.subscribeAsync(eventsTopic('S1', 'K1'), { qos: 1 });
    await before.endAsync();
    const ev = chain('S1', 'K1', 3);
    for (const e of ev) await send(e); // queued at the broker for the session
    // a slow store: its first read (what HQ knew of the fleet) takes a while, and the queued events come at connect
    const all = store.db.read.all.bind(store.db.read);
    let first = true;
    const slow = jest.spyOn(store.db.read, 'all').mockImplementation(async (sql, params) => {
      if (first) {
        first = false;
        await new Promise((r) => setTimeout(r, 800));
      }
      return all(sql, params);
    });
    await hqClient.endAsync(true);
    hqClient = mqtt.connect(broker.url, session); // ended by afterEach
    await startIngest();
    slow.mockRestore();
    // mqtt.js PUBACKs a message that finds no listener: had the ingest listened only after its read, these were lost
    await waitFor(async () => (await store.device('S1', 'K1'))?.contiguous_seq === 3, 10_000, 'the queued events stored');
    expect(ingest.stats.stored).toBe(3);
  });

  it('stores events, acks the contiguous seq, and re-acks duplicates', async () => {
    await startIngest();
    const ev = chain('S1', 'K1', 20);
    for (const e of ev) void send(e);
    await waitFor(() => results.length === 20);
    await waitFor(() => acks.includes(20));
    expect(ingest.stats).toMatchObject({ stored: 20, duplicate: 0, rejected: 0 });
    expect(acks.every((a, i) => i === 0 || a >= acks[i - 1])).toBe(true);
    acks.length = 0;
    await send(ev[4]);
    await waitFor(() => acks.length === 1);
    expect(acks).toEqual([20]);
    expect(ingest.stats.duplicate).toBe(1);
    expect(ackMessages[ackMessages.length - 1]).toMatchObject({ seq: 20, hash: ev[19].hash });
  });

  it('accepts v1 and v2 events through the broker alike: stored with the exact payload text and verified', async () => {
    await startIngest();
    // payloads a v1 kiosk sent as strings, now mixed with v2 (payload as JSON) in one chain
    const payloads = [{ total: 1 }, { name: 'Äpfel "Elstar" 🍎', big: Number.MAX_SAFE_INTEGER, nested: [[1, [2, [3]]], {}] }, { s: 'a\ud800b' }, null, { a: -1.5e-7 }];
    let prevHash = GENESIS_HASH;
    const entries = payloads.map((p, i) => {
      const base = { seq: i + 1, hashStoreId: 'S1', deviceId: 'K1', ts: 1_767_258_000_000 + i, orderId: `o${i}`, type: 'order_completed', payload: canonicalJson(p), prevHash };
      const e = { ...base, hash: entryHash(base) };
      prevHash = e.hash;
      return e;
    });
    const wire = entries.map((e, i) => encodeEvent('S1', e, i % 2 === 0 ? 1 : 2));
    expect(wire.map((w) => (JSON.parse(w) as { v: number }).v)).toEqual([1, 2, 1, 2, 1]);
    for (const w of wire) await kiosk.publishAsync(eventsTopic('S1', 'K1'), w, { qos: 1 });
    await waitFor(() => acks.includes(5));
    expect(ingest.stats).toMatchObject({ stored: 5, rejected: 0, malformed: 0 });
    expect(await verifyIngested(store, 'S1', 'K1')).toEqual({ count: 5, maxSeq: 5, problem: null });
    const stored = await store.db.read.all<{ payload: string }>("SELECT payload FROM sales_events WHERE store_id = 'S1' ORDER BY seq");
    expect(stored.map((r) => r.payload)).toEqual(entries.map((e) => e.payload));
  });

  it('retains the ack, so a kiosk that subscribes later learns the acknowledged seq and its hash at once', async () => {
    await startIngest();
    const ev = chain('S1', 'K1', 4);
    for (const e of ev) await send(e);
    await waitFor(() => acks.includes(4));
    const late = await mqtt.connectAsync(broker.url, { protocolVersion });
    const got = new Promise<{ payload: string; retain: boolean }>((resolve) => late.on('message', (_t, p, packet) => resolve({ payload: p.toString(), retain: packet.retain })));
    await late.subscribeAsync(ackTopic('S1', 'K1'), { qos: 1 });
    const retained = await got;
    await late.endAsync(true);
    expect(retained.retain).toBe(true);
    expect(JSON.parse(retained.payload)).toEqual({ v: 1, seq: 4, hash: ev[3].hash });
  });

  it('a reused identity: acks none of the conflicting entries, quarantines them, raises one alert and marks the device', async () => {
    await startIngest();
    const old = chain('S1', 'K1', 6);
    for (const e of old) await send(e);
    await waitFor(() => acks.includes(6));
    acks.length = 0;
    const alerts: IngestAlert[] = [];
    ingest.on('alert', (a) => alerts.push(a));
    // the same identity on a fresh database: 4 entries of its own, from the genesis hash
    const fresh: EventMessage[] = [];
    for (let i = 0; i < 4; i++) {
      const base = { seq: i + 1, deviceId: 'K1', ts: 1_900_000_000_000 + i, orderId: `new-${i}`, type: 'order_completed', payload: `{"total":${7000 + i}}`, prevHash: fresh[i - 1]?.hash ?? GENESIS_HASH };
      fresh.push({ v: 1, storeId: 'S1', ...base, hash: entryHash(base) });
    }
    for (const e of fresh) await send(e);
    await waitFor(() => results.length === 10);
    await ingest.drain();
    expect(results.slice(6).map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
    expect(ingest.stats).toMatchObject({ stored: 6, rejected: 4, quarantined: 4 });
    expect(alerts.length).toBeGreaterThanOrEqual(1);
    expect(alerts.reduce((n, a) => n + a.entries, 0)).toBe(4);
    expect(alerts[0]).toMatchObject({ kind: 'quarantine', storeId: 'S1', deviceId: 'K1', fromSeq: 1, reason: 'conflicts with stored seq 1' });
    expect(alerts[0].message).toMatch(/S1\/K1: \d+ entr(y|ies) \(seq 1\.\.\d\) quarantined, not acked/);
    expect(ingest.fleet.rows(clock.now())[0].health).toMatch(/^quarantined 4/);
    expect((await store.quarantine('S1', 'K1')).map((r) => r.hash)).toEqual(fresh.map((e) => e.hash));
    // a re-send of the same entries: kept once, no new alert
    const before = alerts.length;
    await send(fresh[0]);
    await waitFor(() => results.length === 11);
    await ingest.drain();
    expect(alerts).toHaveLength(before);
    expect(ingest.stats.quarantined).toBe(4);
    // a duplicate of HQ's own entry still gets the (retained) ack — nothing was acked for the conflicting ones
    await send(old[5]);
    await waitFor(() => acks.length === 1);
    expect(acks).toEqual([6]);
  });

  it('rejects a tampered event and a forged chain link arriving over MQTT, without acking them', async () => {
    await startIngest();
    const ev = chain('S1', 'K1', 3);
    await send(ev[0]);
    await send({ ...ev[1], payload: '{"total":1}' });
    const forged = { ...ev[1], prevHash: 'e'.repeat(64) };
    await send({ ...forged, hash: entryHash(forged) });
    await waitFor(() => results.length === 3);
    expect(results.map((r) => [r.status, r.reason])).toEqual([
      ['stored', undefined],
      ['rejected', 'hash mismatch'],
      ['rejected', 'chain break at seq 2'],
    ]);
    await waitFor(() => acks.length >= 1);
    expect(Math.max(...acks)).toBe(1);
    expect((await store.device('S1', 'K1'))?.chain_ok).toBe(0);
  });

  it('reports malformed events and events whose ids disagree with their topic', async () => {
    await startIngest();
    await kiosk.publishAsync(eventsTopic('S1', 'K1'), 'garbage', { qos: 1 });
    await send({ ...chain('S1', 'OTHER', 1)[0] });
    await waitFor(() => errors.length === 2);
    expect(ingest.stats.malformed).toBe(2);
    expect(await store.devices()).toEqual([]);
  });

  it('asks for a resend when a gap persists past the grace time, not before', async () => {
    await startIngest();
    const ev = chain('S1', 'K1', 8);
    for (const e of [...ev.slice(0, 5), ev[7]]) await send(e);
    await waitFor(() => results.length === 6);
    expect(results[5].gap).toEqual({ from: 6, to: 7 });
    clock.advance(500);
    expect(requested).toEqual([]);
    clock.advance(600);
    await waitFor(() => requested.length === 1);
    expect(requested[0]).toEqual(['S1', 'K1', 6]);
    await send(ev[5]);
    await send(ev[6]);
    await waitFor(() => acks.includes(8));
    expect((await store.device('S1', 'K1'))?.contiguous_seq).toBe(8);
  });

  it('waits longer for a hole while its batches are late (4 × the batch lag): what is late at another worker is not asked for again', async () => {
    // every commit takes 2 s on the clock: this worker's batches lag 2 s, and so, it assumes, do its group's others
    const accept = store.acceptBatch.bind(store);
    store.acceptBatch = async (batch, now) => {
      clock.advance(2000);
      return accept(batch, now);
    };
    await startIngest();
    const ev = chain('S1', 'K1', 4);
    await send(ev[0]);
    await waitFor(() => results.length === 1);
    expect(ingest.gapGrace).toBe(8000);
    await send(ev[2]);
    await waitFor(() => results.length === 2);
    expect(results[1].gap).toEqual({ from: 2, to: 2 });
    clock.advance(1500); // past the 1 s a quiet worker waits
    clock.advance(5000);
    expect(requested).toEqual([]);
    clock.advance(2000);
    await waitFor(() => requested.length === 1);
    expect(requested[0]).toEqual(['S1', 'K1', 2]);
  });

  it('asks for at most resendsPerSecond resends a second; the other holes are asked for at later looks', async () => {
    await startIngest({ resendsPerSecond: 2 });
    const devices = ['K1', 'K2', 'K3', 'K4', 'K5'];
    for (const d of devices) {
      const ev = chain('S1', d, 3);
      await kiosk.publishAsync(eventsTopic('S1', d), JSON.stringify(ev[0]), { qos: 1 });
      await kiosk.publishAsync(eventsTopic('S1', d), JSON.stringify(ev[2]), { qos: 1 });
    }
    await waitFor(() => results.filter((r) => r.gap).length === 5);
    clock.advance(1000);
    await waitFor(() => requested.length === 2);
    clock.advance(1000);
    await waitFor(() => requested.length === 4);
    clock.advance(1000);
    await waitFor(() => requested.length === 5);
    expect(new Set(requested.map(([, d]) => d))).toEqual(new Set(devices));
    expect(requested.every(([, , n]) => n === 2)).toBe(true);
  });

  it('by default asks for the resend on the device resend topic', async () => {
    await startIngest({ requestResend: false });
    const ev = chain('S1', 'K1', 3);
    await send(ev[0]);
    await send(ev[2]);
    await waitFor(() => results.length === 2);
    clock.advance(1000);
    await waitFor(() => resends.length === 1);
    expect(resends).toEqual([2]);
  });

  it('tracks retained state and telemetry per device, in memory and in the fleet table', async () => {
    await kiosk.publishAsync(stateTopic('S1', 'K1'), JSON.stringify({ v: 1, online: true, ts: 1, software: '1.2.3', configVersion: 7, pricebookVersion: 'pb-9', counters: {} }), { qos: 1, retain: true });
    await startIngest();
    const fleet = new Promise<void>((resolve) => ingest.on('fleet', () => resolve()));
    await fleet;
    await kiosk.publishAsync(telemetryTopic('S1', 'K1'), JSON.stringify({ v: 1, ts: 2, backlog: 3, uptimeS: 4, disk: {}, devices: { scanner: 'ok', printer: { status: 'paper_out' } } }), { qos: 0 });
    await waitFor(() => ingest.fleet.get('S1', 'K1')?.telemetry !== undefined);
    const [row] = ingest.fleet.rows(clock.now());
    expect(row).toMatchObject({ online: true, software: '1.2.3', configVersion: 7, pricebookVersion: 'pb-9', backlog: 3, health: 'printer: paper_out' });
    await ingest.stop();
    const dbRow = await store.db.read.get<{ state: string; telemetry: string }>('SELECT state, telemetry FROM fleet');
    expect(JSON.parse(dbRow!.state).software).toBe('1.2.3');
    expect(JSON.parse(dbRow!.telemetry).backlog).toBe(3);
    await kiosk.publishAsync(stateTopic('S1', 'K1'), '', { qos: 1, retain: true });
  });
});
