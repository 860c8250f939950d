import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { MqttClient } from 'mqtt';
import type { Browser } from 'playwright-core';
import { signConfigBundle } from '../hq/signing';
import { addUser } from '../hq/console/users';
import { FleetView } from '../hq/ingest/fleet';
import type { IngestStore } from '../hq/ingest/store';
import { writeFleet } from '../hq/fleet/fleet-table';
import { addTag } from '../hq/fleet/tags';
import { publishConfig } from '../hq/config/publish';
import { ConfigRegistry } from '../hq/config/registry';
import { PricebookRegistry } from '../hq/pricebook-console/registry';
import { configTopic } from '../protocol/control/topics';
import { serializeEnvelope } from '../protocol/signed-envelope';
import { startPushKiosk, type PushKiosk } from './support/batch-push-kiosk';
import { CONSOLE_BACKENDS, closeConsoleBackends, InjectBrowser } from './support/console-fixture';
import { loginInBrowser, SCREENSHOT_VIEWPORT, takeConsoleScreenshots } from './support/console-screenshots';
import { Mosquitto } from './support/mosquitto';
import { startPushHq, type PushHq } from './support/push-hq';
import { launchChromium } from './support/screen-browser';
import { tmpDir } from './support/sync-fixtures';
import { waitFor } from './support/wait';

/**
 * Batch pushes of config and price books on a real Mosquitto: the console publishes one signed device-scope bundle
 * (or price book) per selected kiosk; kiosks running the kiosk's own ConfigBundleManager / PricebookReceiver apply
 * or refuse it and report on `config/reported` / `pricebook/reported`; HQ's fleet ingestion writes those reports to
 * the fleet table and the batch page shows each kiosk's applied / rejected / no answer. On SQLite and PostgreSQL.
 */

const PW = 'batch password 1';
const T0 = Date.UTC(2026, 11, 6, 9, 0);
const HEADER = 'sku,barcodes,name_zh-CN,name_en,unit_price,tax_class,age_limit,sold_by_weight';
const BOOK = [HEADER, '1001,6901234567892,苹果,Apple,350,standard,,false', '1002,6901234567885,面包,Bread,1200,reduced,,false', '1003,6901234567878,可乐,Cola,300,standard,,false'].join('\n');

let dir: string;
beforeAll(() => {
  dir = tmpDir('hq-batch-push-');
});
afterAll(async () => {
  await closeConsoleBackends();
  fs.rmSync(dir, { recursive: true, force: true });
}, 60_000);

/** Five kiosks in two stores, three tagged `entrance` (S1/K1, S1/K4, S2/K3); an admin and a manager of S1. */
async function seedFleet(store: IngestStore): Promise<void> {
  await addUser(store.db, { username: 'admin1', password: PW, role: 'admin', stores: [] }, T0);
  await addUser(store.db, { username: 'mgr1', password: PW, role: 'store_manager', stores: ['S1'] }, T0);
  const view = new FleetView();
  for (const [s, d] of [['S1', 'K1'], ['S1', 'K2'], ['S1', 'K4'], ['S2', 'K3'], ['S2', 'K5']]) view.apply(`kiosk/v1/${s}/${d}/state`, JSON.stringify({ v: 1, online: true, ts: T0 }), T0);
  await writeFleet(store.db, view.entriesList());
  for (const [s, d] of [['S1', 'K1'], ['S1', 'K4'], ['S2', 'K3']]) await addTag(store.db, s, d, 'entrance', 'admin1', T0);
}

const status = (body: string, k: string) => new RegExp(`data-kiosk="${k}"[\\s\\S]*?data-status="([a-z_]+)"`).exec(body)?.[1];

