import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CONSOLE_BACKENDS, closeConsoleBackends, consoleFixture, InjectBrowser } from '../../test/support/console-fixture';
import type { IngestStore } from '../ingest/store';
import { CSP } from './headers';
import { html } from './html';
import { LiveHubImpl } from './live';
import type { RouteDef } from './types';
import { addUser } from './users';

/** The layout, languages, reply kinds, headers and static files of the console core (SQLite: nothing here is SQL). */

const PW = 'layout password';
const T0 = Date.UTC(2026, 11, 6, 9, 0);

const ROUTES: RouteDef[] = [
  { method: 'GET', path: '/second', permission: 'orders.view', nav: { label: 'core.account.change', order: 20 }, handler: async () => ({ page: { title: 'Second', body: html`<p>2</p>` } }) },
  {
    method: 'GET',
    path: '/first',
    permission: 'fleet.view',
    nav: { label: 'core.account.title', order: 10 },
    handler: async (req) => ({ page: { title: req.t('core.account.title'), body: html`<p id="lang">${req.lang}</p>`, live: ['fleet', 'alerts'] } }),
  },
  { method: 'GET', path: '/chart', permission: 'fleet.view', handler: async () => ({ page: { title: 'Chart', body: html`<div data-chart="c1"></div>` } }) },
  { method: 'GET', path: '/file', permission: 'fleet.view', handler: async () => ({ file: { name: '销售 report.csv', type: 'text/csv; charset=utf-8', data: 'a,b\n1,2\n' } }) },
  { method: 'GET', path: '/data', permission: 'fleet.view', handler: async (req) => ({ json: { q: req.query, scope: req.scope }, status: 202 }) },
  { method: 'POST', path: '/go', permission: 'fleet.command', handler: async () => ({ redirect: '/first?done=1' }) },
  { method: 'GET', path: '/bad', permission: 'fleet.view', handler: async () => ({ error: { status: 422, message: 'that <b>input</b> is wrong' } }) },
];

afterAll(closeConsoleBackends, 60_000);

