import mqtt from 'mqtt';
import { Mosquitto } from './support/mosquitto';

describe('the Mosquitto test broker', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await Mosquitto.start();
  });
  afterAll(() => broker.close());

  it.each([4, 5] as const)('carries a retained QoS 1 message over MQTT protocol version %i and keeps it across a restart', async (protocolVersion) => {
    const topic = `t/helper/${protocolVersion}`;
    const pub = await mqtt.connectAsync(broker.url, { protocolVersion });
    await pub.publishAsync(topic, 'hello', { qos: 1, retain: true });
    await pub.endAsync();
    await broker.restart();
    const sub = await mqtt.connectAsync(broker.url, { protocolVersion });
    const got = new Promise<string>((resolve) => sub.on('message', (_t, p) => resolve(p.toString())));
    await sub.subscribeAsync(topic, { qos: 1 });
    expect(await got).toBe('hello');
    await sub.endAsync();
  });

  it('refuses connections while stopped', async () => {
    await broker.stop();
    await expect(mqtt.connectAsync(broker.url, { reconnectPeriod: 0, connectTimeout: 1000 })).rejects.toThrow();
    await broker.start();
  });
});
