/**
 * Promotions from the console (/promotions, hq/promotions-console): the sheet reader (CSV and XLSX alike, each row
 * checked by the config's own promotion schema, problems by line), publishing on SQLite against a real Mosquitto (the
 * store config's `promotions` replaced, every other section kept, signed, recorded, audited; each kiosk's report for
 * that version; the textarea pre-filled with what is in force, posted back unchanged: no change), and in Debian's
 * Chromium the diff page, then publish → a real kiosk's config side applies the signed store config and reports it →
 * its confirmation on the page, with screenshots in English and Chinese (CONSOLE_SCREENSHOTS=docs/screenshots keeps them).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import * as ExcelJS from 'exceljs';
import mqtt from 'mqtt';
import type { Browser } from 'playwright-core';
import { ConfigRegistry } from '../hq/config/registry';
import { publishConfig } from '../hq/config/publish';
import { generateHqKeyPair } from '../hq/signing';
import { addUser } from '../hq/console/users';
import type { IngestStore } from '../hq/ingest/store';
import { uploadedBookText } from '../hq/pricebook-console/upload-file';
import { diffPromotions } from '../hq/promotions-console/diff';
import { readPromotions } from '../hq/promotions-console/reader';
import { promotionsSheet } from '../hq/promotions-console/sheet';
import { configTopic } from '../protocol/control/topics';
import { keyIdOf, verifyEnvelope } from '../protocol/signed-envelope';
import { CONSOLE_BACKENDS, closeConsoleBackends, consoleFixture, InjectBrowser } from './support/console-fixture';
import { consolePage } from './support/console-page';
import { SCREENSHOT_LANGS } from './support/console-screenshots';
import { startPushKiosk, watchFleet, type PushKiosk } from './support/batch-push-kiosk';
import { Mosquitto } from './support/mosquitto';
import { waitFor } from './support/wait';
import { launchChromium } from './support/screen-browser';

jest.setTimeout(180_000);
afterAll(closeConsoleBackends, 60_000);

const PW = 'correct horse battery staple 19';
const HEADER = 'id,kind,skus,percent,amount,buy,pay,quantity,price,label_en,label_zh-CN,member_only,customer_types,valid_from,valid_to';
const GOOD = [
  HEADER,
  'spring,percent_off,1001|1002,10,,,,,,Spring sale,春季促销,,,2026-12-10T00:00:00+08:00,2026-12-20T23:59:59+08:00',
  'cola3,x_for_price,1003,,,,,3,500,3 colas for 5.00,可乐三瓶五元,,,,',
  'biz,amount_off,1001,,50,,,,,Business discount,企业折扣,true,business|group,,',
].join('\n');

describe('promotions sheet reader', () => {
  it('a good sheet: each row as the config promotion it stands for (| lists, numbers, flags, empty = absent)', () => {
    const r = readPromotions(GOOD);
    expect(r).toEqual({
      ok: true,
      promotions: [
        { id: 'spring', kind: 'percent_off', skus: ['1001', '1002'], percent: 10, label: { en: 'Spring sale', 'zh-CN': '春季促销' }, validFrom: '2026-12-10T00:00:00+08:00', validTo: '2026-12-20T23:59:59+08:00' },
        { id: 'cola3', kind: 'x_for_price', skus: ['1003'], quantity: 3, price: 500, label: { en: '3 colas for 5.00', 'zh-CN': '可乐三瓶五元' } },
        { id: 'biz', kind: 'amount_off', skus: ['1001'], amount: 50, label: { en: 'Business discount', 'zh-CN': '企业折扣' }, memberOnly: true, customerTypes: ['business', 'group'] },
      ],
    });
  });

  it('bad rows are named by line and column with the config schema\'s words; a duplicate id and an unknown column too', () => {
    const bad = [
      HEADER,
      'ok1,percent_off,1001,10,,,,,,A,甲,,,,',
      'p2,percent_off,1001,250,,,,,,B,乙,,,,', // line 3: percent > 100
      'p3,amount_off,1001,,1.5,,,,,C,丙,,,,', // line 4: amount not integer minor units
      'p4,half_off,1001,,,,,,,D,丁,,,,', // line 5: unknown kind
      'p5,percent_off,1001,5,,,,,,E,戊,maybe,vip,yesterday,', // line 6: flag, customer type, date
      'ok1,percent_off,1002,5,,,,,,F,己,,,,', // line 7: duplicate id
    ].join('\n');
    const r = readPromotions(bad);
    if (r.ok) throw new Error('accepted');
    const at = (line: number) => r.problems.filter((p) => p.line === line);
    expect(at(2)).toEqual([]);
    expect(at(3)).toEqual([expect.objectContaining({ field: 'percent', reason: expect.stringMatching(/^percent: expected .*100.*, got 250$/) })]);
    expect(at(4)).toEqual([expect.objectContaining({ field: 'amount', reason: expect.stringMatching(/^amount: .*, got 1\.5$/) })]);
    expect(at(5)).toEqual([expect.objectContaining({ field: 'kind', reason: expect.stringContaining('expected kind to be one of "percent_off"') })]);
    expect(at(6).map((p) => p.field).sort()).toEqual(['customer_types', 'member_only', 'valid_from']);
    expect(at(6).find((p) => p.field === 'valid_from')?.reason).toContain('expected an ISO date-time');
    expect(at(7)).toEqual([{ line: 7, field: 'id', reason: 'the id "ok1" is already used on line 2' }]);

    const unknown = readPromotions(`${HEADER},discount\nx,percent_off,1,5,,,,,,a,b,,,,,9`);
    expect(unknown).toEqual({ ok: false, problems: [expect.objectContaining({ line: 1, field: 'discount', reason: expect.stringContaining('unknown column "discount"') })] });
    expect(readPromotions('id,kind\nx,percent_off')).toEqual({ ok: false, problems: [{ line: 1, field: 'skus', reason: 'the column "skus" is missing' }] });
  });

  it('an XLSX workbook reads as the same promotions as its CSV, and its bad cells by sheet row', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Promotions');
    for (const line of GOOD.split('\n')) ws.addRow(line.split(',').map((c) => (/^\d{1,4}$/.test(c) && c !== '1001' && c !== '1003' ? Number(c) : c === '' ? null : c)));
    const file = await uploadedBookText(Buffer.from(await wb.xlsx.writeBuffer()));
    if (!file.ok) throw new Error(JSON.stringify(file.problems));
    expect(file.format).toBe('xlsx');
    expect(readPromotions(file.csv)).toEqual(readPromotions(GOOD));
    ws.getRow(3).getCell(9).value = -5;
    const bad = await uploadedBookText(Buffer.from(await wb.xlsx.writeBuffer()));
    const r = bad.ok ? readPromotions(bad.csv) : bad;
    expect(r.ok ? [] : r.problems.map((p) => [p.line, p.field])).toEqual([[3, 'price']]);
  });

  it('the promotions in force as a sheet (the reader\'s columns) read back to the same promotions; what the columns cannot carry is named', () => {
    const good = readPromotions(GOOD);
    if (!good.ok) throw new Error('unreadable');
    const quoted = { ...good.promotions[0], id: 'q', label: { en: 'Buy "two", save', 'zh-CN': '买二，\n省钱' } };
    const list = [...good.promotions, quoted];
    const sheet = promotionsSheet(list);
    expect(sheet.csv.split('\n')[0]).toBe(HEADER);
    expect(sheet.inexact).toEqual([]);
    expect(readPromotions(sheet.csv)).toEqual({ ok: true, promotions: list });
    expect(diffPromotions(list, (readPromotions(sheet.csv) as { promotions: typeof list }).promotions)).toMatchObject({ added: [], removed: [], changed: [], unchanged: 4 });
    // a label in a third language, a SKU holding the list separator, an id with a space at its end: not carried exactly
    const odd = [
      { ...good.promotions[1], label: { en: 'x', 'zh-CN': '甲', fr: 'x' } },
      { ...good.promotions[2], skus: ['10|01'] },
      { ...good.promotions[0], id: 'spring ' },
    ];
    expect(promotionsSheet([...odd, good.promotions[0]]).inexact).toEqual(['cola3', 'biz', 'spring ']);
  });

  it('the diff: added, removed, changed field by field (label locales in any order are the same label)', () => {
    const before = readPromotions(GOOD);
    const after = readPromotions(GOOD.replace(',10,,,,,,Spring sale', ',15,,,,,,Spring sale').replace(/\ncola3[^\n]*/, '') + '\nnew1,buy_x_pay_y,1004,,,3,2,,,3 for 2,买三付二,,,,');
    if (!before.ok || !after.ok) throw new Error('unreadable');
    const relabelled = after.promotions.map((p) => (p.id === 'biz' ? { ...p, label: { 'zh-CN': p.label['zh-CN']!, en: p.label.en! } } : p));
    const d = diffPromotions(before.promotions, relabelled);
    expect(d.added.map((p) => p.id)).toEqual(['new1']);
    expect(d.removed.map((p) => p.id)).toEqual(['cola3']);
    expect(d.changed).toEqual([{ id: 'spring', before: before.promotions[0], after: relabelled[0], fields: [{ field: 'percent', before: 10, after: 15 }] }]);
    expect(d.unchanged).toBe(1);
  });
});

