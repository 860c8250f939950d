import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { createPrivateKey } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import type { SimulatedClock } from '../kernel/clock';
import { KioskDb } from '../kernel/sqlite/database';
import { migrate } from '../runtime/db/migrations';
import { CommandRunner } from '../runtime/hq-control/commands';
import { TrustStore } from '../runtime/trust/trust-store';
import { commandResultTopic, commandTopic } from '../protocol/control/topics';
import { generateHqKeyPair } from '../hq/signing';
import { addUser } from '../hq/console/users';
import { FleetView } from '../hq/ingest/fleet';
import type { IngestStore } from '../hq/ingest/store';
import { writeFleet } from '../hq/fleet/fleet-table';
import { commandResultsService, expireCommands } from '../hq/fleet/commands';
import { addTag } from '../hq/fleet/tags';
import { CONSOLE_BACKENDS, closeConsoleBackends, consoleFixture, InjectBrowser } from './support/console-fixture';
import { loginInBrowser, SCREENSHOT_VIEWPORT, takeConsoleScreenshots } from './support/console-screenshots';
import { Mosquitto } from './support/mosquitto';
import { launchChromium } from './support/screen-browser';
import { tmpDir } from './support/sync-fixtures';
import { waitFor } from './support/wait';

/**
 * A batch command end to end on a real Mosquitto: the console signs one command per selected kiosk (stores + tag, or
 * ticked), kiosks running the real CommandRunner (signature, target and expiry checks, at-most-once) answer on
 * `cmd/result`, the command results service records each answer on the batch's rows, and the batch page shows every
 * kiosk's status and result — a kiosk that never answers as "no answer". On SQLite and PostgreSQL.
 */

const PW = 'batch password 1';
const T0 = Date.UTC(2026, 11, 6, 9, 0);

let broker: Mosquitto;
let dir: string;
beforeAll(async () => {
  broker = await Mosquitto.start();
  dir = tmpDir('hq-batch-');
}, 60_000);
afterAll(async () => {
  await broker.close();
  await closeConsoleBackends();
  fs.rmSync(dir, { recursive: true, force: true });
}, 60_000);

interface RunningKiosk {
  client: MqttClient;
  db: KioskDb;
  seen: unknown[];
}

