import { CONSOLE_BACKENDS, closeConsoleBackends, consoleFixture, InjectBrowser } from '../../test/support/console-fixture';
import { FleetView } from '../ingest/fleet';
import type { IngestStore } from '../ingest/store';
import { addUser } from '../console/users';
import { writeFleet } from './fleet-table';
import { addTag, MAX_TAGS_PER_KIOSK, selectKiosks } from './tags';

/** Kiosk tags and the selection of a batch: tag routes (roles, scope, audit), the fleet's tag filter, batch pages' scope. */

const PW = 'correct horse battery';
const T0 = Date.UTC(2026, 11, 6, 9, 0);

afterAll(closeConsoleBackends, 60_000);

describe.each(CONSOLE_BACKENDS.map((b) => [b.name, b] as const))('kiosk tags and batch selection on %s', (_name, backend) => {
  let store: IngestStore;
  let fx: Awaited<ReturnType<typeof consoleFixture>>;

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
    for (const [s, d] of [['S1', 'K1'], ['S1', 'K2'], ['S1', 'OLD'], ['S2', 'K9'], ['S3', 'K7']]) view.apply(`kiosk/v1/${s}/${d}/state`, JSON.stringify({ v: 1, online: true, ts: T0 }), T0);
    await writeFleet(store.db, view.entriesList());
    await store.retireKiosk('S1', 'OLD', 'admin1', T0);
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
  const kiosksOf = (body: string) => [...body.matchAll(/<tr data-kiosk="([^"]+)"/g)].map((m) => m[1]);

  it('tags a kiosk from its page (audited), filters the fleet by tag, and untags it', async () => {
    const sup = await as('sup1');
    const page = await sup.get('/fleet/S1/K1');
    expect(page.body).toContain('action="/fleet/S1/K1/tags"');
    expect((await sup.post('/fleet/S1/K1/tags', { action: 'add', tag: 'entrance' })).statusCode).toBe(303);
    expect((await sup.post('/fleet/S2/K9/tags', { action: 'add', tag: 'entrance' })).statusCode).toBe(303);
    expect((await sup.post('/fleet/S2/K9/tags', { action: 'add', tag: 'entrance' })).statusCode).toBe(303); // already there: no second audit
    expect(fx.rec.audit.filter((a) => a.action === 'kiosk.tag').map((a) => [a.actor, a.target, a.detail])).toEqual([
      ['sup1', 'S1/K1', { tag: 'entrance' }],
      ['sup1', 'S2/K9', { tag: 'entrance' }],
    ]);
    expect((await sup.get('/fleet/S1/K1')).body).toMatch(/<li data-tag="entrance">/);
    const all = await sup.get('/fleet');
    expect(kiosksOf(all.body)).toEqual(['S1/K1', 'S1/K2', 'S2/K9', 'S3/K7']);
    expect(all.body).toContain('<option value="entrance">entrance</option>');
    expect(kiosksOf((await sup.get('/fleet?tag=entrance')).body)).toEqual(['S1/K1', 'S2/K9']);
    expect(kiosksOf((await sup.get('/fleet?tag=entrance&store=S2')).body)).toEqual(['S2/K9']);
    expect((await sup.post('/fleet/S1/K1/tags', { action: 'remove', tag: 'entrance' })).statusCode).toBe(303);
    expect(fx.rec.audit.filter((a) => a.action === 'kiosk.untag').map((a) => a.target)).toEqual(['S1/K1']);
    expect(kiosksOf((await sup.get('/fleet?tag=entrance')).body)).toEqual(['S2/K9']);
  });

  it('refuses malformed tags, more than the bound, unknown kiosks, and other stores; auditors may not tag', async () => {
    const admin = await as('admin1');
    await admin.get('/fleet/S1/K1');
    for (const tag of ['', 'Upper', 'has space', '<b>', 'x'.repeat(33), '-lead']) expect((await admin.post('/fleet/S1/K1/tags', { action: 'add', tag })).statusCode).toBe(400);
    expect((await admin.post('/fleet/S1/K1/tags', { action: 'drop', tag: 'a' })).statusCode).toBe(400);
    for (let i = 0; i < MAX_TAGS_PER_KIOSK; i++) expect(await addTag(store.db, 'S1', 'K2', `t${i}`, 'admin1', T0)).toBe('added');
    expect((await admin.post('/fleet/S1/K2/tags', { action: 'add', tag: 'one-more' })).statusCode).toBe(409);
    expect((await admin.post('/fleet/S1/NOPE/tags', { action: 'add', tag: 'a' })).statusCode).toBe(404);
    const mgr = await as('mgr1');
    await mgr.get('/fleet');
    expect((await mgr.post('/fleet/S2/K9/tags', { action: 'add', tag: 'a' })).statusCode).toBe(404);
    expect((await mgr.post('/fleet/S1/K1/tags', { action: 'add', tag: 'a' })).statusCode).toBe(303);
    const aud = await as('aud1');
    const page = await aud.get('/fleet/S1/K1');
    expect(page.body).not.toContain('action="/fleet/S1/K1/tags"');
    expect(page.body).not.toContain('id="batch-form"');
    expect((await aud.get('/fleet')).body).not.toContain('id="batch-form"');
    expect((await aud.post('/fleet/S1/K1/tags', { action: 'add', tag: 'b' })).statusCode).toBe(403);
    expect((await aud.post('/batches', { target: 'filter', name: 'doctor' })).statusCode).toBe(403);
    expect(await store.db.read.all("SELECT * FROM kiosk_tags WHERE tag IN ('b', 'one-more')")).toEqual([]);
  });

  it('selects kiosks by stores and tag inside the scope, never a retired kiosk', async () => {
    for (const [s, d] of [['S1', 'K1'], ['S1', 'OLD'], ['S2', 'K9'], ['S3', 'K7']]) await addTag(store.db, s, d, 'pilot', 'admin1', T0);
    const ids = (ks: { storeId: string; deviceId: string }[]) => ks.map((k) => `${k.storeId}/${k.deviceId}`);
    expect(ids(await selectKiosks(store.db, { all: true }, { tag: 'pilot' }))).toEqual(['S1/K1', 'S2/K9', 'S3/K7']);
    expect(ids(await selectKiosks(store.db, { all: true }, { stores: ['S1', 'S3'], tag: 'pilot' }))).toEqual(['S1/K1', 'S3/K7']);
    expect(ids(await selectKiosks(store.db, { all: true }, { stores: ['S1'] }))).toEqual(['S1/K1', 'S1/K2']);
    expect(ids(await selectKiosks(store.db, { all: false, stores: ['S1'] }, { tag: 'pilot' }))).toEqual(['S1/K1']);
    expect(ids(await selectKiosks(store.db, { all: false, stores: ['S1'] }, { stores: ['S2', 'S3'] }))).toEqual([]);
    expect(ids(await selectKiosks(store.db, { all: false, stores: [] }, {}))).toEqual([]);
    expect(ids(await selectKiosks(store.db, { all: true }, { tag: 'Pilot' }))).toEqual([]);
  });

  it('answers 503 to a batch without broker or key and records nothing; a batch page is scoped', async () => {
    const admin = await as('admin1');
    await admin.get('/fleet');
    const r = await admin.post('/batches', { target: 'filter', store: 'S1', name: 'doctor' });
    expect(r.statusCode).toBe(503);
    expect(r.body).toContain('without --broker');
    expect(await store.db.read.all('SELECT * FROM batches')).toEqual([]);
    expect(await store.db.read.all('SELECT * FROM commands')).toEqual([]);
    expect(fx.rec.audit.map((a) => a.action)).not.toContain('batch.command');
    // a batch of S2 only: another store's manager gets 404, as for an unknown batch
    await store.db.transaction(async (tx) => {
      await tx.run("INSERT INTO batches (id, kind, name, args, selection, created_by, created_at) VALUES ('b-s2', 'command', 'doctor', '{}', ?, 'admin1', ?)", [JSON.stringify({ stores: ['S2'], tag: null, kiosks: ['S2/K9'] }), T0]);
      await tx.run("INSERT INTO commands (id, store_id, device_id, name, args, sent_by, sent_at, status, batch_id) VALUES ('c1', 'S2', 'K9', 'doctor', '{}', 'admin1', ?, 'sent', 'b-s2')", [T0]);
    });
    expect((await admin.get('/batches/b-s2')).statusCode).toBe(200);
    expect((await admin.get('/batches')).body).toContain('data-batch="b-s2"');
    const mgr = await as('mgr1');
    expect((await mgr.get('/batches/b-s2')).statusCode).toBe(404);
    expect((await mgr.get('/batches')).body).not.toContain('b-s2');
    expect((await mgr.get('/batches/nope')).statusCode).toBe(404);
  });
});
