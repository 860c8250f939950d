import { generateKeyPairSync } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { SimulatedClock } from '../../kernel/clock';
import { payloadSha256 } from '../../protocol/control/commands';
import { commandResultTopic, commandTopic } from '../../protocol/control/topics';
import { keyIdOf, verifyEnvelope } from '../../protocol/signed-envelope';
import { CONSOLE_BACKENDS, closeConsoleBackends } from '../../test/support/console-fixture';
import { Mosquitto } from '../../test/support/mosquitto';
import { waitFor } from '../../test/support/sync-fixtures';
import type { ConsoleContext, LiveTopic } from '../console/types';
import type { IngestStore } from '../ingest/store';
import { commandResultsService, sendCommand } from './commands';

/** Commands from the console over a real Mosquitto: signed, recorded, published; the kiosk's result recorded. */

const T = Date.UTC(2026, 11, 6, 9, 0);
let broker: Mosquitto;
beforeAll(async () => {
  broker = await Mosquitto.start({ persistence: false });
});
afterAll(async () => {
  await broker.close();
  await closeConsoleBackends();
}, 60_000);

interface Row {
  id: string;
  name: string;
  args: string;
  sent_by: string;
  status: string;
  result: string | null;
}

describe.each(CONSOLE_BACKENDS.map((b) => [b.name, b] as const))('console commands on %s', (_name, backend) => {
  let store: IngestStore;
  let hq: MqttClient;
  let kiosk: MqttClient;
  let clock: SimulatedClock;
  let ctx: ConsoleContext;
  let stop: () => Promise<void>;
  const live: { topic: LiveTopic; storeId?: string }[] = [];
  const audit: { actor: string; action: string; target?: string; detail?: unknown }[] = [];
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  let S: string;
  let n = 0;

  beforeEach(async () => {
    S = `C${backend.name[0]}${++n}`;
    store = await backend.open();
    hq = await mqtt.connectAsync(broker.url);
    kiosk = await mqtt.connectAsync(broker.url);
    clock = new SimulatedClock(T);
    live.length = 0;
    audit.length = 0;
    ctx = {
      store,
      clock,
      audit: { record: async (e) => void audit.push(e) },
      live: { publish: (topic, storeId) => void live.push({ topic, storeId }) },
      alerts: { sync: async () => undefined },
      settings: { timezone: 'UTC', offlineAlertMs: 300_000, paymentAlert: { declineRate: 1, unknownRate: 1, minAttempts: 1 } },
      mqtt: hq,
      hqKey: privateKey,
      ingest: null,
    };
    stop = commandResultsService({ sweepMs: 10_000 })(ctx).stop;
    await waitFor(() => hq.connected);
  }, 60_000);
  afterEach(async () => {
    await stop();
    await hq.endAsync();
    await kiosk.endAsync();
    await store.close();
  });

  const row = (id: string) => store.db.read.get<Row>('SELECT * FROM commands WHERE id = ?', [id]);

  it('signs, records and publishes a command; the kiosk’s result is recorded on its row', async () => {
    const received: string[] = [];
    kiosk.on('message', (topic, payload) => {
      if (topic !== commandTopic(S, 'K1')) return;
      received.push(payload.toString());
      const env = JSON.parse(payload.toString()) as { body: { id: string; name: string } };
      void kiosk.publishAsync(commandResultTopic(S, 'K1'), JSON.stringify({ v: 1, id: env.body.id, name: env.body.name, status: 'ok', result: { locked: true, lane: 'closed' } }), { qos: 1 });
    });
    await kiosk.subscribeAsync(commandTopic(S, 'K1'), { qos: 1 });
    // results are subscribed once the service's subscription is in place
    await new Promise((r) => setTimeout(r, 200));
    const out = await sendCommand(ctx, 'sup1', S, 'K1', 'lock', { reason: 'stocktake' });
    if (!out.ok) throw new Error(out.message);
    expect(await row(out.id)).toMatchObject({ name: 'lock', args: '{"reason":"stocktake"}', sent_by: 'sup1' });
    await waitFor(async () => (await row(out.id))?.status === 'ok');
    expect(JSON.parse((await row(out.id))!.result!)).toMatchObject({ status: 'ok', result: { locked: true, lane: 'closed' } });
    // what went out is a verifiable signed command for this kiosk
    const trust = new Map([[keyIdOf(publicKey), publicKey]]);
    const verified = verifyEnvelope<{ id: string }>(received[0], trust, T, { kind: 'command' });
    expect(verified).toMatchObject({ ok: true, envelope: { scope: { kind: 'device', store: S, device: 'K1' }, body: { id: out.id, name: 'lock', args: { reason: 'stocktake' } } } });
    expect(audit).toEqual([expect.objectContaining({ actor: 'sup1', action: 'command.send', target: `${S}/K1` })]);
    expect(live).toEqual(expect.arrayContaining([{ topic: 'commands', storeId: S }]));
  });

  it('matches a refusal by the hash of what was published; ignores another kiosk answering for it', async () => {
    const published: Buffer[] = [];
    kiosk.on('message', (topic, payload) => topic === commandTopic(S, 'K1') && published.push(payload));
    await kiosk.subscribeAsync(commandTopic(S, 'K1'), { qos: 1 });
    await new Promise((r) => setTimeout(r, 200));
    const out = await sendCommand(ctx, 'sup1', S, 'K1', 'doctor', {});
    if (!out.ok) throw new Error(out.message);
    await waitFor(() => published.length === 1);
    // K2 claims to answer K1's command: not recorded
    await kiosk.publishAsync(commandResultTopic(S, 'K2'), JSON.stringify({ v: 1, id: out.id, name: 'doctor', status: 'ok', result: { forged: true } }), { qos: 1 });
    await kiosk.publishAsync(commandResultTopic(S, 'K1'), JSON.stringify({ v: 1, id: null, name: null, payloadSha256: payloadSha256(published[0]), status: 'rejected', reason: 'SIGNATURE', error: 'unknown key' }), { qos: 1 });
    await waitFor(async () => (await row(out.id))?.status === 'rejected');
    expect(JSON.parse((await row(out.id))!.result!)).toMatchObject({ reason: 'SIGNATURE' });
    expect((await row(out.id))!.result).not.toContain('forged');
  });

  it('marks a command without an answer after 2 minutes as timeout', async () => {
    const out = await sendCommand(ctx, 'sup1', S, 'K1', 'print_test', {});
    if (!out.ok) throw new Error(out.message);
    clock.advance(110_000);
    await new Promise((r) => setTimeout(r, 100));
    expect((await row(out.id))?.status).toBe('sent');
    clock.advance(20_000);
    await waitFor(async () => (await row(out.id))?.status === 'timeout');
  });

  it('refuses bad args before recording anything, and answers 503 without a key', async () => {
    expect(await sendCommand(ctx, 'sup1', S, 'K1', 'resend', { fromSeq: 0 })).toMatchObject({ ok: false, status: 400 });
    expect(await sendCommand({ ...ctx, hqKey: null }, 'sup1', S, 'K1', 'doctor', {})).toMatchObject({ ok: false, status: 503 });
    expect(await store.db.read.all('SELECT * FROM commands')).toEqual([]);
  });
});
