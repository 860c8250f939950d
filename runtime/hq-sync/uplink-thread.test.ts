import * as fs from 'node:fs';
import * as path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { KioskDb } from '../../kernel/sqlite/database';
import { KioskError } from '../../kernel/errors';
import { Mosquitto } from '../../test/support/mosquitto';
import { appendEntries, kioskDb, tmpDir, waitFor } from '../../test/support/sync-fixtures';
import { encodeAck, parseEvent } from '../../protocol/sync/messages';
import { ackTopic, eventsTopic } from '../../protocol/topics';
import { RemoteMqttClient } from './remote-mqtt-client';
import { RemoteOutboxPublisher } from './remote-outbox-publisher';
import { UplinkThread } from './uplink-thread';
import type { UplinkInit } from './uplink-messages';

const STORE = 'S1';
const DEVICE = 'K1';

/**
 * The HQ uplink, through its lane-side proxies, against a real Mosquitto and a real SQLite file: in a worker thread,
 * and inline (the same code on the lane's thread, as with the embedded HQ).
 */
describe.each([
  ['in a worker thread', false],
  ['inline, on the lane thread', true],
])('HQ uplink (MQTT connection and outbox drain) %s', (_name, inline) => {
  let broker: Mosquitto;
  let dir: string;
  let db: KioskDb;
  let hq: MqttClient;
  const live: { client: RemoteMqttClient; drain: RemoteOutboxPublisher }[] = [];

  beforeAll(async () => {
    broker = await Mosquitto.start();
  });
  afterAll(() => broker.close());
  beforeEach(async () => {
    dir = tmpDir('uplink-');
    db = await kioskDb(dir);
    hq = await mqtt.connectAsync(broker.url, { clientId: `hq-${Date.now()}` });
  });
  afterEach(async () => {
    for (const l of live.splice(0)) {
      await l.drain.stop();
      await l.client.endAsync(true);
    }
    await hq.endAsync(true);
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function init(over: Partial<UplinkInit> = {}): UplinkInit {
    return {
      brokerUrl: broker.url,
      mqtt: { clientId: `${STORE}/${DEVICE}-${Date.now()}`, clean: true, protocolVersion: 5, reconnectPeriod: 200 },
      dbFile: db.file,
      storeId: STORE,
      deviceId: DEVICE,
      drain: { deleteEveryMs: 0, slice: 8, atLane: { window: 4, pauseMs: 5 }, between: { window: 64, pauseMs: 0 } },
      nice: 10,
      ...over,
    };
  }

  function start(i: UplinkInit, restartMs = 100) {
    const thread = new UplinkThread(i, restartMs, inline);
    const client = new RemoteMqttClient(thread, i.mqtt);
    const drain = new RemoteOutboxPublisher(thread, db);
    live.push({ client, drain });
    return { thread, client, drain };
  }

  it('publishes, subscribes and receives through the uplink; the connection state and events reach the lane thread', async () => {
    const { client } = start(init());
    const events: string[] = [];
    client.on('connect', () => events.push('connect'));
    const got: { topic: string; payload: Buffer; retain: boolean }[] = [];
    client.on('message', (topic: string, payload: Buffer, packet: { retain: boolean }) => got.push({ topic, payload, retain: packet.retain }));
    expect(client.connected).toBe(false);
    client.connect();
    await waitFor(() => client.connected);
    expect(events).toEqual(['connect']);
    await client.subscribeAsync('kiosk/v1/S1/K1/cmd', { qos: 1 });
    const bytes = Buffer.from([0, 1, 2, 0xff, 0x1d, 0x0a]);
    await hq.publishAsync('kiosk/v1/S1/K1/cmd', bytes, { qos: 1 });
    await waitFor(() => got.length === 1);
    expect(got[0].topic).toBe('kiosk/v1/S1/K1/cmd');
    expect(Buffer.compare(got[0].payload, bytes)).toBe(0);
    expect(got[0].retain).toBe(false);

    const seen: Buffer[] = [];
    await hq.subscribeAsync('kiosk/v1/S1/K1/state', { qos: 1 });
    hq.on('message', (_t, p) => seen.push(p));
    await client.publishAsync('kiosk/v1/S1/K1/state', '{"online":true}', { qos: 1, retain: true });
    await waitFor(() => seen.length === 1);
    expect(seen[0].toString()).toBe('{"online":true}');
  });

  it('drains the outbox from its own connection and deletes the acknowledged rows through the lane thread\'s writer', async () => {
    await appendEntries(db, DEVICE, 300);
    const { client, drain } = start(init());
    const received: number[] = [];
    hq.on('message', (_t, p) => {
      const e = parseEvent(p);
      received.push(e.seq);
      // HQ acks every 50th entry (cumulative)
      if (e.seq % 50 === 0) void hq.publishAsync(ackTopic(STORE, DEVICE), encodeAck(e.seq, e.hash), { qos: 1 });
    });
    await hq.subscribeAsync(eventsTopic(STORE, DEVICE), { qos: 1 });
    const acked: number[] = [];
    drain.on('acked', (s) => acked.push(s));
    drain.start();
    client.connect();
    await waitFor(() => acked.includes(300), 20_000);
    expect(new Set(received).size).toBe(300);
    expect(drain.ackedSeq).toBe(300);
    expect(await drain.backlog()).toBe(0);
  });

  it('an uplink that cannot start is reported with its cause, started again, and recovers once the cause is gone', async () => {
    const missing = path.join(dir, 'later', 'kiosk.sqlite');
    const { client } = start(init({ dbFile: missing }), 50);
    const errors: Error[] = [];
    client.on('error', (e: Error) => errors.push(e));
    let closed = 0;
    client.on('close', () => closed++);
    const answered = new Promise<Error | undefined>((resolve) => client.publish('kiosk/v1/S1/K1/state', 'x', { qos: 1 }, resolve));
    client.connect();
    await waitFor(() => errors.some((e) => e instanceof KioskError && e.code === 'HQ_LINK_DOWN'));
    expect(errors.map((e) => e.message).join('\n')).toMatch(/uplink (worker )?failed to start: .*SQLITE_CANTOPEN/);
    expect(client.connected).toBe(false);
    // the publish made before the worker died fails, it does not hang
    const err = await answered;
    expect(err).toBeInstanceOf(KioskError);
    // the cause goes: the database appears; the next start connects
    fs.mkdirSync(path.dirname(missing), { recursive: true });
    fs.copyFileSync(db.file, missing);
    await waitFor(() => client.connected, 10_000);
    expect(closed).toBe(0); // it was never connected before
  });

  it('the will set on the lane thread is what the broker publishes when the connection drops', async () => {
    const { client } = start(init({ mqtt: { clientId: `will-${Date.now()}`, clean: true, protocolVersion: 5, reconnectPeriod: 0 } }));
    const wills: string[] = [];
    await hq.subscribeAsync('kiosk/v1/S1/K1/will', { qos: 1 });
    hq.on('message', (t, p) => t === 'kiosk/v1/S1/K1/will' && wills.push(p.toString()));
    client.options.will = { topic: 'kiosk/v1/S1/K1/will', payload: Buffer.from('gone'), qos: 1, retain: false };
    client.connect();
    await waitFor(() => client.connected);
    client.stream.destroy();
    await waitFor(() => wills.length === 1);
    expect(wills).toEqual(['gone']);
    await waitFor(() => !client.connected);
  });

  it('reconnects by the `reconnect` backoff policy, not the fixed period; a period of 0 set on the lane thread still stops it', async () => {
    // a fixed period of 10 s would show as a 10 s wait; the policy's waits are at most 150 ms
    const { client } = start(init({ mqtt: { clientId: `backoff-${Date.now()}`, clean: true, protocolVersion: 5, reconnectPeriod: 10_000 }, reconnect: { baseMs: 50, capMs: 150 } }));
    const log: { ev: string; t: number }[] = [];
    for (const ev of ['close', 'reconnect', 'connect']) client.on(ev, () => log.push({ ev, t: Date.now() }));
    client.connect();
    await waitFor(() => client.connected);
    for (let i = 0; i < 4; i++) {
      const before = log.length;
      client.stream.destroy();
      await waitFor(() => log.slice(before).some((e) => e.ev === 'connect'), 5000);
      const closed = log.slice(before).find((e) => e.ev === 'close')!;
      const attempt = log.slice(before).find((e) => e.ev === 'reconnect')!;
      expect(attempt.t - closed.t).toBeLessThan(1500); // ≤ 150 ms and the worker's message hops, on a loaded machine
    }
    client.options.reconnectPeriod = 0;
    await new Promise((r) => setTimeout(r, 100)); // the option crosses to the uplink
    const before = log.length;
    client.stream.destroy();
    await new Promise((r) => setTimeout(r, 1000));
    expect(log.slice(before).map((e) => e.ev)).toEqual(['close']);
    expect(client.connected).toBe(false);
  });
});
