import { createHash } from 'node:crypto';
import { CONSOLE_BACKENDS, closeConsoleBackends, consoleFixture, InjectBrowser } from '../../test/support/console-fixture';
import type { IngestStore } from '../ingest/store';
import { escapeHtml, html } from './html';
import { IDLE_MS, ABSOLUTE_MS } from './sessions';
import { LOCK_MS } from './login';
import type { RouteDef } from './types';
import { addUser, setDisabled } from './users';

/** Security of the console core on both dialects: CSRF, session fixation, lockout, expiry, logout, XSS, SQL injection. */

const PW = 'correct horse battery';
const T0 = Date.UTC(2026, 11, 6, 9, 0);

/** A feature-like route for the tests: echoes the store param and accepts a POST. */
const PROBE: RouteDef[] = [
  { method: 'GET', path: '/probe', permission: 'fleet.view', nav: { label: 'core.account', order: 1 }, handler: async (req) => ({ page: { title: 'probe', body: html`<p id="probe">${req.user.username}</p>` } }) },
  { method: 'POST', path: '/probe', permission: 'fleet.command', handler: async (req) => ({ json: { ok: true, body: req.body } }) },
  { method: 'GET', path: '/probe/:store', permission: 'fleet.view', storeParam: 'store', handler: async (req) => ({ page: { title: 'store', body: html`<p id="store">${req.params.store}</p>` } }) },
  {
    method: 'GET',
    path: '/boom',
    permission: 'fleet.view',
    handler: async () => {
      throw new Error('secret internals at /srv/hq/db.ts:42');
    },
  },
];

afterAll(closeConsoleBackends, 60_000);

