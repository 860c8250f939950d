/**
 * Issue 11 point 10: a payload nested 1 000 000 deep on each topic a kiosk listens to (cmd, config, price-book
 * manifest, ack, resend), through a real Mosquitto into a real kiosk (bootKiosk + startHqLink). Each is refused
 * by the bounded parse — reported with the limit that refused it, never handed to JSON.parse (which used to spend
 * seconds on it, blocking the lane's event loop) — and the kiosk goes on working.
 */
import * as fs from 'node:fs';
import { createPrivateKey } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { loadConfig } from '../config/load';
import { bootKiosk, type Kiosk } from '../device/kiosk';
import { startHqLink, type HqLink } from '../device/hq-link';
import { generateHqKeyPair, signCommand } from '../hq/signing';
import { manifestTopic, pricebookBase } from '../protocol/pricebook/topics';
import { ackTopic, resendTopic } from '../protocol/topics';
import type { CommandResult } from '../protocol/control/commands';
import { serializeEnvelope } from '../protocol/signed-envelope';
import { TrustStore } from '../runtime/trust/trust-store';
import { commandResultTopic, commandTopic, configReportedTopic, configTopic } from '../protocol/control/topics';
import { tempDir } from './support/engine-fixture';
import { Mosquitto } from './support/mosquitto';
import { waitFor } from './support/wait';

// the embedded Aedes HQ is never started here (a broker is configured); aedes v1 is an ES module jest cannot load
jest.mock('../device/embedded-hq', () => ({
  startEmbeddedHq: () => Promise.reject(new Error('the embedded HQ is not used in these tests')),
}));
jest.setTimeout(120_000);

const HQ = generateHqKeyPair();
const hqKey = createPrivateKey(HQ.privatePem);
const DEPTH = 1_000_000;
const STORE = `S${process.pid}`;
const DEVICE = `K${process.pid}`;
const LONG = 60_000;

/** An envelope of the right shape whose body is nested DEPTH deep (the signature is a well-formed fake). */
const deepEnvelope = (kind: string, scope: object) =>
  `{"kind":"${kind}","scope":${JSON.stringify(scope)},"version":1,"issuedAt":"2026-01-01T00:00:00Z","expiresAt":"2099-01-01T00:00:00Z",` +
  `"keyId":"${HQ.keyId}","body":${'['.repeat(DEPTH)}${']'.repeat(DEPTH)},"sig":"${'A'.repeat(86)}=="}`;
const deepSync = (field: string) => `{"v":1,"${field}":${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}}`;

let broker: Mosquitto;
let dir: string;
let k: Kiosk;
let link: HqLink;
let hq: MqttClient;
const logs: Record<string, unknown>[] = [];
const seen: { topic: string; payload: string }[] = [];
const bigParses: number[] = [];
let parseSpy: jest.SpyInstance;

