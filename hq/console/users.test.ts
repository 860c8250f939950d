import { CONSOLE_BACKENDS, closeConsoleBackends } from '../../test/support/console-fixture';
import { isKioskError } from '../../kernel/errors';
import type { IngestStore } from '../ingest/store';
import { verifyPassword } from './passwords';
import { createSession, findSession, IDLE_MS, purgeSessions } from './sessions';
import { addUser, countUsers, getUser, getUserForLogin, listUsers, setDisabled, setPassword, setRole } from './users';

const T0 = Date.UTC(2026, 11, 6, 9, 0);
const PW = 'a long enough pw';

afterAll(closeConsoleBackends, 60_000);

const code = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return isKioskError(e) ? e.code : `not a KioskError: ${String(e)}`;
  }
};

describe.each(CONSOLE_BACKENDS.map((b) => [b.name, b] as const))('console users on %s', (_name, backend) => {
  let store: IngestStore;
  beforeEach(async () => {
    store = await backend.open();
  });
  afterEach(() => store.db.close());

  it('adds, reads, lists and counts users; stores a scrypt hash, never the password', async () => {
    expect(await countUsers(store.db)).toBe(0);
    await addUser(store.db, { username: 'zed', password: PW, role: 'auditor', stores: ['S9'] }, T0);
    await addUser(store.db, { username: 'amy.m', password: PW, role: 'store_manager', stores: ['S1', 'S2', 'S1'] }, T0 + 1);
    expect(await countUsers(store.db)).toBe(2);
    expect(await getUser(store.db, 'amy.m')).toEqual({
      username: 'amy.m',
      role: 'store_manager',
      stores: ['S1', 'S2'],
      disabled: false,
      lockedUntil: null,
      lastLoginAt: null,
      createdAt: T0 + 1,
      updatedAt: T0 + 1,
    });
    expect((await getUser(store.db, 'zed'))!.stores).toEqual([]); // only store managers have stores
    expect((await listUsers(store.db)).map((u) => u.username)).toEqual(['amy.m', 'zed']);
    expect(await getUser(store.db, 'nobody')).toBeUndefined();
    const row = await store.db.read.get<{ password_hash: string }>('SELECT password_hash FROM users WHERE username = ?', ['zed']);
    expect(row!.password_hash).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
    expect(row!.password_hash).not.toContain(PW);
    expect(await verifyPassword(PW, row!.password_hash)).toBe(true);
    expect(await verifyPassword(PW + 'x', row!.password_hash)).toBe(false);
  });

  it('refuses bad names, short passwords, unknown roles, a store manager without stores, duplicates', async () => {
    await addUser(store.db, { username: 'ok', password: PW, role: 'admin', stores: [] }, T0);
    expect(await code(addUser(store.db, { username: 'ok', password: PW, role: 'admin', stores: [] }, T0))).toBe('USER_EXISTS');
    for (const username of ['a', 'x'.repeat(65), 'bad name', "admin'--", '<script>', 'ü-user'])
      expect(await code(addUser(store.db, { username, password: PW, role: 'admin', stores: [] }, T0))).toBe('USER_INVALID');
    expect(await code(addUser(store.db, { username: 'shorty', password: '123456789', role: 'admin', stores: [] }, T0))).toBe('USER_INVALID');
    expect(await code(addUser(store.db, { username: 'r', password: PW, role: 'root' as never, stores: [] }, T0))).toBe('USER_INVALID');
    expect(await code(addUser(store.db, { username: 'mgr', password: PW, role: 'store_manager', stores: [] }, T0))).toBe('USER_INVALID');
    expect(await code(addUser(store.db, { username: 'mgr', password: PW, role: 'store_manager', stores: ['a/b'] }, T0))).toBe('USER_INVALID');
    expect(await code(addUser(store.db, { username: 'mgr', password: PW, role: 'store_manager', stores: ['_all'] }, T0))).toBe('USER_INVALID');
    expect(await countUsers(store.db)).toBe(1);
  });

  it('setPassword changes the hash, clears a lockout and ends the user’s sessions', async () => {
    await addUser(store.db, { username: 'bob', password: PW, role: 'support', stores: [] }, T0);
    await store.db.transaction((tx) => tx.run('UPDATE users SET failed_logins = 3, locked_until = ? WHERE username = ?', [T0 + 999_999, 'bob']));
    const s = await createSession(store.db, 'bob', '127.0.0.1', T0);
    expect(await findSession(store.db, s.cookie, T0)).toBeDefined();
    await setPassword(store.db, 'bob', 'the new password', T0 + 5);
    const u = await getUserForLogin(store.db, 'bob');
    expect(await verifyPassword('the new password', u!.passwordHash)).toBe(true);
    expect(await verifyPassword(PW, u!.passwordHash)).toBe(false);
    expect(u!.lockedUntil).toBeNull();
    expect(u!.failedLogins).toBe(0);
    expect(u!.updatedAt).toBe(T0 + 5);
    expect(await findSession(store.db, s.cookie, T0 + 6)).toBeUndefined();
    expect(await code(setPassword(store.db, 'ghost', 'the new password', T0))).toBe('USER_UNKNOWN');
    expect(await code(setPassword(store.db, 'bob', 'short', T0))).toBe('USER_INVALID');
  });

  it('setDisabled ends sessions; setRole changes role and stores at the next request', async () => {
    await addUser(store.db, { username: 'carol', password: PW, role: 'auditor', stores: [] }, T0);
    const s = await createSession(store.db, 'carol', '127.0.0.1', T0);
    await setRole(store.db, 'carol', 'store_manager', ['S7'], T0 + 1);
    expect((await findSession(store.db, s.cookie, T0 + 2))!.user).toEqual({ username: 'carol', role: 'store_manager', stores: ['S7'] });
    expect(await code(setRole(store.db, 'carol', 'store_manager', [], T0))).toBe('USER_INVALID');
    await setRole(store.db, 'carol', 'admin', ['S7'], T0 + 3);
    expect((await getUser(store.db, 'carol'))!.stores).toEqual([]);
    await setDisabled(store.db, 'carol', true, T0 + 4);
    expect((await getUser(store.db, 'carol'))!.disabled).toBe(true);
    expect(await findSession(store.db, s.cookie, T0 + 5)).toBeUndefined();
    await setDisabled(store.db, 'carol', false, T0 + 6);
    expect((await getUser(store.db, 'carol'))!.disabled).toBe(false);
    expect(await code(setDisabled(store.db, 'ghost', true, T0))).toBe('USER_UNKNOWN');
    expect(await code(setRole(store.db, 'ghost', 'admin', [], T0))).toBe('USER_UNKNOWN');
  });

  it('purgeSessions deletes only ended sessions', async () => {
    await addUser(store.db, { username: 'dan', password: PW, role: 'support', stores: [] }, T0);
    const old = await createSession(store.db, 'dan', '127.0.0.1', T0);
    const fresh = await createSession(store.db, 'dan', '127.0.0.1', T0 + IDLE_MS);
    await purgeSessions(store.db, T0 + IDLE_MS + 1);
    expect(Number((await store.db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM sessions'))!.n)).toBe(1);
    expect(await findSession(store.db, fresh.cookie, T0 + IDLE_MS + 2)).toBeDefined();
    expect(await findSession(store.db, old.cookie, T0 + IDLE_MS + 2)).toBeUndefined();
  });
});