describe.each(CONSOLE_BACKENDS.map((b) => [b.name, b] as const))('batch push on %s', (name, backend) => {
  let broker: Mosquitto;
  let store: IngestStore;
  let fx: PushHq['fx'];
  let hq: MqttClient;
  let keys: PushHq['keys'];
  let hqSide: PushHq;
  const kiosks: PushKiosk[] = [];
  let run = 0;

  beforeEach(async () => {
    // a broker per test: retained bundles of one test are not the next one's
    broker = await Mosquitto.start();
    store = await backend.open();
    await seedFleet(store);
    hqSide = await startPushHq({ brokerUrl: broker.url, store, now: T0, clientId: `hq-push-${name}` });
    ({ fx, keys, hq } = hqSide);
    // K4 and K5 are not running: they never answer
    run++;
    for (const [s, d] of [['S1', 'K1'], ['S1', 'K2'], ['S2', 'K3']]) {
      kiosks.push(await startPushKiosk({ brokerUrl: broker.url, dir: path.join(dir, `${name}-${run}`), store: s, device: d, hqPublicPem: keys.publicPem, clock: fx.clock }));
    }
  }, 60_000);
  afterEach(async () => {
    for (const k of kiosks.splice(0)) await k.close();
    await hqSide.close();
    await store.close();
    await broker.close();
  });

  const as = async (user: string): Promise<InjectBrowser> => {
    const b = new InjectBrowser(fx.app);
    expect((await b.login(user, PW)).statusCode).toBe(303);
    await b.get('/fleet');
    return b;
  };
  const batchId = (location: unknown) => decodeURIComponent(String(location).replace('/batches/', ''));

  it('pushes a config body to every kiosk of a tag at device level; each kiosk applies or refuses it, shown per kiosk', async () => {
    // S2/K3 already runs device version 5, from an HQ whose registry was lost: HQ's next version for it is refused
    const old = signConfigBundle({ scope: { kind: 'device', store: 'S2', device: 'K3' }, version: 5, body: {}, key: fx.ctx.hqKey!, now: T0, expiresInMs: 86_400_000 });
    expect((await kiosks[2].bundles.offer(configTopic({ kind: 'device', store: 'S2', device: 'K3' }), serializeEnvelope(old))).ok).toBe(true);

    // S1/K1 has a device body of its own already (published from /config): the batch's change is merged over it
    const own = await publishConfig(fx.ctx, { scope: { kind: 'device', store: 'S1', device: 'K1' }, body: { timeouts: { paymentMs: 70_000 } }, user: 'admin1', kind: 'publish' });
    expect(own.ok).toBe(true);
    await waitFor('K1 applied its own body', () => (kiosks[0].bundles.current().timeouts.paymentMs === 70_000 ? true : null), 20_000);
    const auditBefore = fx.rec.audit.length;

    const admin = await as('admin1');
    const started = process.hrtime.bigint();
    const r = await admin.post('/batches', { kind: 'config', target: 'filter', tag: 'entrance', config: JSON.stringify({ timeouts: { idlePromptMs: 45_000 } }) });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    process.stdout.write(`batch config push to 3 kiosks (${name}): POST answered in ${ms.toFixed(0)} ms\n`);
    expect(r.statusCode).toBe(303);
    const id = batchId(r.headers.location);
    const pushes = await store.db.read.all<{ k: string; version: string }>("SELECT store_id || '/' || device_id AS k, version FROM batch_pushes WHERE batch_id = ? ORDER BY store_id, device_id", [id]);
    expect(pushes).toEqual([
      { k: 'S1/K1', version: '2' },
      { k: 'S1/K4', version: '1' },
      { k: 'S2/K3', version: '1' },
    ]);
    // each is the registry's device-scope version, signed and retained for the kiosk; K1 keeps its own section
    const registry = new ConfigRegistry(store.db.read);
    expect((await registry.latest({ kind: 'device', store: 'S1', device: 'K1' }))?.body).toBe('{"timeouts":{"idlePromptMs":45000,"paymentMs":70000}}');
    expect((await registry.latest({ kind: 'device', store: 'S1', device: 'K4' }))?.body).toBe('{"timeouts":{"idlePromptMs":45000}}');

    await waitFor('K1 applied and K3 refused, as reported', async () => {
      const page = await admin.get(`/batches/${encodeURIComponent(id)}`);
      return status(page.body, 'S1/K1') === 'applied' && status(page.body, 'S2/K3') === 'rejected' ? page : null;
    }, 20_000);
    expect(kiosks[0].bundles.current().timeouts).toMatchObject({ idlePromptMs: 45_000, paymentMs: 70_000 }); // the kiosk's own config changed
    expect(kiosks[1].bundles.current().timeouts.idlePromptMs).not.toBe(45_000); // K2: not tagged, not selected
    const page = await admin.get(`/batches/${encodeURIComponent(id)}`);
    expect(status(page.body, 'S1/K4')).toBe('waiting'); // not running: no answer
    expect(page.body).toContain('data-answered="2" data-total="3"');
    expect(page.body).toMatch(/not_newer/); // K3's own reason
    expect(fx.rec.audit).toEqual(expect.arrayContaining([expect.objectContaining({ actor: 'admin1', action: 'batch.config', target: id, detail: expect.objectContaining({ source: 'form', sections: ['timeouts'], tag: 'entrance', kiosks: 3 }) })]));
    expect(fx.rec.audit.slice(auditBefore).filter((a) => a.action === 'config.publish').map((a) => a.target).sort()).toEqual(['device:S1/K1', 'device:S1/K4', 'device:S2/K3']);

    // a saved version pushed to the ticked K1 and K2: K1's device scope goes to 3, K2's to 1
    const r2 = await admin.post('/batches', { kind: 'config', target: 'checked', kiosk: 'S1/K1,S1/K2', configFrom: 'device:S1/K1@2' });
    expect(r2.statusCode).toBe(303);
    const id2 = batchId(r2.headers.location);
    expect(await store.db.read.all("SELECT store_id || '/' || device_id AS k, version FROM batch_pushes WHERE batch_id = ? ORDER BY device_id", [id2])).toEqual([
      { k: 'S1/K1', version: '3' },
      { k: 'S1/K2', version: '1' },
    ]);
    await waitFor('K2 applied', async () => (status((await admin.get(`/batches/${encodeURIComponent(id2)}`)).body, 'S1/K2') === 'applied' ? true : null), 20_000);
    expect(kiosks[1].bundles.current().timeouts).toMatchObject({ idlePromptMs: 45_000, paymentMs: 70_000 });

    // a body a kiosk would refuse: nothing published, nothing recorded
    const before = (await store.db.read.all('SELECT id FROM batches')).length;
    const bad = await admin.post('/batches', { kind: 'config', target: 'filter', tag: 'entrance', config: JSON.stringify({ timeouts: { idlePromptMs: 5 } }) });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('timeouts.idlePromptMs');
    // sealed channel secrets are sealed to one kiosk: never in a batch
    expect((await admin.post('/batches', { kind: 'config', target: 'filter', tag: 'entrance', config: JSON.stringify({ sealed: { v: 1 } }) })).statusCode).toBe(422);
    expect(await store.db.read.all('SELECT id FROM batches')).toHaveLength(before);
    // a store manager may send commands but not push config
    const mgr = await as('mgr1');
    expect((await mgr.post('/batches', { kind: 'config', target: 'checked', kiosk: 'S1/K1', config: '{"timeouts":{"idlePromptMs":50000}}' })).statusCode).toBe(403);
    expect(await store.db.read.all('SELECT id FROM batches')).toHaveLength(before);
  }, 90_000);

  it('publishes to many kiosks with one read of the retained versions, not one wait per kiosk', async () => {
    // 40 more kiosks of S3 (none running), one of them with a device bundle already retained on the broker
    const view = new FleetView();
    const devices = Array.from({ length: 40 }, (_, i) => `M${String(i).padStart(2, '0')}`);
    for (const d of devices) view.apply(`kiosk/v1/S3/${d}/state`, JSON.stringify({ v: 1, online: true, ts: T0 }), T0);
    await writeFleet(store.db, view.entriesList());
    const retained = signConfigBundle({ scope: { kind: 'device', store: 'S3', device: 'M07' }, version: 9, body: {}, key: fx.ctx.hqKey!, now: T0, expiresInMs: 86_400_000 });
    await hq.publishAsync(configTopic({ kind: 'device', store: 'S3', device: 'M07' }), serializeEnvelope(retained), { qos: 1, retain: true });
    const admin = await as('admin1');
    const started = process.hrtime.bigint();
    const r = await admin.post('/batches', { kind: 'config', target: 'filter', store: 'S3', config: '{"timeouts":{"idlePromptMs":46000}}' });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    process.stdout.write(`batch config push to 40 kiosks (${name}): POST answered in ${ms.toFixed(0)} ms (one retained read, then 40 publishes)\n`);
    expect(r.statusCode).toBe(303);
    const rows = await store.db.read.all<{ device_id: string; version: string; error: string | null }>('SELECT device_id, version, error FROM batch_pushes WHERE batch_id = ? ORDER BY device_id', [batchId(r.headers.location)]);
    expect(rows).toHaveLength(40);
    expect(rows.filter((x) => x.error !== null)).toEqual([]);
    // the version retained on the broker for M07 counted: its next version is 10, the others' 1
    expect(rows.find((x) => x.device_id === 'M07')?.version).toBe('10');
    expect(rows.filter((x) => x.version === '1')).toHaveLength(39);
  }, 90_000);

  it('pushes a console price book to the ticked kiosks at device level; each kiosk downloads and applies it', async () => {
    await store.db.transaction((tx) => PricebookRegistry.insert(tx, { store_id: 'S1', version: '2026.7', csv: BOOK, items: 3, sha256: '0'.repeat(64), published_by: 'admin1', published_at: T0 }));
    const admin = await as('admin1');
    expect((await admin.get('/fleet')).body).toContain('<option value="S1/2026.7">S1 · 2026.7</option>');
    // another store's kiosk ticked with S1's book: refused, nothing recorded
    expect((await admin.post('/batches', { kind: 'pricebook', target: 'checked', kiosk: 'S1/K1,S2/K3', book: 'S1/2026.7' })).statusCode).toBe(400);
    expect((await admin.post('/batches', { kind: 'pricebook', target: 'checked', kiosk: 'S1/K1', book: 'S1/2099.1' })).statusCode).toBe(404);
    expect(await store.db.read.all('SELECT id FROM batches')).toHaveLength(0);

    const r = await admin.post('/batches', { kind: 'pricebook', target: 'checked', kiosk: 'S1/K1,S1/K2,S1/K4', book: 'S1/2026.7' });
    expect(r.statusCode).toBe(303);
    const id = batchId(r.headers.location);
    const page = await waitFor('K1 and K2 applied', async () => {
      const p = await admin.get(`/batches/${encodeURIComponent(id)}`);
      return status(p.body, 'S1/K1') === 'applied' && status(p.body, 'S1/K2') === 'applied' ? p : null;
    }, 20_000);
    expect(status(page.body, 'S1/K4')).toBe('waiting');
    expect(page.body).toContain('3 items');
    for (const k of kiosks.slice(0, 2)) expect((await k.db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM items'))?.n).toBe(3);
    expect((await kiosks[2].db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM items'))?.n).toBe(0); // S2/K3 not selected
    expect(fx.rec.audit).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'batch.pricebook', target: id, detail: expect.objectContaining({ store: 'S1', version: '2026.7', items: 3, kiosks: 3 }) })]));
    expect((await admin.get('/batches')).body).toContain(`data-batch="${id}" data-kind="pricebook"`);
  }, 90_000);
});

