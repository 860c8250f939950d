/**
 * The data-dir lock in one process: a second lock on the same dir is refused with the holder's pid, a probe sees
 * the holder without taking the lock, and a released lock can be taken again. (Across processes, SIGKILL
 * included: test/data-dir-lock.test.ts.)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { KioskError } from '../kernel/errors';
import { dataDirLockHolder, lockDataDir, pidFilePath } from './data-dir-lock';
import { tempDir } from '../test/support/engine-fixture';

describe('data-dir lock', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('kiosk-lock-');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('one holder at a time: the second is refused ALREADY_RUNNING naming dir and pid; after release it can be taken again', async () => {
    expect(await dataDirLockHolder(dir)).toBeNull();
    const first = await lockDataDir(dir);
    expect(first.pid).toBe(process.pid);
    expect(await dataDirLockHolder(dir)).toEqual({ pid: process.pid });
    const second = await lockDataDir(dir).then(
      () => null,
      (e: unknown) => e,
    );
    expect(second).toBeInstanceOf(KioskError);
    expect((second as KioskError).code).toBe('ALREADY_RUNNING');
    expect((second as KioskError).message).toBe(`kiosk already running on ${path.resolve(dir)} (pid ${process.pid})`);
    // the refused attempt changed nothing: the holder still holds it
    expect(await dataDirLockHolder(dir)).toEqual({ pid: process.pid });
    await first.release();
    expect(fs.existsSync(pidFilePath(dir))).toBe(false);
    expect(await dataDirLockHolder(dir)).toBeNull();
    const again = await lockDataDir(dir);
    expect(await dataDirLockHolder(dir)).toEqual({ pid: process.pid });
    await again.release();
  });

  it('a stale pid file (a holder that died) is not a holder; a missing data dir is no holder and no error', async () => {
    fs.writeFileSync(pidFilePath(dir), '999999\n');
    expect(await dataDirLockHolder(dir)).toBeNull();
    const lock = await lockDataDir(dir);
    expect(fs.readFileSync(pidFilePath(dir), 'utf8').trim()).toBe(String(process.pid));
    await lock.release();
    expect(await dataDirLockHolder(path.join(dir, 'no', 'such'))).toBeNull();
  });

  it('a lock file that is garbage (not SQLite) is a storage fault, not "already running"', async () => {
    fs.writeFileSync(path.join(dir, 'kiosk.lock'), Buffer.alloc(4096, 7));
    const e = await lockDataDir(dir).then(
      () => null,
      (err: unknown) => err,
    );
    expect((e as KioskError).code).toBe('STORAGE_FAILED');
  });
});
