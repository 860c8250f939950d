import { generateKeyPairSync } from 'node:crypto';
import mqtt from 'mqtt';
import { CONSOLE_BACKENDS, closeConsoleBackends, consoleFixture, InjectBrowser } from '../../test/support/console-fixture';
import { Mosquitto } from '../../test/support/mosquitto';
import type { IngestStore } from '../ingest/store';
import { addUser } from '../console/users';
import { ConfigRegistry } from './registry';
import { readRetainedBundle } from './retained';
import { ROUTES } from './routes';

/** The console's config pages on both dialects, against a real Mosquitto: form, preview, publish, roll back, scopes. */

const PW = 'correct horse battery';
const T0 = Date.UTC(2026, 11, 6, 9, 0);
const WAIT = 300;

let broker: Mosquitto;
let client: mqtt.MqttClient;
let reader: mqtt.MqttClient;
let n = 0;

beforeAll(async () => {
  broker = await Mosquitto.start();
  client = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  reader = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
});
afterAll(async () => {
  await client?.endAsync();
  await reader?.endAsync();
  await broker?.close();
  await closeConsoleBackends();
}, 60_000);

describe.each(CONSOLE_BACKENDS.map((b) => [b.name, b] as const))('config pages on %s', (_name, backend) => {
  let store: IngestStore;
  let fx: Awaited<ReturnType<typeof consoleFixture>>;
  let s1: string;
  let s2: string;

  beforeEach(async () => {
    store = await backend.open();
    // every test its own store ids: its own retained topics on the shared broker
    s1 = `S1x${++n}${process.pid}`;
    s2 = `S2x${n}${process.pid}`;
    await addUser(store.db, { username: 'alice', password: PW, role: 'admin', stores: [] }, T0);
    await addUser(store.db, { username: 'mgr', password: PW, role: 'store_manager', stores: [s1] }, T0);
    await addUser(store.db, { username: 'aud', password: PW, role: 'auditor', stores: [] }, T0);
    fx = await consoleFixture(store, { routes: ROUTES }, T0);
    fx.ctx.mqtt = client;
    fx.ctx.hqKey = generateKeyPairSync('ed25519').privateKey;
  });
  afterEach(async () => {
    await fx.app.close();
    await store.db.close();
  });

  const as = async (user: string): Promise<InjectBrowser> => {
    const b = new InjectBrowser(fx.app);
    expect((await b.login(user, PW)).statusCode).toBe(303);
    return b;
  };
  const publishVia = async (b: InjectBrowser, scope: string, form: Record<string, string>) => {
    await b.get(`/config/edit?scope=${encodeURIComponent(scope)}`);
    const preview = await b.post('/config/preview', { scope, ...form });
    expect(preview.statusCode).toBe(200);
    const body = /name="body" value="([^"]*)"/.exec(preview.body)![1].replace(/&quot;/g, '"').replace(/&amp;/g, '&');
    return b.post('/config/publish', { scope, body, version: '' });
  };

  it('the edit form is generated from the kiosk schema: an input per leaf, enums as selects, booleans as checkboxes, prefilled', async () => {
    const b = await as('alice');
    const r = await publishVia(b, `store:${s1}`, { 'f.tax.rate': '0.07', 'f.tax.mode': 'exclusive' });
    expect(r.statusCode).toBe(303);
    const page = await b.get(`/config/edit?scope=store:${s1}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(/<input type="text" inputmode="decimal" name="f\.tax\.rate" value="0\.07"/);
    expect(page.body).toMatch(/<select name="f\.tax\.mode">.*<option value="exclusive" selected>/s);
    expect(page.body).toMatch(/<input type="checkbox" name="f\.loyalty\.enabled" value="on" checked>/);
    expect(page.body).toMatch(/name="f\.hq\.telemetryMs"/);
    expect(page.body).toMatch(/<textarea name="advanced"/);
    // provisioning-only fields are never offered
    expect(page.body).not.toMatch(/name="f\.(dataDir|device\.storeId|device\.deviceId)"/);
    expect(page.body).toMatch(/name="f\.device\.name"/);
  });

  it('preview refuses what a kiosk would refuse, with the problem next to its field, and publishes nothing', async () => {
    const b = await as('alice');
    await b.get(`/config/edit?scope=store:${s1}`);
    const r = await b.post('/config/preview', { scope: `store:${s1}`, 'f.tax.rate': '7%', advanced: '{"loyalty":{"per":0}}' });
    expect(r.statusCode).toBe(422);
    expect(r.body).toMatch(/<div class="field invalid" data-path="tax\.rate">.*tax\.rate: expected number ≥ 0 and ≤ 1, got &quot;7%&quot;/s);
    expect(r.body).toMatch(/<div class="field invalid" data-path="loyalty\.per">.*loyalty\.per: expected integer ≥ 1/s);
    expect(r.body).not.toMatch(/action="\/config\/publish"/);
    expect(await readRetainedBundle(reader, { kind: 'store', store: s1 }, WAIT)).toBeNull();
    // and publish itself validates too (a forged form cannot skip the preview)
    const forged = await b.post('/config/publish', { scope: `store:${s1}`, body: '{"tax":{"rate":"7%"}}' });
    expect(forged.statusCode).toBe(422);
    expect(forged.body).toContain('tax.rate: expected number');
    expect(await readRetainedBundle(reader, { kind: 'store', store: s1 }, WAIT)).toBeNull();
    expect(fx.rec.audit.filter((a) => a.action === 'config.publish')).toEqual([]);
  });

  it('preview shows the diff against the version in force; publish signs, retains, records, audits; rollback publishes a new version with old content', async () => {
    const b = await as('alice');
    const scope = `store:${s1}`;
    expect((await publishVia(b, scope, { 'f.tax.rate': '0.07' })).headers.location).toBe(`/config?scope=${encodeURIComponent(scope)}&published=1`);
    await b.get(`/config/edit?scope=${scope}`);
    const preview = await b.post('/config/preview', { scope, 'f.tax.rate': '0.08', 'f.loyalty.per': '50' });
    expect(preview.statusCode).toBe(200);
    expect(preview.body).toMatch(/<tr class="diff-changed"><td>changed<\/td><td><code>tax\.rate<\/code><\/td><td>0\.07<\/td><td>0\.08<\/td><\/tr>/);
    expect(preview.body).toMatch(/<tr class="diff-added"><td>added<\/td><td><code>loyalty<\/code><\/td><td><\/td><td>\{&quot;per&quot;:50\}<\/td><\/tr>/);
    expect(preview.body).toMatch(/<form method="post" action="\/config\/publish" class="config-confirm" data-confirm="/);
    expect((await publishVia(b, scope, { 'f.tax.rate': '0.08' })).statusCode).toBe(303);
    expect((await readRetainedBundle(reader, { kind: 'store', store: s1 }, WAIT))?.version).toBe(2);
    // a lower version from a stale form is refused
    const stale = await b.post('/config/publish', { scope, body: '{}', version: '2' });
    expect(stale.statusCode).toBe(409);
    expect(stale.body).toContain('version 2 is not newer than version 2');
    const rb = await b.post('/config/rollback', { scope, version: '1' });
    expect(rb.statusCode).toBe(303);
    const rows = await new ConfigRegistry(store.db.read).history({ kind: 'store', store: s1 });
    expect(rows.map((r) => [r.version, r.body, r.kind, r.rolled_back_from, r.published_by])).toEqual([
      [3, '{"tax":{"rate":0.07}}', 'rollback', 1, 'alice'],
      [2, '{"tax":{"rate":0.08}}', 'publish', null, 'alice'],
      [1, '{"tax":{"rate":0.07}}', 'publish', null, 'alice'],
    ]);
    expect((await readRetainedBundle(reader, { kind: 'store', store: s1 }, WAIT))?.version).toBe(3);
    expect(fx.rec.audit.filter((a) => a.action === 'config.publish').map((a) => [a.actor, a.target, (a.detail as { version: number; kind: string }).kind])).toEqual([
      ['alice', scope, 'publish'],
      ['alice', scope, 'publish'],
      ['alice', scope, 'rollback'],
    ]);
    const overview = await b.get(`/config?scope=${encodeURIComponent(scope)}`);
    expect(overview.body).toMatch(/<tr data-scope="store:[^"]+"><td><a[^>]*>store:[^<]+<\/a><\/td><td>v3<\/td><td>rollback of v1<\/td><td>alice<\/td>/);
    expect(overview.body).toMatch(/action="\/config\/rollback"/);
  });

  it('scopes: a store manager sees the fleet and their store only, cannot open another store, cannot publish; an auditor only reads', async () => {
    const b = await as('alice');
    for (const scope of ['fleet', `store:${s1}`, `store:${s2}`, `device:${s2}/D1`]) expect((await publishVia(b, scope, { 'f.loyalty.per': '10' })).statusCode).toBe(303);
    const m = await as('mgr');
    const page = await m.get('/config');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('data-scope="fleet"');
    expect(page.body).toContain(`data-scope="store:${s1}"`);
    expect(page.body).not.toContain(s2);
    expect(page.body).not.toMatch(/action="\/config\/(rollback|edit)"/);
    expect((await m.get(`/config?scope=store:${s2}`)).statusCode).toBe(404);
    expect((await m.get(`/config?scope=device:${s2}/D1`)).statusCode).toBe(404);
    expect((await m.get(`/config/edit?scope=store:${s1}`)).statusCode).toBe(403);
    const a = await as('aud');
    const ap = await a.get('/config');
    expect(ap.body).toContain(`data-scope="store:${s2}"`);
    expect(ap.body).not.toMatch(/\/config\/edit|action="\/config\/rollback"/);
    expect((await a.post('/config/rollback', { scope: `store:${s1}`, version: '1' })).statusCode).toBe(403);
  });

  it('bad scope ids are refused; without a key or broker publishing answers 503', async () => {
    const b = await as('alice');
    for (const bad of ['store:_all', 'store:a/b', 'device:S1', '<script>', 'store:']) expect((await b.get(`/config/edit?scope=${encodeURIComponent(bad)}`)).statusCode).toBe(400);
    fx.ctx.hqKey = null;
    expect((await b.get(`/config/edit?scope=store:${s1}`)).statusCode).toBe(503);
    expect((await b.post('/config/publish', { scope: `store:${s1}`, body: '{}' })).statusCode).toBe(503);
  });

  it("shows each kiosk's reported state, escaped, only for the user's stores", async () => {
    const reported = (detail: string) =>
      JSON.stringify({
        v: 1,
        levels: [
          { v: 1, level: 'fleet', version: 4, status: 'applied' },
          { v: 1, level: 'device', version: 2, status: 'rejected', reason: 'invalid_body', detail },
        ],
      });
    await store.db.transaction(async (tx) => {
      await tx.run('INSERT INTO fleet (store_id, device_id, config_reported, config_reported_at) VALUES (?, ?, ?, ?)', [s1, 'D1', reported('tax.rate: <img src=x onerror=alert(1)>'), T0]);
      await tx.run('INSERT INTO fleet (store_id, device_id, config_reported, config_reported_at) VALUES (?, ?, ?, ?)', [s2, 'D9', reported('other store'), T0]);
      await tx.run('INSERT INTO fleet (store_id, device_id, config_reported, config_reported_at) VALUES (?, ?, ?, ?)', [s1, 'D2', '{not json', T0]);
    });
    const m = await as('mgr');
    const page = await m.get('/config');
    expect(page.body).toMatch(new RegExp(`${s1}/D1</a></td><td>device</td><td>v2</td><td>refused</td><td>invalid_body: tax.rate: &lt;img src=x onerror=alert\\(1\\)&gt;</td>`));
    expect(page.body).toMatch(new RegExp(`${s1}/D1</a></td><td>fleet</td><td>v4</td><td>applied</td>`));
    expect(page.body).not.toContain('<img src=x');
    // the other store's kiosk as the page would show it (a bare "D9" also turns up in random CSRF tokens)
    expect(page.body).not.toContain(`${s2}/D9`);
    expect(page.body).not.toContain('other store');
    const admin = await as('alice');
    expect((await admin.get('/config')).body).toContain(`${s2}/D9`);
  });
});
