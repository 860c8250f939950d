import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConsoleHttp } from '../../test/support/console-http';
import { startHqServe } from '../../test/support/console-server';
import { tmpDir } from '../../test/support/sync-fixtures';
import { IngestStore } from '../ingest/store';

/** `hq serve` as a child process (dist/hq/cli.js: the global setup builds it). */

let dir = '';
beforeAll(() => {
  dir = tmpDir('hq-serve-');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

it('prints its URL and a one-time admin password, serves the console over HTTP, and exits 0 on SIGTERM', async () => {
  const db = path.join(dir, 'data', 'hq.sqlite'); // the folder does not exist yet
  const serve = await startHqServe(['--db', db, '--timezone', 'Asia/Shanghai']);
  let user: ConsoleHttp | null = null;
  try {
    expect(serve.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(serve.adminPassword).toMatch(/^[A-Za-z0-9]{16}$/);
    expect(serve.output()).toContain('change it at /account');
    user = new ConsoleHttp(serve.url);
    const anon = await user.get('/');
    expect(anon.status).toBe(303);
    expect(anon.headers.location).toBe('/login');
    await expect(user.login('admin', 'not the password')).rejects.toThrow(/401/);
    await user.login('admin', serve.adminPassword!);
    const account = await user.get('/account');
    expect(account.status).toBe(200);
    expect(account.body).toContain('>admin</a>');
    expect(account.headers['content-security-policy']).toContain("default-src 'self'");
    expect((await user.get('/static/console.css')).status).toBe(200);
  } finally {
    user?.close();
    expect(await serve.stop()).toBe(0);
  }
  expect(serve.output()).not.toMatch(/Error|at .*\.js:\d+/);
  // the initial admin is in the audit log, added by `system`; a second start prints no password
  const store = await IngestStore.open(db);
  try {
    const rows = await store.db.read.all<{ actor: string; action: string; target: string }>('SELECT actor, action, target FROM audit_log ORDER BY seq');
    expect(rows.slice(0, 1)).toEqual([{ actor: 'system', action: 'user.add', target: 'admin' }]);
    expect(rows.map((r) => r.action)).toEqual(expect.arrayContaining(['login.failed', 'login']));
  } finally {
    await store.close();
  }
  const again = await startHqServe(['--db', db]);
  try {
    expect(again.adminPassword).toBeNull();
    expect(again.output()).not.toMatch(/password/i);
  } finally {
    expect(await again.stop()).toBe(0);
  }
}, 120_000);

it('keeps serving with a broker it cannot reach, and says so in a banner', async () => {
  const serve = await startHqServe(['--db', path.join(dir, 'b.sqlite'), '--broker', 'mqtt://127.0.0.1:1']);
  const user = new ConsoleHttp(serve.url);
  try {
    await user.login('admin', serve.adminPassword!);
    const page = await user.get('/account');
    expect(page.status).toBe(200);
    expect(page.body).toContain('id="broker-banner"');
  } finally {
    user.close();
    expect(await serve.stop()).toBe(0);
  }
}, 120_000);