describe('a config push from the fleet page in Chromium', () => {
  let browser: Browser;
  let broker: Mosquitto;
  let store: IngestStore;
  let fx: PushHq['fx'];
  let hqSide: PushHq | undefined;
  let base: string;
  const kiosks: PushKiosk[] = [];
  const out = process.env.CONSOLE_SCREENSHOTS ?? fs.mkdtempSync(path.join(os.tmpdir(), 'batch-push-shots-'));

  beforeAll(async () => {
    broker = await Mosquitto.start();
    store = await CONSOLE_BACKENDS[0].open();
    await seedFleet(store);
    hqSide = await startPushHq({ brokerUrl: broker.url, store, now: T0, clientId: 'hq-push-chromium' });
    fx = hqSide.fx;
    for (const d of ['K1', 'K2']) kiosks.push(await startPushKiosk({ brokerUrl: broker.url, dir: path.join(dir, 'chromium'), store: 'S1', device: d, hqPublicPem: hqSide.keys.publicPem, clock: fx.clock }));
    await fx.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(fx.app.server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    for (const k of kiosks.splice(0)) await k.close();
    await hqSide?.close();
    await store?.close();
    await broker?.close();
    if (!process.env.CONSOLE_SCREENSHOTS) fs.rmSync(out, { recursive: true, force: true });
  });

  it('ticks two kiosks, pushes a config body, and sees both apply it; screenshots in both languages', async () => {
    const context = await browser.newContext({ viewport: SCREENSHOT_VIEWPORT });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    page.on('dialog', (d) => void d.accept());
    await loginInBrowser(page, base, 'admin1', PW);
    await page.goto(`${base}/fleet?store=S1`);
    await page.check('input[name="kiosk"][value="S1/K1"]');
    await page.check('input[name="kiosk"][value="S1/K2"]');
    await page.locator('details.batch summary').click();
    await page.selectOption('#batch-form select[name="kind"]', 'config');
    await page.fill('#batch-form textarea[name="config"]', '{"timeouts": {"idlePromptMs": 60000}}');
    await Promise.all([page.waitForURL((u) => u.pathname.startsWith('/batches/')), page.click('#batch-form button[type="submit"]')]);
    const url = page.url();
    await waitFor('both kiosks applied', async () => {
      await page.goto(url);
      return (await page.locator('#batch-progress').getAttribute('data-answered')) === '2' ? true : null;
    }, 20_000, 200);
    expect(await page.locator('#batch-items [data-status]').evaluateAll((xs) => xs.map((x) => x.getAttribute('data-status')))).toEqual(['applied', 'applied']);
    expect(kiosks.map((k) => k.bundles.current().timeouts.idlePromptMs)).toEqual([60_000, 60_000]);
    await context.close();

    const id = new URL(url).pathname.replace('/batches/', '');
    const files = await takeConsoleScreenshots(browser, base, { username: 'admin1', password: PW }, [{ name: 'batch-config', path: `/batches/${id}` }], out);
    expect(files.filter((f) => /console-batch-config/.test(f)).map((f) => path.basename(f)).sort()).toEqual(['console-batch-config-en.png', 'console-batch-config-zh-CN.png']);
    for (const f of files) expect(fs.statSync(f).size).toBeGreaterThan(10_000);
  }, 120_000);
});
