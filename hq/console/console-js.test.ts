import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { SystemClock } from '../../kernel/clock';
import { launchChromium, newScreenPage } from '../../test/support/screen-browser';
import { CSP } from './headers';
import { jsonScript } from './html';
import { LiveHubImpl, parseTopics, serveSse } from './live';

/**
 * hq/console/public/console.js in Debian's Chromium, on a tiny page served here under the console's own CSP (no
 * inline script may run): the real SSE writer and hub behind /live, a page that answers `X-Console-Partial: 1`
 * with main's inner HTML, a form with data-confirm, and an ECharts chart.
 */
const SCRIPT = fs.readFileSync(path.join(__dirname, 'public', 'console.js'));
const ECHARTS = fs.readFileSync(require.resolve('echarts/dist/echarts.min.js'));

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

describe('console.js', () => {
  let server: http.Server;
  let base: string;
  let hub: LiveHubImpl;
  let version: number;
  let partials: number;
  let submits: number;
  let page: Page;

  const inner = () =>
    `<h1 id="v">version ${version}</h1>
<p><a id="link" href="#x">a link</a></p>
<form method="post" action="/submit" id="danger" data-confirm="Really delete?"><button type="submit" id="go">Delete</button></form>
<form method="get" action="/" id="filter"><input name="q" id="q"></form>
<div data-chart="chart-data" id="chart" style="width:400px;height:300px"></div>
${jsonScript('chart-data', { xAxis: { type: 'category', data: ['a', 'b'] }, yAxis: { type: 'value' }, series: [{ type: 'bar', data: [version, 2] }] }).text}`;

  beforeEach(async () => {
    version = 1;
    partials = 0;
    submits = 0;
    const clock = new SystemClock();
    hub = new LiveHubImpl(clock);
    server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/live') {
        serveSse(hub, res, { all: true }, parseTopics(url.searchParams.get('topics') ?? ''), clock);
        return;
      }
      const send = (type: string, body: string | Buffer, status = 200) => {
        res.writeHead(status, { 'content-type': type, 'content-security-policy': CSP, 'cache-control': 'no-store' });
        res.end(body);
      };
      if (url.pathname === '/static/console.js') return send('text/javascript', SCRIPT);
      if (url.pathname === '/static/echarts.min.js') return send('text/javascript', ECHARTS);
      if (url.pathname === '/submit') {
        submits++;
        return send('text/html; charset=utf-8', '<!doctype html><title>done</title><p id="done">submitted</p>');
      }
      if (req.headers['x-console-partial'] === '1') {
        partials++;
        return send('text/html; charset=utf-8', inner());
      }
      return send(
        'text/html; charset=utf-8',
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title>
<script src="/static/console.js" defer></script><script src="/static/echarts.min.js" defer></script></head>
<body><header class="top"><div class="who"><span>user</span></div></header>
<main id="main" data-live="audit fleet">${inner()}</main></body></html>`,
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    page = await newScreenPage(browser, 15_000, { width: 1280, height: 800, strictCsp: true });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${base}/`);
    await page.locator('.live-dot[data-state="on"]').waitFor();
    expect(errors).toEqual([]);
  }, 60_000);

  afterEach(async () => {
    await page?.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  /** In the page (no DOM types here: the page's globals are reached through globalThis). */
  type PageGlobals = { echarts: { getInstanceByDom(el: unknown): unknown }; document: { getElementById(id: string): unknown; activeElement: { id: string } | null }; marker?: number };
  const chartCount = () =>
    page.evaluate(() => {
      const g = globalThis as unknown as PageGlobals;
      return g.echarts.getInstanceByDom(g.document.getElementById('chart')) !== undefined;
    });

  it('refreshes main in place on a live message, a burst coalesced, keeping charts alive', async () => {
    expect(await chartCount()).toBe(true);
    await page.evaluate(() => ((globalThis as unknown as PageGlobals).marker = 42)); // survives only without a reload
    await page.locator('#link').focus();
    version = 2;
    for (let i = 0; i < 5; i++) hub.publish('fleet');
    await page.locator('#v', { hasText: 'version 2' }).waitFor();
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.id)).toBe('link'); // focus kept on the new link
    expect(partials).toBeGreaterThanOrEqual(1);
    expect(partials).toBeLessThanOrEqual(2); // the hub sends a burst as at most two messages (first + trailing)
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).marker)).toBe(42);
    expect(await chartCount()).toBe(true); // re-initialised on the new element
    expect(await page.locator('main#main').getAttribute('data-live')).toBe('audit fleet');
  });

  it('holds a swap while a field in main has focus, and swaps once it is left', async () => {
    await page.locator('#q').focus();
    version = 3;
    hub.publish('audit');
    await page.locator('main#main[data-live-pending="1"]').waitFor();
    expect(await page.locator('#v').textContent()).toBe('version 1');
    expect(partials).toBe(0);
    await page.locator('#v').click(); // focus leaves the field
    await page.locator('#v', { hasText: 'version 3' }).waitFor();
    expect(await page.locator('main#main').getAttribute('data-live-pending')).toBeNull();
  });

  it('never swaps away unsent input, even after the field is left', async () => {
    await page.locator('#q').fill('half typed');
    await page.locator('#v').click();
    version = 4;
    hub.publish('audit');
    await page.locator('main#main[data-live-pending="1"]').waitFor();
    expect(await page.locator('#v').textContent()).toBe('version 1');
    expect(await page.locator('#q').inputValue()).toBe('half typed');
  });

  it('keeps a data-confirm form unsent when the user cancels, and sends it when they accept', async () => {
    const texts: string[] = [];
    page.once('dialog', (d) => {
      texts.push(d.message());
      void d.dismiss();
    });
    await page.locator('#go').click();
    await page.waitForTimeout(300);
    expect(texts).toEqual(['Really delete?']);
    expect(submits).toBe(0);
    expect(new URL(page.url()).pathname).toBe('/');
    page.once('dialog', (d) => void d.accept());
    await page.locator('#go').click();
    await page.locator('#done').waitFor();
    expect(submits).toBe(1);
  });

  it('turns the live dot grey when the stream fails', async () => {
    server.closeAllConnections(); // the SSE connection drops; the server still listens but the page sees an error first
    await page.locator('.live-dot[data-state="off"]').waitFor();
  });
});
