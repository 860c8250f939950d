/**
 * Storage failures while running, for real: a KioskDb on a small tmpfs that is filled up, and a database file
 * with a page overwritten by garbage. The database reports each storage-class failure (with the transaction still
 * rolled back and the queue going on), the watch turns it into the lane's `storage` fault once per change, and
 * probes on the injected clock until storage works again.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SimulatedClock } from '../../kernel/clock';
import { ServiceFaults } from '../lane/service-faults';
import { corruptPage, mountTmpfs, restorePage, type Tmpfs } from '../../test/support/tmpfs';
import { tempDir } from '../../test/support/engine-fixture';
import { waitFor } from '../../test/support/wait';
import { KioskDb } from '../../kernel/sqlite/database';
import type { StorageFailure } from '../../kernel/sqlite/storage-failure';
import { StorageWatch } from './storage-watch';

async function watched(file: string, clock: SimulatedClock) {
  const db = await KioskDb.open(file);
  const faults = new ServiceFaults(() => clock.now());
  const changes: (string | null)[] = [];
  let recovered = 0;
  const watch = new StorageWatch(db, faults, {
    clock,
    probeMs: 1000,
    onChange: (f) => changes.push(f ? `${f.kind} ${f.cause} ${f.reason}` : null),
    onRecovered: () => recovered++,
  });
  watch.start();
  return { db, faults, watch, changes, recovered: () => recovered };
}

describe('storage failures while running (real tmpfs, real corrupt page)', () => {
  let fsx: Tmpfs;
  beforeAll(() => {
    fsx = mountTmpfs(8, 'kiosk-storage-watch-');
  });
  afterAll(() => fsx.unmount());

  it('disk full: reported at once, the transaction rolls back and the queue goes on; one fault per change; probed until space is back', async () => {
    const clock = new SimulatedClock();
    const file = path.join(fsx.dir, 'watch.sqlite');
    const { db, faults, watch, changes, recovered } = await watched(file, clock);
    await db.transaction((tx) => tx.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB NOT NULL); CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)'));
    await db.transaction((tx) => tx.run('INSERT INTO t (v) VALUES (randomblob(1000))'));
    const seen: StorageFailure[] = [];
    db.onStorageFailure((f) => seen.push(f));

    fsx.fill();
    const big = () => db.transaction(async (tx) => {
      await tx.run('INSERT INTO t (v) VALUES (randomblob(200000))');
      return 'committed';
    });
    await expect(big()).rejects.toMatchObject({ code: 'SQLITE_FULL' });
    // the fault is set by the time the caller hears of the failure
    expect(faults.get('storage')?.reason).toBe(`disk full (SQLITE_FULL) on ${fsx.dir}: free space there`);
    await expect(big()).rejects.toMatchObject({ code: 'SQLITE_FULL' });
    await expect(big()).rejects.toMatchObject({ code: 'SQLITE_FULL' });
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(seen[0]).toMatchObject({ kind: 'full', cause: 'SQLITE_FULL', error: { code: 'STORAGE_FAILED' } });
    expect(changes).toEqual([`full SQLITE_FULL disk full (SQLITE_FULL) on ${fsx.dir}: free space there`]); // once, not per failure
    // rolled back, and the writer queue is not stuck: reads and later transactions run
    expect((await db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM t'))?.n).toBe(1);
    // a failure that is not storage (a constraint) is no storage fault
    const before = seen.length;
    await expect(db.transaction((tx) => tx.run('INSERT INTO t (id, v) VALUES (1, x\'00\')'))).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT' });
    expect(seen.length).toBe(before);

    // probes on the clock: still full → the fault stays
    clock.advance(1000);
    await waitFor('a probe', () => watch.lastProbe);
    expect(watch.lastProbe).toMatchObject({ ok: false, detail: expect.stringMatching(/bytes free in .*want 1048576/) });
    expect(faults.get('storage')).not.toBeNull();

    fsx.free();
    clock.advance(1000);
    await waitFor('the fault cleared', () => faults.get('storage') === null);
    expect(watch.lastProbe).toMatchObject({ ok: true });
    expect(changes).toHaveLength(2);
    expect(changes[1]).toBeNull();
    expect(recovered()).toBe(1);
    await expect(big()).resolves.toBe('committed');
    expect((await db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM t'))?.n).toBe(2);
    watch.stop();
    await db.close();
  });

  it('a corrupt page: a read reports it; quick_check keeps the fault until the page is good again', async () => {
    const dir = tempDir('kiosk-corrupt-');
    try {
      const clock = new SimulatedClock();
      const file = path.join(dir, 'corrupt.sqlite');
      const { db, faults, watch, changes } = await watched(file, clock);
      await db.transaction(async (tx) => {
        await tx.exec('CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL); CREATE TABLE items (code TEXT PRIMARY KEY, name TEXT NOT NULL)');
        for (let i = 1; i <= 2000; i++) await tx.run('INSERT INTO items VALUES (?, ?)', [`c${i}`, String(i).padStart(200, '0')]);
      });
      await db.exclusive((tx) => tx.exec('PRAGMA wal_checkpoint(TRUNCATE)'));
      const root = (await db.read.get<{ rootpage: number }>("SELECT rootpage FROM sqlite_master WHERE name = 'sqlite_autoindex_items_1'"))!.rootpage;
      const original = corruptPage(file, root);

      await expect(db.read.get("SELECT name FROM items WHERE code = 'c1500'")).rejects.toMatchObject({ code: 'SQLITE_CORRUPT' });
      expect(faults.get('storage')?.reason).toBe(`${file} is corrupt (SQLITE_CORRUPT): restore it from a backup`);
      expect(changes).toEqual([`corrupt SQLITE_CORRUPT ${file} is corrupt (SQLITE_CORRUPT): restore it from a backup`]);

      // the health row can be written, but the database is not whole: the fault stays
      clock.advance(1000);
      await waitFor('a probe', () => watch.lastProbe);
      expect(watch.lastProbe).toMatchObject({ ok: false });
      expect(watch.lastProbe!.detail).not.toBe('ok');
      expect(faults.get('storage')).not.toBeNull();

      restorePage(file, root, original);
      // corruption found by other means (a quick_check after boot) is the same fault, and cleared the same way
      watch.report('quick_check after boot: page 5 is never used', 'corrupt', 'SQLITE_CORRUPT');
      expect(faults.get('storage')?.reason).toBe('quick_check after boot: page 5 is never used');
      clock.advance(1000);
      await waitFor('the fault cleared', () => faults.get('storage') === null);
      expect((await db.read.get<{ name: string }>("SELECT name FROM items WHERE code = 'c1500'"))?.name).toBe(String(1500).padStart(200, '0'));
      watch.stop();
      await db.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
