/**
 * The console's reconciliation page (/reconcile) on SQLite and PostgreSQL: who may see it and run it, store scope,
 * the audit of a run, a malformed bill refused with its line; then Debian's Chromium against the console (in
 * process, on loopback): an admin pastes a WeChat bill, lands on the run's page with the discrepancies by kind and the
 * totals, and uploads it as a file (the run's page replaces the form); screenshots in English and Chinese (CONSOLE_SCREENSHOTS=docs/screenshots keeps them).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { addUser } from '../hq/console/users';
import { can, ROLES } from '../hq/console/types';
import type { IngestStore } from '../hq/ingest/store';
import { ROUTES } from '../hq/reconcile/routes';
import { getRun } from '../hq/reconcile/run-store';
import { wechatBill, wechatPayment } from './support/bill-samples';
import { CONSOLE_BACKENDS, closeConsoleBackends, consoleFixture, InjectBrowser } from './support/console-fixture';
import { consoleRequest, handlerContext, pageHtml, routeOf } from './support/console-request';
import { loginInBrowser, takeConsoleScreenshots, SCREENSHOT_VIEWPORT } from './support/console-screenshots';
import { reconcileKiosk } from './support/reconcile-kiosk';
import { launchChromium } from './support/screen-browser';
import { writeZip } from '../simulators/zip-writer';

afterAll(closeConsoleBackends, 60_000);

/** 2026-12-05 09:00 Beijing; the console's clock is 2026-12-06 09:00 UTC. */
const START = Date.UTC(2026, 11, 5, 1, 0, 0);
const bj = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
const PASSWORD = 'correct horse battery staple 15';

/** Store S1 sells two WeChat payments (12.34 and 3.50) and S2 one (20.00); returns the day's bill with S1's 3.50 missing and a phantom 9.99. */
async function seed(store: IngestStore): Promise<string> {
  const rows: string[] = [];
  for (const [s, amounts] of [['S1', [1234, 350]], ['S2', [2000]]] as const) {
    const k = await reconcileKiosk(s, 'K1', START);
    try {
      for (const amount of amounts) {
        const sale = await k.walletSale('wechat', amount);
        if (amount !== 350) rows.push(wechatPayment({ time: bj(k.clock.now() - 60_000), txn: `42${amount}`, orderNo: sale.orderNo, amount: (amount / 100).toFixed(2), fee: amount === 1234 ? '0.07' : '0.12' }));
      }
      await store.acceptMany(await k.events());
    } finally {
      await k.close();
    }
  }
  rows.push(wechatPayment({ time: '2026-12-05 20:00:00', txn: '4299', orderNo: 'ffffffffffffffffffffffffffffffff', amount: '9.99', fee: '0.06' }));
  return wechatBill(rows, ['3', '42.33', '0.00', '0.00', '0.25', '42.33', '0.00']).toString('utf8');
}

