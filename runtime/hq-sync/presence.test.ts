import { EventEmitter } from 'node:events';
import type { IClientOptions, MqttClient } from 'mqtt';
import { SimulatedClock } from '../../kernel/clock';
import { PresencePublisher } from './presence';
import { waitFor } from '../../test/support/wait';

const T0 = 1_767_258_000_000;

/** Just what PresencePublisher uses of an mqtt.js client: options, connect/reconnect events, publish. */
class FakeClient extends EventEmitter {
  options: IClientOptions = {};
  connected = false;
  published: { topic: string; payload: string; retain: boolean }[] = [];
  publish(topic: string, payload: string, opts: { retain?: boolean }) {
    this.published.push({ topic, payload, retain: opts.retain ?? false });
    return this;
  }
}

describe('PresencePublisher: the will tells HQ the versions and the time as of each connect', () => {
  it('sets the will before the first connect, and again at every reconnect and birth with the versions of the moment', () => {
    const clock = new SimulatedClock(T0);
    const client = new FakeClient();
    const versions = { configVersion: 'device:1' as string | null, pricebookVersion: 'pb-1' as string | null };
    const p = new PresencePublisher({
      client: client as unknown as MqttClient,
      storeId: 's1',
      deviceId: 'lane-1',
      clock,
      software: 'kiosk-runtime/test',
      versions: () => versions,
      backlog: async () => 0,
    });
    const will = () => ({ topic: client.options.will?.topic, retain: client.options.will?.retain, state: JSON.parse(String(client.options.will?.payload)) as unknown });
    p.start();
    expect(will()).toEqual({
      topic: 'kiosk/v1/s1/lane-1/state',
      retain: true,
      state: { v: 1, online: false, ts: T0, software: 'kiosk-runtime/test', configVersion: 'device:1', pricebookVersion: 'pb-1' },
    });

    clock.advance(60_000);
    versions.pricebookVersion = 'pb-2';
    client.emit('reconnect'); // mqtt.js emits it right before it sends the next CONNECT
    expect(will().state).toMatchObject({ online: false, ts: T0 + 60_000, pricebookVersion: 'pb-2' });

    clock.advance(1000);
    versions.configVersion = 'device:2';
    p.birth();
    expect(will().state).toMatchObject({ ts: T0 + 61_000, configVersion: 'device:2' });
    expect(JSON.parse(client.published.at(-1)!.payload)).toMatchObject({ online: true, ts: T0 + 61_000, configVersion: 'device:2' });
    void p.stop();
  });
});

describe('PresencePublisher: telemetry right after every connect, then every interval, and on demand', () => {
  const telemetry = (c: FakeClient) => c.published.filter((m) => m.topic.endsWith('/telemetry')).map((m) => JSON.parse(m.payload) as Record<string, unknown>);
  const settle = () => new Promise((r) => setTimeout(r, 100));
  const count = (c: FakeClient, n: number) => waitFor(`${n} telemetry messages`, () => telemetry(c).length >= n, 10_000);

  it('sends no telemetry composed while the kiosk stops (a clean stop changes the lane, which asks for telemetry)', async () => {
    const clock = new SimulatedClock(T0);
    const client = Object.assign(new FakeClient(), {
      publishAsync: async function (this: FakeClient, topic: string, payload: string, opts: { retain?: boolean }) {
        this.publish(topic, payload, opts);
      },
    });
    let release: (n: number) => void = () => undefined;
    let slow = false;
    const p = new PresencePublisher({
      client: client as unknown as MqttClient,
      storeId: 's1',
      deviceId: 'lane-1',
      clock,
      software: 'kiosk-runtime/test',
      versions: () => ({ configVersion: null, pricebookVersion: null }),
      backlog: () => (slow ? new Promise<number>((r) => (release = r)) : Promise.resolve(0)),
      telemetryIntervalMs: 60_000,
    });
    p.start();
    client.connected = true;
    client.emit('connect');
    await count(client, 1);
    slow = true;
    p.telemetryNow(); // composing: waits for the backlog
    await p.stop(); // publishes the offline state
    release(0);
    await settle();
    expect(telemetry(client)).toHaveLength(1);
    expect(JSON.parse(client.published.at(-1)!.payload)).toMatchObject({ online: false });
  });

  it('publishes the birth and then telemetry at once on each (re)connect, with the lane, peripherals and payments in doubt', async () => {
    const clock = new SimulatedClock(T0);
    const client = new FakeClient();
    const lane = { state: 'in_service' as 'in_service' | 'closed', reasons: [] as string[] };
    const p = new PresencePublisher({
      client: client as unknown as MqttClient,
      storeId: 's1',
      deviceId: 'lane-1',
      clock,
      software: 'kiosk-runtime/test',
      versions: () => ({ configVersion: null, pricebookVersion: null }),
      backlog: async () => 7,
      telemetryIntervalMs: 60_000,
      extras: () => ({ lane: { ...lane }, peripherals: { printer: { status: 'online', faults: ['PAPER_OUT'] } }, paymentsInDoubt: 1 }),
    });
    p.start();
    client.connected = true;
    client.emit('connect');
    await count(client, 1);
    expect(client.published.map((m) => m.topic.split('/').at(-1))).toEqual(['state', 'telemetry']);
    expect(telemetry(client)[0]).toMatchObject({
      v: 1,
      ts: T0,
      backlog: 7,
      lane: { state: 'in_service', reasons: [] },
      peripherals: { printer: { status: 'online', faults: ['PAPER_OUT'] } },
      paymentsInDoubt: 1,
    });

    // the lane changes: telemetry at once, not at the next tick
    clock.advance(5_000);
    lane.state = 'closed';
    lane.reasons = ['closed by HQ: cleaning'];
    p.telemetryNow();
    await count(client, 2);
    expect(telemetry(client)).toHaveLength(2);
    expect(telemetry(client)[1]).toMatchObject({ ts: T0 + 5_000, lane: { state: 'closed', reasons: ['closed by HQ: cleaning'] } });

    // the interval counts from the last one sent
    clock.advance(59_000);
    await settle();
    expect(telemetry(client)).toHaveLength(2);
    clock.advance(1_000);
    await count(client, 3);
    expect(telemetry(client)).toHaveLength(3);

    // a reconnect: birth and telemetry again
    client.emit('connect');
    await count(client, 4);
    expect(client.published.slice(-2).map((m) => m.topic.split('/').at(-1))).toEqual(['state', 'telemetry']);
    expect(telemetry(client)).toHaveLength(4);
    client.connected = false;
    await p.stop();
  });
});
