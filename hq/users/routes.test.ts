import { CONSOLE_BACKENDS, closeConsoleBackends } from '../../test/support/console-fixture';
import { consoleRequest, handlerContext, pageHtml, routeOf } from '../../test/support/console-request';
import { SqlAuditLog } from '../audit/audit-log';
import { verifyPassword } from '../console/passwords';
import { addUser, getUser, getUserForLogin } from '../console/users';
import type { ConsoleUser } from '../console/types';
import type { IngestStore } from '../ingest/store';
import { ROUTES } from './routes';

afterAll(closeConsoleBackends, 60_000);

const PW = 'correct horse battery';
const ROOT: ConsoleUser = { username: 'root', role: 'admin', stores: [] };
const EVE: ConsoleUser = { username: 'eve', role: 'auditor', stores: [] };
const LIST = routeOf(ROUTES, 'GET', '/users');
const ADD = routeOf(ROUTES, 'POST', '/users');
const DISABLE = routeOf(ROUTES, 'POST', '/users/:username/disable');
const ENABLE = routeOf(ROUTES, 'POST', '/users/:username/enable');
const ROLE = routeOf(ROUTES, 'POST', '/users/:username/role');
const PASSWORD = routeOf(ROUTES, 'POST', '/users/:username/password');

describe.each(CONSOLE_BACKENDS)('users pages on $name', (backend) => {
  let store: IngestStore;
  let ctx: ReturnType<typeof handlerContext>;
  let log: SqlAuditLog;

  beforeAll(async () => {
    store = await backend.open();
    ctx = handlerContext(store);
    log = new SqlAuditLog(store.db, ctx.clock);
    ctx.audit = log;
    await addUser(store.db, { username: 'root', password: PW, role: 'admin', stores: [] }, ctx.clock.now());
    await addUser(store.db, { username: 'eve', password: PW, role: 'auditor', stores: [] }, ctx.clock.now());
  }, 120_000);
  afterAll(async () => {
    await store.close();
  });

  it('need users.view to list and users.manage to change', () => {
    expect(LIST.permission).toBe('users.view');
    for (const r of [ADD, DISABLE, ENABLE, ROLE, PASSWORD]) expect(r.permission).toBe('users.manage');
  });

  it('adds a store manager, audited with the acting admin, and lists it', async () => {
    const reply = await ADD.handler(consoleRequest(ROOT, { body: { username: 'manny', role: 'store_manager', stores: 'S1, S2', password: PW } }), ctx);
    expect(reply).toEqual({ redirect: '/users?done=added&user=manny' });
    expect(await getUser(store.db, 'manny')).toMatchObject({ role: 'store_manager', stores: ['S1', 'S2'], disabled: false });
    const [e] = await log.list({ action: 'user.add' });
    expect(e).toMatchObject({ actor: 'root', target: 'manny', ip: '192.0.2.7' });
    expect(JSON.parse(e.detail)).toEqual({ role: 'store_manager', stores: ['S1', 'S2'] });
    expect(e.detail).not.toContain(PW);
    const body = pageHtml(await LIST.handler(consoleRequest(ROOT, { query: { done: 'added', user: 'manny' } }), ctx));
    expect(body).toContain('<p class="notice" role="status">User manny added.</p>');
    expect(body).toMatch(/<tr data-user="manny"><td>manny<\/td><td>Store manager<\/td><td>S1, S2<\/td><td><span class="badge ok">active<\/span>/);
  });

  it('shows forms with the CSRF token and confirmations only to those who may manage', async () => {
    const admin = pageHtml(await LIST.handler(consoleRequest(ROOT), ctx));
    expect(admin).toContain('<form method="post" action="/users" class="form" id="user-add"><input type="hidden" name="_csrf" value="test-csrf-token">');
    expect(admin).toMatch(/<form method="post" action="\/users\/manny\/disable" data-confirm="Disable manny\? Their sessions end now."><input type="hidden" name="_csrf" value="test-csrf-token">/);
    expect(admin).toMatch(/action="\/users\/manny\/password" data-confirm=/);
    const auditor = pageHtml(await LIST.handler(consoleRequest(EVE), ctx));
    expect(auditor).toContain('<tr data-user="manny">');
    expect(auditor).not.toMatch(/<form|_csrf/);
  });

  it('refuses bad input with the users rules (422 by the core) and an existing name', async () => {
    await expect(ADD.handler(consoleRequest(ROOT, { body: { username: 'x<script>', role: 'admin', password: PW } }), ctx)).rejects.toMatchObject({ code: 'USER_INVALID' });
    await expect(ADD.handler(consoleRequest(ROOT, { body: { username: 'sm', role: 'store_manager', stores: '', password: PW } }), ctx)).rejects.toMatchObject({ code: 'USER_INVALID' });
    await expect(ADD.handler(consoleRequest(ROOT, { body: { username: 'shorty', role: 'support', password: 'short' } }), ctx)).rejects.toMatchObject({ code: 'USER_INVALID' });
    await expect(ADD.handler(consoleRequest(ROOT, { body: { username: 'manny', role: 'support', password: PW } }), ctx)).rejects.toMatchObject({ code: 'USER_EXISTS' });
    await expect(DISABLE.handler(consoleRequest(ROOT, { params: { username: 'ghost' } }), ctx)).rejects.toMatchObject({ code: 'USER_UNKNOWN' });
    expect((await log.list({ action: 'user.add' })).length).toBe(1); // nothing refused was audited as done
  });

  it('disables and enables, audited; a disabled user is shown so', async () => {
    expect(await DISABLE.handler(consoleRequest(ROOT, { params: { username: 'manny' } }), ctx)).toEqual({ redirect: '/users?done=disabled&user=manny' });
    expect((await getUser(store.db, 'manny'))?.disabled).toBe(true);
    expect(pageHtml(await LIST.handler(consoleRequest(ROOT), ctx))).toMatch(/<tr data-user="manny">.*<span class="badge bad">disabled<\/span>.*action="\/users\/manny\/enable"/s);
    await ENABLE.handler(consoleRequest(ROOT, { params: { username: 'manny' } }), ctx);
    expect((await getUser(store.db, 'manny'))?.disabled).toBe(false);
    expect((await log.list({ actor: 'root' })).slice(0, 2).map((e) => [e.action, e.target])).toEqual([
      ['user.enable', 'manny'],
      ['user.disable', 'manny'],
    ]);
  });

  it('changes a role, audited', async () => {
    await ROLE.handler(consoleRequest(ROOT, { params: { username: 'manny' }, body: { role: 'support', stores: 'S1' } }), ctx);
    expect(await getUser(store.db, 'manny')).toMatchObject({ role: 'support', stores: [] });
    const [e] = await log.list({ action: 'user.role' });
    expect(e).toMatchObject({ actor: 'root', target: 'manny' });
    expect(JSON.parse(e.detail)).toEqual({ role: 'support', stores: [] });
  });

  it('sets a password (admin reset), audited without the password', async () => {
    const next = 'another long secret';
    await PASSWORD.handler(consoleRequest(ROOT, { params: { username: 'manny' }, body: { password: next } }), ctx);
    const u = await getUserForLogin(store.db, 'manny');
    expect(await verifyPassword(next, u!.passwordHash)).toBe(true);
    expect(await verifyPassword(PW, u!.passwordHash)).toBe(false);
    const [e] = await log.list({ action: 'user.passwd' });
    expect(e).toMatchObject({ actor: 'root', target: 'manny' });
    expect(e.detail).not.toContain(next);
  });

  it('never lets an admin disable or demote themselves, nor remove the last active admin', async () => {
    expect(await DISABLE.handler(consoleRequest(ROOT, { params: { username: 'root' } }), ctx)).toMatchObject({ error: { status: 409 } });
    expect(await ROLE.handler(consoleRequest(ROOT, { params: { username: 'root' }, body: { role: 'auditor' } }), ctx)).toMatchObject({ error: { status: 409 } });
    // another admin acting on root, the only active admin
    const other: ConsoleUser = { username: 'ops', role: 'admin', stores: [] };
    expect(await DISABLE.handler(consoleRequest(other, { params: { username: 'root' } }), ctx)).toEqual({
      error: { status: 409, message: 'This is the last active administrator: add or enable another one first.' },
    });
    expect((await getUser(store.db, 'root'))?.disabled).toBe(false);
    await ADD.handler(consoleRequest(ROOT, { body: { username: 'ops', role: 'admin', password: PW } }), ctx);
    expect(await DISABLE.handler(consoleRequest(other, { params: { username: 'root' } }), ctx)).toEqual({ redirect: '/users?done=disabled&user=root' });
  });

  it('speaks zh-CN', async () => {
    const body = pageHtml(await LIST.handler(consoleRequest(ROOT, { lang: 'zh-CN' }), ctx));
    expect(body).toContain('用户管理');
    expect(body).toContain('添加用户');
  });
});
