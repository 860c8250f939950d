import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import * as ExcelJS from 'exceljs';
import mqtt from 'mqtt';
import { CONSOLE_BACKENDS, closeConsoleBackends, consoleFixture, InjectBrowser } from '../../test/support/console-fixture';
import { Mosquitto } from '../../test/support/mosquitto';
import { keyIdOf, verifyEnvelope } from '../../protocol/signed-envelope';
import { manifestTopic, pricebookBase } from '../../protocol/pricebook/topics';
import type { PricebookManifest } from '../../protocol/pricebook/manifest';
import type { IngestStore } from '../ingest/store';
import { addUser } from '../console/users';
import { ConfigRegistry } from '../config/registry';
import { formBytes, prefillBook } from './prefill';
import { PricebookRegistry } from './registry';
import { ROUTES } from './routes';
import { ScheduleRegistry } from './schedules';
import { SCHEDULE_POLL_MS, startPricebookScheduler, type SchedulePass } from './scheduler';

/** The console's price-book page on both dialects, against a real Mosquitto: check, problems by row, diff, publish, kiosks. */

const PW = 'correct horse battery';
const T0 = Date.UTC(2026, 11, 6, 9, 0);
const HEADER = 'sku,barcodes,name_zh-CN,name_en,unit_price,tax_class,age_limit,sold_by_weight';
const row = (sku: string, code: string, en: string, price: number, tax = 'standard') => `${sku},${code},${en}中文,${en},${price},${tax},,false`;
const V1 = [HEADER, row('A1', '6901234567892', 'Apple', 350), row('B2', '6901234567885', 'Bread', 1200), row('C3', '6901234567878', 'Cola', 300)].join('\n');
// B2 dearer, C3 gone, D4 new
const V2 = [HEADER, row('A1', '6901234567892', 'Apple', 350), row('B2', '6901234567885', 'Bread', 1350), row('D4', '6901234567861', 'Dates', 990, 'reduced')].join('\n');

/** A scheduler pass's outcome: the starts published / failed and the ends (restored as / skipped / failed). */
const P = (published: string[], failed: string[] = [], ends: Partial<SchedulePass> = {}): SchedulePass => ({ published, failed, restored: [], endSkipped: [], endFailed: [], ...ends });

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

/** The retained messages under `filter` (the broker sends them before it answers a second SUBSCRIBE). */
async function retained(filter: string): Promise<Map<string, Buffer>> {
  const got = new Map<string, Buffer>();
  const on = (topic: string, payload: Buffer) => void got.set(topic, payload);
  reader.on('message', on);
  try {
    await reader.subscribeAsync(filter, { qos: 1 });
    await reader.subscribeAsync(`barrier/${++n}`, { qos: 0 });
    await reader.unsubscribeAsync(filter);
  } finally {
    reader.off('message', on);
  }
  return got;
}

