/**
 * Issue 14, the kiosk side of HQ's fleet view, end to end over a real Mosquitto: a real kiosk (simulated devices
 * behind their real drivers) with its HQ link, and an HQ observer that signs and publishes like `hq` does.
 *
 * - the config version in force is kept after a later, older offer is refused (`config/reported` and the birth);
 * - telemetry comes right after the birth (not after `hq.telemetryMs`), with the lane, peripherals, payments in doubt;
 * - `lock` closes the lane visibly: red light, "lane closed" screen, telemetry at once; `unlock` restores green;
 * - a price book's outcome is reported retained on `pricebook/reported`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createPrivateKey } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { loadConfig } from '../config/load';
import { bootKiosk, type Kiosk } from '../device/kiosk';
import { startHqLink, type HqLink } from '../device/hq-link';
import { startScreen, type RunningScreen } from '../device/screen';
import { pricebookPush } from '../hq/commands/pricebook-push';
import { generateHqKeyPair, signCommand, signConfigBundle, signManifest } from '../hq/signing';
import { parseTelemetry, type StateMessage, type TelemetryMessage } from '../protocol/sync/messages';
import { stateTopic, telemetryTopic } from '../protocol/topics';
import { commandResultTopic, commandTopic, configReportedTopic, configTopic } from '../protocol/control/topics';
import { pricebookReportedTopic, type PricebookReported } from '../protocol/pricebook/topics';
import type { ConfigReported } from '../protocol/control/config-bundle';
import type { CommandResult } from '../protocol/control/commands';
import { serializeEnvelope, type Scope } from '../protocol/signed-envelope';
import { TrustStore } from '../runtime/trust/trust-store';
import { items } from './support/pricebook-sync';
import { tempDir } from './support/engine-fixture';
import { Mosquitto } from './support/mosquitto';
import { waitFor } from './support/wait';

jest.mock('../device/embedded-hq', () => ({
  startEmbeddedHq: () => Promise.reject(new Error('the embedded HQ is not used in these tests')),
}));
jest.setTimeout(120_000);

const HQ = generateHqKeyPair();
const hqKey = createPrivateKey(HQ.privatePem);
const LONG = 60_000;

describe('the kiosk side of the fleet view (real Mosquitto, real kiosk with simulated devices)', () => {
  let broker: Mosquitto;
  let dir: string;
  let k: Kiosk;
  let link: HqLink;
  let screen: RunningScreen;
  let hq: MqttClient;
  const seen: { topic: string; payload: string; at: number }[] = [];
  const store = `S${process.pid}`;
  const device = 'lane-1';

  const all = <T>(topic: string): T[] => seen.filter((m) => m.topic === topic && m.payload !== '').map((m) => JSON.parse(m.payload) as T);
  const latest = <T>(topic: string): T | undefined => all<T>(topic).at(-1);
  const light = () => k.hardware!.sim.light!.state();

  beforeAll(async () => {
    broker = await Mosquitto.start();
    dir = tempDir('kiosk-fleet-report-');
    hq = mqtt.connect(broker.url, { clientId: `hq-obs-${process.pid}`, reconnectPeriod: 200 });
    hq.on('error', () => undefined);
    hq.on('message', (topic, payload) => seen.push({ topic, payload: payload.toString('utf8'), at: Date.now() }));
    await waitFor('HQ connected', () => hq.connected, LONG);
    await hq.subscribeAsync('kiosk/v1/#', { qos: 1 });
    TrustStore.open(dir).install([HQ.publicPem], { replace: true, now: Date.now() });
    // telemetry every 10 minutes: anything sooner is the kiosk's own doing (connect, lane change)
    const config = loadConfig({
      env: {},
      overrides: { dataDir: dir, device: { storeId: store, deviceId: device }, hq: { broker: broker.url, telemetryMs: 600_000 }, devices: { required: ['scanner', 'printer'] } },
    });
    k = await bootKiosk(config, { devices: true, confirmCash: async () => true });
    await waitFor('lane in service', () => k.hardware!.supervisor.condition().inService, 30_000);
    screen = await startScreen(k, { port: 0 });
    link = await startHqLink(k);
  }, 120_000);
  afterAll(async () => {
    await link?.close();
    await screen?.close();
    await k?.close();
    await hq?.endAsync(true);
    await broker?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const command = async (name: 'lock' | 'unlock', args: Record<string, unknown>): Promise<CommandResult> => {
    const env = signCommand({ store, device, name, args, key: hqKey, now: Date.now() });
    await hq.publishAsync(commandTopic(store, device), serializeEnvelope(env), { qos: 1 });
    return waitFor(`cmd/result of ${name}`, () => all<CommandResult>(commandResultTopic(store, device)).find((r) => r.id === env.body.id), LONG);
  };

  it('telemetry right after the birth, with the lane, the peripherals and the payments in doubt', async () => {
    const birth = await waitFor('the birth', () => latest<StateMessage>(stateTopic(store, device))?.online === true, LONG);
    expect(birth).toBe(true);
    const t = await waitFor('the first telemetry', () => latest<TelemetryMessage>(telemetryTopic(store, device)), LONG);
    const parsed = parseTelemetry(JSON.stringify(t));
    expect(parsed.lane).toEqual({ state: 'in_service', reasons: [] });
    expect(parsed.paymentsInDoubt).toBe(0);
    expect(parsed.peripherals).toMatchObject({ scanner: { status: 'online', faults: [] }, printer: { status: 'online', faults: [] }, light: { status: 'online' } });
    expect(parsed.devices).toMatchObject({ inService: true }); // still there for older HQs
    // the birth came first
    const firstState = seen.findIndex((m) => m.topic === stateTopic(store, device));
    const firstTelemetry = seen.findIndex((m) => m.topic === telemetryTopic(store, device));
    expect(firstState).toBeGreaterThanOrEqual(0);
    expect(firstTelemetry).toBeGreaterThan(firstState);
  });

  it('lock: the light turns red, the screen says the lane is closed, telemetry says closed at once; unlock: green again', async () => {
    await waitFor('green light', () => light()?.color === 'green', LONG);
    const before = all<TelemetryMessage>(telemetryTopic(store, device)).length;
    const locked = await command('lock', { reason: 'cleaning' });
    expect(locked).toMatchObject({ status: 'ok', result: { locked: true, lane: { state: 'closed', reasons: ['cleaning'], light: { color: 'red', mode: 'steady' } } } });
    await waitFor('red steady light', () => light()?.color === 'red' && light()?.mode === 'steady', LONG);
    expect(screen.session.view()).toMatchObject({ screen: 'lane_closed', laneClosed: { reason: 'cleaning' } });
    const closed = await waitFor('telemetry saying closed', () =>
      all<TelemetryMessage>(telemetryTopic(store, device)).slice(before).find((t) => t.lane?.state === 'closed'), LONG);
    expect(closed.lane).toEqual({ state: 'closed', reasons: ['cleaning'] });

    const unlocked = await command('unlock', {});
    expect(unlocked).toMatchObject({ status: 'ok', result: { locked: false, lane: { state: 'in_service', reasons: [], light: { color: 'green', mode: 'steady' } } } });
    await waitFor('green light again', () => light()?.color === 'green', LONG);
    expect(screen.session.view().screen).not.toBe('lane_closed');
    await waitFor('telemetry saying in service', () => latest<TelemetryMessage>(telemetryTopic(store, device))?.lane?.state === 'in_service', LONG);
  });

  it('device bundle v2 applied, then v1 refused: config/reported keeps v2 in force, the birth keeps configVersion device:2', async () => {
    const scope: Scope = { kind: 'device', store, device };
    const publish = (version: number, name: string) =>
      hq.publishAsync(configTopic(scope), serializeEnvelope(signConfigBundle({ scope, version, body: { device: { name } }, key: hqKey, now: Date.now(), expiresInMs: 3_600_000 })), {
        qos: 1,
        retain: true,
      });
    await publish(2, 'Lane two');
    await waitFor('v2 applied', () => latest<ConfigReported>(configReportedTopic(store, device))?.levels.find((l) => l.level === 'device' && l.status === 'applied' && l.version === 2), LONG);
    await waitFor('a birth with device:2', () => latest<StateMessage>(stateTopic(store, device))?.configVersion === 'device:2', LONG);
    await publish(1, 'Lane one');
    const refused = await waitFor('v1 refused', () =>
      latest<ConfigReported>(configReportedTopic(store, device))?.levels.find((l) => l.level === 'device' && l.status === 'rejected'), LONG);
    expect(refused).toMatchObject({ level: 'device', version: 1, status: 'rejected', reason: 'not_newer', inForce: 2 });
    expect(k.liveConfig.device.name).toBe('Lane two');
    // a fresh birth (as after a reconnect) still says device:2
    link.presence.birth();
    await waitFor('a birth after the refusal', () => seen.filter((m) => m.topic === stateTopic(store, device)).length >= 3, LONG);
    expect(latest<StateMessage>(stateTopic(store, device))?.configVersion).toBe('device:2');
  });

  it('a price book: pricebook/reported says downloading, then applied with the version and the item count (retained)', async () => {
    const keyFile = path.join(dir, 'hq.key');
    fs.writeFileSync(keyFile, HQ.privatePem, { mode: 0o600 });
    const book = path.join(dir, 'book.jsonl');
    fs.writeFileSync(book, items(1, 30).map((i) => JSON.stringify(i)).join('\n') + '\n');
    await pricebookPush(book, { version: '2026.12.06', scope: `store:${store}`, key: keyFile, broker: broker.url }, { sign: signManifest, out: () => undefined });
    const applied = await waitFor('applied', () => all<PricebookReported>(pricebookReportedTopic(store, device)).find((r) => r.version === '2026.12.06' && r.status === 'applied'), LONG);
    expect(applied).toMatchObject({ v: 1, version: '2026.12.06', status: 'applied', items: 30, ts: expect.any(Number) });
    expect(all<PricebookReported>(pricebookReportedTopic(store, device)).map((r) => r.status)).toContain('downloading');
    // an older version is refused, and said so
    await pricebookPush(book, { version: '2026.01.01', scope: `store:${store}`, key: keyFile, broker: broker.url }, { sign: signManifest, out: () => undefined });
    const refused = await waitFor('refused', () => all<PricebookReported>(pricebookReportedTopic(store, device)).find((r) => r.version === '2026.01.01'), LONG);
    expect(refused).toMatchObject({ status: 'rejected', reason: 'not_newer' });
    // retained: a client that subscribes later reads the last outcome
    const late = await mqtt.connectAsync(broker.url, { clientId: `hq-late-${process.pid}` });
    const got = new Promise<PricebookReported>((resolve) => late.on('message', (_t, p) => resolve(JSON.parse(p.toString()) as PricebookReported)));
    await late.subscribeAsync(pricebookReportedTopic(store, device), { qos: 1 });
    expect(await got).toMatchObject({ version: '2026.01.01', status: 'rejected' });
    await late.endAsync();
  });
});
