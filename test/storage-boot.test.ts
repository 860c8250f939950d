/**
 * Storage problems at boot (issue 11, point 3): `kiosk start` on a broken data dir does not exit (a crash loop under
 * a supervisor) but comes up out of service with the reason — ready line, control status, `kiosk doctor`, the
 * shopper's screen — logs the cause once per change without a stack, retries on the clock, and goes in service by
 * itself once the cause is gone. Real faults: a garbage file, a real database with a page overwritten, a folder
 * where the file should be, a full tmpfs, a schema newer than the software.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { loadConfig } from '../config/load';
import { callControl } from '../device/control-server';
import { openDatabase } from '../device/kiosk';
import { SystemClock } from '../kernel/clock';
import { exited, kiosk, kioskAsync, killStrays, watchLines } from './support/cli';
import { tempDir } from './support/engine-fixture';
import { withRawDb } from './support/sqlite';
import { waitFor } from './support/wait';

const ENV = { KIOSK_TIMEOUTS__BOOT_RETRY_MS: '200', KIOSK_LOG_LEVEL: 'info' };

interface Status {
  condition: { inService: boolean; reasons: string[]; light: { color: string } };
  boot?: { code: string; reason: string; retry: boolean };
}

/** A real kiosk database (migrated, starter price book), closed and checkpointed: a copy of it is what we break. */
async function realDatabase(): Promise<string> {
  const dir = tempDir('kiosk-sb-src-');
  const { db, file } = await openDatabase(loadConfig({ env: {}, overrides: { dataDir: dir } }), new SystemClock());
  await db.close();
  return file;
}

function placeDb(data: string, from: string | Buffer): void {
  if (typeof from === 'string') fs.copyFileSync(from, path.join(data, 'kiosk.sqlite'));
  else fs.writeFileSync(path.join(data, 'kiosk.sqlite'), from);
}

const status = async (data: string) => (await callControl(data, 'GET', '/status'))?.body as Status | undefined;
const reasonOf = async (data: string) => (await status(data))?.condition.reasons.join('; ') ?? '';

function screenView(port: number): Promise<{ screen: string; outOfService: { reasons: string[] } | null }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/view', headers: { host: `127.0.0.1:${port}` } }, (res) => {
        let raw = '';
        res.on('data', (c: Buffer) => (raw += c.toString()));
        res.on('end', () => resolve(JSON.parse(raw) as { screen: string; outOfService: { reasons: string[] } | null }));
      })
      .on('error', reject);
  });
}

/** Starts `kiosk start`, resolving each `ready …` line as it comes. */
function startKiosk(data: string, env: NodeJS.ProcessEnv = ENV) {
  const child = kioskAsync(['start', '--data', data], { env });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const readies: string[] = [];
  void watchLines(child, (line) => {
    if (line.startsWith('ready ')) readies.push(line);
  });
  return { child, readies, stderr: () => stderr };
}