beforeAll(async () => {
  broker = await Mosquitto.start();
  dir = tempDir('kiosk-deep-mqtt-');
  TrustStore.open(dir).install([HQ.publicPem], { replace: true, now: Date.now() });
  const config = loadConfig({ env: {}, overrides: { dataDir: dir, device: { storeId: STORE, deviceId: DEVICE }, hq: { broker: broker.url, protocolVersion: 5 } } });
  k = await bootKiosk(config, { confirmCash: async () => true });
  const log = pino({ level: 'info', base: undefined }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  link = await startHqLink(k, { log });
  hq = mqtt.connect(broker.url, { protocolVersion: 5, clientId: `hq-deep-${process.pid}`, reconnectPeriod: 200 });
  hq.on('error', () => undefined);
  hq.on('message', (topic, payload) => seen.push({ topic, payload: payload.toString('utf8') }));
  await waitFor('HQ client connected', () => hq.connected, LONG);
  await hq.subscribeAsync('kiosk/v1/#', { qos: 1 });
  await waitFor('kiosk connected', () => link.client.connected, LONG);
  // the kiosk subscribes on connect, from its uplink worker thread: its first config/reported (published after those
  // subscriptions, on the same connection) says they are in place, so HQ's commands below are not published before
  await waitFor('kiosk subscribed', () => latest(configReportedTopic(STORE, DEVICE)), LONG);
  // from here on: does anything in this process hand a huge payload to JSON.parse?
  const parse = JSON.parse.bind(JSON);
  parseSpy = jest.spyOn(JSON, 'parse').mockImplementation((text: string, reviver?: (this: unknown, key: string, value: unknown) => unknown) => {
    if (typeof text === 'string' && text.length > 1_000_000) bigParses.push(text.length);
    return parse(text, reviver) as unknown;
  });
});

afterAll(async () => {
  parseSpy?.mockRestore();
  await hq?.endAsync(true);
  await link?.close();
  await k?.close();
  await broker?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const latest = (topic: string) => [...seen].reverse().find((m) => m.topic === topic);
const logged = (pred: (l: Record<string, unknown>) => boolean) => logs.find(pred);

test('cmd: refused as malformed, the result names the depth limit', async () => {
  await hq.publishAsync(commandTopic(STORE, DEVICE), deepEnvelope('command', { kind: 'device', store: STORE, device: DEVICE }), { qos: 1 });
  const m = await waitFor('cmd/result', () => latest(commandResultTopic(STORE, DEVICE)), LONG);
  expect(JSON.parse(m.payload)).toMatchObject({ v: 1, id: null, name: null, status: 'rejected', reason: 'malformed', error: expect.stringMatching(/^too deep: JSON nested deeper than 64 levels/) });
});

test('config bundle: refused and reported (config/reported, log) with the depth limit', async () => {
  await hq.publishAsync(configTopic({ kind: 'device', store: STORE, device: DEVICE }), deepEnvelope('config', { kind: 'device', store: STORE, device: DEVICE }), { qos: 1 });
  const entry = await waitFor('config bundle logged', () => logged((l) => l.msg === 'config bundle'), LONG);
  expect(entry).toMatchObject({ ok: false, reason: 'malformed', detail: expect.stringMatching(/^too deep/) });
  // the kiosk's own report of its levels (at connect) may come in first: wait for the one about this bundle
  const reported = await waitFor('config/reported naming the limit', () => seen.find((m) => m.topic === configReportedTopic(STORE, DEVICE) && m.payload.includes('too deep')), LONG);
  expect(JSON.parse(reported.payload)).toMatchObject({ v: 1 });
});

test('price-book manifest: refused and reported with the depth limit', async () => {
  await hq.publishAsync(manifestTopic(pricebookBase({ store: STORE, device: DEVICE })), deepEnvelope('pricebook', { kind: 'device', store: STORE, device: DEVICE }), { qos: 1 });
  const entry = await waitFor('price book logged', () => logged((l) => l.msg === 'price book'), LONG);
  expect(entry.pricebook).toMatchObject({ type: 'status', status: { status: 'rejected', reason: 'malformed', detail: expect.stringMatching(/^too deep/) } });
});

test('ack and resend: refused and logged; nothing on the lane thread JSON.parsed a payload that size, and the uplink worker refused the ack by its size', async () => {
  await hq.publishAsync(ackTopic(STORE, DEVICE), deepSync('seq'), { qos: 1 });
  await hq.publishAsync(resendTopic(STORE, DEVICE), deepSync('fromSeq'), { qos: 1 });
  // whatever the outbox publisher calls its refusal log line, it names the malformed ack
  // acks are read in the HQ uplink worker thread (JSON.parse is spied on here only): its refusal names the size
  // bound, which parseAck checks before parsing anything
  await waitFor('ack refusal logged', () => logged((l) => /malformed ack message: \d+ bytes \(at most 256\)/.test(JSON.stringify(l))), LONG);
  await waitFor('resend refusal logged', () => logged((l) => l.msg === 'resend request refused' && /malformed resend message: too large/.test(String(l.err))), LONG);
  expect(bigParses).toEqual([]);
});

test('the kiosk still works: a signed command runs', async () => {
  const env = signCommand({ store: STORE, device: DEVICE, name: 'rebirth', args: {}, key: hqKey, now: Date.now(), id: 'after-deep' });
  await hq.publishAsync(commandTopic(STORE, DEVICE), serializeEnvelope(env), { qos: 1 });
  const m = await waitFor('cmd/result after-deep', () => seen.filter((s) => s.topic === commandResultTopic(STORE, DEVICE)).map((s) => JSON.parse(s.payload) as CommandResult).find((r) => r.id === 'after-deep'), LONG);
  expect(m.status).toBe('ok');
});
