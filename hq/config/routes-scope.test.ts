import { generateKeyPairSync } from 'node:crypto';
import mqtt from 'mqtt';
import { CONSOLE_BACKENDS, closeConsoleBackends, consoleFixture } from '../../test/support/console-fixture';
import { translator } from '../console/i18n';
import type { ConsoleContext, ConsoleRequest, RouteDef, StoreScope } from '../console/types';
import type { IngestStore } from '../ingest/store';
import { ROUTES } from './routes';

/**
 * What every publishing route of hq/config answers before it does anything: a bad scope 400, a scope out of the user's
 * stores 404 (the console's answer for an unknown store), then 503 when HQ has no key or no broker — per route, with
 * the scope read from the query (GET) or the form (POST). The handlers are called directly: no role that may publish
 * is limited to some stores today, so the 404 cannot be reached over HTTP (hq/config/routes.test.ts covers the rest).
 * Nothing here reaches the store: SQLite only.
 */

const SQLITE = CONSOLE_BACKENDS.find((b) => b.name === 'SQLite')!;
const t = translator('en');
const PUBLISHING = ROUTES.filter((r) => r.permission === 'config.publish');

let store: IngestStore;
let fx: Awaited<ReturnType<typeof consoleFixture>>;
// a real client that never connects (nothing to end: mqtt.js 5 throws ending a client that never connected)
const broker = mqtt.connect('mqtt://127.0.0.1:1', { manualConnect: true, reconnectPeriod: 0 });
beforeAll(async () => {
  store = await SQLITE.open();
  fx = await consoleFixture(store, { routes: ROUTES });
});
afterAll(async () => {
  await fx?.app.close();
  await store?.db.close();
  await closeConsoleBackends();
});

/** A request of an admin limited (as a store manager is) to store S1, naming `scope` where `route` reads it, or `elsewhere`. */
function request(route: RouteDef, scope: string | undefined, elsewhere = false): ConsoleRequest {
  const fields = scope === undefined ? {} : { scope };
  const inQuery = (route.method === 'GET') !== elsewhere;
  const visible: StoreScope = { all: false, stores: ['S1'] };
  return {
    user: { username: 'alice', role: 'admin', stores: ['S1'] },
    scope: visible,
    lang: 'en',
    t,
    params: {},
    query: inQuery ? fields : {},
    body: inQuery ? {} : fields,
    csrfToken: 'x',
    ip: '127.0.0.1',
  };
}

const context = (over: Partial<ConsoleContext>): ConsoleContext => ({ ...fx.ctx, hqKey: generateKeyPairSync('ed25519').privateKey, mqtt: broker, ...over });

it('the publishing routes are the edit form, preview, publish and roll back', () => {
  expect(PUBLISHING.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /config/edit', 'POST /config/preview', 'POST /config/publish', 'POST /config/rollback']);
});

describe.each(PUBLISHING.map((r) => [`${r.method} ${r.path}`, r] as const))('%s', (_label, route) => {
  const badScope = { error: { status: 400, message: t('config.badScope') } };
  const unknown = { error: { status: 404, message: t('config.badScope') } };
  const unavailable = { error: { status: 503, message: t('config.unavailable') } };

  it.each([
    ['no scope', undefined],
    ['a malformed scope', 'store:a/b'],
    ['a device scope without a device', 'device:S1'],
  ])('%s: 400, even when HQ could not publish anyway', async (_what, scope) => {
    expect(await route.handler(request(route, scope), context({}))).toEqual(badScope);
    expect(await route.handler(request(route, scope), context({ hqKey: null, mqtt: null }))).toEqual(badScope);
  });

  it('the scope is read from the query of a GET, from the form of a POST: named in the other one it is missing (400)', async () => {
    expect(await route.handler(request(route, 'store:S1', true), context({ hqKey: null }))).toEqual(badScope);
  });

  it.each([['store:S2'], ['device:S2/D1']])('%s, out of the stores the user may see: 404, even when HQ could not publish anyway', async (scope) => {
    expect(await route.handler(request(route, scope), context({}))).toEqual(unknown);
    expect(await route.handler(request(route, scope), context({ hqKey: null }))).toEqual(unknown);
  });

  it.each([['fleet'], ['store:S1'], ['device:S1/D1']])('%s, visible, without a key or without a broker: 503', async (scope) => {
    expect(await route.handler(request(route, scope), context({ hqKey: null }))).toEqual(unavailable);
    expect(await route.handler(request(route, scope), context({ mqtt: null }))).toEqual(unavailable);
  });
});