describe('storage faults at boot: out of service, not a crash loop', () => {
  let mnt: string;
  beforeAll(() => {
    mnt = tempDir('kiosk-sb-tmpfs-');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', mnt]);
  });
  afterAll(() => {
    killStrays();
    execFileSync('umount', ['-l', mnt]);
  });

  it('NOTADB, CORRUPT, CANTOPEN and a full disk: out of service with each reason, logged once each, in service once the disk has room', async () => {
    const good = await realDatabase();
    const data = path.join(mnt, 'data');
    fs.mkdirSync(data);
    placeDb(data, randomBytes(8192));

    // read-only commands on the broken data dir: one clear line, non-zero exit, no stack
    for (const args of [['doctor'], ['journal', 'verify'], ['orders', 'list']]) {
      const r = kiosk([...args, '--data', data]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^kiosk: STORAGE_FAILED: .*(not a SQLite database|not a database)/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }

    const k = startKiosk(data);
    await waitFor('the first ready line, or the end of the process', () => k.readies.length >= 1 || k.child.exitCode !== null, 30_000);
    expect({ exit: k.child.exitCode, stderr: k.child.exitCode === null ? '' : k.stderr() }).toEqual({ exit: null, stderr: '' });
    expect(k.readies[0]).toMatch(/ lane=out-of-service /);
    expect(k.readies[0]).toMatch(/SQLITE_NOTADB/);
    const s = await status(data);
    expect(s?.condition.inService).toBe(false);
    expect(s?.condition.light.color).toBe('red');
    expect(s?.condition.reasons.join()).toMatch(/storage: .*kiosk\.sqlite is not a SQLite database \(SQLITE_NOTADB\)/);
    expect(s?.boot?.retry).toBe(true);
    // kiosk doctor asks the running kiosk
    const doc = kiosk(['doctor', '--data', data]);
    expect(doc.stderr).toBe('');
    expect(doc.code).toBe(1);
    expect(doc.stdout).toMatch(/FAIL\s+storage at boot \(STORAGE_FAILED\)\s+.*SQLITE_NOTADB/);
    // the shopper's screen
    const port = Number(/screen=127\.0\.0\.1:(\d+)/.exec(k.readies[0])![1]);
    const view = await screenView(port);
    expect(view.screen).toBe('out_of_service');
    expect(view.outOfService?.reasons.join()).toMatch(/SQLITE_NOTADB/);

    // a real database with a page overwritten by garbage (each fault replaces the file in one rename, so a retry
    // never sees a data dir without a database: with no marker yet it would rightly create a fresh one)
    const corrupt = path.join(mnt, 'corrupt.sqlite');
    fs.copyFileSync(good, corrupt);
    const fd = fs.openSync(corrupt, 'r+');
    fs.writeSync(fd, randomBytes(4096), 0, 4096, 4096 * 5);
    fs.closeSync(fd);
    fs.renameSync(corrupt, path.join(data, 'kiosk.sqlite'));
    await waitFor('the corrupt-database reason', async () => /SQLITE_CORRUPT|quick_check/.test(await reasonOf(data)));

    // the file cannot be created: kiosk.sqlite points into a folder that does not exist
    const link = path.join(mnt, 'link');
    fs.symlinkSync(path.join(mnt, 'no-such-folder', 'kiosk.sqlite'), link);
    fs.renameSync(link, path.join(data, 'kiosk.sqlite'));
    await waitFor('the cannot-open reason', async () => /SQLITE_CANTOPEN/.test(await reasonOf(data)));

    // a full disk: the database cannot be created
    const filler = path.join(mnt, 'filler');
    const fh = fs.openSync(filler, 'w');
    try {
      for (;;) fs.writeSync(fh, Buffer.alloc(64 * 1024));
    } catch (e) {
      expect((e as NodeJS.ErrnoException).code).toBe('ENOSPC');
    } finally {
      fs.closeSync(fh);
    }
    fs.rmSync(path.join(data, 'kiosk.sqlite'));
    await waitFor('the disk-full reason', async () => /disk full \((SQLITE_FULL|ENOSPC)\)/.test(await reasonOf(data)));
    expect(k.child.exitCode).toBeNull(); // still running, never exited

    // space freed: the next retry boots, in service, without a restart
    fs.rmSync(filler);
    await waitFor('a second ready line', () => k.readies.length >= 2, 30_000);
    expect(k.readies[1]).toMatch(/ lane=in-service /);
    await waitFor('in service', async () => (await status(data))?.condition.inService === true);

    // each cause logged once when it changes (not once per retry: there were many retries), without a stack
    const logged = k
      .stderr()
      .split('\n')
      .filter((l) => l.includes('boot failed: lane out of service'))
      .map((l) => (JSON.parse(l) as { reason: string }).reason);
    for (const kind of ['SQLITE_NOTADB', 'SQLITE_CORRUPT', 'SQLITE_CANTOPEN', 'disk full']) expect(logged.filter((r) => r.includes(kind)).length).toBeGreaterThanOrEqual(1);
    expect(logged.filter((r, i) => i > 0 && r === logged[i - 1])).toEqual([]);
    expect(logged.length).toBeLessThanOrEqual(6);
    expect(k.stderr()).not.toMatch(/\n\s+at /);
    k.child.kill('SIGTERM');
    expect((await exited(k.child)).code).toBe(0);
  }, 120_000);

  it('a schema newer than the software: out of service saying to update, no useless retries; doctor says the same in one line', async () => {
    const data = tempDir('kiosk-sb-newer-');
    placeDb(data, await realDatabase());
    await withRawDb(path.join(data, 'kiosk.sqlite'), ({ run }) => run('PRAGMA user_version = 99'));
    const k = startKiosk(data, { KIOSK_LOG_LEVEL: 'info' });
    await waitFor('the first ready line, or the end of the process', () => k.readies.length >= 1 || k.child.exitCode !== null, 30_000);
    expect({ exit: k.child.exitCode, stderr: k.child.exitCode === null ? '' : k.stderr() }).toEqual({ exit: null, stderr: '' });
    expect(k.readies[0]).toMatch(/ lane=out-of-service .*fault=SCHEMA_NEWER/);
    const s = await status(data);
    expect(s?.condition.reasons.join()).toMatch(/database schema v99 is newer than this software \(v\d+\): update the kiosk software/);
    expect(s?.boot?.retry).toBe(false);
    k.child.kill('SIGTERM');
    expect((await exited(k.child)).code).toBe(0);
    const doc = kiosk(['doctor', '--data', data]);
    expect(doc.code).toBe(1);
    expect(doc.stderr).toMatch(/^kiosk: SCHEMA_NEWER: database schema v99 is newer than this software \(v\d+\): update the kiosk software\n$/);
  }, 60_000);
});