describe.each(CONSOLE_BACKENDS.map((b) => [b.name, b] as const))('console security on %s', (_name, backend) => {
  let store: IngestStore;
  let fx: Awaited<ReturnType<typeof consoleFixture>>;
  beforeEach(async () => {
    store = await backend.open();
    await addUser(store.db, { username: 'alice', password: PW, role: 'admin', stores: [] }, T0);
    await addUser(store.db, { username: 'mgr', password: PW, role: 'store_manager', stores: ['S1'] }, T0);
    fx = await consoleFixture(store, { routes: PROBE }, T0);
  });
  afterEach(async () => {
    await fx.app.close();
    await store.db.close();
  });

  const loggedIn = async (user = 'alice'): Promise<InjectBrowser> => {
    const b = new InjectBrowser(fx.app);
    const r = await b.login(user, PW);
    expect(r.statusCode).toBe(303);
    return b;
  };

  it('sets an HttpOnly SameSite=Strict session cookie, stores only its hash, and sends the security headers', async () => {
    const b = new InjectBrowser(fx.app);
    await b.get('/login');
    const r = await b.post('/login', { username: 'alice', password: PW, next: '/probe' });
    expect(r.statusCode).toBe(303);
    expect(r.headers.location).toBe('/probe');
    const setCookie = ([] as string[]).concat(r.headers['set-cookie'] as string[]).find((c) => c.startsWith('hq_session='))!;
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Path=\//);
    expect(setCookie).not.toMatch(/Secure/);
    // exactly one Set-Cookie per cookie name (a repeated header makes browsers keep whichever came last)
    const names = ([] as string[]).concat(r.headers['set-cookie'] as string[]).map((c) => c.split('=')[0]);
    expect(names.sort()).toEqual(['hq_login_csrf', 'hq_session']);
    expect(Buffer.from(b.session!, 'base64url')).toHaveLength(32);
    const rows = await store.db.read.all<{ id_hash: string }>('SELECT id_hash FROM sessions');
    expect(rows.map((x) => x.id_hash)).toEqual([createHash('sha256').update(b.session!).digest('hex')]);
    const page = await b.get('/probe');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['referrer-policy']).toBe('same-origin');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(fx.rec.audit.map((a) => a.action)).toEqual(['login']);
  });

  it('marks cookies Secure with secureCookies', async () => {
    await fx.app.close();
    fx = await consoleFixture(store, { routes: PROBE, secureCookies: true }, T0);
    const b = new InjectBrowser(fx.app);
    await b.get('/login');
    const r = await b.post('/login', { username: 'alice', password: PW });
    const setCookie = ([] as string[]).concat(r.headers['set-cookie'] as string[]).find((c) => c.startsWith('hq_session='))!;
    expect(setCookie).toMatch(/Secure/);
  });

  describe('CSRF', () => {
    it('refuses a POST without the token, with a wrong one, with another session’s token, and from a foreign Origin', async () => {
      const a = await loggedIn();
      const other = await loggedIn();
      await a.get('/probe');
      await other.get('/probe');
      expect(a.csrf).not.toBe(other.csrf);
      expect((await a.request('POST', '/probe', { x: '1' })).statusCode).toBe(403);
      expect((await a.post('/probe', { _csrf: 'A'.repeat(43) })).statusCode).toBe(403);
      expect((await a.post('/probe', { _csrf: other.csrf })).statusCode).toBe(403);
      expect((await a.post('/probe', {}, { origin: 'https://evil.example' })).statusCode).toBe(403);
      expect((await a.post('/probe', {}, { origin: 'null' })).statusCode).toBe(403);
      const ok = await a.post('/probe', { x: '1' }, { origin: 'http://hq.test' });
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toEqual({ ok: true, body: { x: '1' } }); // _csrf removed from the body
      const viaHeader = await a.request('POST', '/probe', { y: '2' }, { 'x-csrf-token': a.csrf });
      expect(viaHeader.statusCode).toBe(200);
    });

    it('refuses logout without the token (a foreign page cannot sign a user out)', async () => {
      const a = await loggedIn();
      expect((await a.request('POST', '/logout', {})).statusCode).toBe(403);
      expect((await a.get('/probe')).statusCode).toBe(200);
    });

    it('refuses a login POST without the pre-session double-submit token, or from a foreign Origin (login CSRF)', async () => {
      const b = new InjectBrowser(fx.app);
      const noForm = await b.request('POST', '/login', { username: 'alice', password: PW });
      expect(noForm.statusCode).toBe(403);
      expect(b.session).toBeUndefined();
      await b.get('/login');
      const forged = await b.post('/login', { username: 'alice', password: PW, _csrf: 'x'.repeat(43) });
      expect(forged.statusCode).toBe(403);
      const foreign = await b.post('/login', { username: 'alice', password: PW }, { origin: 'https://evil.example' });
      expect(foreign.statusCode).toBe(403);
      expect(b.session).toBeUndefined();
      expect((await b.post('/login', { username: 'alice', password: PW })).statusCode).toBe(303);
    });
  });

  it('session fixation: a cookie set before login is never adopted; the old value is dead after login', async () => {
    const a = await loggedIn();
    const before = a.session!;
    // the attacker plants their own (valid) session value in the victim's browser, who then signs in
    await a.get('/login');
    const r = await a.post('/login', { username: 'mgr', password: PW });
    expect(r.statusCode).toBe(303);
    expect(a.session).toBeDefined();
    expect(a.session).not.toBe(before);
    const stale = new InjectBrowser(fx.app);
    stale.cookies.set('hq_session', before);
    expect((await stale.get('/probe')).statusCode).toBe(303);
    // a made-up value planted before login is not adopted either
    const c = new InjectBrowser(fx.app);
    c.cookies.set('hq_session', 'attacker-chosen-value');
    await c.login('alice', PW);
    expect(c.session).not.toBe('attacker-chosen-value');
  });

  it('brute force: 5 wrong passwords lock the username for 15 minutes; the right one is refused until then', async () => {
    const b = new InjectBrowser(fx.app);
    for (let i = 0; i < 5; i++) {
      const r = await b.login('alice', 'wrong password ' + i);
      expect(r.statusCode).toBe(401);
      expect(r.body).toContain('Wrong username or password.');
    }
    const locked = await b.login('alice', PW);
    expect(locked.statusCode).toBe(401);
    expect(locked.body).toContain('locked, try again at 09:15');
    expect(b.session).toBeUndefined();
    fx.clock.advance(LOCK_MS - 1000);
    expect((await b.login('alice', PW)).statusCode).toBe(401);
    fx.clock.advance(1000);
    expect((await b.login('alice', PW)).statusCode).toBe(303);
    // other users were never locked
    expect((await new InjectBrowser(fx.app).login('mgr', PW)).statusCode).toBe(303);
  });

  it('an unknown username locks exactly like a real one: "locked" never tells that a name exists', async () => {
    const message = (body: string) => /class="[^"]*(?:error|banner)[^"]*"[^>]*>([^<]*)</.exec(body)?.[1] ?? body.match(/locked, try again at [0-9:]+|Wrong username or password\./)?.[0];
    const answers: Record<string, (string | undefined)[]> = { alice: [], 'no-such-user': [] };
    for (const name of Object.keys(answers)) {
      const b = new InjectBrowser(fx.app);
      for (let i = 0; i < 6; i++) {
        const r = await b.login(name, 'wrong password ' + i);
        expect(r.statusCode).toBe(401);
        answers[name].push(message(r.body));
      }
    }
    expect(answers['no-such-user']).toEqual(answers.alice);
    expect(answers.alice[4]).toContain('Wrong username or password.');
    expect(answers.alice[5]).toContain('locked, try again at 09:15');
    fx.clock.advance(LOCK_MS);
    const after = await new InjectBrowser(fx.app).login('no-such-user', 'x');
    expect(after.body).toContain('Wrong username or password.');
  });

  it('a successful login resets the failure count', async () => {
    const b = new InjectBrowser(fx.app);
    for (let i = 0; i < 4; i++) expect((await b.login('alice', 'nope nope nope')).statusCode).toBe(401);
    expect((await b.login('alice', PW)).statusCode).toBe(303);
    for (let i = 0; i < 4; i++) expect((await new InjectBrowser(fx.app).login('alice', 'nope nope nope')).statusCode).toBe(401);
    expect((await new InjectBrowser(fx.app).login('alice', PW)).statusCode).toBe(303);
  });

  it('the same answer for an unknown user, a wrong password and a disabled user', async () => {
    await setDisabled(store.db, 'mgr', true, T0);
    const answers = await Promise.all([
      new InjectBrowser(fx.app).login('nobody', PW),
      new InjectBrowser(fx.app).login('alice', 'wrong wrong wrong'),
      new InjectBrowser(fx.app).login('mgr', PW),
    ]);
    for (const r of answers) {
      expect(r.statusCode).toBe(401);
      expect(r.body).toContain('Wrong username or password.');
    }
  });

  it('sessions end after 30 idle minutes and 12 hours after login, whatever the activity', async () => {
    const a = await loggedIn();
    fx.clock.advance(IDLE_MS - 60_000);
    expect((await a.get('/probe')).statusCode).toBe(200); // activity keeps it alive
    fx.clock.advance(IDLE_MS - 60_000);
    expect((await a.get('/probe')).statusCode).toBe(200);
    fx.clock.advance(IDLE_MS);
    const idle = await a.get('/probe');
    expect(idle.statusCode).toBe(303);
    expect(idle.headers.location).toBe('/login?next=%2Fprobe');

    const b = await loggedIn();
    for (let t = 0; t < ABSOLUTE_MS - 20 * 60_000; t += 20 * 60_000) {
      fx.clock.advance(20 * 60_000);
      expect((await b.get('/probe')).statusCode).toBe(200);
    }
    fx.clock.advance(20 * 60_000);
    expect((await b.get('/probe')).statusCode).toBe(303);
  });

  it('logout ends the session (the old cookie value opens nothing)', async () => {
    const a = await loggedIn();
    const value = a.session!;
    await a.get('/probe');
    const r = await a.post('/logout');
    expect(r.statusCode).toBe(303);
    expect(r.headers.location).toBe('/login');
    const replay = new InjectBrowser(fx.app);
    replay.cookies.set('hq_session', value);
    expect((await replay.get('/probe')).statusCode).toBe(303);
    expect((await replay.request('POST', '/probe', { _csrf: a.csrf })).statusCode).toBe(401);
    expect(fx.rec.audit.map((x) => x.action)).toEqual(['login', 'logout']);
  });

  it('disabling a user ends their open sessions', async () => {
    const m = await loggedIn('mgr');
    expect((await m.get('/probe')).statusCode).toBe(200);
    await setDisabled(store.db, 'mgr', true, T0);
    expect((await m.get('/probe')).statusCode).toBe(303);
    await setDisabled(store.db, 'mgr', false, T0);
    expect((await m.get('/probe')).statusCode).toBe(303); // re-enabling does not revive the old session
  });

  it('escapes a username and a store id carrying markup in the layout, nav and page', async () => {
    const evilStores = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>'];
    // usernames are restricted at creation; a row written by hand (or by an older tool) must still render inert
    await store.db.transaction((tx) =>
      tx.run("INSERT INTO users (username, password_hash, role, stores, created_at, updated_at) SELECT ?, password_hash, 'store_manager', ?, 0, 0 FROM users WHERE username = 'alice'", [
        '"><img src=x onerror=alert(1)>',
        JSON.stringify(evilStores),
      ]),
    );
    const s = await (await import('./sessions')).createSession(store.db, '"><img src=x onerror=alert(1)>', '127.0.0.1', fx.clock.now());
    const b = new InjectBrowser(fx.app);
    b.cookies.set('hq_session', s.cookie);
    for (const storeId of evilStores) {
      const r = await b.get(`/probe/${encodeURIComponent(storeId)}?lang=${encodeURIComponent('"><script>alert(2)</script>')}`);
      expect(r.statusCode).toBe(200);
      expect(r.body).not.toContain('<script>alert');
      expect(r.body).not.toContain('<img src=x');
      expect(r.body).toContain(`<p id="store">${escapeHtml(storeId)}</p>`);
    }
    const acct = await b.get('/account');
    expect(acct.body).not.toContain('<img src=x');
    expect(acct.body).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
  });

  it.each(["' OR '1'='1", "admin'--", "alice' --", "x'; DROP TABLE users; --"])('SQL injection in the login (%s) fails cleanly', async (name) => {
    const b = new InjectBrowser(fx.app);
    await b.get('/login');
    for (const form of [
      { username: name, password: PW },
      { username: 'alice', password: name },
    ]) {
      const r = await b.post('/login', form);
      expect(r.statusCode).toBe(401);
      expect(r.body).toContain('Wrong username or password.');
    }
    expect(b.session).toBeUndefined();
    expect(fx.rec.logs).toEqual([]);
    expect(Number((await store.db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM users'))!.n)).toBe(2);
  });

  it('a failing handler answers 500 with a reference, logs the cause, and shows no internals', async () => {
    const a = await loggedIn();
    const r = await a.get('/boom');
    expect(r.statusCode).toBe(500);
    const ref = /Reference: ([0-9a-f]{8})/.exec(r.body)?.[1];
    expect(ref).toBeDefined();
    expect(r.body).not.toContain('secret internals');
    expect(r.body).not.toMatch(/at .*\.ts:\d+/);
    expect(fx.rec.logs).toHaveLength(1);
    expect(fx.rec.logs[0].message).toContain(ref!);
    expect(String(fx.rec.logs[0].cause)).toContain('secret internals');
  });

  it('after login, goes only to a path on this console', async () => {
    for (const [next, to] of [
      ['/probe?x=1', '/probe?x=1'],
      ['//evil.example/', '/'],
      ['https://evil.example/', '/'],
      ['/\\evil.example', '/'],
    ]) {
      const b = new InjectBrowser(fx.app);
      await b.get('/login');
      const r = await b.post('/login', { username: 'alice', password: PW, next });
      expect(r.headers.location).toBe(to);
    }
  });
});
