/**
 * HQ sync survives the kiosk being killed: mid-publish (outbox rows PUBACKed by the broker, HQ's acks partly in)
 * and mid-config-apply (a signed bundle accepted and stored, not yet applied). The real `kiosk start` process is
 * SIGKILLed at fail points; the broker (Mosquitto) and HQ's ingest run here and outlive it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { HqIngest } from '../hq/ingest/ingest';
import { IngestStore } from '../hq/ingest/store';
import { generateHqKeyPair, signConfigBundle } from '../hq/signing';
import { SystemClock } from '../kernel/clock';
import { entryHash } from '../protocol/journal/entry';
import { serializeEnvelope } from '../protocol/signed-envelope';
import { TrustStore } from '../runtime/trust/trust-store';
import { createPrivateKey } from 'node:crypto';
import { exited, kiosk, kioskAsync, killStrays, watchLines } from './support/cli';
import { tempDir } from './support/engine-fixture';
import { Mosquitto } from './support/mosquitto';
import { withRawDb } from './support/sqlite';
import { waitFor } from './support/wait';

const STORE = 'store-001';
const DEVICE = 'lane-01';

describe('HQ sync across kiosk crashes (real kiosk process, real Mosquitto)', () => {
  let broker: Mosquitto;
  let dir: string;
  let configPath: string;
  let store: IngestStore;
  let hqClient: MqttClient;
  let ingest: HqIngest;
  const hqKey = generateHqKeyPair();

  beforeAll(async () => {
    broker = await Mosquitto.start();
    dir = tempDir('kiosk-hqcrash-');
    configPath = path.join(dir, 'kiosk.json');
    fs.writeFileSync(configPath, JSON.stringify({ dataDir: path.join(dir, 'data'), hq: { broker: broker.url, telemetryMs: 5000 } }));
    fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
    TrustStore.open(path.join(dir, 'data')).install([hqKey.publicPem], { replace: true, now: Date.now() });
    store = await IngestStore.open(path.join(dir, 'hq.sqlite'));
    hqClient = await mqtt.connectAsync(broker.url, { clientId: 'hq-test', clean: false, protocolVersion: 5 });
    ingest = new HqIngest({ store, client: hqClient, clock: new SystemClock() });
    await ingest.start();
  });
  afterAll(async () => {
    killStrays();
    await ingest.stop();
    await hqClient.endAsync(true);
    await store.close();
    await broker.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const kioskDb = () => path.join(dir, 'data', 'kiosk.sqlite');
  const journalHead = () => withRawDb(kioskDb(), async ({ all }) => (await all<{ head: number }>('SELECT MAX(seq) AS head FROM journal'))[0].head);
  const outbox = () => withRawDb(kioskDb(), async ({ all }) => (await all<{ n: number }>('SELECT COUNT(*) AS n FROM outbox'))[0].n);

  async function startKiosk(env: NodeJS.ProcessEnv = {}) {
    const child = kioskAsync(['start', '--config', configPath], { env });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let ready = '';
    await watchLines(child, (l) => !!(ready = l.startsWith('ready ') ? l : ready));
    return { child, ready, stderr: () => stderr };
  }

  /** HQ has every journal entry of the kiosk exactly once, contiguous, and the chain re-verifies from HQ's copy. */
  async function expectHqComplete() {
    const head = await journalHead();
    await waitFor('HQ has everything', async () => ((await store.device(STORE, DEVICE))?.contiguous_seq ?? 0) >= head, 60_000);
    const rows = await store.db.read.all<{ seq: number; ts: number; order_id: string | null; type: string; payload: string; prev_hash: string; hash: string }>(
      'SELECT seq, ts, order_id, type, payload, prev_hash, hash FROM sales_events WHERE store_id = ? AND device_id = ? ORDER BY seq',
      [STORE, DEVICE],
    );
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: head }, (_, i) => i + 1)); // each once, no gap
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      expect(entryHash({ seq: r.seq, hashStoreId: STORE, deviceId: DEVICE, ts: r.ts, orderId: r.order_id, type: r.type, payload: r.payload, prevHash: r.prev_hash })).toBe(r.hash);
      if (i > 0) expect(r.prev_hash).toBe(rows[i - 1].hash);
    }
    await waitFor('outbox empty', async () => (await outbox()) === 0, 30_000);
  }

  it('killed mid-publish: after restart HQ has every sale exactly once and the outbox empties', async () => {
    // a backlog sold while no HQ link ran (demo does not sync)
    const sold = kiosk(['demo', '--count', '40', '--pay', 'cash', '--config', configPath], { timeoutMs: 120_000 });
    expect({ code: sold.code, stderr: sold.stderr }).toEqual({ code: 0, stderr: '' });
    const backlog = await outbox();
    expect(backlog).toBeGreaterThan(300);

    const first = await startKiosk({ KIOSK_FAILPOINT: 'sync.mid-publish' });
    const end = await exited(first.child);
    expect(end.signal).toBe('SIGKILL');
    expect(first.stderr()).toContain('failpoint sync.mid-publish');
    expect(await outbox()).toBeGreaterThan(0); // it died with work left

    const second = await startKiosk();
    await expectHqComplete();
    second.child.kill('SIGTERM');
    expect((await exited(second.child)).code).toBe(0);
  }, 180_000);

  it('killed mid-config-apply: the last good config stays in force; after restart the accepted bundle is applied, once', async () => {
    const reports: unknown[] = [];
    const watcher = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
    watcher.on('message', (_t, p) => reports.push(JSON.parse(p.toString())));
    await watcher.subscribeAsync(`kiosk/v1/${STORE}/${DEVICE}/config/reported`, { qos: 1 });

    const first = await startKiosk({ KIOSK_FAILPOINT: 'config.accepted' });
    const bundle = signConfigBundle({
      scope: { kind: 'store', store: STORE },
      version: 7,
      body: { device: { name: 'Lane after HQ push' }, loyalty: { enabled: true, points: 3, per: 100 } },
      key: createPrivateKey(hqKey.privatePem),
      now: Date.now(),
      expiresInMs: 86_400_000,
    });
    await hqClient.publishAsync(`kiosk/v1/${STORE}/_all/config`, serializeEnvelope(bundle), { qos: 1, retain: true });
    const end = await exited(first.child);
    expect(end.signal).toBe('SIGKILL');
    expect(first.stderr()).toContain('failpoint config.accepted');
    // stored as pending in the same transaction that accepted it; nothing applied yet
    const rows = await withRawDb(kioskDb(), ({ all }) => all<{ level: string; state: string; version: number }>('SELECT level, state, version FROM config_bundles'));
    expect(rows).toEqual([{ level: 'store', state: 'pending', version: 7 }]);

    const second = await startKiosk();
    const applied = await waitFor(
      'config/reported: applied',
      () => reports.find((r) => (r as { levels: { level: string; status: string; version: number }[] }).levels?.some((l) => l.level === 'store' && l.status === 'applied' && l.version === 7)),
      30_000,
    );
    expect(applied).toBeTruthy();
    const after = await withRawDb(kioskDb(), ({ all }) => all<{ level: string; state: string; version: number }>('SELECT level, state, version FROM config_bundles'));
    expect(after).toEqual([{ level: 'store', state: 'applied', version: 7 }]);
    // the retained bundle delivered again on reconnect changes nothing (no replay error either)
    expect(reports.some((r) => JSON.stringify(r).includes('not_newer'))).toBe(false);
    second.child.kill('SIGTERM');
    expect((await exited(second.child)).code).toBe(0);
    await watcher.endAsync();
  }, 120_000);
});
