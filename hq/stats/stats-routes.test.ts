import { parse } from 'csv-parse/sync';
import { SimulatedClock } from '../../kernel/clock';
import { pdftotext } from '../../test/support/pdf';
import { translator } from '../console/i18n';
import type { ConsoleContext, ConsoleReply, ConsoleRequest, ConsoleUser, Lang, RouteDef } from '../console/types';
import { IngestStore } from '../ingest/store';
import { closeConsoleBackends, INGEST_TARGETS } from '../../test/support/console-fixture';
import { MESSAGES } from './messages';
import { ROUTES } from './routes';
import { insertLine, insertOrder, MARKUP_NAME, seedSalesFixture } from '../../test/support/stats-fixture';

/** GET /stats, /stats/export.csv and /stats/export.pdf through their handlers: content, scope, escaping, on both dialects. */

afterAll(closeConsoleBackends, 60_000);

const ADMIN: ConsoleUser = { username: 'ada', role: 'admin', stores: [] };
const MANAGER_S2: ConsoleUser = { username: 'mia', role: 'store_manager', stores: ['S2'] };
const PERIOD = { from: '2026-11-20', to: '2026-11-21' };

function request(user: ConsoleUser, lang: Lang, query: Record<string, string>): ConsoleRequest {
  return {
    user,
    scope: user.role === 'store_manager' ? { all: false, stores: user.stores } : { all: true },
    lang,
    t: translator(lang, MESSAGES),
    params: {},
    query,
    body: {},
    csrfToken: 'token',
    ip: '127.0.0.1',
  };
}

function context(store: IngestStore): ConsoleContext {
  return {
    store,
    clock: new SimulatedClock(Date.parse('2026-11-22T04:00:00Z')),
    audit: { record: async () => undefined },
    live: { publish: () => undefined },
    alerts: { sync: async () => undefined },
    settings: { timezone: 'Asia/Shanghai', offlineAlertMs: 600_000, paymentAlert: { declineRate: 0.3, unknownRate: 0.1, minAttempts: 5 } },
    mqtt: null,
    hqKey: null,
    ingest: null,
  };
}

const route = (p: string): RouteDef => ROUTES.find((r) => r.path === p)!;

function pageBody(reply: ConsoleReply): string {
  if (!('page' in reply)) throw new Error(`not a page: ${JSON.stringify(reply)}`);
  return reply.page.body.text;
}
function fileData(reply: ConsoleReply): { name: string; type: string; data: Buffer | string } {
  if (!('file' in reply)) throw new Error(`not a file: ${JSON.stringify(reply)}`);
  return reply.file;
}
/** The JSON of a `jsonScript` element, as the browser's script would read it. */
function scriptJson(body: string, id: string): unknown {
  const m = new RegExp(`<script type="application/json" id="${id}">([^<]*)</script>`).exec(body);
  if (!m) throw new Error(`no ${id}`);
  return JSON.parse(m[1]);
}

