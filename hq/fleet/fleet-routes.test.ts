import { CONSOLE_BACKENDS, closeConsoleBackends, consoleFixture, InjectBrowser } from '../../test/support/console-fixture';
import { FleetView } from '../ingest/fleet';
import type { IngestStore } from '../ingest/store';
import { addUser } from '../console/users';
import { SqlAlerts } from './alerts';
import { writeFleet } from './fleet-table';

/** The fleet and alert pages: scope (404 for another store's kiosk and alert), escaping, commands, retire. */

const PW = 'correct horse battery';
const T0 = Date.UTC(2026, 11, 6, 9, 0);
const XSS_DEVICE = '<img src=x onerror=alert(1)>';
const XSS_REASON = '<script>alert(1)</script>';

afterAll(closeConsoleBackends, 60_000);

describe.each(CONSOLE_BACKENDS.map((b) => [b.name, b] as const))('fleet pages on %s', (_name, backend) => {
  let store: IngestStore;
  let fx: Awaited<ReturnType<typeof consoleFixture>>;
  let alertIds: Record<string, number>;

  const hear = async (view: FleetView, s: string, d: string, leaf: string, payload: object) => view.apply(`kiosk/v1/${s}/${d}/${leaf}`, JSON.stringify(payload), T0);

  beforeEach(async () => {
    store = await backend.open();
    for (const [username, role, stores] of [
      ['admin1', 'admin', []],
      ['mgr1', 'store_manager', ['S1']],
      ['sup1', 'support', []],
      ['aud1', 'auditor', []],
    ] as const) {
      await addUser(store.db, { username, password: PW, role, stores: [...stores] }, T0);
    }
    const view = new FleetView();
    await hear(view, 'S1', 'K1', 'state', { v: 1, online: true, ts: T0, software: '3.0.1', configVersion: null });
    await hear(view, 'S1', 'K1', 'config/reported', { v: 1, levels: [{ level: 'device', version: 2, status: 'applied' }] });
    await hear(view, 'S1', 'K1', 'config/reported', { v: 1, levels: [{ level: 'device', version: 1, status: 'rejected', reason: 'VERSION_NOT_NEWER' }] });
    await hear(view, 'S1', 'K1', 'telemetry', { v: 1, ts: T0, backlog: 3, uptimeS: 1, disk: {}, devices: null, lane: { state: 'closed', reasons: ['locked by HQ: stocktake'] } });
    await hear(view, 'S1', XSS_DEVICE, 'state', { v: 1, online: true, ts: T0, software: '"><svg onload=alert(1)>' });
    await hear(view, 'S1', XSS_DEVICE, 'telemetry', { v: 1, ts: T0, backlog: 0, uptimeS: 1, disk: {}, devices: null, lane: { state: 'out_of_service', reasons: [XSS_REASON] } });
    await hear(view, 'S2', 'K9', 'state', { v: 1, online: false, ts: T0 });
    await writeFleet(store.db, view.entriesList());
    const alerts = new SqlAlerts(store.db);
    await alerts.sync(
      'fleet',
      [
        { key: 'offline:S2/K9', kind: 'offline', severity: 'critical', storeId: 'S2', deviceId: 'K9', message: 'Kiosk S2/K9 is offline (secret-S2-alert).' },
        { key: 'printer_paper_out:S1/K1', kind: 'printer_paper_out', severity: 'warning', storeId: 'S1', deviceId: 'K1', message: `Kiosk S1/K1: ${XSS_REASON}` },
      ],
      T0,
    );
    alertIds = Object.fromEntries((await alerts.open({ all: true })).map((a) => [a.storeId!, a.id]));
    fx = await consoleFixture(store, {}, T0);
  }, 60_000);
  afterEach(async () => {
    await fx.app.close();
    await store.close();
  });

  const as = async (user: string): Promise<InjectBrowser> => {
    const b = new InjectBrowser(fx.app);
    expect((await b.login(user, PW)).statusCode).toBe(303);
    return b;
  };

  it('lists the fleet in scope, with status, lane, the config in force and open alerts; filters by state', async () => {
    const admin = await as('admin1');
    const page = await admin.get('/fleet');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('data-kiosk="S1/K1"');
    expect(page.body).toContain('data-kiosk="S2/K9"');
    expect(page.body).toMatch(/data-kiosk="S1\/K1"[\s\S]*?device:2[\s\S]*?data-lane="closed"[\s\S]*?locked by HQ: stocktake/);
    expect(page.body).toMatch(/<div class="value" id="count-total">3<\/div>/);
    const offline = await admin.get('/fleet?state=offline');
    expect(offline.body).toContain('data-kiosk="S2/K9"');
    expect(offline.body).not.toContain('data-kiosk="S1/K1"');
    const zh = await admin.get('/fleet?lang=zh-CN');
    expect(zh.body).toContain('已关闭');
  });

  it("shows an offline kiosk's lane and devices as last known, never as in service and fine", async () => {
    const view = new FleetView();
    await hear(view, 'S1', 'K2', 'state', { v: 1, online: true, ts: T0 });
    await hear(view, 'S1', 'K2', 'telemetry', {
      v: 1, ts: T0, backlog: 0, uptimeS: 1, disk: {}, devices: null,
      lane: { state: 'in_service', reasons: [] }, peripherals: { printer: { status: 'online', faults: [] } },
    });
    await hear(view, 'S1', 'K2', 'state', { v: 1, online: false, ts: T0 + 1000 });
    await writeFleet(store.db, view.entriesList());
    const admin = await as('admin1');
    for (const url of ['/fleet', '/fleet/S1/K2']) {
      const page = await admin.get(url);
      const row = url === '/fleet' ? /data-kiosk="S1\/K2"[\s\S]*?<\/tr>/.exec(page.body)![0] : page.body;
      expect(row).toContain('data-lane="offline"');
      expect(row).not.toContain('data-lane="in_service"');
      expect(row).toMatch(/last known: In service/);
      expect(row).not.toContain('<span class="badge ok">all fine</span>');
    }
  });

  it('pages the fleet 100 kiosks at a time, keeping the filters in the page links', async () => {
    const view = new FleetView();
    for (let i = 0; i < 230; i++) await hear(view, 'S3', `P${String(i).padStart(3, '0')}`, 'state', { v: 1, online: i % 2 === 0, ts: T0 });
    await writeFleet(store.db, view.entriesList());
    const admin = await as('admin1');
    const kiosks = (body: string) => [...body.matchAll(/data-kiosk="([^"]+)"/g)].map((m) => m[1]);
    const first = await admin.get('/fleet');
    expect(first.statusCode).toBe(200);
    expect(kiosks(first.body)).toHaveLength(100);
    expect(first.body).toMatch(/<div class="value" id="count-total">233<\/div>/); // the counts stay fleet-wide
    expect(first.body).toContain('href="/fleet?page=2"');
    expect(first.body).not.toContain('rel="prev"');
    const seen = [...kiosks(first.body), ...kiosks((await admin.get('/fleet?page=2')).body), ...kiosks((await admin.get('/fleet?page=3')).body)];
    expect(seen).toHaveLength(233);
    expect(new Set(seen).size).toBe(233);
    const last = await admin.get('/fleet?page=3');
    expect(last.body).toContain('href="/fleet?page=2"');
    expect(last.body).not.toContain('rel="next"');
    expect(kiosks((await admin.get('/fleet?page=99')).body)).toEqual(kiosks(last.body)); // past the end: the last page
    expect(kiosks((await admin.get('/fleet?page=x')).body)).toEqual(kiosks(first.body));
    const online = await admin.get('/fleet?store=S3&state=online');
    expect(kiosks(online.body)).toHaveLength(100);
    expect(kiosks(online.body).every((k) => k.startsWith('S3/P'))).toBe(true);
    expect(online.body).toContain('href="/fleet?store=S3&amp;state=online&amp;page=2"');
    const online2 = await admin.get('/fleet?store=S3&state=online&page=2');
    expect(kiosks(online2.body)).toHaveLength(15);
    expect(online2.body).toContain('href="/fleet?store=S3&amp;state=online&amp;page=1"');
  });

  it("a store manager sees only their stores: another store's kiosk and alert answer 404", async () => {
    const mgr = await as('mgr1');
    const list = await mgr.get('/fleet');
    expect(list.body).toContain('data-kiosk="S1/K1"');
    // the page carries a random CSRF token, so look for the kiosk's identity, not any "K9"
    expect(list.body).not.toContain('S2/K9');
    expect(list.body).not.toContain('data-kiosk="S2/');
    expect((await mgr.get('/fleet?store=S2')).body).not.toContain('S2/K9');
    expect((await mgr.get('/fleet/S2/K9')).statusCode).toBe(404);
    expect((await mgr.get('/fleet/S1/K1')).statusCode).toBe(200);
    const alerts = await mgr.get('/alerts');
    expect(alerts.body).not.toContain('secret-S2-alert');
    expect(alerts.body).toContain(`data-alert="${alertIds.S1}"`);
    expect((await mgr.get('/alerts?store=S2')).body).not.toContain('secret-S2-alert');
    const foreign = await mgr.post(`/alerts/${alertIds.S2}/ack`);
    expect(foreign.statusCode).toBe(404);
    expect((await new SqlAlerts(store.db).get(alertIds.S2))?.ackedBy).toBeNull();
    const own = await mgr.post(`/alerts/${alertIds.S1}/ack`);
    expect(own.statusCode).toBe(303);
    expect((await new SqlAlerts(store.db).get(alertIds.S1))?.ackedBy).toBe('mgr1');
    expect(fx.rec.audit.map((a) => a.action)).toContain('alert.ack');
    expect((await mgr.post('/alerts/99999/ack')).statusCode).toBe(404);
    expect((await mgr.post('/fleet/S2/K9/command', { name: 'doctor' })).statusCode).toBe(404);
  });

  it('renders a device id, software and reasons from kiosks escaped', async () => {
    const admin = await as('admin1');
    for (const url of ['/fleet', `/fleet/S1/${encodeURIComponent(XSS_DEVICE)}`, '/alerts']) {
      const r = await admin.get(url);
      expect(r.statusCode).toBe(200);
      expect(r.body).not.toContain(XSS_REASON);
      expect(r.body).not.toContain(XSS_DEVICE);
      expect(r.body).not.toContain('<svg onload');
    }
    expect((await admin.get('/fleet')).body).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect((await admin.get('/alerts')).body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it("shows a kiosk's versions in force after a refusal, and answers 503 to a command without broker or key", async () => {
    const sup = await as('sup1');
    const page = await sup.get('/fleet/S1/K1');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('name="_csrf"');
    expect(page.body).toMatch(/<td>device<\/td><td>2<\/td><td>1<\/td><td><span class="badge bad">rejected<\/span><\/td><td>VERSION_NOT_NEWER<\/td>/);
    expect(page.body).toContain('data-confirm=');
    expect(page.body).toContain('hq serve runs without --broker.');
    const r = await sup.post('/fleet/S1/K1/command', { name: 'lock', reason: 'stocktake' });
    expect(r.statusCode).toBe(503);
    expect(r.body).toContain('without --broker');
    expect((await sup.post('/fleet/S1/K1/command', { name: 'format_disk' })).statusCode).toBe(400);
    expect(await store.db.read.all('SELECT * FROM commands')).toEqual([]);
  });

  it('retires a kiosk (audited): it leaves the fleet and its open alerts are cleared; managers may not', async () => {
    const mgr = await as('mgr1');
    expect((await mgr.get('/fleet/S1/K1')).body).not.toContain('/retire'); // no retire form without the permission
    expect((await mgr.post('/fleet/S1/K1/retire')).statusCode).toBe(403);
    const sup = await as('sup1');
    expect((await sup.get('/fleet/S1/K1')).body).toContain('action="/fleet/S1/K1/retire"');
    const r = await sup.post('/fleet/S1/K1/retire');
    expect(r.statusCode).toBe(303);
    expect(fx.rec.audit).toEqual(expect.arrayContaining([expect.objectContaining({ actor: 'sup1', action: 'kiosk.retire', target: 'S1/K1' })]));
    expect((await sup.get('/fleet')).body).not.toContain('data-kiosk="S1/K1"');
    expect((await sup.get('/fleet?state=retired')).body).toContain('data-kiosk="S1/K1"');
    expect((await new SqlAlerts(store.db).open({ all: true })).map((a) => a.storeId)).toEqual(['S2']);
    expect((await sup.post('/fleet/S1/NOPE/retire')).statusCode).toBe(404);
  });
});