/** A kiosk on the broker that trusts HQ's key and runs commands with the real runner (its handlers echo). */
async function startKiosk(kiosks: RunningKiosk[], clock: SimulatedClock, label: string, pub: string, storeId: string, deviceId: string): Promise<RunningKiosk> {
  const kdir = path.join(dir, `${label}-${storeId}-${deviceId}`);
  fs.mkdirSync(kdir, { recursive: true });
  const trust = TrustStore.open(kdir);
  trust.install([pub], { replace: true, now: T0 });
  const db = await KioskDb.open(path.join(kdir, 'kiosk.sqlite'));
  await migrate(db);
  const seen: unknown[] = [];
  const ok = async (args: unknown) => {
    seen.push(args);
    return { kiosk: `${storeId}/${deviceId}`, args };
  };
  const runner = new CommandRunner({
    db,
    trust,
    clock,
    identity: { store: storeId, device: deviceId },
    handlers: { lock: ok, unlock: ok, print_test: ok, doctor: ok, resend: ok, eod: ok, rebirth: ok, return: ok },
  });
  const client = mqtt.connect(broker.url, { reconnectPeriod: 0, clientId: `k-${label}-${storeId}-${deviceId}` });
  client.on('message', (topic, payload) => {
    void runner.offer(topic, payload).then((r) => client.publishAsync(commandResultTopic(storeId, deviceId), JSON.stringify(r), { qos: 1 }));
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  await client.subscribeAsync(commandTopic(storeId, deviceId), { qos: 1 });
  const k = { client, db, seen };
  kiosks.push(k);
  return k;
}

/** The fleet of these tests: five kiosks in two stores, three of them tagged `entrance`; an admin and a manager of S1. */
async function seedFleet(store: IngestStore): Promise<void> {
  await addUser(store.db, { username: 'admin1', password: PW, role: 'admin', stores: [] }, T0);
  await addUser(store.db, { username: 'mgr1', password: PW, role: 'store_manager', stores: ['S1'] }, T0);
  const view = new FleetView();
  for (const [s, d] of [['S1', 'K1'], ['S1', 'K2'], ['S1', 'K4'], ['S2', 'K3'], ['S2', 'K5']]) {
    view.apply(`kiosk/v1/${s}/${d}/state`, JSON.stringify({ v: 1, online: true, ts: T0 }), T0);
  }
  await writeFleet(store.db, view.entriesList());
  for (const [s, d] of [['S1', 'K1'], ['S1', 'K4'], ['S2', 'K3']]) await addTag(store.db, s, d, 'entrance', 'admin1', T0);
}

describe.each(CONSOLE_BACKENDS.map((b) => [b.name, b] as const))('batch commands on %s', (name, backend) => {
  let store: IngestStore;
  let fx: Awaited<ReturnType<typeof consoleFixture>>;
  let hq: MqttClient;
  let stopService: () => Promise<void>;
  const kiosks: RunningKiosk[] = [];

  beforeEach(async () => {
    store = await backend.open();
    await seedFleet(store);
    fx = await consoleFixture(store, {}, T0);
    const keys = generateHqKeyPair();
    hq = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0, clientId: `hq-${name}` });
    fx.ctx.mqtt = hq;
    fx.ctx.hqKey = createPrivateKey(keys.privatePem);
    const svc = commandResultsService({ timeoutMs: 60_000, sweepMs: 3_600_000 })(fx.ctx);
    stopService = () => svc.stop();
    // K4 is tagged but not running: it never answers
    await startKiosk(kiosks, fx.clock, name, keys.publicPem, 'S1', 'K1');
    await startKiosk(kiosks, fx.clock, name, keys.publicPem, 'S1', 'K2');
    await startKiosk(kiosks, fx.clock, name, keys.publicPem, 'S2', 'K3');
  }, 60_000);
  afterEach(async () => {
    await stopService();
    for (const k of kiosks.splice(0)) {
      await k.client.endAsync();
      await k.db.close();
    }
    await hq.endAsync();
    await fx.app.close();
    await store.close();
  });

  const as = async (user: string): Promise<InjectBrowser> => {
    const b = new InjectBrowser(fx.app);
    expect((await b.login(user, PW)).statusCode).toBe(303);
    await b.get('/fleet');
    return b;
  };

  it('sends a signed command to every kiosk of a tag, records each answer and shows the progress per kiosk', async () => {
    const admin = await as('admin1');
    const r = await admin.post('/batches', { target: 'filter', tag: 'entrance', name: 'lock', reason: 'stocktake' });
    expect(r.statusCode).toBe(303);
    const url = String(r.headers.location);
    const id = decodeURIComponent(url.replace('/batches/', ''));
    const rows = await store.db.read.all<{ store_id: string; device_id: string; batch_id: string }>('SELECT store_id, device_id, batch_id FROM commands ORDER BY store_id, device_id');
    expect(rows.map((x) => `${x.store_id}/${x.device_id}`)).toEqual(['S1/K1', 'S1/K4', 'S2/K3']); // K2 has no tag, K5 neither
    expect(rows.every((x) => x.batch_id === id)).toBe(true);
    await waitFor('the answers of K1 and K3', async () => {
      const s = await store.db.read.all<{ status: string }>("SELECT status FROM commands WHERE batch_id = ? AND status = 'ok'", [id]);
      return s.length === 2 ? true : null;
    }, 20_000);
    expect(kiosks[0].seen).toEqual([{ reason: 'stocktake' }]); // S1/K1 ran it once
    expect(kiosks[1].seen).toEqual([]); // S1/K2 not selected
    expect(kiosks[2].seen).toEqual([{ reason: 'stocktake' }]);

    let page = await admin.get(url);
    expect(page.statusCode).toBe(200);
    const status = (body: string, k: string) => new RegExp(`data-kiosk="${k}"[\\s\\S]*?data-status="([a-z_]+)"`).exec(body)?.[1];
    expect(status(page.body, 'S1/K1')).toBe('ok');
    expect(status(page.body, 'S2/K3')).toBe('ok');
    expect(status(page.body, 'S1/K4')).toBe('sent');
    expect(page.body).toContain('data-answered="2" data-total="3"');
    expect(page.body).toContain('&quot;kiosk&quot;: &quot;S2/K3&quot;'); // the kiosk's own result
    expect(fx.rec.audit).toEqual(expect.arrayContaining([expect.objectContaining({ actor: 'admin1', action: 'batch.command', target: id, detail: expect.objectContaining({ name: 'lock', tag: 'entrance', kiosks: 3 }) })]));
    expect(fx.rec.audit.filter((a) => a.action === 'command.send')).toHaveLength(3);

    // K4 never answers: after the timeout its row reads "no answer"
    fx.clock.advance(61_000);
    await expireCommands(fx.ctx, 60_000);
    page = await admin.get(url);
    expect(status(page.body, 'S1/K4')).toBe('timeout');
    expect(page.body).toContain('data-answered="3" data-total="3"');
    expect(page.body).toContain('no answer');

    // a store manager of S1 sees the batch with its S1 kiosks only
    const mgr = await as('mgr1');
    const mine = await mgr.get(url);
    expect(mine.statusCode).toBe(200);
    expect(mine.body).toContain('data-kiosk="S1/K1"');
    expect(mine.body).not.toContain('S2/K3');
    expect((await mgr.get('/batches')).body).toContain(`data-batch="${id}"`);
  }, 60_000);

  it('sends to the ticked kiosks only, and never outside the sender\'s stores', async () => {
    const mgr = await as('mgr1');
    const fleet = await mgr.get('/fleet');
    expect(fleet.body).toContain('form="batch-form" value="S1/K2"');
    expect(fleet.body).not.toContain('value="S2/K3"');
    // ticks S1/K2 and (forged) S2/K3: only S1/K2 is sent
    const r = await mgr.request('POST', '/batches', { _csrf: mgr.csrf, target: 'checked', name: 'print_test', kiosk: 'S1/K2,S2/K3' });
    expect(r.statusCode).toBe(303);
    await waitFor('the answer of K2', async () => ((await store.db.read.all("SELECT 1 FROM commands WHERE status = 'ok'")).length === 1 ? true : null), 20_000);
    const rows = await store.db.read.all<{ k: string }>("SELECT store_id || '/' || device_id AS k FROM commands");
    expect(rows.map((x) => x.k)).toEqual(['S1/K2']);
    expect(kiosks[1].seen).toEqual([{}]);
    expect(kiosks[2].seen).toEqual([]);
    // only another store's kiosk ticked, or a store out of scope: nothing selected, nothing sent
    expect((await mgr.post('/batches', { target: 'checked', name: 'doctor', kiosk: 'S2/K3' })).statusCode).toBe(400);
    expect((await mgr.post('/batches', { target: 'filter', store: 'S2', name: 'doctor' })).statusCode).toBe(400);
    expect((await mgr.post('/batches', { target: 'checked', name: 'doctor' })).statusCode).toBe(400);
    expect((await mgr.post('/batches', { target: 'filter', name: 'format_disk' })).statusCode).toBe(400);
    expect((await mgr.post('/batches', { target: 'filter', name: 'resend', fromSeq: 'x' })).statusCode).toBe(400);
    expect(await store.db.read.all('SELECT * FROM batches')).toHaveLength(1);
  }, 60_000);
});