describe.each(CONSOLE_BACKENDS)('/reconcile on $name', (backend) => {
  let store: IngestStore;
  let bill: string;
  beforeAll(async () => {
    store = await backend.open();
    bill = await seed(store);
  }, 120_000);
  afterAll(async () => {
    await store.close();
  });

  it('admins, store managers and auditors view; only admins run (reconcile.run)', () => {
    expect(ROLES.filter((r) => can(r, 'reconcile.view'))).toEqual(['admin', 'store_manager', 'auditor']);
    expect(ROLES.filter((r) => can(r, 'reconcile.run'))).toEqual(['admin']);
    expect(routeOf(ROUTES, 'POST', '/reconcile/run').permission).toBe('reconcile.run');
  });

  it('a pasted bill is reconciled, audited, alerts raised; the run page shows the kinds, totals to whom sees every store, items in scope', async () => {
    const audit: unknown[] = [];
    const raised: unknown[] = [];
    const ctx = handlerContext(store, { audit: { record: async (e) => void audit.push(e) }, alerts: { sync: async (_s, a) => void raised.push(...a) } });
    const admin = { username: 'ada', role: 'admin' as const, stores: [] };
    const post = routeOf(ROUTES, 'POST', '/reconcile/run');
    const reply = await post.handler(consoleRequest(admin, { body: { mode: 'bill', channel: 'wechat', day: '2026-12-05', bill } }), ctx);
    expect(reply).toEqual({ redirect: '/reconcile/run?channel=wechat&day=2026-12-05' });
    expect(audit).toEqual([{ actor: 'ada', action: 'reconcile.run', target: 'wechat:2026-12-05', detail: expect.objectContaining({ matched: 2, discrepancies: 2 }), ip: '192.0.2.7' }]);
    expect(raised).toEqual([expect.objectContaining({ kind: 'reconcile_channel_only', severity: 'critical' })]);

    const page = routeOf(ROUTES, 'GET', '/reconcile/run');
    const q = { channel: 'wechat', day: '2026-12-05' };
    const all = pageHtml(await page.handler(consoleRequest(admin, { query: q }), ctx));
    expect([...all.matchAll(/<tr data-kind="([a-z_]+)"/g)].map((m) => m[1]).sort()).toEqual(['channel_only', 'journal_only']);
    expect(all).toContain('<tr data-side="channel">');
    expect(all).toMatch(/href="\/orders\/S1\/K1\/[0-9a-f-]+"/);
    const onlyJournal = pageHtml(await page.handler(consoleRequest(admin, { query: { ...q, kind: 'journal_only' } }), ctx));
    expect([...onlyJournal.matchAll(/<tr data-kind="([a-z_]+)"/g)].map((m) => m[1])).toEqual(['journal_only']);

    // a store manager of S2: the run, none of S1's items, no chain-wide totals; the auditor: all, but no form
    const s2 = pageHtml(await page.handler(consoleRequest({ username: 'sam', role: 'store_manager', stores: ['S2'] }, { query: q }), ctx));
    expect(s2).not.toContain('data-kind=');
    expect(s2).not.toContain('data-side=');
    const list = routeOf(ROUTES, 'GET', '/reconcile');
    const audPage = pageHtml(await list.handler(consoleRequest({ username: 'aud', role: 'auditor', stores: [] }), ctx));
    expect(audPage).toContain('data-channel="wechat" data-day="2026-12-05" data-discrepancies="2"');
    expect(audPage).not.toContain('action="/reconcile/run"');
    expect(pageHtml(await list.handler(consoleRequest(admin), ctx))).toContain('action="/reconcile/run"');
    // a card run of a store outside the manager's scope is not found
    expect(await page.handler(consoleRequest({ username: 'sam', role: 'store_manager', stores: ['S2'] }, { query: { channel: 'card', day: '2026-12-05', store: 'S1' } }), ctx)).toMatchObject({ error: { status: 404 } });
  });

  it('a bill FILE posted raw (/reconcile/upload, as console.js sends it): reconciled like a pasted one; a zip bomb refused 422, audited', async () => {
    expect(routeOf(ROUTES, 'POST', '/reconcile/upload').permission).toBe('reconcile.run');
    const audit: { target?: string; detail?: unknown }[] = [];
    const ctx = handlerContext(store, { audit: { record: async (e) => void audit.push(e) } });
    const admin = { username: 'ada', role: 'admin' as const, stores: [] };
    const upload = routeOf(ROUTES, 'POST', '/reconcile/upload');
    const post = (query: Record<string, string>, raw?: Buffer) => upload.handler({ ...consoleRequest(admin, { query }), ...(raw ? { raw } : {}) }, ctx);
    expect(await post({ channel: 'wechat', day: '2026-12-05' }, Buffer.from(bill, 'utf8'))).toEqual({ redirect: '/reconcile/run?channel=wechat&day=2026-12-05' });
    expect(await getRun(store.db, 'wechat', '2026-12-05', '')).toMatchObject({ matched: 2, discrepancies: 2, source: 'console upload' });
    const bomb = writeZip([{ name: 'x_业务明细.csv', data: Buffer.alloc(10) }]);
    bomb.writeUInt32LE(100 * 1024 * 1024, bomb.indexOf(Buffer.from('PK\x01\x02', 'latin1')) + 24);
    expect(await post({ channel: 'alipay', day: '2026-12-05' }, bomb)).toEqual({ error: { status: 422, message: expect.stringContaining('the archive inflates to more than 64 MB (a zip bomb?)') } });
    expect(audit.map((e) => [e.target, e.detail])).toEqual([
      ['wechat:2026-12-05', expect.objectContaining({ matched: 2, discrepancies: 2 })],
      ['alipay:2026-12-05', { refused: 'alipay bill: the archive inflates to more than 64 MB (a zip bomb?)' }],
    ]);
    expect(await post({ channel: 'wechat', day: '2026-12-05' })).toMatchObject({ error: { status: 400 } });
    expect(await post({ channel: 'card', day: '2026-12-05' }, Buffer.from(bill, 'utf8'))).toMatchObject({ error: { status: 400 } });
  });

  it('a malformed bill: 422 naming the line, audited as refused, the previous run kept', async () => {
    const audit: { detail?: unknown }[] = [];
    const ctx = handlerContext(store, { audit: { record: async (e) => void audit.push(e) } });
    const broken = bill.replace('`12.34,', '`12.3.4,');
    const reply = await routeOf(ROUTES, 'POST', '/reconcile/run').handler(consoleRequest({ username: 'ada', role: 'admin', stores: [] }, { body: { mode: 'bill', channel: 'wechat', day: '2026-12-05', bill: broken } }), ctx);
    expect(reply).toEqual({ error: { status: 422, message: expect.stringMatching(/line \d+: 应结订单金额/) } });
    expect(audit).toEqual([expect.objectContaining({ action: 'reconcile.run', detail: { refused: expect.stringContaining('line') } })]);
    expect(await getRun(store.db, 'wechat', '2026-12-05', '')).toMatchObject({ matched: 2, discrepancies: 2 });
  });
});

