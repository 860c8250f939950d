import * as fs from 'node:fs';
import * as path from 'node:path';
import { addUser } from '../hq/console/users';
import { FleetView } from '../hq/ingest/fleet';
import type { IngestStore } from '../hq/ingest/store';
import { writeFleet } from '../hq/fleet/fleet-table';
import { PricebookRegistry } from '../hq/pricebook-console/registry';
import { startPushKiosk, type PushKiosk } from './support/batch-push-kiosk';
import { CONSOLE_BACKENDS, closeConsoleBackends, InjectBrowser } from './support/console-fixture';
import { Mosquitto } from './support/mosquitto';
import { startPushHq, type PushHq } from './support/push-hq';
import { tmpDir } from './support/sync-fixtures';
import { waitFor } from './support/wait';

/**
 * A batch price-book push no longer pins a kiosk to its device-level book: the kiosk follows whichever of its
 * device-level and store-level manifests HQ signed last (runtime/pricebook/sync/newest-manifest.ts). On a real
 * Mosquitto, with kiosks running the kiosk's own PricebookReceiver and subscription on SQLite, HQ's fleet ingestion of
 * their reports, and the console's /batches and /pricebook routes. On SQLite and PostgreSQL.
 */

const PW = 'batch password 1';
const T0 = Date.UTC(2026, 11, 6, 9, 0);
const HEADER = 'sku,barcodes,name_zh-CN,name_en,unit_price,tax_class,age_limit,sold_by_weight';
const ROWS = ['1001,6901234567892,苹果,Apple,350,standard,,false', '1002,6901234567885,面包,Bread,1200,reduced,,false', '1003,6901234567878,可乐,Cola,300,standard,,false', '1004,6901234567861,牛奶,Milk,650,reduced,,false'];
/** A book of the first `n` rows. */
const book = (n: number) => [HEADER, ...ROWS.slice(0, n)].join('\n');

let dir: string;
beforeAll(() => {
  dir = tmpDir('hq-batch-then-store-');
});
afterAll(async () => {
  await closeConsoleBackends();
  fs.rmSync(dir, { recursive: true, force: true });
}, 60_000);

/** The status cell of kiosk `k` on a batch page, and of device `d` on /pricebook. */
const batchStatus = (body: string, k: string) => new RegExp(`data-kiosk="${k}"[\\s\\S]*?data-status="([a-z_]+)"`).exec(body)?.[1];
const bookStatus = (body: string, d: string) => new RegExp(`data-device="${d}" class="status-([a-z]+)"`).exec(body)?.[1];

