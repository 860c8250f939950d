import { CONSOLE_BACKENDS, closeConsoleBackends, consoleFixture, InjectBrowser } from '../../test/support/console-fixture';
import { ORDER_STATES } from '../../protocol/orders/order-states';
import { translator } from '../console/i18n';
import { LANGS } from '../console/types';
import { addUser } from '../console/users';
import type { IngestStore } from '../ingest/store';
import { ROUTES } from './routes';

/**
 * The /orders status filter follows the wire's list of order states (protocol/orders/order-states.ts): a state the
 * kiosk gains shows up in HQ's filter by itself, and must come with its label in every language — the texts test
 * (hq/console/i18n.test.ts) only sees keys written out as t('…'), not `orders.status.${state}`.
 * The filter does not depend on the store's dialect: SQLite only.
 */

const PW = 'status filter password';
const T0 = Date.UTC(2026, 11, 6, 9, 0);
const SQLITE = CONSOLE_BACKENDS.find((b) => b.name === 'SQLite')!;

let store: IngestStore;
let fx: Awaited<ReturnType<typeof consoleFixture>>;
beforeAll(async () => {
  store = await SQLITE.open();
  await addUser(store.db, { username: 'admin', password: PW, role: 'admin', stores: [] }, T0);
  fx = await consoleFixture(store, { routes: ROUTES }, T0);
});
afterAll(async () => {
  await fx?.app.close();
  await store?.db.close();
  await closeConsoleBackends();
});

describe.each(LANGS.map((l) => [l]))('the /orders status filter in %s', (lang) => {
  it("offers every state an order can rest in (the wire's states less idle), in lifecycle order, each with its label", async () => {
    const b = new InjectBrowser(fx.app);
    expect((await b.login('admin', PW)).statusCode).toBe(303);
    const page = await b.get('/orders', { 'accept-language': lang });
    expect(page.statusCode).toBe(200);
    const select = /<select name="status">(.*?)<\/select>/s.exec(page.body)?.[1] ?? '';
    const options = [...select.matchAll(/<option value="([^"]*)"[^>]*>([^<]*)<\/option>/g)].map((m) => [m[1], m[2]]);
    const t = translator(lang);
    expect(options).toEqual([['', t('orders.f.any')], ...ORDER_STATES.filter((s) => s !== 'idle').map((s) => [s, expect.any(String)])]);
    const unlabelled = options.filter(([value, label]) => value !== '' && (label === '' || label.startsWith('orders.status.')));
    expect(unlabelled).toEqual([]);
  });
});