describe('/promotions on SQLite with Mosquitto', () => {
  let broker: Mosquitto;
  let client: mqtt.MqttClient;
  let store: IngestStore;
  let fx: Awaited<ReturnType<typeof consoleFixture>>;
  let pub: KeyObject;
  const S = `PR${process.pid}`;
  const S2 = `PRX${process.pid}`;

  beforeAll(async () => {
    broker = await Mosquitto.start();
    client = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    store = await CONSOLE_BACKENDS.find((b) => b.name === 'SQLite')!.open();
    fx = await consoleFixture(store);
    const pair = generateKeyPairSync('ed25519');
    pub = pair.publicKey;
    fx.ctx.mqtt = client;
    fx.ctx.hqKey = pair.privateKey;
    const now = fx.clock.now();
    await addUser(store.db, { username: 'ada', password: PW, role: 'admin', stores: [] }, now);
    await addUser(store.db, { username: 'mgr', password: PW, role: 'store_manager', stores: [S] }, now);
    await addUser(store.db, { username: 'aud', password: PW, role: 'auditor', stores: [] }, now);
    await store.db.transaction(async (tx) => {
      for (const d of ['K1', 'K2']) await tx.run('INSERT INTO fleet (store_id, device_id, last_seen) VALUES (?, ?, ?)', [S, d, now]);
      await tx.run('INSERT INTO fleet (store_id, device_id, last_seen) VALUES (?, ?, ?)', [S2, 'K1', now]);
    });
    // what HQ published before: a fleet promotion, and the store's own config (its other sections must survive)
    const old = readPromotions(GOOD);
    if (!old.ok) throw new Error('unreadable');
    expect((await publishConfig(fx.ctx, { scope: { kind: 'fleet' }, body: { promotions: [old.promotions[1]] }, user: 'cli', kind: 'publish' })).ok).toBe(true);
    expect((await publishConfig(fx.ctx, { scope: { kind: 'store', store: S }, body: { reports: { dayStartHour: 5 }, promotions: old.promotions }, user: 'cli', kind: 'publish' })).ok).toBe(true);
  }, 120_000);
  afterAll(async () => {
    await fx?.app.close();
    await store?.close();
    await client?.endAsync();
    await broker?.close();
  });

  const as = async (user: string) => {
    const b = new InjectBrowser(fx.app);
    expect((await b.login(user, PW)).statusCode).toBe(303);
    return b;
  };

  it('shows the promotions in force (fleet ← store), checks a sheet, diffs, publishes the store config with only promotions replaced; kiosks confirm', async () => {
    const b = await as('mgr');
    const page = await b.get(`/promotions?store=${S}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<tr data-id="spring">');
    expect(page.body).toContain('(store config v1)');

    // a bad row: 422, by line, nothing published
    const refused = await b.post('/promotions/preview', { store: S, csv: GOOD.replace(',3,500,', ',1,500,') });
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toMatch(/<tr data-line="3"><td>3<\/td><td>quantity<\/td><td>quantity: expected [^<]*2[^<]*, got 1<\/td><\/tr>/);

    // spring dearer, biz gone, new1 added; cola3 unchanged
    const next = [HEADER, 'spring,percent_off,1001|1002,15,,,,,,Spring sale,春季促销,,,2026-12-10T00:00:00+08:00,2026-12-20T23:59:59+08:00', 'cola3,x_for_price,1003,,,,,3,500,3 colas for 5.00,可乐三瓶五元,,,,', 'new1,buy_x_pay_y,1004,,,3,2,,,3 for 2,买三付二,,personal,,'].join('\n');
    const preview = await b.post('/promotions/preview', { store: S, csv: next });
    expect(preview.statusCode).toBe(200);
    expect(/<p class="promotions-summary">([^<]*)<\/p>/.exec(preview.body)?.[1]).toBe('1 added, 1 removed, 1 changed, 1 unchanged (against v1)');
    expect(preview.body).toMatch(/<tr data-id="spring"><td>spring<\/td><td>Spring sale<\/td><td>percent: 10 → 15<\/td><\/tr>/);
    const carried = /name="csv" value="([^"]*)"/.exec(preview.body)![1].replace(/&#10;/g, '\n').replace(/&amp;/g, '&');
    expect(carried).toBe(next);

    // another store's manager may not publish here
    expect((await b.post('/promotions/publish', { store: S2, csv: next })).statusCode).toBe(404);
    const published = await b.post('/promotions/publish', { store: S, csv: carried });
    expect(published.statusCode).toBe(303);
    expect(published.headers.location).toBe(`/promotions?store=${S}&published=2`);

    const row = await new ConfigRegistry(store.db.read).latest({ kind: 'store', store: S });
    expect(row?.version).toBe(2);
    const body = JSON.parse(row!.body) as { reports: unknown; promotions: { id: string; percent?: number; customerTypes?: string[] }[] };
    expect(body.reports).toEqual({ dayStartHour: 5 });
    expect(body.promotions.map((p) => p.id)).toEqual(['spring', 'cola3', 'new1']);
    expect(body.promotions[0].percent).toBe(15);
    expect(body.promotions[2].customerTypes).toEqual(['personal']);
    expect(fx.rec.audit).toContainEqual(expect.objectContaining({ actor: 'mgr', action: 'config.publish', target: `store:${S}`, detail: expect.objectContaining({ version: 2 }) }));

    // the signed bundle is retained on the store's config topic
    const retained = await new Promise<Buffer>((resolve) => {
      const topic = configTopic({ kind: 'store', store: S });
      const on = (t: string, p: Buffer) => {
        if (t !== topic) return;
        client.off('message', on);
        resolve(p);
      };
      client.on('message', on);
      void client.subscribeAsync(topic, { qos: 1 });
    });
    const v = verifyEnvelope<{ promotions: { id: string }[] }>(retained, { get: (id) => (id === keyIdOf(pub) ? pub : undefined) }, fx.clock.now());
    expect(v.ok).toBe(true);
    expect(v.ok && v.envelope.body.promotions.map((p) => p.id)).toEqual(['spring', 'cola3', 'new1']);

    // K1 applied v2, K2 rejected it: each kiosk's confirmation for that version
    const reported = (status: string, extra: object = {}) => JSON.stringify({ v: 1, levels: [{ v: 1, level: 'fleet', version: 1, status: 'applied' }, { v: 1, level: 'store', version: 2, status, ...extra }] });
    await store.db.transaction(async (tx) => {
      await tx.run('UPDATE fleet SET config_reported = ?, config_reported_at = ? WHERE store_id = ? AND device_id = ?', [reported('applied'), fx.clock.now(), S, 'K1']);
      await tx.run('UPDATE fleet SET config_reported = ?, config_reported_at = ? WHERE store_id = ? AND device_id = ?', [reported('rejected', { reason: 'invalid_body', detail: '<b>x</b>' }), fx.clock.now(), S, 'K2']);
    });
    const after = await b.get(`/promotions?store=${S}&published=2`);
    expect(after.body).toContain('Store config v2 with the new promotions published');
    expect(after.body).toMatch(/<tr data-device="K1" class="status-applied"><td>K1<\/td><td>Applied<\/td><td>v2<\/td>/);
    expect(after.body).toMatch(/<tr data-device="K2" class="status-rejected"><td>K2<\/td><td>Rejected<\/td><td>v2<\/td><td>invalid_body: &lt;b&gt;x&lt;\/b&gt;<\/td>/);
    expect(after.body).toContain('<tr data-id="new1">');
  });

  it('the textarea holds the promotions in force as a sheet: posted back unchanged (CRLF, as a browser posts it) it diffs to nothing', async () => {
    const textarea = (body: string) => /<textarea name="csv"[^>]*>\n([^<]*)<\/textarea>/.exec(body)![1].replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
    const summary = (body: string) => /<p class="promotions-summary">([^<]*)<\/p>/.exec(body)?.[1];
    const b = await as('ada');
    // S: the store config v2 published above (spring 15 %, cola3, new1)
    const page = (await b.get(`/promotions?store=${S}`)).body;
    expect(page).toContain('<p class="muted promotions-prefilled">The text below is the promotions in force (3) as a sheet');
    const sheet = textarea(page);
    expect(sheet.split('\n')[0]).toBe(HEADER);
    const read = readPromotions(sheet);
    if (!read.ok) throw new Error(JSON.stringify(read.problems));
    expect(read.promotions.map((p) => [p.id, (p as { percent?: number }).percent])).toEqual([['spring', 15], ['cola3', undefined], ['new1', undefined]]);
    for (const csv of [sheet, sheet.replace(/\n/g, '\r\n')]) {
      const preview = await b.post('/promotions/preview', { store: S, csv });
      expect(preview.statusCode).toBe(200);
      expect(summary(preview.body)).toBe('0 added, 0 removed, 0 changed, 3 unchanged (against v2)');
    }
    // one cell edited in the pre-filled sheet: exactly that change
    const edited = await b.post('/promotions/preview', { store: S, csv: sheet.replace('spring,percent_off,1001|1002,15,', 'spring,percent_off,1001|1002,20,') });
    expect(summary(edited.body)).toBe('0 added, 0 removed, 1 changed, 2 unchanged (against v2)');

    // S2 has no store config: the fleet's promotion is in force, pre-filled, and diffs to nothing against it
    const fleetOnly = textarea((await b.get(`/promotions?store=${S2}`)).body);
    expect(fleetOnly.split('\n').filter(Boolean).map((l) => l.split(',')[0])).toEqual(['id', 'cola3']);
    expect(summary((await b.post('/promotions/preview', { store: S2, csv: fleetOnly })).body)).toBe('0 added, 0 removed, 0 changed, 1 unchanged (against no store config)');
  });

  it('roles: an auditor reads but may not check or publish; a manager of another store gets 404', async () => {
    const aud = await as('aud');
    expect((await aud.get(`/promotions?store=${S}`)).statusCode).toBe(200);
    expect((await aud.get(`/promotions?store=${S}`)).body).not.toContain('action="/promotions/preview"');
    expect((await aud.post('/promotions/preview', { store: S, csv: GOOD })).statusCode).toBe(403);
    expect((await aud.post('/promotions/publish', { store: S, csv: GOOD })).statusCode).toBe(403);
    const mgr = await as('mgr');
    expect((await mgr.get(`/promotions?store=${S2}`)).statusCode).toBe(404);
    expect((await mgr.post('/promotions/preview', { store: S2, csv: GOOD })).statusCode).toBe(404);
  });
});

describe('/promotions in Chromium', () => {
  let browser: Browser;
  let broker: Mosquitto;
  let client: mqtt.MqttClient;
  let store: IngestStore;
  let close: () => Promise<void>;
  let base: string;
  let kiosk: PushKiosk;
  let watch: { stop(): Promise<void> };
  const out = process.env.CONSOLE_SCREENSHOTS ?? fs.mkdtempSync(path.join(os.tmpdir(), 'promotions-shots-'));
  const kioskDir = fs.mkdtempSync(path.join(os.tmpdir(), 'promotions-kiosk-'));
  const S = `PRB${process.pid}`;

  beforeAll(async () => {
    store = await CONSOLE_BACKENDS.find((b) => b.name === 'SQLite')!.open();
    broker = await Mosquitto.start();
    client = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    const f = await consoleFixture(store);
    const keys = generateHqKeyPair();
    f.ctx.mqtt = client;
    f.ctx.hqKey = createPrivateKey(keys.privatePem);
    await addUser(store.db, { username: 'ada', password: PW, role: 'admin', stores: [] }, f.clock.now());
    await store.db.transaction((tx) => tx.run('INSERT INTO fleet (store_id, device_id, last_seen) VALUES (?, ?, ?)', [S, 'K1', f.clock.now()]));
    // a real kiosk's config side (its own ConfigBundleManager: signature, scope, versions, validation) reporting on
    // config/reported, and HQ's fleet ingestion writing those reports to the fleet table
    watch = await watchFleet(broker.url, store, f.clock);
    kiosk = await startPushKiosk({ brokerUrl: broker.url, dir: kioskDir, store: S, device: 'K1', hqPublicPem: keys.publicPem, clock: f.clock });
    await f.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(f.app.server.address() as AddressInfo).port}`;
    close = () => f.app.close();
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await kiosk?.close();
    await watch?.stop();
    fs.rmSync(kioskDir, { recursive: true, force: true });
    await close?.();
    await store?.close();
    await client?.endAsync();
    await broker?.close();
    if (!process.env.CONSOLE_SCREENSHOTS) fs.rmSync(out, { recursive: true, force: true });
  });

  it('a CSV file chosen on the page → the diff against the store (none yet), in English and Chinese; screenshots', async () => {
    for (const lang of SCREENSHOT_LANGS) {
      const { context, page } = await consolePage(browser, base, { username: 'ada', password: PW }, lang);
      await page.goto(`${base}/promotions?store=${S}&lang=${lang}`);
      const form = page.locator('form.promotions-file');
      await form.locator('input[type="file"]').setInputFiles({ name: 'promotions.csv', mimeType: 'text/csv', buffer: Buffer.from(GOOD) });
      await form.locator('button[type="submit"]').click();
      await page.locator('.promotions-summary').waitFor();
      expect(await page.locator('.promotions-summary').innerText()).toBe(lang === 'en' ? '3 added, 0 removed, 0 changed, 0 unchanged (against no store config)' : '新增 3，删除 0，修改 0，未变 0（对比 无门店配置）');
      expect(await page.locator('table.promotions-added tr[data-id="spring"]').innerText()).toContain(lang === 'en' ? 'Spring sale' : '春季促销');
      expect(await page.locator('table.promotions-added tr[data-id="spring"]').innerText()).toContain('2026-12-20T23:59:59+08:00');
      expect(await page.locator('form[action="/promotions/publish"] button').count()).toBe(1);
      const file = path.join(out, `console-promotions-diff-${lang}.png`);
      await page.screenshot({ path: file, fullPage: true });
      expect(fs.statSync(file).size).toBeGreaterThan(10_000);
      await context.close();
    }
  });
  it('publish from the diff (after the confirmation) → the real kiosk applies the store config → its confirmation on /promotions; screenshots', async () => {
    const { context, page, confirmations } = await consolePage(browser, base, { username: 'ada', password: PW }, 'en');
    await page.goto(`${base}/promotions?store=${S}&lang=en`);
    // nothing published for the store yet: the textarea holds the header row to start from; the sheet is pasted in
    const textarea = page.locator('form.promotions-paste textarea[name="csv"]');
    expect((await textarea.inputValue()).trim()).toBe(HEADER);
    await textarea.fill(GOOD);
    await Promise.all([page.waitForURL((u) => u.pathname === '/promotions/preview'), page.locator('form.promotions-paste button[type="submit"]').click()]);
    expect(await page.locator('.promotions-summary').innerText()).toBe('3 added, 0 removed, 0 changed, 0 unchanged (against no store config)');
    await Promise.all([page.waitForURL((u) => u.searchParams.get('published') === '1'), page.locator('form[action="/promotions/publish"] button[type="submit"]').click()]);
    expect(confirmations).toEqual([`Publish the promotions to every kiosk of ${S} (a new signed store config)?`]);
    expect(await page.locator('p.flash').innerText()).toBe(`Store config v1 with the new promotions published to ${S}.`);
    expect(await page.locator('table.promotions-current tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')))).toEqual(['spring', 'cola3', 'biz']);

    // the kiosk verifies and applies the signed store config and reports it; the page shows its confirmation
    await waitFor('the kiosk applied store config v1', () => (kiosk.bundles.current().promotions.length === 3 ? true : null), 20_000, 100);
    expect(kiosk.bundles.current().promotions.map((p) => p.id)).toEqual(['spring', 'cola3', 'biz']);
    await waitFor('the confirmation on the page', async () => {
      await page.goto(`${base}/promotions?store=${S}&published=1`);
      return (await page.locator('table.promotions-kiosks tr[data-device="K1"].status-applied').count()) === 1 ? true : null;
    }, 20_000, 200);
    expect(await page.locator('table.promotions-kiosks tr[data-device="K1"]').innerText()).toMatch(/^K1\tApplied\tv1\t/);
    // the textarea now holds what is in force: posted back unchanged, nothing to publish
    expect(readPromotions(await textarea.inputValue())).toEqual(readPromotions(GOOD));
    await context.close();

    for (const lang of SCREENSHOT_LANGS) {
      const { context: ctx, page: p } = await consolePage(browser, base, { username: 'ada', password: PW }, lang);
      await p.goto(`${base}/promotions?store=${S}&published=1&lang=${lang}`);
      expect(await p.locator('table.promotions-kiosks tr[data-device="K1"] td').nth(1).innerText()).toBe(lang === 'en' ? 'Applied' : '已应用');
      const file = path.join(out, `console-promotions-published-${lang}.png`);
      await p.screenshot({ path: file, fullPage: true });
      expect(fs.statSync(file).size).toBeGreaterThan(10_000);
      await ctx.close();
    }
  });
});