describe('/reconcile in Chromium', () => {
  let browser: Browser;
  let store: IngestStore;
  let close: () => Promise<void>;
  let base: string;
  let bill: string;
  let inject: InjectBrowser;
  const out = process.env.CONSOLE_SCREENSHOTS ?? fs.mkdtempSync(path.join(os.tmpdir(), 'reconcile-shots-'));

  beforeAll(async () => {
    store = await CONSOLE_BACKENDS[0].open();
    bill = await seed(store);
    const f = await consoleFixture(store);
    await addUser(store.db, { username: 'ada', password: PASSWORD, role: 'admin', stores: [] }, f.clock.now());
    await addUser(store.db, { username: 'sam', password: PASSWORD, role: 'store_manager', stores: ['S1'] }, f.clock.now());
    await f.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(f.app.server.address() as AddressInfo).port}`;
    close = () => f.app.close();
    inject = new InjectBrowser(f.app);
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await close?.();
    await store?.close();
    if (!process.env.CONSOLE_SCREENSHOTS) fs.rmSync(out, { recursive: true, force: true });
  });

  it('an admin pastes a bill and sees the run; screenshots in both languages; a store manager may not run one (403)', async () => {
    const context = await browser.newContext({ viewport: SCREENSHOT_VIEWPORT });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    await loginInBrowser(page, base, 'ada', PASSWORD);
    await page.goto(`${base}/reconcile`);
    expect(await page.locator('#reconcile-runs').count()).toBe(0);
    await page.locator('#reconcile-upload summary').click();
    await page.selectOption('#reconcile-upload select[name="channel"]', 'wechat');
    await page.fill('#reconcile-upload input[name="day"]', '2026-12-05');
    await page.fill('#reconcile-upload textarea[name="bill"]', bill);
    await Promise.all([page.waitForURL((u) => u.pathname === '/reconcile/run'), page.click('#reconcile-upload button[type="submit"]')]);
    expect(await page.locator('#reconcile-count').innerText()).toBe('2');
    expect(await page.locator('#reconcile-items tbody tr').evaluateAll((rows) => rows.map((r) => (r as unknown as { dataset: { kind: string } }).dataset.kind))).toEqual(['channel_only', 'journal_only']);
    expect(await page.locator('#reconcile-totals').innerText()).toContain('42.33');

    // the same bill as a FILE (console.js posts its bytes raw to /reconcile/upload): the run's page replaces main
    await page.goto(`${base}/reconcile`);
    await page.locator('#reconcile-upload summary').click();
    await page.selectOption('#reconcile-file select[name="channel"]', 'wechat');
    await page.fill('#reconcile-file input[name="day"]', '2026-12-05');
    await page.setInputFiles('#reconcile-file input[type="file"]', { name: 'wechat-20261205.csv', mimeType: 'text/csv', buffer: Buffer.from(bill, 'utf8') });
    await page.click('#reconcile-file button[type="submit"]');
    await page.locator('#reconcile-count').waitFor();
    expect(await page.locator('#reconcile-count').innerText()).toBe('2');
    expect(await page.locator('#main').innerText()).toContain('console upload');
    await context.close();

    const files = await takeConsoleScreenshots(browser, base, { username: 'ada', password: PASSWORD }, [
      { name: 'reconcile', path: '/reconcile' },
      { name: 'reconcile-run', path: '/reconcile/run?channel=wechat&day=2026-12-05' },
    ], out);
    expect(files.filter((f) => /console-reconcile/.test(f)).map((f) => path.basename(f)).sort()).toEqual([
      'console-reconcile-en.png',
      'console-reconcile-run-en.png',
      'console-reconcile-run-zh-CN.png',
      'console-reconcile-zh-CN.png',
    ]);
    for (const f of files) expect(fs.statSync(f).size).toBeGreaterThan(10_000);

    await inject.login('sam', PASSWORD);
    expect((await inject.get('/reconcile')).statusCode).toBe(200);
    const refused = await inject.post('/reconcile/run', { mode: 'bill', channel: 'wechat', day: '2026-12-05', bill });
    expect(refused.statusCode).toBe(403);
  });
});
