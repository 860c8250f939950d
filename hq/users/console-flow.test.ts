import { CONSOLE_BACKENDS, closeConsoleBackends, consoleFixture, InjectBrowser } from '../../test/support/console-fixture';
import { SqlAuditLog } from '../audit/audit-log';
import { addUser, getUser } from '../console/users';
import type { IngestStore } from '../ingest/store';

afterAll(closeConsoleBackends, 60_000);

const PW = 'correct horse battery';

/** The users and audit pages through the real console server (session, CSRF, forms), the real audit log behind it. */
describe.each(CONSOLE_BACKENDS)('users and audit through the console on $name', (backend) => {
  let store: IngestStore;
  let fx: Awaited<ReturnType<typeof consoleFixture>>;
  let log: SqlAuditLog;

  beforeAll(async () => {
    store = await backend.open();
    fx = await consoleFixture(store);
    log = new SqlAuditLog(store.db, fx.clock, fx.ctx.live);
    fx.ctx.audit = log;
    await addUser(store.db, { username: 'root', password: PW, role: 'admin', stores: [] }, fx.clock.now());
  }, 120_000);
  afterAll(async () => {
    await fx.app.close();
    await store.close();
  });

  it('an admin adds and disables a user with the page forms; the audit page shows both with the admin as actor', async () => {
    const b = new InjectBrowser(fx.app);
    await b.login('root', PW);
    const list = await b.get('/users');
    expect(list.statusCode).toBe(200);
    const add = await b.post('/users', { username: 'li', role: 'store_manager', stores: 'S001, S002', password: 'a long enough one' });
    expect(add.statusCode).toBe(303);
    expect(add.headers.location).toBe('/users?done=added&user=li');
    expect(await getUser(store.db, 'li')).toMatchObject({ role: 'store_manager', stores: ['S001', 'S002'] });
    const shown = await b.get('/users?done=added&user=li');
    expect(shown.body).toContain('User li added.');
    expect((await b.post('/users/li/disable')).statusCode).toBe(303);
    expect((await getUser(store.db, 'li'))?.disabled).toBe(true);
    // a POST without the session's CSRF token changes nothing
    expect((await b.post('/users/li/enable', { _csrf: 'forged' })).statusCode).toBe(403);
    expect((await getUser(store.db, 'li'))?.disabled).toBe(true);

    const audit = await b.get('/audit?actor=root');
    expect(audit.statusCode).toBe(200);
    expect(audit.body).toMatch(/Chain verified: \d+ entries/);
    expect(audit.body).toMatch(/<td>root<\/td><td>user\.disable<\/td><td>li<\/td>/);
    expect(audit.body).toMatch(/<td>root<\/td><td>user\.add<\/td><td>li<\/td>/);
    const partial = await b.get('/audit', { 'x-console-partial': '1' });
    expect(partial.body.startsWith('<h1>Audit log</h1>')).toBe(true);
    expect(fx.rec.live.some((l) => l.topic === 'audit')).toBe(true);
  });

  it('the disabled user cannot sign in, and the attempt is audited', async () => {
    const b = new InjectBrowser(fx.app);
    await b.login('li', 'a long enough one');
    expect(b.session).toBeUndefined();
    const [e] = await log.list({ action: 'login.failed' });
    expect(e).toMatchObject({ actor: 'li', target: 'li' });
    expect(JSON.parse(e.detail)).toEqual({ reason: 'disabled' });
  });
});
