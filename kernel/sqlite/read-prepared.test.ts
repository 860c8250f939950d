/**
 * KioskDb.readPrepared (kernel/sqlite/database.ts): the lane's hot reads through statements prepared once on the
 * reader connection. On a real SQLite file: it must read fresh data every call, never keep a read transaction open
 * between calls (the WAL's checkpoints would stall behind it), follow a table switched in by renaming, and still
 * let the database close.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { KioskDb } from './database';
import { freshKioskDbEachTest } from '../../test/support/kiosk-db';

const t = freshKioskDbEachTest('kiosk-prepared-', "CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT NOT NULL); INSERT INTO t VALUES ('a', 'one'), ('b', 'two')");

const SQL = 'SELECT v FROM t WHERE k = ?';

test('every call sees what is committed by then', async () => {
  expect(await t.db.readPrepared(SQL, ['a'])).toEqual([{ v: 'one' }]);
  expect(await t.db.readPrepared(SQL, ['zz'])).toEqual([]);
  await t.db.transaction((tx) => tx.run("UPDATE t SET v = 'uno' WHERE k = 'a'"));
  expect(await t.db.readPrepared(SQL, ['a'])).toEqual([{ v: 'uno' }]);
  // concurrent calls on the one statement each get their own answer
  expect(await Promise.all(['a', 'b', 'a', 'zz'].map((k) => t.db.readPrepared(SQL, [k])))).toEqual([[{ v: 'uno' }], [{ v: 'two' }], [{ v: 'uno' }], []]);
});

test('no read transaction stays open between calls: a TRUNCATE checkpoint completes at once', async () => {
  for (let i = 0; i < 20; i++) await t.db.transaction((tx) => tx.run('INSERT INTO t VALUES (?, ?)', [`k${i}`, 'x']));
  expect(await t.db.readPrepared(SQL, ['a'])).toEqual([{ v: 'one' }]);
  const t0 = Date.now();
  const r = await t.db.exclusive((tx) => tx.get<{ busy: number; log: number; checkpointed: number }>('PRAGMA wal_checkpoint(TRUNCATE)'));
  expect(r).toEqual({ busy: 0, log: 0, checkpointed: 0 });
  expect(Date.now() - t0).toBeLessThan(5000); // a reader in the way would have made it wait out the busy timeout (10 s)
});

test('a table switched in by renaming is what the kept statement reads next', async () => {
  expect(await t.db.readPrepared(SQL, ['a'])).toEqual([{ v: 'one' }]);
  await t.db.transaction(async (tx) => {
    await tx.exec("CREATE TABLE t_next (k TEXT PRIMARY KEY, v TEXT NOT NULL); INSERT INTO t_next VALUES ('a', 'new')");
    await tx.exec('ALTER TABLE t RENAME TO t_old');
    await tx.exec('ALTER TABLE t_next RENAME TO t');
    await tx.exec('DROP TABLE t_old');
  });
  expect(await t.db.readPrepared(SQL, ['a'])).toEqual([{ v: 'new' }]);
  expect(await t.db.readPrepared(SQL, ['b'])).toEqual([]);
});

test('a statement that does not prepare is an error for that call only; the database still closes with statements kept', async () => {
  await expect(t.db.readPrepared('SELECT nope FROM t', [])).rejects.toThrow(/no such column: nope/);
  await t.db.exclusive((tx) => tx.exec('ALTER TABLE t ADD COLUMN nope TEXT'));
  expect(await t.db.readPrepared('SELECT nope FROM t WHERE k = ?', ['a'])).toEqual([{ nope: null }]);
  await t.db.close();
  await expect(t.db.readPrepared(SQL, ['a'])).rejects.toMatchObject({ code: 'DB_CLOSED' });
  // reopened: the file is whole, the WAL checkpointed away by the close
  expect(fs.existsSync(path.join(t.dir, 'k.sqlite-wal')) ? fs.statSync(path.join(t.dir, 'k.sqlite-wal')).size : 0).toBe(0);
  t.db = await KioskDb.open(path.join(t.dir, 'k.sqlite'));
  expect(await t.db.readPrepared(SQL, ['b'])).toEqual([{ v: 'two' }]);
});