describe.each(CONSOLE_BACKENDS.map((b) => [b.name, b] as const))('price-book page on %s', (_name, backend) => {
  let store: IngestStore;
  let fx: Awaited<ReturnType<typeof consoleFixture>>;
  let key: KeyObject;
  let s1: string;
  let s2: string;

  beforeEach(async () => {
    store = await backend.open();
    s1 = `PB1x${++n}${process.pid}`;
    s2 = `PB2x${n}${process.pid}`;
    await addUser(store.db, { username: 'alice', password: PW, role: 'admin', stores: [] }, T0);
    await addUser(store.db, { username: 'mgr', password: PW, role: 'store_manager', stores: [s1] }, T0);
    await addUser(store.db, { username: 'aud', password: PW, role: 'auditor', stores: [] }, T0);
    fx = await consoleFixture(store, { routes: ROUTES }, T0);
    const pair = generateKeyPairSync('ed25519');
    key = pair.privateKey;
    fx.ctx.mqtt = client;
    fx.ctx.hqKey = key;
    (fx as unknown as { pub: KeyObject }).pub = pair.publicKey;
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
  const kiosk = (device: string, reported: object | null) =>
    store.db.transaction((tx) =>
      tx.run('INSERT INTO fleet (store_id, device_id, pricebook_reported, pricebook_reported_at) VALUES (?, ?, ?, ?)', [s1, device, reported ? JSON.stringify(reported) : null, reported ? T0 + 60_000 : null]),
    );
  const unescape = (s: string) => s.replace(/&#10;/g, '\n').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  const publish = async (b: InjectBrowser, version: string, csv: string) => {
    await b.get(`/pricebook?store=${s1}`);
    const preview = await b.post('/pricebook/preview', { store: s1, version, csv });
    expect(preview.statusCode).toBe(200);
    const carried = unescape(/name="csv" value="([^"]*)"/.exec(preview.body)![1]);
    expect(carried).toBe(csv);
    return { preview, published: await b.post('/pricebook/publish', { store: s1, version, csv: carried }) };
  };

  it('problems are listed by CSV line and field with the kiosk reader\'s words; nothing is published or audited', async () => {
    const b = await as('alice');
    await b.get(`/pricebook?store=${s1}`);
    const bad = [HEADER, row('A1', '6901234567892', 'Apple', 350), row('B2', '6901234567885', 'Bread', 12.5), row('A1', '6901234567878', 'Again', 300), row('E5', '6901234567854', 'Eggs', 100, 'luxury')].join('\n');
    const r = await b.post('/pricebook/preview', { store: s1, version: 'v1', csv: bad });
    expect(r.statusCode).toBe(422);
    const lines = [...r.body.matchAll(/<tr data-line="(\d+)"><td>\d+<\/td><td>([^<]*)<\/td><td>([^<]*)<\/td>/g)].map((m) => [Number(m[1]), m[2], unescape(m[3])]);
    expect(lines).toEqual([
      [3, 'unit_price', 'expected a non-negative integer (minor units), got "12.5"'],
      [4, 'sku', 'duplicate SKU "A1", first at line 2'],
      [5, 'tax_class', 'unknown tax class "luxury" (configured: standard, reduced, zero)'],
    ]);
    // the form comes back with what was typed
    expect(r.body).toContain('name="version" value="v1"');
    // the publish route checks again: a book with problems is never published, whatever the form carries
    const p = await b.post('/pricebook/publish', { store: s1, version: 'v1', csv: bad });
    expect(p.statusCode).toBe(422);
    expect(await new PricebookRegistry(store.db.read).latest(s1)).toBeUndefined();
    expect((await retained(`${pricebookBase({ store: s1 })}/#`)).size).toBe(0);
    expect(fx.rec.audit.filter((a) => a.action === 'pricebook.publish')).toEqual([]);
  });

  it('the tax classes are those of the config HQ published for the store', async () => {
    await store.db.transaction((tx) =>
      ConfigRegistry.insert(tx, { scope: `store:${s1}`, version: 1, body: JSON.stringify({ tax: { classes: { luxury: 0.2 } } }), envelope: '{}', published_by: 'x', published_at: T0, expires_at: T0 + 1e9, kind: 'publish', rolled_back_from: null }),
    );
    const b = await as('alice');
    await b.get(`/pricebook?store=${s1}`);
    const ok = await b.post('/pricebook/preview', { store: s1, version: 'v1', csv: [HEADER, row('E5', '6901234567854', 'Eggs', 100, 'luxury')].join('\n') });
    expect(ok.statusCode).toBe(200);
    const refused = await b.post('/pricebook/preview', { store: s1, version: 'v1', csv: [HEADER, row('E5', '6901234567854', 'Eggs', 100, 'reduced')].join('\n') });
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toContain('unknown tax class &quot;reduced&quot; (configured: standard, luxury)');
  });

  it('publish: signed manifest and chunks retained for the store, recorded, audited; the next upload is diffed against it', async () => {
    const b = await as('alice');
    const first = await publish(b, 'v1', V1);
    expect(first.preview.body).toMatch(/3 added, 0 removed, 0 changed, 0 unchanged \(against no earlier book\)/);
    expect(first.published.statusCode).toBe(303);
    expect(first.published.headers.location).toBe(`/pricebook?store=${s1}&published=v1`);

    const msgs = await retained(`${pricebookBase({ store: s1 })}/#`);
    const signed = msgs.get(manifestTopic(pricebookBase({ store: s1 })))!;
    const pub = (fx as unknown as { pub: KeyObject }).pub;
    const v = verifyEnvelope<PricebookManifest>(signed, { get: (id) => (id === keyIdOf(pub) ? pub : undefined) }, T0, { kind: 'pricebook' });
    expect(v.ok).toBe(true);
    const manifest = (v as { envelope: { body: PricebookManifest; scope: unknown } }).envelope.body;
    expect((v as { envelope: { scope: unknown } }).envelope.scope).toEqual({ kind: 'store', store: s1 });
    expect(manifest).toMatchObject({ version: 'v1', kind: 'full', items: 3, chunkCount: 1 });
    const chunk = msgs.get(`${pricebookBase({ store: s1 })}/v1/0`)!;
    expect(gunzipSync(chunk).toString().trim().split('\n').map((l) => (JSON.parse(l) as { sku: string; unitPrice: number }).unitPrice)).toEqual([350, 1200, 300]);
    expect(fx.rec.audit.filter((a) => a.action === 'pricebook.publish')).toEqual([
      expect.objectContaining({ actor: 'alice', target: `store:${s1}`, detail: expect.objectContaining({ version: 'v1', items: 3, chunks: 1, sha256: manifest.sha256 }) }),
    ]);

    const page = await b.get(String(first.published.headers.location));
    expect(page.body).toContain(`Price book v1 published to ${s1}.`);
    expect(page.body).toMatch(/Last published: v1 \(3 items\) by alice/);

    const second = await publish(b, 'v2', V2);
    const body = second.preview.body;
    expect(body).toMatch(/1 added, 1 removed, 1 changed, 1 unchanged \(against v1\)/);
    expect(body).toMatch(/<table class="pricebook-added">.*data-sku="D4".*<\/table>/s);
    expect(body).toMatch(/<table class="pricebook-removed">.*data-sku="C3".*<\/table>/s);
    expect(body).toMatch(/<tr data-sku="B2"><td>B2<\/td><td>Bread<\/td><td>Price: ¥12\.00 → ¥13\.50<\/td><\/tr>/);
    expect(second.published.statusCode).toBe(303);
    expect((await new PricebookRegistry(store.db.read).history(s1)).map((r) => r.version)).toEqual(['v2', 'v1']);

    // not newer than the last book: refused (a kiosk would refuse it), nothing audited
    const again = await b.post('/pricebook/publish', { store: s1, version: 'v1', csv: V1 });
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('version v1 is not newer than v2');
    expect(fx.rec.audit.filter((a) => a.action === 'pricebook.publish')).toHaveLength(2);
  });

  it('the textarea holds the book in force: posted back unchanged (as a browser posts it, CRLF) it diffs to nothing; a book too large to post back is not pre-filled', async () => {
    const b = await as('alice');
    // no book yet: an empty textarea, no note
    const empty = (await b.get(`/pricebook?store=${s1}`)).body;
    expect(/<textarea name="csv"[^>]*>\n([^<]*)<\/textarea>/.exec(empty)?.[1]).toBe('');
    expect(empty).not.toContain('pricebook-prefilled');

    expect((await publish(b, 'v1', V2)).published.statusCode).toBe(303);
    const page = (await b.get(`/pricebook?store=${s1}`)).body;
    expect(page).toContain('<p class="muted pricebook-prefilled">The text below is book v1 as published');
    // the HTML parser drops the one line break after <textarea>: the value is the CSV exactly
    const filled = unescape(/<textarea name="csv"[^>]*>\n([^<]*)<\/textarea>/.exec(page)![1]);
    expect(filled).toBe(V2);
    for (const text of [filled, filled.replace(/\n/g, '\r\n')]) {
      const preview = await b.post('/pricebook/preview', { store: s1, version: 'v2', csv: text });
      expect(preview.statusCode).toBe(200);
      expect(/<p class="pricebook-summary">([^<]*)<\/p>/.exec(preview.body)?.[1]).toBe('0 added, 0 removed, 0 changed, 3 unchanged (against v1)');
    }
    // one price changed in the pre-filled text: exactly that change
    const edited = await b.post('/pricebook/preview', { store: s1, version: 'v2', csv: filled.replace(',1350,', ',1400,') });
    expect(/<p class="pricebook-summary">([^<]*)<\/p>/.exec(edited.body)?.[1]).toBe('0 added, 0 removed, 1 changed, 2 unchanged (against v1)');

    // a book whose form post would not fit the console's 1 MiB body limit (9 000 items with Chinese names: 0.7 MiB
    // of text, 1.4 MiB as a browser posts it): not put on the page, which says so and keeps the file upload; the page stays small
    const rows = Array.from({ length: 9_000 }, (_, i) => `S${i},${String(6900000000000 + i)},苹果汁饮料${i},Apple juice ${i},${100 + i},standard,,false`);
    const big = [HEADER, ...rows].join('\n');
    expect(Buffer.byteLength(big)).toBeLessThan(1024 * 1024);
    expect(formBytes(big)).toBeGreaterThan(1024 * 1024);
    expect(prefillBook(big)).toEqual({ ok: false, bytes: Buffer.byteLength(big) });
    expect(prefillBook(big.slice(0, 300_000))).toMatchObject({ ok: true });
    await store.db.transaction((tx) => PricebookRegistry.insert(tx, { store_id: s1, version: 'v9', csv: big, items: rows.length, sha256: 'x', published_by: 'alice', published_at: T0 + 60_000 }));
    const large = await b.get(`/pricebook?store=${s1}`);
    expect(large.body).toMatch(/<p class="problems pricebook-too-large" role="status">Book v9 \(0\.7 MiB\) is too large to edit on this page[^<]*upload the changed book as a file below\.<\/p>/);
    expect(/<textarea name="csv"[^>]*>\n([^<]*)<\/textarea>/.exec(large.body)?.[1]).toBe('');
    expect(large.body).toContain('data-upload="/pricebook/upload"');
    expect(large.body.length).toBeLessThan(64 * 1024);
  });

  it("each kiosk's progress and applied confirmation for the latest book", async () => {
    const b = await as('alice');
    expect((await publish(b, 'v7', V1)).published.statusCode).toBe(303);
    await kiosk('K1', { v: 1, version: 'v7', status: 'applied', ts: T0, items: 3 });
    await kiosk('K2', { v: 1, version: 'v7', status: 'downloading', ts: T0, received: 1, total: 4 });
    await kiosk('K3', { v: 1, version: 'v7', status: 'rejected', ts: T0, reason: 'invalid_book', detail: 'item 2 (sku "B2"): unknown tax class' });
    await kiosk('K4', { v: 1, version: 'v6', status: 'applied', ts: T0, items: 9 });
    await kiosk('K5', null);
    const page = (await b.get(`/pricebook?store=${s1}`)).body;
    const rows = [...page.matchAll(/<tr data-device="(K\d)" class="status-(\w+)"><td>K\d<\/td><td>[^<]*<\/td><td>([^<]*)<\/td>/g)].map((m) => [m[1], m[2], unescape(m[3])]);
    expect(rows).toEqual([
      ['K1', 'applied', '3 items in the catalog'],
      ['K2', 'downloading', '25% (1/4)'],
      ['K3', 'rejected', 'invalid_book: item 2 (sku "B2"): unknown tax class'],
      ['K4', 'waiting', 'last report: v6'],
      ['K5', 'waiting', ''],
    ]);
  });

  it('a file upload (raw bytes, CSRF in the header): an XLSX shows the same diff as its CSV, bad cells by sheet row, publishable', async () => {
    const b = await as('alice');
    expect((await publish(b, 'v1', V1)).published.statusCode).toBe(303);
    const upload = (bytes: Buffer, version: string, csrf = b.csrf) =>
      fx.app.inject({
        method: 'POST',
        url: `/pricebook/upload?store=${s1}&version=${version}`,
        headers: { host: 'hq.test', cookie: [...b.cookies].map(([k, v]) => `${k}=${v}`).join('; '), 'content-type': 'application/octet-stream', 'x-csrf-token': csrf },
        payload: bytes,
      });
    const sheet = async (rows: unknown[][]) => {
      const wb = new ExcelJS.Workbook();
      const ws = wb.addWorksheet('Book');
      for (const r of [HEADER.split(','), ...rows]) ws.addRow(r);
      return Buffer.from(await wb.xlsx.writeBuffer());
    };
    const cells = (sku: string, code: string, en: string, price: unknown, tax = 'standard') => [sku, code, `${en}中文`, en, price, tax, null, false];
    const v2 = await sheet([cells('A1', '6901234567892', 'Apple', 350), cells('B2', '6901234567885', 'Bread', 1350), cells('D4', '6901234567861', 'Dates', 990, 'reduced')]);
    const summary = (body: string) => /<p class="pricebook-summary">([^<]*)<\/p>/.exec(body)?.[1];

    const csvPreview = await b.post('/pricebook/preview', { store: s1, version: 'v2', csv: V2 });
    const fromXlsx = await upload(v2, 'v2');
    expect(fromXlsx.statusCode).toBe(200);
    expect(summary(fromXlsx.body)).toBe('1 added, 1 removed, 1 changed, 1 unchanged (against v1)');
    expect(summary(fromXlsx.body)).toBe(summary(csvPreview.body));
    expect(fromXlsx.body).toMatch(/<tr data-sku="B2"><td>B2<\/td><td>Bread<\/td><td>Price: ¥12\.00 → ¥13\.50<\/td><\/tr>/);
    // the same CSV bytes as a file: the same page
    expect(summary((await upload(Buffer.from(`\ufeff${V2}`), 'v2')).body)).toBe(summary(csvPreview.body));

    // a bad cell: the reader's problem on the sheet's row; a date (refused while converting, before the reader) on its row
    const problems = (body: string) => [...body.matchAll(/<tr data-line="(\d+)"><td>\d+<\/td><td>([^<]*)<\/td><td>([^<]*)<\/td>/g)].map((m) => [Number(m[1]), m[2], unescape(m[3])]);
    const bad = await upload(await sheet([cells('A1', '6901234567892', 'Apple', 350), cells('B2', '6901234567885', 'Bread', 13.5), cells('D4', '6901234567861', 'Dates', 990, 'luxury')]), 'v2');
    expect(bad.statusCode).toBe(422);
    expect(problems(bad.body)).toEqual([
      [3, 'unit_price', 'expected a non-negative integer (minor units), got "13.5"'],
      [4, 'tax_class', 'unknown tax class "luxury" (configured: standard, reduced, zero)'],
    ]);
    const dated = await upload(await sheet([cells('A1', '6901234567892', 'Apple', 350), cells('B2', '6901234567885', 'Bread', 1350), cells('D4', '6901234567861', 'Dates', new Date(T0))]), 'v2');
    expect(dated.statusCode).toBe(422);
    expect(problems(dated.body)).toEqual([[4, 'unit_price', 'a date cell is not accepted: use text or whole minor units']]);

    // the CSRF token travels in the header: without it, refused
    expect((await upload(v2, 'v2', 'wrong')).statusCode).toBe(403);
    // the preview's confirm form carries the converted text; publishing it re-checks it and publishes
    const carried = unescape(/name="csv" value="([^"]*)"/.exec(fromXlsx.body)![1]);
    const published = await b.post('/pricebook/publish', { store: s1, version: 'v2', csv: carried });
    expect(published.statusCode).toBe(303);
    expect((await new PricebookRegistry(store.db.read).latest(s1))?.items).toBe(3);
    // a store manager may not upload
    const m = await as('mgr');
    await m.get(`/pricebook?store=${s1}`);
    expect(
      (await fx.app.inject({ method: 'POST', url: `/pricebook/upload?store=${s1}&version=v3`, headers: { host: 'hq.test', cookie: [...m.cookies].map(([k, v]) => `${k}=${v}`).join('; '), 'content-type': 'application/octet-stream', 'x-csrf-token': m.csrf }, payload: v2 })).statusCode,
    ).toBe(403);
  });

  it('scheduling: stored pending, listed, cancelled (audited); the scheduler publishes when due on the simulated clock and catches up after a restart', async () => {
    fx.ctx.settings = { ...fx.ctx.settings, timezone: 'Asia/Shanghai' }; // start times are read in the console's zone
    const b = await as('alice');
    await b.get(`/pricebook?store=${s1}`);
    const preview = await b.post('/pricebook/preview', { store: s1, version: 'v1', csv: V1 });
    expect(preview.body).toContain('action="/pricebook/schedule"');
    const schedule = (version: string, csv: string, start: string) => b.post('/pricebook/schedule', { store: s1, version, csv, start });
    // 09:00 UTC is 17:00 in Shanghai: a start before now is refused
    expect((await schedule('v1', V1, '2026-12-06T16:59')).statusCode).toBe(422);
    expect((await schedule('v1', V1 + '\nX9,6901234567854,x,x,1.5,standard,,false', '2026-12-06T18:00')).statusCode).toBe(422);
    const ok = await schedule('v1', V1, '2026-12-06T18:00'); // T0 + 1 h
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe(`/pricebook?store=${s1}&scheduled=v1`);
    expect((await schedule('v2', V2, '2026-12-06T19:00')).statusCode).toBe(303); // T0 + 2 h
    expect((await schedule('v1.9', V1, '2026-12-06T19:30')).statusCode).toBe(303); // after v2: not newer when due
    expect((await schedule('v3', V1, '2026-12-06T20:00')).statusCode).toBe(303);
    const rows = async () => {
      const page = (await b.get(`/pricebook?store=${s1}`)).body;
      return [...page.matchAll(/<tr data-schedule="(\w+)" class="schedule-(\w+)"><td>([^<]*)<\/td>/g)].map((m) => ({ id: m[1], status: m[2], version: m[3] }));
    };
    const listed = await rows();
    expect(listed.map((r) => [r.version, r.status])).toEqual([['v1', 'pending'], ['v2', 'pending'], ['v1.9', 'pending'], ['v3', 'pending']]);
    // cancel v3: audited; cancelling it again is refused
    const v3 = listed.find((r) => r.version === 'v3')!.id;
    expect((await b.post('/pricebook/schedule/cancel', { store: s1, id: v3 })).statusCode).toBe(303);
    expect((await b.post('/pricebook/schedule/cancel', { store: s1, id: v3 })).statusCode).toBe(409);
    expect(fx.rec.audit.filter((a) => a.action === 'pricebook.schedule').map((a) => (a.detail as { version: string }).version)).toEqual(['v1', 'v2', 'v1.9', 'v3']);
    expect(fx.rec.audit.filter((a) => a.action === 'pricebook.schedule.cancel')).toEqual([expect.objectContaining({ actor: 'alice', detail: expect.objectContaining({ id: v3, version: 'v3' }) })]);

    const statuses = async () => Object.fromEntries((await new ScheduleRegistry(store.db.read).forStore(s1)).map((r) => [r.version, r.status]));
    const published = async () => (await new PricebookRegistry(store.db.read).history(s1)).map((r) => r.version);
    let waiter: ((r: SchedulePass | null) => void) | null = null;
    const nextPass = () => new Promise<SchedulePass | null>((r) => (waiter = r));
    const onPass = (r: SchedulePass | null) => {
      const w = waiter;
      waiter = null;
      w?.(r);
    };
    // hq serve's scheduler: nothing is due at start, nor 30 s later; at T0 + 1 h 30 s v1 is published (signed, retained, recorded)
    let pass = nextPass();
    let svc = startPricebookScheduler(fx.ctx, { onPass });
    expect(await pass).toEqual(P([], []));
    pass = nextPass();
    fx.clock.advance(3_600_000);
    expect(await pass).toEqual(P([], []));
    pass = nextPass();
    fx.clock.advance(SCHEDULE_POLL_MS);
    expect(await pass).toEqual(P(['v1'], []));
    expect(await published()).toEqual(['v1']);
    const manifest = (await retained(`${pricebookBase({ store: s1 })}/#`)).get(manifestTopic(pricebookBase({ store: s1 })))!;
    expect(JSON.parse(manifest.toString())).toMatchObject({ body: { version: 'v1', items: 3 } });
    expect(fx.rec.audit.filter((a) => a.action === 'pricebook.publish')).toEqual([expect.objectContaining({ actor: 'alice', detail: expect.objectContaining({ version: 'v1' }) })]);
    // HQ goes down; v2 and v1.9 fall due meanwhile; at the next start the first pass catches up
    await svc.stop();
    fx.clock.advance(2 * 3_600_000);
    expect((await statuses()).v2).toBe('pending');
    pass = nextPass();
    svc = startPricebookScheduler(fx.ctx, { onPass });
    expect(await pass).toEqual(P(['v2'], ['v1.9']));
    await svc.stop();
    expect(await statuses()).toEqual({ v1: 'published', v2: 'published', 'v1.9': 'failed', v3: 'cancelled' });
    expect(await published()).toEqual(['v2', 'v1']);
    // the page (a new sign-in: hours went by) shows each outcome, the failure with its reason
    const page = (await (await as('alice')).get(`/pricebook?store=${s1}`)).body;
    expect([...page.matchAll(/<tr data-schedule="\w+" class="schedule-(\w+)"><td>([^<]*)<\/td>/g)].map((m) => [m[2], m[1]])).toEqual([['v3', 'cancelled'], ['v1.9', 'failed'], ['v2', 'published'], ['v1', 'published']]);
    expect(page).toContain('version v1.9 is not newer than v2');
  });

  it('scheduling the end: at the end the book before comes back as a newer version; skipped after another publication; caught up after a restart', async () => {
    fx.ctx.settings = { ...fx.ctx.settings, timezone: 'Asia/Shanghai' }; // T0 is 17:00 in Shanghai
    let b = await as('alice');
    await b.get(`/pricebook?store=${s1}`);
    expect((await b.post('/pricebook/preview', { store: s1, version: 'v2', csv: V2 })).body).toContain('name="end"');
    expect((await b.post('/pricebook/publish', { store: s1, version: 'v1', csv: V1 })).statusCode).toBe(303); // in force now
    const schedule = (version: string, csv: string, start: string, end: string) => b.post('/pricebook/schedule', { store: s1, version, csv, start, end });
    // an end not after the start, or malformed, is refused
    expect((await schedule('v2', V2, '2026-12-06T18:00', '2026-12-06T18:00')).statusCode).toBe(422);
    expect((await schedule('v2', V2, '2026-12-06T18:00', 'tomorrow')).statusCode).toBe(422);
    expect((await schedule('v2', V2, '2026-12-06T18:00', '2026-12-06T19:00')).statusCode).toBe(303); // T0 + 1 h … + 2 h
    expect((await schedule('v3', V2, '2026-12-06T20:00', '2026-12-06T21:00')).statusCode).toBe(303); // + 3 h … + 4 h: v4 comes between
    expect((await schedule('v5', V1, '2026-12-06T22:00', '2026-12-06T23:00')).statusCode).toBe(303); // + 5 h … + 6 h: HQ down
    expect(fx.rec.audit.filter((a) => a.action === 'pricebook.schedule').map((a) => (a.detail as { endAt?: number }).endAt)).toEqual([T0 + 2 * 3_600_000, T0 + 4 * 3_600_000, T0 + 6 * 3_600_000]);

    const books = new PricebookRegistry(store.db.read);
    const skus = async (version: string) => (await books.get(s1, version))?.csv.split('\n').slice(1).map((l) => l.split(',')[0]);
    const ends = async () => Object.fromEntries((await new ScheduleRegistry(store.db.read).forStore(s1)).map((r) => [r.version, [r.status, r.end_status, r.end_version]]));
    let waiter: ((r: SchedulePass | null) => void) | null = null;
    const onPass = (r: SchedulePass | null) => {
      const w = waiter;
      waiter = null;
      w?.(r);
    };
    const nextPass = () => new Promise<SchedulePass | null>((r) => (waiter = r));
    /** Moves the clock on by `ms` and returns the pass run then (the pass timed before runs first, on the way). */
    const passAfter = async (ms: number) => {
      let pass = nextPass();
      fx.clock.advance(ms - SCHEDULE_POLL_MS);
      await pass;
      pass = nextPass();
      fx.clock.advance(SCHEDULE_POLL_MS);
      return pass;
    };
    let pass = nextPass();
    let svc = startPricebookScheduler(fx.ctx, { onPass });
    expect(await pass).toEqual(P([]));
    // 18:00: v2 is published (the book before, v1, recorded); 19:00: v1's items are published again as v2.end
    expect(await passAfter(3_600_000)).toEqual(P(['v2']));
    expect(await passAfter(3_600_000)).toEqual(P([], [], { restored: ['v2.end'] }));
    expect((await books.latest(s1))?.version).toBe('v2.end');
    expect(await skus('v2.end')).toEqual(['A1', 'B2', 'C3']);
    const manifest = (await retained(`${pricebookBase({ store: s1 })}/#`)).get(manifestTopic(pricebookBase({ store: s1 })))!;
    expect(JSON.parse(manifest.toString())).toMatchObject({ body: { version: 'v2.end', items: 3 } });
    expect(fx.rec.audit.filter((a) => a.action === 'pricebook.publish').map((a) => [a.actor, (a.detail as { version: string; previous?: string }).version, (a.detail as { previous?: string }).previous])).toEqual([
      ['alice', 'v1', undefined],
      ['alice', 'v2', 'v1'],
      ['alice', 'v2.end', 'v2'],
    ]);
    // 20:00: v3 is published; then an admin publishes v4 by hand; 21:00: v3's end does nothing
    expect(await passAfter(3_600_000)).toEqual(P(['v3']));
    b = await as('alice');
    await b.get(`/pricebook?store=${s1}`);
    expect((await b.post('/pricebook/publish', { store: s1, version: 'v4', csv: V2 })).statusCode).toBe(303);
    expect(await passAfter(3_600_000)).toEqual(P([], [], { endSkipped: ['v3'] }));
    expect((await books.latest(s1))?.version).toBe('v4');
    // HQ is down from 21:00 to past 23:00: v5's start and end both fell due; the first pass at start catches up both,
    // bringing back v4's items (the book in force before v5)
    await svc.stop();
    fx.clock.advance(2 * 3_600_000 + 60_000);
    pass = nextPass();
    svc = startPricebookScheduler(fx.ctx, { onPass });
    expect(await pass).toEqual(P(['v5'], [], { restored: ['v5.end'] }));
    await svc.stop();
    expect((await books.history(s1)).map((r) => r.version)).toEqual(['v5.end', 'v5', 'v4', 'v3', 'v2.end', 'v2', 'v1']);
    expect(await skus('v5.end')).toEqual(['A1', 'B2', 'D4']);
    expect(await ends()).toEqual({ v2: ['published', 'restored', 'v2.end'], v3: ['published', 'skipped', null], v5: ['published', 'restored', 'v5.end'] });
    // the list shows each end and its state
    const page = (await (await as('alice')).get(`/pricebook?store=${s1}`)).body;
    expect([...page.matchAll(/<tr data-schedule="\w+" class="schedule-\w+"><td>([^<]*)<\/td><td>\d+<\/td><td>[^<]*<\/td><td class="end-(\w+)">/g)].map((m) => [m[1], m[2]])).toEqual([
      ['v5', 'restored'],
      ['v3', 'skipped'],
      ['v2', 'restored'],
    ]);
    expect(page).toContain('book before published again as v5.end');
    expect(page).toContain('skipped: v4 was published after v3');
  });

  it('roles: only admins check and publish; a store manager sees their store only; an auditor reads', async () => {
    const m = await as('mgr');
    const own = await m.get(`/pricebook?store=${s1}`);
    expect(own.statusCode).toBe(200);
    expect(own.body).not.toContain('action="/pricebook/preview"');
    expect((await m.get(`/pricebook?store=${s2}`)).statusCode).toBe(404);
    expect((await m.post('/pricebook/preview', { store: s1, version: 'v1', csv: V1 })).statusCode).toBe(403);
    expect((await m.post('/pricebook/publish', { store: s1, version: 'v1', csv: V1 })).statusCode).toBe(403);
    const a = await as('aud');
    expect((await a.get(`/pricebook?store=${s1}`)).statusCode).toBe(200);
    expect((await a.post('/pricebook/publish', { store: s1, version: 'v1', csv: V1 })).statusCode).toBe(403);
    expect(await new PricebookRegistry(store.db.read).latest(s1)).toBeUndefined();
    // without a signing key the admin can check but not publish
    fx.ctx.hqKey = null;
    const b = await as('alice');
    await b.get(`/pricebook?store=${s1}`);
    const preview = await b.post('/pricebook/preview', { store: s1, version: 'v1', csv: V1 });
    expect(preview.statusCode).toBe(200);
    expect(preview.body).not.toContain('action="/pricebook/publish"');
    expect((await b.post('/pricebook/publish', { store: s1, version: 'v1', csv: V1 })).statusCode).toBe(503);
  });
});
