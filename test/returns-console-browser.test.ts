/**
 * The console's Return form in Debian's Chromium against a real kiosk: the kiosk (bootKiosk: engine, SQLite journal,
 * cash sales; returns approved by HQ only) is linked to a real Mosquitto, HQ ingests its journal into a SQLite file
 * and serves the console on it. A store manager opens the order page, picks the reason from the store's reasons (the
 * config HQ published), an amount, and "Send return to the kiosk" (after the confirmation): HQ signs the `return`
 * command, the kiosk's HQ link verifies it and runs the policy-checked return, its `cmd/result` is recorded by the
 * console's command-results service and shown under the form ("ok", the amount and reason); the kiosk's
 * `refund_issued` then reaches HQ and the refunds table shows its reason and return id. Screenshots in English and
 * Chinese (CONSOLE_SCREENSHOTS=docs/screenshots keeps them).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createPrivateKey } from 'node:crypto';
import mqtt from 'mqtt';
import type { Browser } from 'playwright-core';
import { defaultReturnsPolicy } from '../config/returns-policy';
import type { Kiosk } from '../device/kiosk';
import type { HqLink } from '../device/hq-link';
import { publishConfig } from '../hq/config/publish';
import { addUser } from '../hq/console/users';
import { commandResultsService } from '../hq/fleet/commands';
import { HqIngest } from '../hq/ingest/ingest';
import { IngestStore } from '../hq/ingest/store';
import { generateHqKeyPair } from '../hq/signing';
import { SystemClock } from '../kernel/clock';
import { consoleFixture } from './support/console-fixture';
import { consolePage } from './support/console-page';
import { SCREENSHOT_LANGS } from './support/console-screenshots';
import { tempDir } from './support/engine-fixture';
import { startHqLinkedKiosk } from './support/hq-linked-kiosk';
import { Mosquitto } from './support/mosquitto';
import { launchChromium } from './support/screen-browser';
import { waitFor } from './support/wait';

// the kiosk is given a broker, so the embedded Aedes HQ is never started (aedes v1 is an ES module jest cannot load)
jest.mock('../device/embedded-hq', () => ({
  startEmbeddedHq: () => Promise.reject(new Error('the embedded HQ is not used in these tests')),
}));
jest.setTimeout(180_000);

const PW = 'correct horse battery';
const clock = new SystemClock();

describe("the order page's Return form in Chromium, answered by a real kiosk", () => {
  const HQ = generateHqKeyPair();
  const store = `S${process.pid}rb`;
  const device = `K${process.pid}rb`;
  let dir: string;
  let broker: Mosquitto;
  let k: Kiosk;
  let link: HqLink;
  let hq: IngestStore;
  let ingest: HqIngest;
  let ingestClient: mqtt.MqttClient;
  let consoleClient: mqtt.MqttClient;
  let fx: Awaited<ReturnType<typeof consoleFixture>>;
  let results: { stop(): Promise<void> };
  let browser: Browser;
  let base: string;
  const out = process.env.CONSOLE_SCREENSHOTS ?? fs.mkdtempSync(path.join(os.tmpdir(), 'returns-shots-'));

  beforeAll(async () => {
    dir = tempDir('returns-console-browser-');
    broker = await Mosquitto.start();
    const kioskDir = path.join(dir, 'kiosk');
    fs.mkdirSync(kioskDir);
    ({ k, link } = await startHqLinkedKiosk({ dataDir: kioskDir, store, device, brokerUrl: broker.url, hqPublicPem: HQ.publicPem, now: clock.now() }));

    // HQ: ingest over the broker into a SQLite file; the console on it with HQ's key and a broker connection
    hq = await IngestStore.open(path.join(dir, 'hq.sqlite'));
    ingestClient = mqtt.connect(broker.url, { protocolVersion: 5, reconnectPeriod: 200, clientId: `hq-ingest-${process.pid}-returns` });
    ingestClient.on('error', () => undefined);
    ingest = new HqIngest({ store: hq, client: ingestClient, clock });
    ingest.on('error', () => undefined);
    await ingest.start();
    await addUser(hq.db, { username: 'mgr', password: PW, role: 'store_manager', stores: [store] }, clock.now());
    fx = await consoleFixture(hq, {}, clock.now());
    consoleClient = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0, clientId: `hq-console-${process.pid}-returns` });
    fx.ctx.mqtt = consoleClient;
    fx.ctx.hqKey = createPrivateKey(HQ.privatePem);
    // hq serve's service that records each kiosk's cmd/result on the console's commands
    results = commandResultsService({ timeoutMs: 120_000, sweepMs: 3_600_000 })(fx.ctx);
    // the store's returns policy as HQ published it: the form offers its reasons, labelled in the console language
    expect((await publishConfig(fx.ctx, { scope: { kind: 'store', store }, body: { returns: { ...defaultReturnsPolicy(), approval: 'hq' } }, user: 'cli', kind: 'publish' })).ok).toBe(true);
    await fx.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(fx.app.server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await results?.stop();
    await fx?.app.close();
    await consoleClient?.endAsync();
    await ingest?.stop();
    await ingestClient?.endAsync(true);
    await link?.close();
    await k?.close();
    await hq?.close();
    await broker?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    if (!process.env.CONSOLE_SCREENSHOTS) fs.rmSync(out, { recursive: true, force: true });
  });

  /** One cash sale of two plain items through the lane, completed. */
  async function cashSale(): Promise<{ orderId: string; paid: number }> {
    const items = await k.catalog.sample('plain', 2);
    let id = '';
    for (const it of items) {
      const r = await k.lane.scan(it.barcodes[0]);
      if (!r.ok || r.action !== 'item_added') throw new Error(`scan: ${JSON.stringify(r)}`);
      id = r.order.id;
    }
    await k.engine.dispatch(id, { type: 'checkout_started' });
    expect((await k.checkout.pay(id, 'cash')).state).toBe('paid');
    const done = await k.engine.dispatch(id, { type: 'order_completed' });
    return { orderId: id, paid: done.paid };
  }

  /** Waits until HQ has ingested the kiosk's whole journal. */
  async function synced(): Promise<void> {
    const last = (await k.db.read.get<{ m: number }>('SELECT MAX(seq) AS m FROM journal'))!.m;
    await waitFor('HQ to ingest the journal', async () => (await hq.db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM sales_events WHERE store_id = ? AND device_id = ?', [store, device]))!.n >= last, 60_000, 100);
  }

  it('a store manager sends a return from the order page; the kiosk pays it back and its answer and refund are shown; screenshots en + zh-CN', async () => {
    const sale = await cashSale();
    await synced();
    const href = `/orders/${store}/${device}/${sale.orderId}`;

    const { context, page, confirmations } = await consolePage(browser, base, { username: 'mgr', password: PW }, 'en');
    await page.goto(`${base}${href}?lang=en`);
    const form = page.locator(`#returns form[action="${href}/return"]`);
    // the store's reasons as HQ published them, in the console language
    expect(await form.locator('select[name="reason"] option').evaluateAll((os) => os.map((o) => [o.getAttribute('value'), o.textContent]))).toEqual([
      ['defective', 'Defective'],
      ['wrong-item', 'Wrong item'],
      ['changed-mind', 'Changed mind'],
    ]);
    const returnId = await form.locator('input[name="returnId"]').inputValue();
    expect(returnId).toMatch(/^hq-/);
    await form.locator('select[name="reason"]').selectOption('wrong-item');
    await form.locator('input[name="amount"]').fill('150');
    await Promise.all([page.waitForURL((u) => u.searchParams.has('sent')), form.getByRole('button', { name: 'Send return to the kiosk' }).click()]);
    expect(confirmations).toEqual(['Send this return to the kiosk? The money goes back the way it was paid.']);
    const row = page.locator('#return-commands tbody tr');
    expect(await row.count()).toBe(1);
    expect(await row.locator('td').nth(1).innerText()).toBe(returnId);

    // the kiosk runs the policy-checked return (approved by HQ) and answers; the page shows its answer once recorded
    await waitFor('the kiosk answered', async () => {
      await page.goto(`${base}${href}?lang=en`);
      return (await row.locator('td').nth(3).innerText()) === 'ok' ? true : null;
    }, 30_000, 250);
    expect(await row.locator('td').evaluateAll((tds) => tds.slice(1).map((td) => td.textContent))).toEqual([returnId, 'mgr', 'ok', '150 (wrong-item)']);
    const o = await k.engine.get(sale.orderId);
    expect(o.refunds.map((r) => [r.amount, r.reason, r.returnId, r.attendantId])).toEqual([[150, 'wrong-item', returnId, 'hq:mgr']]);

    // the kiosk's refund_issued reaches HQ: the refunds table shows it with its reason and return id
    await synced();
    await page.goto(`${base}${href}?lang=en`);
    const refund = page.locator('#refunds-table tbody tr');
    expect(await refund.count()).toBe(1);
    expect(await refund.locator('td').evaluateAll((tds) => tds.slice(3).map((td) => td.textContent))).toEqual([`hq:mgr`, 'wrong-item', returnId]);
    expect(await refund.locator('td').nth(1).innerText()).toBe('¥1.50');
    await context.close();

    for (const lang of SCREENSHOT_LANGS) {
      const { context: ctx, page: p } = await consolePage(browser, base, { username: 'mgr', password: PW }, lang);
      await p.goto(`${base}${href}?lang=${lang}`);
      expect(await p.locator('#returns button[type="submit"]').innerText()).toBe(lang === 'en' ? 'Send return to the kiosk' : '发送退货指令到自助机');
      expect(await p.locator('#return-commands tbody tr td').nth(4).innerText()).toBe('150 (wrong-item)');
      const file = path.join(out, `console-order-return-${lang}.png`);
      await p.screenshot({ path: file, fullPage: true });
      expect(fs.statSync(file).size).toBeGreaterThan(10_000);
      await ctx.close();
    }
  });
});