describe.each(INGEST_TARGETS)('statistics pages and exports on %s', (_name, fresh) => {
  let store: IngestStore;
  let ctx: ConsoleContext;
  beforeEach(async () => {
    store = await IngestStore.open(await fresh());
    ctx = context(store);
    await seedSalesFixture(store);
  });
  afterEach(async () => {
    await store.close();
  });

  it('shows KPIs, charts with their tables and export links to an admin, with money in its currency', async () => {
    const reply = await route('/stats').handler(request(ADMIN, 'en', PERIOD), ctx);
    expect('page' in reply && reply.page.live).toEqual(['stats']);
    const body = pageBody(reply);
    expect(body).toContain('¥37.30'); // gross
    expect(body).toContain('¥32.30'); // net
    expect(body).toContain('¥12.43'); // average basket
    expect(body).toContain('2.0 items per order');
    for (const id of ['stats-chart-day', 'stats-chart-hour', 'stats-chart-method', 'stats-chart-store', 'stats-chart-lane', 'stats-chart-top']) expect(body).toContain(`data-chart="${id}"`);
    const day = scriptJson(body, 'stats-chart-day') as { xAxis: { data: string[] }; series: { data: number[] }[]; legend: { top?: number }; grid: { top: number } };
    expect(day.xAxis.data).toEqual(['2026-11-20', '2026-11-21']);
    // the legend sits above the plot (ECharts 6 would put it at the bottom, over the dates)
    expect(day.legend.top).toBe(0);
    expect(day.grid.top).toBeGreaterThanOrEqual(30);
    expect(day.series[0].data).toEqual([30.3, 7]);
    const pie = scriptJson(body, 'stats-chart-method') as { series: { data: { name: string; value: number }[] }[] };
    expect(pie.series[0].data).toEqual([
      { name: 'Alipay', value: 20.3 },
      { name: 'Card', value: 10 },
      { name: 'WeChat Pay', value: 7 },
    ]);
    expect(body).toContain('href="/stats/export.csv?from=2026-11-20&amp;to=2026-11-21"');
    expect(body).toContain('<option value="S1">S1</option>');
    expect(body).not.toMatch(/<script(?! type="application\/json")/); // no executable inline script
  });

  it('renders an item name with markup escaped, in the tables and in the chart JSON', async () => {
    const body = pageBody(await route('/stats').handler(request(ADMIN, 'en', PERIOD), ctx));
    expect(body).not.toContain('<b>"Tea"');
    expect(body).not.toContain('<script>x()');
    expect(body).toContain('&lt;b&gt;&quot;Tea&quot;&lt;/b&gt;&lt;script&gt;x()&lt;/script&gt;');
    expect(body).toContain('\\u003cb\\u003e\\"Tea\\"\\u003c/b\\u003e\\u003cscript\\u003ex()\\u003c/script\\u003e');
    const top = scriptJson(body, 'stats-chart-top') as { yAxis: { data: string[] } };
    expect(top.yAxis.data).toContain(MARKUP_NAME); // the browser gets the name back as text, for ECharts to draw
  });

  it("shows a store manager only their store's figures, picker and exports; another store is not found", async () => {
    const body = pageBody(await route('/stats').handler(request(MANAGER_S2, 'en', PERIOD), ctx));
    expect(body).toContain('¥7.00');
    expect(body).not.toContain('¥37.30');
    expect(body).not.toContain('S1');
    expect(body).not.toContain('Coca-Cola');
    expect(await route('/stats').handler(request(MANAGER_S2, 'en', { ...PERIOD, store: 'S1' }), ctx)).toEqual({ error: { status: 404, message: 'no such store' } });
    const csv = String(fileData(await route('/stats/export.csv').handler(request(MANAGER_S2, 'en', PERIOD), ctx)).data);
    expect(csv).toContain('"S2"');
    expect(csv).not.toContain('S1');
    expect(csv).not.toContain('Coca-Cola');
    expect(await route('/stats/export.csv').handler(request(MANAGER_S2, 'en', { ...PERIOD, store: 'S1' }), ctx)).toMatchObject({ error: { status: 404 } });
    expect(await route('/stats/export.pdf').handler(request(MANAGER_S2, 'en', { ...PERIOD, store: 'S1' }), ctx)).toMatchObject({ error: { status: 404 } });
    const pdf = pdftotext(fileData(await route('/stats/export.pdf').handler(request(MANAGER_S2, 'zh-CN', PERIOD), ctx)).data as Buffer);
    expect(pdf).toContain('¥7.00');
    expect(pdf).not.toContain('可口可乐');
    expect(pdf).not.toContain('S1');
  });

  it('exports CSV with a BOM, Chinese names, one section per table, and defused formulas', async () => {
    const at = Date.parse('2026-11-21T03:00:00Z');
    await insertOrder(store, { storeId: 'S2', deviceId: 'L1', orderId: 'evil', completedAt: at, total: 100, tax: 0, items: 1 });
    await insertLine(store, { storeId: 'S2', deviceId: 'L1', orderId: 'evil', lineId: '1', sku: '@SUM(A1)', nameZh: '=HYPERLINK("http://x","点我")', net: 100, tax: 0, completedAt: at });
    const file = fileData(await route('/stats/export.csv').handler(request(ADMIN, 'zh-CN', PERIOD), ctx));
    expect(file.type).toBe('text/csv; charset=utf-8');
    expect(file.name).toBe('sales-2026-11-20-2026-11-21.csv');
    const csv = String(file.data);
    expect(csv.startsWith('\uFEFF')).toBe(true);
    expect(csv).toContain('"可口可乐"');
    expect(csv).toContain('"按日销售"');
    expect(csv).toContain('"\'=HYPERLINK(""http://x"",""点我"")"');
    expect(csv).toContain('"\'@SUM(A1)"');
    expect(csv).not.toMatch(/(^|,)"?[=@]/m);

    // one table alone parses as a plain table
    const one = String(fileData(await route('/stats/export.csv').handler(request(ADMIN, 'en', { ...PERIOD, table: 'day' }), ctx)).data);
    const rows = parse(one, { bom: true }) as string[][];
    expect(rows).toEqual([
      ['Date', 'Orders', 'Sales', 'Tax', 'Refunds', 'Refunded', 'Net sales'],
      ['2026-11-20', '2', '30.30', '3.15', '0', '0.00', '30.30'],
      ['2026-11-21', '2', '8.00', '0.81', '1', '5.00', '3.00'],
    ]);
    expect(await route('/stats/export.csv').handler(request(ADMIN, 'en', { ...PERIOD, table: 'nope' }), ctx)).toMatchObject({ error: { status: 400 } });
  });

  it('exports a PDF with title, period, KPIs and Chinese item names', async () => {
    const file = fileData(await route('/stats/export.pdf').handler(request(ADMIN, 'zh-CN', PERIOD), ctx));
    expect(file.type).toBe('application/pdf');
    const text = pdftotext(file.data as Buffer);
    expect(text).toContain('销售报表');
    expect(text).toContain('统计期间：2026-11-20 至 2026-11-21（Asia/Shanghai）');
    expect(text).toContain('¥37.30');
    for (const name of ['可口可乐', '苹果', '全麦面包', '按税率类别']) expect(text).toContain(name);
    expect(text).toContain('ada');
  });

  it('refuses bad dates', async () => {
    expect(await route('/stats').handler(request(ADMIN, 'en', { from: '2026-11-31' }), ctx)).toMatchObject({ error: { status: 400 } });
  });
});
