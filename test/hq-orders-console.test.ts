import { addUser } from '../hq/console/users';
import type { IngestStore } from '../hq/ingest/store';
import { CONSOLE_BACKENDS, closeConsoleBackends, consoleFixture, InjectBrowser } from './support/console-fixture';
import { journalKiosk, sell } from './support/kiosk-journals';
import type { EventMessage } from '../protocol/sync/messages';

/** The /orders pages through the real console (sessions, roles, store scope), on SQLite and PostgreSQL. */

const PW = 'correct horse battery';
const T0 = Date.UTC(2026, 11, 6, 9, 0);
const XSS = '<img src=x onerror=alert(1)>';

let events: EventMessage[] = [];
const ids: Record<string, string> = {};
beforeAll(async () => {
  const k1 = await journalKiosk('S1', 'K1', Date.UTC(2026, 0, 1, 9, 0));
  const k2 = await journalKiosk('S2', 'K2', Date.UTC(2026, 0, 1, 10, 0));
  try {
    ids.xss = (
      await sell(k1, {
        items: [{ sku: 'X', price: 1234, name: XSS }],
        // a long approval reference (a real card approval is wider than the page as one JSON line), with markup in it
        reference: { authCode: '100001', cardType: 'girocard', maskedPan: '6799********0016', receiptNumber: 1, terminalId: '52500038', note: `${XSS}${'x'.repeat(120)}` },
      })
    ).id;
    k1.engine.setTraining(true);
    ids.training = (await sell(k1, { items: [{ sku: 'T', price: 500 }] })).id;
    ids.other = (await sell(k2, { items: [{ sku: 'G', price: 999, name: '青岛啤酒' }] })).id;
    events = [...(await k1.events()), ...(await k2.events())];
  } finally {
    await k1.close();
    await k2.close();
  }
}, 60_000);
afterAll(closeConsoleBackends, 60_000);

describe.each(CONSOLE_BACKENDS.map((b) => [b.name, b] as const))('orders pages on %s', (_name, backend) => {
  let store: IngestStore;
  let fx: Awaited<ReturnType<typeof consoleFixture>>;
  beforeAll(async () => {
    store = await backend.open();
    await store.acceptBatch(events);
    await addUser(store.db, { username: 'admin', password: PW, role: 'admin', stores: [] }, T0);
    await addUser(store.db, { username: 'mgr', password: PW, role: 'store_manager', stores: ['S1'] }, T0);
    await addUser(store.db, { username: 'support', password: PW, role: 'support', stores: [] }, T0);
    fx = await consoleFixture(store, {}, T0);
  }, 60_000);
  afterAll(async () => {
    await fx.app.close();
    await store.db.close();
  });
  const as = async (user: string) => {
    const b = new InjectBrowser(fx.app);
    expect((await b.login(user, PW)).statusCode).toBe(303);
    return b;
  };

  it('lists orders with a bookmarkable search form; a store manager sees only their stores', async () => {
    const admin = await as('admin');
    const all = await admin.get('/orders');
    expect(all.statusCode).toBe(200);
    expect(all.body).toContain('<form method="get" action="/orders"');
    expect(all.body).toContain(`/orders/S1/K1/${ids.xss}`);
    expect(all.body).toContain(`/orders/S2/K2/${ids.other}`);
    expect(all.body).toContain('¥12.34');
    expect(all.body).not.toContain(ids.training); // training orders only on request
    expect((await admin.get('/orders?training=1')).body).toContain(ids.training);
    expect((await admin.get('/orders?amount=9.99')).body).not.toContain(ids.xss);
    expect((await admin.get('/orders?amount=%27%20OR%201%3D1%20--')).statusCode).toBe(400);
    const mgr = await as('mgr');
    const mine = await mgr.get('/orders');
    expect(mine.body).toContain(ids.xss);
    expect(mine.body).not.toContain(ids.other);
    expect((await mgr.get('/orders?store=S2')).body).not.toContain(ids.other);
  });

  it('answers 404 for an order outside the scope, also when the URL is guessed; support may not see orders', async () => {
    const mgr = await as('mgr');
    expect((await mgr.get(`/orders/S2/K2/${ids.other}`)).statusCode).toBe(404);
    expect((await mgr.get(`/orders/S1/K2/${ids.other}`)).statusCode).toBe(404);
    expect((await mgr.get(`/orders/S1/K1/${ids.xss}`)).statusCode).toBe(200);
    const admin = await as('admin');
    expect((await admin.get(`/orders/S1/K1/no-such-order`)).statusCode).toBe(404);
    const support = await as('support');
    expect([403, 404]).toContain((await support.get('/orders')).statusCode);
  });

  it('renders item names from kiosks escaped in the detail and its receipt, and marks training orders', async () => {
    const admin = await as('admin');
    const page = await admin.get(`/orders/S1/K1/${ids.xss}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('<img src=x');
    expect(page.body).toMatch(/<pre id="receipt" class="receipt">[^]*&lt;img src=x onerror=alert\(1\)&gt;/);
    expect(page.body).toContain('¥12.34');
    const zh = await admin.get(`/orders/S2/K2/${ids.other}?lang=zh-CN`);
    expect(zh.body).toContain('青岛啤酒');
    const training = await admin.get(`/orders/S1/K1/${ids.training}?lang=en`);
    expect(training.body).toContain('TRAINING — not a sale');
    expect(training.body).toContain('TRAINING — NOT A RECEIPT');
  });

  it('shows a payment reference as key and value pairs that wrap, escaped', async () => {
    const admin = await as('admin');
    const page = await admin.get(`/orders/S1/K1/${ids.xss}?lang=en`);
    const cell = /<table id="payments-table">[^]*?<\/table>/.exec(page.body)?.[0] ?? '';
    expect(cell).toContain('<dl class="reference"><dt>authCode</dt><dd><code>100001</code></dd>');
    expect(cell).toContain('<dt>maskedPan</dt><dd><code>6799********0016</code></dd>');
    expect(cell).toContain('<dt>receiptNumber</dt><dd><code>1</code></dd>');
    expect(cell).not.toContain('<img src=x');
    expect(cell).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(cell).not.toContain('{&quot;authCode');
  });
});
