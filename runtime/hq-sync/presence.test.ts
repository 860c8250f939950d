import { EventEmitter } from 'node:events';
import type { IClientOptions, MqttClient } from 'mqtt';
import { SimulatedClock } from '../../kernel/clock';
import { PresencePublisher } from './presence';

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
