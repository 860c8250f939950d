/**
 * The console's price-book page (/pricebook) in Debian's Chromium against the console (in process, on loopback) and a
 * real Mosquitto: an admin pastes a CSV with a bad row and sees the problem by line; pastes a good one, sees the diff
 * against the book the store last received (price old → new), confirms, and the signed manifest is retained for the
 * store; a kiosk's `applied` report shows as its confirmation. Screenshots in English and Chinese
 * (CONSOLE_SCREENSHOTS=docs/screenshots keeps them).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync } from 'node:crypto';
import * as ExcelJS from 'exceljs';
import mqtt from 'mqtt';
import type { Browser } from 'playwright-core';
import { addUser } from '../hq/console/users';
import type { IngestStore } from '../hq/ingest/store';
import { PricebookRegistry } from '../hq/pricebook-console/registry';
import { manifestTopic, pricebookBase } from '../protocol/pricebook/topics';
import { CONSOLE_BACKENDS, closeConsoleBackends, consoleFixture } from './support/console-fixture';
import { loginInBrowser, SCREENSHOT_VIEWPORT, takeConsoleScreenshots } from './support/console-screenshots';
import { Mosquitto } from './support/mosquitto';
import { launchChromium } from './support/screen-browser';

afterAll(closeConsoleBackends, 60_000);
jest.setTimeout(180_000);

const PASSWORD = 'correct horse battery staple 15';
const HEADER = 'sku,barcodes,name_zh-CN,name_en,unit_price,tax_class,age_limit,sold_by_weight';
const V1 = [HEADER, '1001,6901234567892,苹果,Apple,350,standard,,false', '1002,6901234567885,面包,Bread,1200,reduced,,false'].join('\n');
const V2 = [HEADER, '1001,6901234567892,苹果,Apple,390,standard,,false', '1003,6901234567878,可乐,Cola,300,standard,,false'].join('\n');

describe('/pricebook in Chromium', () => {
  let browser: Browser;
  let broker: Mosquitto;
  let client: mqtt.MqttClient;
  let store: IngestStore;
  let close: () => Promise<void>;
  let base: string;
  const out = process.env.CONSOLE_SCREENSHOTS ?? fs.mkdtempSync(path.join(os.tmpdir(), 'pricebook-shots-'));
  const S = `PB${process.pid}`;
  const S2 = `PBX${process.pid}`;

  beforeAll(async () => {
    broker = await Mosquitto.start();
    client = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    store = await CONSOLE_BACKENDS.find((b) => b.name === 'SQLite')!.open();
    const f = await consoleFixture(store);
    f.ctx.mqtt = client;
    f.ctx.hqKey = generateKeyPairSync('ed25519').privateKey;
    await addUser(store.db, { username: 'ada', password: PASSWORD, role: 'admin', stores: [] }, f.clock.now());
    await store.db.transaction(async (tx) => {
      for (const d of ['K1', 'K2']) await tx.run('INSERT INTO fleet (store_id, device_id, last_seen) VALUES (?, ?, ?)', [S, d, f.clock.now()]);
      await PricebookRegistry.insert(tx, { store_id: S, version: '2026.1', csv: V1, items: 2, sha256: '0'.repeat(64), published_by: 'ada', published_at: f.clock.now() });
      await tx.run('INSERT INTO fleet (store_id, device_id, last_seen) VALUES (?, ?, ?)', [S2, 'K1', f.clock.now()]);
      await PricebookRegistry.insert(tx, { store_id: S2, version: '2026.1', csv: V1, items: 2, sha256: '0'.repeat(64), published_by: 'ada', published_at: f.clock.now() });
    });
    await f.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(f.app.server.address() as AddressInfo).port}`;
    close = () => f.app.close();
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await close?.();
    await store?.close();
    await client?.endAsync();
    await broker?.close();
    if (!process.env.CONSOLE_SCREENSHOTS) fs.rmSync(out, { recursive: true, force: true });
  });

  it('problems by line, the diff, publish after a confirmation, each kiosk\'s confirmation; screenshots', async () => {
    const context = await browser.newContext({ viewport: SCREENSHOT_VIEWPORT });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    page.on('dialog', (d) => void d.accept());
    await loginInBrowser(page, base, 'ada', PASSWORD);
    await page.goto(`${base}/pricebook?store=${S}`);

    // a bad row: refused with its line, nothing published
    await page.locator('form.pricebook-upload input[name="version"]').fill('2026.2');
    await page.locator('form.pricebook-upload textarea[name="csv"]').fill(V2.replace(',390,', ',3.90,'));
    await Promise.all([page.waitForURL((u) => u.pathname === '/pricebook/preview'), page.locator('form.pricebook-upload button[type="submit"]').click()]);
    expect(await page.locator('table.pricebook-problems tr[data-line="2"]').innerText()).toMatch(/unit_price\s+expected a non-negative integer \(minor units\), got "3\.90"/);

    // the form came back filled: fix the price and check again → the diff
    await page.locator('form.pricebook-upload textarea[name="csv"]').fill(V2);
    await Promise.all([page.waitForURL((u) => u.pathname === '/pricebook/preview'), page.locator('form.pricebook-upload button[type="submit"]').click()]);
    expect(await page.locator('.pricebook-summary').innerText()).toBe('1 added, 1 removed, 1 changed, 0 unchanged (against 2026.1)');
    expect(await page.locator('table.pricebook-changed tr[data-sku="1001"]').innerText()).toContain('¥3.50 → ¥3.90');
    expect(await page.locator('table.pricebook-removed tr[data-sku="1002"]').count()).toBe(1);
    await page.screenshot({ path: path.join(out, 'console-pricebook-diff-en.png'), fullPage: true });

    // publish (the page asks for a confirmation first): the store's manifest is retained on the broker
    await Promise.all([page.waitForURL((u) => u.pathname === '/pricebook' && u.searchParams.get('published') === '2026.2'), page.locator('form[action="/pricebook/publish"] button').click()]);
    const manifest = await new Promise<Buffer>((resolve) => {
      const topic = manifestTopic(pricebookBase({ store: S }));
      client.on('message', (t, p) => t === topic && resolve(p));
      void client.subscribeAsync(topic, { qos: 1 });
    });
    expect(JSON.parse(manifest.toString())).toMatchObject({ kind: 'pricebook', body: { version: '2026.2', items: 2 } });
    expect(await page.locator('.pricebook-latest').innerText()).toMatch(/^Last published: 2026\.2 \(2 items\) by ada/);

    // K1 confirms, K2 is still downloading
    await store.db.transaction(async (tx) => {
      await tx.run('UPDATE fleet SET pricebook_reported = ?, pricebook_reported_at = ? WHERE store_id = ? AND device_id = ?', [JSON.stringify({ v: 1, version: '2026.2', status: 'applied', ts: 1, items: 2 }), Date.UTC(2026, 11, 6, 9, 1), S, 'K1']);
      await tx.run('UPDATE fleet SET pricebook_reported = ?, pricebook_reported_at = ? WHERE store_id = ? AND device_id = ?', [JSON.stringify({ v: 1, version: '2026.2', status: 'downloading', ts: 1, received: 0, total: 1 }), Date.UTC(2026, 11, 6, 9, 1), S, 'K2']);
    });
    await page.reload();
    expect(await page.locator('tr[data-device="K1"]').getAttribute('class')).toBe('status-applied');
    expect(await page.locator('tr[data-device="K1"]').innerText()).toContain('2 items in the catalog');
    expect(await page.locator('tr[data-device="K2"]').innerText()).toContain('0% (0/1)');
    await context.close();

    const files = await takeConsoleScreenshots(browser, base, { username: 'ada', password: PASSWORD }, [{ name: 'pricebook', path: `/pricebook?store=${S}` }], out);
    expect(files.filter((f) => /console-pricebook-(en|zh-CN)\.png$/.test(f)).map((f) => path.basename(f)).sort()).toEqual(['console-pricebook-en.png', 'console-pricebook-zh-CN.png']);
    for (const f of files) expect(fs.statSync(f).size).toBeGreaterThan(10_000);
  });

  it('an XLSX file chosen on the page: console.js POSTs its bytes, the problems by sheet row, then the diff; English and Chinese', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Book');
    for (const r of V2.split('\n')) ws.addRow(r.split(',').map((c) => (/^\d{1,6}$/.test(c) ? Number(c) : c)));
    const good = Buffer.from(await wb.xlsx.writeBuffer());
    ws.getRow(3).getCell(5).value = new Date(Date.UTC(2026, 0, 1));
    const dated = Buffer.from(await wb.xlsx.writeBuffer());
    const xlsx = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
    for (const lang of ['en', 'zh-CN'] as const) {
      const context = await browser.newContext({ viewport: SCREENSHOT_VIEWPORT, locale: lang });
      const page = await context.newPage();
      page.setDefaultTimeout(30_000);
      await loginInBrowser(page, base, 'ada', PASSWORD);
      await page.goto(`${base}/pricebook?store=${S2}&lang=${lang}`);
      const form = page.locator('form.pricebook-file');
      await form.locator('input[name="version"]').fill('2026.9');
      await form.locator('input[type="file"]').setInputFiles({ name: 'book.xlsx', mimeType: xlsx, buffer: dated });
      await form.locator('button[type="submit"]').click();
      // the answer replaced main: the date cell refused on its sheet row, nothing published
      await page.locator('table.pricebook-problems tr[data-line="3"]').waitFor();
      expect(await page.locator('table.pricebook-problems tr[data-line="3"]').innerText()).toContain('unit_price');
      expect(new URL(page.url()).pathname).toBe('/pricebook');
      // the form came back: choose the good workbook → the diff against the last book
      const again = page.locator('form.pricebook-file');
      await again.locator('input[name="version"]').fill('2026.9');
      await again.locator('input[type="file"]').setInputFiles({ name: 'book.xlsx', mimeType: xlsx, buffer: good });
      await again.locator('button[type="submit"]').click();
      await page.locator('.pricebook-summary').waitFor();
      const summary = await page.locator('.pricebook-summary').innerText();
      expect(summary).toBe(lang === 'en' ? '1 added, 1 removed, 1 changed, 0 unchanged (against 2026.1)' : '新增 1，删除 1，修改 1，未变 0（对比 2026.1）');
      expect(await page.locator('table.pricebook-changed tr[data-sku="1001"]').innerText()).toContain('¥3.50 → ¥3.90');
      expect(await page.locator('form[action="/pricebook/publish"] input[name="version"]').getAttribute('value')).toBe('2026.9');
      await page.screenshot({ path: path.join(out, `console-pricebook-upload-${lang}.png`), fullPage: true });
      expect(fs.statSync(path.join(out, `console-pricebook-upload-${lang}.png`)).size).toBeGreaterThan(10_000);
      // publish later: a start time (the console's zone, UTC here) → listed as pending, with a cancel button
      await page.locator('form.pricebook-schedule input[name="start"]').fill('2026-12-24T08:00');
      await Promise.all([page.waitForURL((u) => u.pathname === '/pricebook' && u.searchParams.get('scheduled') === '2026.9'), page.locator('form.pricebook-schedule button').click()]);
      expect(await page.locator('table.pricebook-schedules tr.schedule-pending').first().innerText()).toContain('2026.9');
      expect(await page.locator('table.pricebook-schedules tr.schedule-pending form[action="/pricebook/schedule/cancel"]').count()).toBeGreaterThan(0);
      await page.screenshot({ path: path.join(out, `console-pricebook-schedule-${lang}.png`), fullPage: true });
      await context.close();
    }
    expect((await new PricebookRegistry(store.db.read).latest(S2))?.version).toBe('2026.1');
  });
});
