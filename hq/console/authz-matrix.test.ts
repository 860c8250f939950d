import { CONSOLE_BACKENDS, closeConsoleBackends, consoleFixture, InjectBrowser } from '../../test/support/console-fixture';
import type { IngestStore } from '../ingest/store';
import { FEATURE_ROUTES } from './routes';
import { can, ROLES, type Role, type RouteDef } from './types';
import { addUser } from './users';

/**
 * The authorisation matrix: EVERY feature route (hq/console/routes.ts, so a new route is covered the day it is added)
 * × anonymous and each role, plus a store manager of S1 asking for S2 — the expected answer derived from the route's
 * `permission` and `storeParam`. The handlers are wrapped in a spy: a refused request must never reach its handler,
 * an allowed one must. POSTs are tried with and without the CSRF token. On SQLite and PostgreSQL.
 */

const PW = 'matrix password 1';
const T0 = Date.UTC(2026, 11, 6, 9, 0);
const USERS: Record<Role, { username: string; stores: string[] }> = {
  admin: { username: 'm-admin', stores: [] },
  store_manager: { username: 'm-manager', stores: ['S1'] },
  support: { username: 'm-support', stores: [] },
  auditor: { username: 'm-auditor', stores: [] },
};

/** Sample values for path params: stores S1 (or S2 for the cross-store case), other params plain ids nobody has. */
function urlOf(route: RouteDef, store: string): string {
  return route.path.replace(/:(\w+)/g, (_m, name: string) => {
    if (name === route.storeParam) return store;
    if (name === 'device') return 'D1';
    if (name === 'username') return 'nobody-here';
    if (name === 'id') return '999999';
    return 'x1';
  });
}

afterAll(closeConsoleBackends, 60_000);

it('the matrix walks real routes (the registry is not empty)', () => {
  expect(FEATURE_ROUTES.length).toBeGreaterThan(0);
});

describe.each(CONSOLE_BACKENDS.map((b) => [b.name, b] as const))('authorisation matrix on %s', (_name, backend) => {
  let store: IngestStore;
  let fx: Awaited<ReturnType<typeof consoleFixture>>;
  const calls = new Map<RouteDef, number>();
  const spied = FEATURE_ROUTES.map((r) => {
    const wrapped: RouteDef = {
      ...r,
      handler: async (req, ctx) => {
        calls.set(r, (calls.get(r) ?? 0) + 1);
        return r.handler(req, ctx);
      },
    };
    return [r, wrapped] as const;
  });
  const browsers = new Map<Role, InjectBrowser>();

  beforeAll(async () => {
    store = await backend.open();
    for (const role of ROLES) await addUser(store.db, { username: USERS[role].username, password: PW, role, stores: USERS[role].stores }, T0);
    fx = await consoleFixture(store, { routes: spied.map(([, w]) => w) }, T0);
    for (const role of ROLES) {
      const b = new InjectBrowser(fx.app);
      expect((await b.login(USERS[role].username, PW)).statusCode).toBe(303);
      await b.get('/account'); // a page with the session's CSRF token
      browsers.set(role, b);
    }
  }, 120_000);
  afterAll(async () => {
    await fx.app.close();
    await store.db.close();
  });

  const ROUTE_CASES = FEATURE_ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const);

  describe.each(ROUTE_CASES)('%s', (_label, route) => {
    const call = async (b: InjectBrowser, url: string, withCsrf: boolean) => {
      const before = calls.get(route) ?? 0;
      const r = route.method === 'GET' ? await b.get(url) : withCsrf ? await b.post(url, {}) : await b.request('POST', url, {});
      // keep the session's token (a refused page shows it too); a file or JSON answer has none
      return { status: r.statusCode, location: r.headers.location, ran: (calls.get(route) ?? 0) > before, body: r.body };
    };

    it('anonymous: GET → /login?next=…, POST → 401; the handler never runs', async () => {
      const r = await call(new InjectBrowser(fx.app), urlOf(route, 'S1'), true);
      expect(r.ran).toBe(false);
      if (route.method === 'GET') {
        expect(r.status).toBe(303);
        expect(r.location).toBe(`/login?next=${encodeURIComponent(urlOf(route, 'S1'))}`);
      } else expect(r.status).toBe(401);
    });

    it.each(ROLES.map((role) => [role]))('%s', async (role) => {
      const b = browsers.get(role)!;
      await b.get('/account');
      const url = urlOf(route, 'S1');
      if (route.method === 'POST') {
        const noToken = await call(b, url, false);
        expect(noToken.status).toBe(403);
        expect(noToken.ran).toBe(false);
        await b.get('/account');
      }
      const r = await call(b, url, true);
      if (!can(role, route.permission)) {
        expect(r.status).toBe(403);
        expect(r.ran).toBe(false);
        return;
      }
      expect(r.ran).toBe(true);
      expect([401, 403, 500]).not.toContain(r.status);
      if (r.location) expect(r.location).not.toMatch(/^\/login/);
    });

    if (route.storeParam) {
      it('a store manager of S1 asking for S2 gets 404 (the answer for an unknown store); the handler never runs', async () => {
        const b = browsers.get('store_manager')!;
        await b.get('/account');
        const r = await call(b, urlOf(route, 'S2'), true);
        expect(r.ran).toBe(false);
        expect(r.status).toBe(can('store_manager', route.permission) ? 404 : 403);
      });
    }
  });

  describe('core routes', () => {
    it('anonymous: / and /account go to /login, POST /account and /logout are 401, /live is 401, /login is open', async () => {
      const a = new InjectBrowser(fx.app);
      expect((await a.get('/')).headers.location).toBe('/login');
      expect((await a.get('/account')).headers.location).toBe('/login?next=%2Faccount');
      expect((await a.request('POST', '/account', { old: 'x' })).statusCode).toBe(401);
      expect((await a.request('POST', '/logout', {})).statusCode).toBe(401);
      expect((await a.get('/live?topics=fleet')).statusCode).toBe(401);
      expect((await a.get('/login')).statusCode).toBe(200);
      expect((await a.get('/static/console.css')).statusCode).toBe(200);
    });

    it.each(ROLES.map((role) => [role]))('%s: / goes to the first page the role may see; /account is open; POST /account needs the token', async (role) => {
      const b = browsers.get(role)!;
      const home = await b.get('/');
      expect(home.statusCode).toBe(303);
      const first = FEATURE_ROUTES.filter((r) => r.method === 'GET' && r.nav && !r.path.includes(':') && can(role, r.permission)).sort((x, y) => x.nav!.order - y.nav!.order)[0];
      expect(home.headers.location).toBe(first ? first.path : '/account');
      expect((await b.get('/account')).statusCode).toBe(200);
      expect((await b.request('POST', '/account', { old: PW, new: 'x'.repeat(12), repeat: 'x'.repeat(12) })).statusCode).toBe(403);
    });

    it.each(ROLES.map((role) => [role]))('%s: the nav lists exactly the pages the role may open', async (role) => {
      const b = browsers.get(role)!;
      const page = await b.get('/account');
      const nav = /<nav class="nav"[^>]*>(.*?)<\/nav>/s.exec(page.body)?.[1] ?? '';
      const shown = [...nav.matchAll(/href="([^"]+)"/g)].map((m) => m[1]).sort();
      const expected = FEATURE_ROUTES.filter((r) => r.method === 'GET' && r.nav && !r.path.includes(':') && can(role, r.permission))
        .map((r) => r.path)
        .sort();
      expect(shown).toEqual(expected);
    });
  });
});