describe('a batch from the fleet page in Chromium', () => {
  let browser: Browser;
  let store: IngestStore;
  let fx: Awaited<ReturnType<typeof consoleFixture>>;
  let hq: MqttClient;
  let base: string;
  let stopService: () => Promise<void>;
  const kiosks: RunningKiosk[] = [];
  const out = process.env.CONSOLE_SCREENSHOTS ?? fs.mkdtempSync(path.join(os.tmpdir(), 'batch-shots-'));

  beforeAll(async () => {
    store = await CONSOLE_BACKENDS[0].open();
    await seedFleet(store);
    fx = await consoleFixture(store, {}, T0);
    const keys = generateHqKeyPair();
    hq = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0, clientId: 'hq-chromium' });
    fx.ctx.mqtt = hq;
    fx.ctx.hqKey = createPrivateKey(keys.privatePem);
    const svc = commandResultsService({ timeoutMs: 60_000, sweepMs: 3_600_000 })(fx.ctx);
    stopService = () => svc.stop();
    await startKiosk(kiosks, fx.clock, 'chromium', keys.publicPem, 'S1', 'K1');
    await startKiosk(kiosks, fx.clock, 'chromium', keys.publicPem, 'S1', 'K2');
    await fx.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(fx.app.server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await stopService?.();
    for (const k of kiosks.splice(0)) {
      await k.client.endAsync();
      await k.db.close();
    }
    await hq?.endAsync();
    await fx?.app.close();
    await store?.close();
    if (!process.env.CONSOLE_SCREENSHOTS) fs.rmSync(out, { recursive: true, force: true });
  });

  it('ticks two kiosks, sends print_test to both, and sees each answer; screenshots in both languages', async () => {
    const context = await browser.newContext({ viewport: SCREENSHOT_VIEWPORT });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    page.on('dialog', (d) => void d.accept());
    await loginInBrowser(page, base, 'admin1', PW);
    await page.goto(`${base}/fleet?store=S1`);
    await page.check('input[name="kiosk"][value="S1/K1"]');
    await page.check('input[name="kiosk"][value="S1/K2"]');
    await page.locator('details.batch summary').click();
    await page.selectOption('#batch-form select[name="name"]', 'print_test');
    await Promise.all([page.waitForURL((u) => u.pathname.startsWith('/batches/')), page.click('#batch-form button[type="submit"]')]);
    const url = page.url();
    await waitFor('both answers on the batch page', async () => {
      await page.goto(url);
      return (await page.locator('#batch-progress').getAttribute('data-answered')) === '2' ? true : null;
    }, 20_000, 200);
    expect(await page.locator('#batch-items tbody tr').evaluateAll((rows) => rows.map((r) => (r as unknown as { dataset: { kiosk: string } }).dataset.kiosk))).toEqual(['S1/K1', 'S1/K2']);
    expect(await page.locator('#batch-items [data-status]').evaluateAll((xs) => xs.map((x) => x.getAttribute('data-status')))).toEqual(['ok', 'ok']);
    expect(kiosks.map((k) => k.seen)).toEqual([[{}], [{}]]);
    await context.close();

    const id = new URL(url).pathname.replace('/batches/', '');
    const files = await takeConsoleScreenshots(browser, base, { username: 'admin1', password: PW }, [
      { name: 'fleet-batch', path: '/fleet?tag=entrance' },
      { name: 'batch', path: `/batches/${id}` },
    ], out);
    expect(files.filter((f) => /console-(fleet-)?batch/.test(f)).map((f) => path.basename(f)).sort()).toEqual([
      'console-batch-en.png',
      'console-batch-zh-CN.png',
      'console-fleet-batch-en.png',
      'console-fleet-batch-zh-CN.png',
    ]);
    for (const f of files) expect(fs.statSync(f).size).toBeGreaterThan(10_000);
  }, 120_000);
});