describe.each(CONSOLE_BACKENDS.map((b) => [b.name, b] as const))('batch push, then a store publish, on %s', (name, backend) => {
  let broker: Mosquitto;
  let store: IngestStore;
  let fx: PushHq['fx'];
  let keys: PushHq['keys'];
  let hqSide: PushHq;
  const kiosks = new Map<string, PushKiosk>();
  let run = 0;
  let kdir = '';

  const start = async (device: string) => {
    kiosks.set(device, await startPushKiosk({ brokerUrl: broker.url, dir: kdir, store: 'S1', device, hqPublicPem: keys.publicPem, clock: fx.clock }));
  };
  const catalog = async (device: string) => {
    const db = kiosks.get(device)!.db;
    const version = (await db.read.get<{ value: string }>("SELECT value FROM meta WHERE key = 'pricebook_version'"))?.value ?? null;
    return { version, items: (await db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM items'))?.n ?? 0 };
  };
  const runs = (device: string, version: string, items: number) =>
    waitFor(`${device} runs ${version}`, async () => {
      const c = await catalog(device);
      return c.version === version && c.items === items ? c : null;
    }, 20_000);

  beforeEach(async () => {
    broker = await Mosquitto.start();
    store = await backend.open();
    await addUser(store.db, { username: 'admin1', password: PW, role: 'admin', stores: [] }, T0);
    const view = new FleetView();
    for (const d of ['A', 'B']) view.apply(`kiosk/v1/S1/${d}/state`, JSON.stringify({ v: 1, online: true, ts: T0 }), T0);
    await writeFleet(store.db, view.entriesList());
    hqSide = await startPushHq({ brokerUrl: broker.url, store, now: T0, clientId: `hq-batch-then-store-${name}` });
    ({ fx, keys } = hqSide);
    kdir = path.join(dir, `${name}-${++run}`);
    for (const d of ['A', 'B']) await start(d);
  }, 60_000);
  afterEach(async () => {
    for (const k of kiosks.values()) await k.close();
    kiosks.clear();
    await hqSide.close();
    await store.close();
    await broker.close();
  });

  const admin = async (): Promise<InjectBrowser> => {
    const b = new InjectBrowser(fx.app);
    expect((await b.login('admin1', PW)).statusCode).toBe(303);
    await b.get('/fleet');
    return b;
  };
  /** A book the console's registry holds for S1 (as the batch-push tests seed it), signed time now. */
  const known = (version: string, rows: number) =>
    store.db.transaction((tx) => PricebookRegistry.insert(tx, { store_id: 'S1', version, csv: book(rows), items: rows, sha256: '0'.repeat(64), published_by: 'admin1', published_at: fx.clock.now() }));
  const batchPush = async (b: InjectBrowser, version: string) => {
    const r = await b.post('/batches', { kind: 'pricebook', target: 'checked', kiosk: 'S1/A', book: `S1/${version}` });
    expect(r.statusCode).toBe(303);
    return decodeURIComponent(String(r.headers.location).replace('/batches/', ''));
  };
  const publishFromConsole = async (b: InjectBrowser, version: string, rows: number) => {
    expect((await b.post('/pricebook/preview', { store: 'S1', version, csv: book(rows) })).statusCode).toBe(200);
    const r = await b.post('/pricebook/publish', { store: 'S1', version, csv: book(rows) });
    expect(r.statusCode).toBe(303);
  };
  const pricebookPage = (b: InjectBrowser, want: Record<string, string>) =>
    waitFor(`/pricebook shows ${JSON.stringify(want)}`, async () => {
      const p = await b.get('/pricebook?store=S1');
      return Object.entries(want).every(([d, s]) => bookStatus(p.body, d) === s) ? p : null;
    }, 20_000);
  const batchPage = (b: InjectBrowser, id: string, want: string) =>
    waitFor(`batch ${id}: A ${want}`, async () => {
      const p = await b.get(`/batches/${encodeURIComponent(id)}`);
      return batchStatus(p.body, 'S1/A') === want ? p : null;
    }, 20_000);

  it('a store book published after a batch push reaches the pushed kiosk; a later batch push overrides it again', async () => {
    const b = await admin();
    // 1. a batch push of a book to A only: A takes it at device level, B has none
    await known('2026.7', 3);
    fx.clock.advance(60_000);
    await batchPush(b, '2026.7');
    await runs('A', '2026.7', 3);
    expect(await catalog('B')).toEqual({ version: null, items: 0 });

    // 2. a new store book from /pricebook: signed later than A's device book, so BOTH kiosks take it (before: A
    // ignored every store manifest while its device manifest was retained, and /pricebook showed it waiting)
    fx.clock.advance(60_000);
    await publishFromConsole(b, '2026.8', 4);
    await runs('A', '2026.8', 4);
    await runs('B', '2026.8', 4);
    const page = await pricebookPage(b, { A: 'applied', B: 'applied' });
    expect(page.body).toContain('2026.8');

    // 3. another batch push to A, signed later still: A takes it again; B keeps the store's book
    await known('2026.9', 2);
    fx.clock.advance(60_000);
    const third = await batchPush(b, '2026.9');
    await runs('A', '2026.9', 2);
    await batchPage(b, third, 'applied');
    expect(await catalog('B')).toEqual({ version: '2026.8', items: 4 });

    // 4. A restarts: the broker hands it both retained manifests, its own level's first — it follows the later one
    // (its device book), and neither offers nor refuses the older store one
    await kiosks.get('A')!.close();
    await start('A');
    await new Promise((r) => setTimeout(r, 1_500)); // past the subscription's settle time
    expect(await catalog('A')).toEqual({ version: '2026.9', items: 2 });
    const transfers = await kiosks.get('A')!.db.read.all<{ version: string; status: string }>('SELECT version, status FROM pricebook_transfers ORDER BY version');
    expect(transfers).toEqual([{ version: '2026.9', status: 'applied' }]);

    // 5. the next store book reaches both again, /pricebook says so
    fx.clock.advance(60_000);
    await publishFromConsole(b, '2026.10', 4);
    await runs('A', '2026.10', 4);
    await runs('B', '2026.10', 4);
    await pricebookPage(b, { A: 'applied', B: 'applied' });

    // 6. a batch push of an older book now: A follows it (it is the newest publication) and refuses it as not newer —
    // the batch page says so, and /pricebook still shows A running the store's book
    fx.clock.advance(60_000);
    const stale = await batchPush(b, '2026.9');
    await batchPage(b, stale, 'rejected');
    expect(await catalog('A')).toEqual({ version: '2026.10', items: 4 });
    await pricebookPage(b, { A: 'applied', B: 'applied' });
  }, 120_000);
});
