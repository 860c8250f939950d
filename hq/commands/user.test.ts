import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { SimulatedClock } from '../../kernel/clock';
import { hq } from '../../test/support/console-server';
import { Postgres } from '../../test/support/postgres';
import { tmpDir } from '../../test/support/sync-fixtures';
import { SqlAuditLog } from '../audit/audit-log';
import { verifyPassword } from '../console/passwords';
import { getUserForLogin } from '../console/users';
import { IngestStore } from '../ingest/store';

/** `hq user …` as a child process (node dist/hq/cli.js: test/global-setup.js builds it). */
const PW = 'correct horse battery';
const ACTOR = `cli:${os.userInfo().username}`;

let dir: string;
let db: string;
let pwFile: string;
beforeAll(() => {
  dir = tmpDir('hq-user-');
  db = path.join(dir, 'hq.sqlite');
  pwFile = path.join(dir, 'pw.txt');
  fs.writeFileSync(pwFile, `${PW}\n`);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function withStore<T>(where: string, fn: (s: IngestStore) => Promise<T>): Promise<T> {
  const s = await IngestStore.open(where);
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

const auditOf = (where: string) => withStore(where, (s) => new SqlAuditLog(s.db, new SimulatedClock()).list({ limit: 1000 }));

describe('hq user', () => {
  it('adds users from a password file or stdin, never printing the password, audited as cli:<os user>', async () => {
    const a = hq(['user', 'add', 'root', '--role', 'admin', '--db', db, '--password-file', pwFile]);
    expect(a).toMatchObject({ code: 0, stderr: '' });
    expect(a.stdout).toBe('added root (admin)\n');
    const m = hq(['user', 'add', 'manny', '--role', 'store_manager', '--store', 'S1', '--store', 'S2,S3', '--db', db, '--password-stdin'], { input: 'another long one\n' });
    expect(m).toMatchObject({ code: 0, stdout: 'added manny (store_manager: S1, S2, S3)\n' });
    for (const r of [a, m]) expect(r.stdout + r.stderr).not.toMatch(/correct horse|another long/);
    const u = await withStore(db, (s) => getUserForLogin(s.db, 'manny'));
    expect(u).toMatchObject({ role: 'store_manager', stores: ['S1', 'S2', 'S3'] });
    expect(await verifyPassword('another long one', u!.passwordHash)).toBe(true); // the line end is not part of it
    const log = await auditOf(db);
    expect(log.map((e) => [e.actor, e.action, e.target])).toEqual([
      [ACTOR, 'user.add', 'manny'],
      [ACTOR, 'user.add', 'root'],
    ]);
    expect(log.map((e) => e.detail).join('')).not.toMatch(/correct horse|another long/);
  }, 60_000);

  it('refuses a password on the command line, or none, with one line and exit 2, creating nobody', () => {
    const r = hq(['user', 'add', 'eve', '--role', 'auditor', '--db', db, '--password', PW]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('hq user: a password is never taken on the command line (shell history, ps): use --password-file FILE or --password-stdin\n');
    expect(r.stdout).toBe('');
    const none = hq(['user', 'add', 'eve', '--role', 'auditor', '--db', db]);
    expect(none).toMatchObject({ code: 2, stderr: 'hq user: a password is needed: --password-file FILE or --password-stdin\n' });
    const twoLines = hq(['user', 'add', 'eve', '--role', 'auditor', '--db', db, '--password-stdin'], { input: 'first line long\nsecond line\n' });
    expect(twoLines).toMatchObject({ code: 2, stderr: 'hq user: the password from stdin is more than one line\n' });
    const both = hq(['user', 'add', 'eve', '--role', 'auditor', '--db', db, '--password-file', pwFile, '--password-stdin'], { input: PW });
    expect(both.code).toBe(2);
    const list = hq(['user', 'list', '--db', db, '--json']);
    expect((JSON.parse(list.stdout) as { username: string }[]).map((u) => u.username)).toEqual(['manny', 'root']);
  });

  it('refuses bad input (exit 2) and unknown users (exit 1) with one line', () => {
    const role = hq(['user', 'add', 'eve', '--role', 'boss', '--db', db, '--password-file', pwFile]);
    expect(role).toMatchObject({ code: 2, stderr: 'hq user: a role is one of admin, store_manager, support, auditor\n' });
    const short = hq(['user', 'add', 'eve', '--role', 'auditor', '--db', db, '--password-stdin'], { input: 'short' });
    expect(short).toMatchObject({ code: 2, stderr: 'hq user: a password has at least 10 characters\n' });
    const exists = hq(['user', 'add', 'root', '--role', 'auditor', '--db', db, '--password-file', pwFile]);
    expect(exists).toMatchObject({ code: 1, stderr: 'hq user: user root exists already\n' });
    const ghost = hq(['user', 'disable', 'ghost', '--db', db]);
    expect(ghost).toMatchObject({ code: 1, stderr: 'hq user: no user ghost\n' });
    const missingRole = hq(['user', 'add', 'eve', '--db', db, '--password-file', pwFile]);
    expect(missingRole.code).toBe(2);
  });

  it('sets a password, disables and enables, never removing the last admin; list shows it', async () => {
    expect(hq(['user', 'passwd', 'manny', '--db', db, '--password-stdin'], { input: 'a brand new password' })).toMatchObject({ code: 0, stdout: 'password of manny set\n' });
    const u = await withStore(db, (s) => getUserForLogin(s.db, 'manny'));
    expect(await verifyPassword('a brand new password', u!.passwordHash)).toBe(true);
    expect(hq(['user', 'disable', 'manny', '--db', db])).toMatchObject({ code: 0, stdout: 'manny disabled\n' });
    const table = hq(['user', 'list', '--db', db]).stdout.split('\n');
    expect(table[0]).toMatch(/^user\s+role\s+stores\s+status\s+locked until\s+last login$/);
    expect(table.find((l) => l.startsWith('manny'))).toMatch(/^manny\s+store_manager\s+S1,S2,S3\s+disabled\s+-\s+-$/);
    expect(table.find((l) => l.startsWith('root'))).toMatch(/^root\s+admin\s+\*\s+active/);
    expect(hq(['user', 'enable', 'manny', '--db', db])).toMatchObject({ code: 0, stdout: 'manny enabled\n' });
    const last = hq(['user', 'disable', 'root', '--db', db]);
    expect(last).toMatchObject({ code: 2, stderr: 'hq user: root is the last active admin: add or enable another admin first\n' });
    expect(hq(['user', 'role', 'root', '--role', 'auditor', '--db', db]).code).toBe(2);
    expect(hq(['user', 'role', 'manny', '--role', 'support', '--db', db])).toMatchObject({ code: 0, stdout: 'manny is now support\n' });
    const actions = (await auditOf(db)).map((e) => `${e.action} ${e.target}`);
    expect(actions.slice(0, 4)).toEqual(['user.role manny', 'user.enable manny', 'user.disable manny', 'user.passwd manny']);
    expect(await withStore(db, (s) => new SqlAuditLog(s.db, new SimulatedClock()).verify())).toMatchObject({ ok: true, entries: 6 });
  }, 60_000);

  it('works on PostgreSQL', async () => {
    const pg = await Postgres.start();
    try {
      const admin = new Client({ connectionString: pg.url });
      await admin.connect();
      await admin.query('CREATE DATABASE users_cli');
      await admin.end();
      const url = pg.url.replace(/\/postgres$/, '/users_cli');
      expect(hq(['user', 'add', 'root', '--role', 'admin', '--db', url, '--password-file', pwFile]).code).toBe(0);
      const list = JSON.parse(hq(['user', 'list', '--json', '--db', url]).stdout) as { username: string; role: string }[];
      expect(list).toEqual([expect.objectContaining({ username: 'root', role: 'admin', disabled: false })]);
      expect((await auditOf(url)).map((e) => [e.actor, e.action])).toEqual([[ACTOR, 'user.add']]);
    } finally {
      await pg.close();
    }
  }, 90_000);
});
