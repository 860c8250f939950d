/**
 * An mqtt.js client set to MQTT 5 meeting brokers that speak only 3.1.1 — real Aedes (CONNACK "unacceptable protocol
 * version"), and Aedes behind a front that closes MQTT 5 connections without a CONNACK — falls back to 3.1.1 once, with
 * the cause, and works; on Mosquitto (MQTT 5), on a refused login and on a broker that is down it stays at MQTT 5.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { AedesBroker } from '../test/support/aedes-broker';
import { freePort, Mosquitto } from '../test/support/mosquitto';
import { waitFor } from '../test/support/wait';
import { applyProtocolFallback, CLOSES_BEFORE_FALLBACK, mqtt311Options, type ProtocolFallback } from './mqtt-protocol-fallback';

jest.setTimeout(60_000);

const clients: MqttClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.endAsync(true);
});

function v5Client(url: string, extra: mqtt.IClientOptions = {}) {
  const c = mqtt.connect(url, {
    protocolVersion: 5,
    clean: false,
    clientId: `fallback-${process.pid}-${clients.length}`,
    reconnectPeriod: 100,
    connectTimeout: 5000,
    properties: { sessionExpiryInterval: 3600 },
    will: { topic: 'w/t', payload: Buffer.from('gone'), qos: 1, retain: false, properties: { willDelayInterval: 5 } },
    ...extra,
  });
  clients.push(c);
  const fallbacks: ProtocolFallback[] = [];
  const errors: string[] = [];
  applyProtocolFallback(c, (f) => fallbacks.push(f));
  c.on('error', (e) => errors.push(e.message));
  return { c, fallbacks, errors };
}

async function roundTrip(c: MqttClient, topic: string): Promise<string> {
  const got = new Promise<string>((resolve) => c.once('message', (_t, p) => resolve(p.toString())));
  await c.subscribeAsync(topic, { qos: 1 });
  await c.publishAsync(topic, 'hello', { qos: 1 });
  return got;
}

describe('on Aedes (MQTT 3.1.1 only)', () => {
  let aedes: AedesBroker;
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.endAsync(true);
    await aedes.close();
  });

  it('a CONNACK refusing MQTT 5 turns the client to 3.1.1 once, with the cause, and it connects and works', async () => {
    aedes = await AedesBroker.start();
    const { c, fallbacks, errors } = v5Client(aedes.url);
    await waitFor('the connect', () => c.connected, 20_000);
    expect(fallbacks).toHaveLength(1);
    expect(fallbacks[0].cause).toMatch(/refused MQTT 5 \(CONNACK 1: Connection refused: Unacceptable protocol version\)/);
    expect(fallbacks[0].error?.message).toBe('Connection refused: Unacceptable protocol version');
    expect(errors).toEqual(['Connection refused: Unacceptable protocol version']);
    expect(c.options.protocolVersion).toBe(4);
    expect(c.options.properties).toBeUndefined();
    expect(c.options.will?.properties).toBeUndefined();
    expect(c.options.clean).toBe(false); // the 3.1.1 session is kept without an expiry property
    expect(aedes.connects()).toEqual({ 4: 1, 5: 1, other: 0 });
    expect(await roundTrip(c, 'fallback/t')).toBe('hello');

    // a dropped connection later reconnects at 3.1.1: no second MQTT 5 try, no second fallback
    c.stream.destroy();
    await waitFor('the reconnect', () => !c.connected, 5000);
    await waitFor('the reconnect', () => c.connected, 20_000);
    expect(aedes.connects()).toEqual({ 4: 2, 5: 1, other: 0 });
    expect(fallbacks).toHaveLength(1);
  });

  it(`a broker that closes MQTT 5 connections before any CONNACK: 3.1.1 after ${CLOSES_BEFORE_FALLBACK} such closes`, async () => {
    aedes = await AedesBroker.start({ closeMqtt5: true });
    const { c, fallbacks } = v5Client(aedes.url);
    await waitFor('the connect', () => c.connected, 20_000);
    expect(fallbacks.map((f) => f.cause)).toEqual([`the broker closed ${CLOSES_BEFORE_FALLBACK} MQTT 5 connections in a row before answering (no CONNACK)`]);
    expect(aedes.connects()).toEqual({ 4: 1, 5: CLOSES_BEFORE_FALLBACK, other: 0 });
    expect(await roundTrip(c, 'fallback/closed')).toBe('hello');
  });

  it('a client that starts at 3.1.1 is left alone', async () => {
    aedes = await AedesBroker.start();
    const { c, fallbacks } = v5Client(aedes.url, { protocolVersion: 4, properties: undefined });
    await waitFor('the connect', () => c.connected, 20_000);
    expect(fallbacks).toEqual([]);
    expect(aedes.connects()).toEqual({ 4: 1, 5: 0, other: 0 });
  });
});

describe('stays at MQTT 5', () => {
  it('on Mosquitto, which speaks MQTT 5', async () => {
    const broker = await Mosquitto.start({ persistence: false });
    try {
      const { c, fallbacks } = v5Client(broker.url);
      await waitFor('the connect', () => c.connected, 20_000);
      expect(c.options.protocolVersion).toBe(5);
      expect(await roundTrip(c, 'v5/t')).toBe('hello');
      await broker.restart(); // connections closed by a restart are not a refusal of the version
      await waitFor('the reconnect', () => c.connected, 20_000);
      expect(fallbacks).toEqual([]);
      expect(c.options.protocolVersion).toBe(5);
      expect(c.options.properties).toEqual({ sessionExpiryInterval: 3600 });
    } finally {
      for (const c of clients.splice(0)) await c.endAsync(true);
      await broker.close();
    }
  });

  it('when Mosquitto refuses the login (CONNACK "not authorized" is not about the version)', async () => {
    const broker = await Mosquitto.start({ persistence: false, extraConfig: ['allow_anonymous false'] });
    try {
      const { c, fallbacks, errors } = v5Client(broker.url);
      await waitFor('the refusal', () => errors.length > 0, 20_000);
      await new Promise((r) => setTimeout(r, 300));
      expect(errors[0]).toMatch(/Not authorized/i);
      expect(fallbacks).toEqual([]);
      expect(c.options.protocolVersion).toBe(5);
    } finally {
      for (const c of clients.splice(0)) await c.endAsync(true);
      await broker.close();
    }
  });

  it('when no broker listens (refused TCP connections never reached a broker)', async () => {
    const port = await freePort();
    const { c, fallbacks } = v5Client(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 20 });
    let attempts = 0;
    c.on('reconnect', () => attempts++);
    await waitFor('several attempts', () => attempts >= 2 * CLOSES_BEFORE_FALLBACK + 1, 10_000);
    expect(fallbacks).toEqual([]);
    expect(c.options.protocolVersion).toBe(5);
  });
});

it('mqtt311Options drops the MQTT 5 properties, the connect’s and the will’s, and keeps the rest', () => {
  const opts: mqtt.IClientOptions = {
    protocolVersion: 5,
    clean: false,
    clientId: 'S/D',
    properties: { sessionExpiryInterval: 10 },
    will: { topic: 't', payload: Buffer.from('x'), qos: 1, retain: true, properties: { willDelayInterval: 1 } },
  };
  expect(mqtt311Options(opts)).toEqual({ protocolVersion: 4, clean: false, clientId: 'S/D', will: { topic: 't', payload: Buffer.from('x'), qos: 1, retain: true } });
  expect(opts.properties).toEqual({ sessionExpiryInterval: 10 }); // not changed in place
  expect(opts.will?.properties).toEqual({ willDelayInterval: 1 });
});