describe('console layout and replies', () => {
  let store: IngestStore;
  let fx: Awaited<ReturnType<typeof consoleFixture>>;
  let brokerDown = false;
  let b: InjectBrowser;
  beforeAll(async () => {
    store = await CONSOLE_BACKENDS[0].open();
    await addUser(store.db, { username: 'lay', password: PW, role: 'admin', stores: [] }, T0);
    await addUser(store.db, { username: 'sup', password: PW, role: 'support', stores: [] }, T0);
    fx = await consoleFixture(store, { routes: ROUTES, brokerDown: () => brokerDown }, T0);
    b = new InjectBrowser(fx.app);
    expect((await b.login('lay', PW)).statusCode).toBe(303);
  });
  afterAll(async () => {
    await fx.app.close();
    await store.db.close();
  });

  it('a page: doctype, lang, title, ordered nav with the current entry, user and role, logout form, live topics, CSS and JS', async () => {
    const r = await b.get('/first');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.headers['content-security-policy']).toBe(CSP);
    expect(r.body.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(r.body).toContain('<title>Account · HQ console</title>');
    const nav = /<nav class="nav"[^>]*>(.*?)<\/nav>/s.exec(r.body)![1];
    expect([...nav.matchAll(/href="([^"]+)"/g)].map((m) => m[1])).toEqual(['/first', '/second']);
    expect(nav).toContain('<a href="/first" aria-current="page" class="active">Account</a>');
    expect(r.body).toContain('>lay</a>');
    expect(r.body).toContain('Administrator');
    expect(r.body).toMatch(/<form method="post" action="\/logout" class="logout"><input type="hidden" name="_csrf" value="[A-Za-z0-9_-]{43}">/);
    expect(r.body).toContain('<main id="main" data-live="fleet alerts">');
    expect(r.body).toContain('<link rel="stylesheet" href="/static/console.css">');
    expect(r.body).toContain('<script src="/static/console.js" defer></script>');
    expect(r.body).not.toContain('echarts');
    expect(r.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>(?!<\/script>)/); // no inline script
    expect((await b.get('/chart')).body).toContain('<script src="/static/echarts.min.js" defer></script>');
  });

  it('the nav shows only what the role may open', async () => {
    const s = new InjectBrowser(fx.app);
    await s.login('sup', PW);
    const nav = /<nav class="nav"[^>]*>(.*?)<\/nav>/s.exec((await s.get('/first')).body)![1];
    expect([...nav.matchAll(/href="([^"]+)"/g)].map((m) => m[1])).toEqual(['/first']); // support has no orders.view
  });

  it('language: Accept-Language by default, ?lang= switches and is remembered in hq_lang', async () => {
    const c = new InjectBrowser(fx.app);
    await c.login('lay', PW);
    expect((await c.get('/first', { 'accept-language': 'zh-CN,zh;q=0.9' })).body).toContain('<html lang="zh-CN">');
    expect((await c.get('/first')).body).toContain('<p id="lang">en</p>');
    const zh = await c.get('/first?lang=zh-CN');
    expect(zh.body).toContain('<html lang="zh-CN">');
    expect(zh.body).toContain('<p id="lang">zh-CN</p>');
    expect(zh.body).toContain('<title>账户 · 总部后台</title>');
    expect(zh.body).toContain('<a href="/first?lang=en" hreflang="en">English</a>');
    expect(c.cookies.get('hq_lang')).toBe('zh-CN');
    expect((await c.get('/first')).body).toContain('<p id="lang">zh-CN</p>');
    expect((await c.get('/first?lang=xx')).body).toContain('<p id="lang">zh-CN</p>');
    expect((await c.get('/first?lang=en')).body).toContain('<p id="lang">en</p>');
  });

  it('X-Console-Partial: 1 answers only main’s content', async () => {
    const r = await b.get('/first', { 'x-console-partial': '1' });
    expect(r.statusCode).toBe(200);
    expect(r.body).toBe('<p id="lang">en</p>');
  });

  it('the broker banner shows while the broker is down', async () => {
    expect((await b.get('/first')).body).not.toContain('broker-banner');
    brokerDown = true;
    expect((await b.get('/first')).body).toContain('id="broker-banner"');
    brokerDown = false;
  });

  it('file, json, redirect and error replies', async () => {
    const f = await b.get('/file');
    expect(f.statusCode).toBe(200);
    expect(f.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(f.headers['content-disposition']).toBe(`attachment; filename="___report.csv"; filename*=UTF-8''${encodeURIComponent('销售 report.csv')}`);
    expect(f.body).toBe('a,b\n1,2\n');
    const j = await b.get('/data?x=1&x=2&y=%3Cz%3E');
    expect(j.statusCode).toBe(202);
    expect(j.json()).toEqual({ q: { x: '1,2', y: '<z>' }, scope: { all: true } });
    await b.get('/first');
    const g = await b.post('/go');
    expect(g.statusCode).toBe(303);
    expect(g.headers.location).toBe('/first?done=1');
    const e = await b.get('/bad');
    expect(e.statusCode).toBe(422);
    expect(e.body).toContain('that &lt;b&gt;input&lt;/b&gt; is wrong');
    const nf = await b.get('/no/such/page');
    expect(nf.statusCode).toBe(404);
    expect(nf.headers['content-security-policy']).toBe(CSP);
  });

  it('serves the static files with their types', async () => {
    const css = await b.get('/static/console.css');
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.body).toContain('.badge');
    const ec = await b.get('/static/echarts.min.js');
    expect(ec.statusCode).toBe(200);
    expect(ec.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(ec.body.length).toBeGreaterThan(100_000);
    expect((await b.get('/static/..%2Fserver.ts')).statusCode).toBe(404);
    expect((await b.get('/static/nope.js')).statusCode).toBe(404);
  });

  it('/live streams the session’s topics over SSE when the hub is the real one', async () => {
    await fx.app.close();
    const hub = new LiveHubImpl(fx.clock);
    fx = await consoleFixture(store, { routes: ROUTES }, T0);
    fx.ctx.live = hub;
    b = new InjectBrowser(fx.app);
    await b.login('lay', PW);
    await fx.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (fx.app.server.address() as AddressInfo).port;
    const res = await new Promise<http.IncomingMessage>((resolve, reject) =>
      http.get({ host: '127.0.0.1', port, path: '/live?topics=fleet', headers: { cookie: `hq_session=${b.session}` } }, resolve).on('error', reject),
    );
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    let text = '';
    res.setEncoding('utf8');
    await new Promise<void>((resolve) => {
      res.on('data', (d: string) => {
        text += d;
        if (text.includes('retry:')) {
          hub.publish('fleet', 'S1');
        }
        if (text.includes('data: fleet')) resolve();
      });
    });
    expect(text).toContain('data: fleet\n\n');
    res.destroy();
  });
});
