/**
 * KioskDb's non-durable transactions (kernel/sqlite/database.ts WriteOptions.durable = false): the body runs with
 * synchronous=NORMAL, and the writer is back at synchronous=FULL for every other transaction — after a commit, after
 * a rollback, and in queue order with foreground work. On a real SQLite file.
 */
import * as path from 'node:path';
import { KioskDb, type Tx } from './database';
import { freshKioskDbEachTest } from '../../test/support/kiosk-db';

/** PRAGMA synchronous: 1 = NORMAL, 2 = FULL. */
const syncLevel = async (tx: Tx) => (await tx.get<{ synchronous: number }>('PRAGMA synchronous'))!.synchronous;

describe('KioskDb non-durable transactions', () => {
  const t = freshKioskDbEachTest('kiosk-durable-', 'CREATE TABLE t (n INTEGER PRIMARY KEY)');

  it('runs the body at synchronous=NORMAL and every durable transaction at FULL, whatever the queue order', async () => {
    const seen: [string, number][] = [];
    const job = (who: string, durable: boolean, background: boolean) =>
      t.db.transaction(async (tx) => {
        seen.push([who, await syncLevel(tx)]);
        await tx.run('INSERT INTO t (n) VALUES (NULL)');
      }, { durable, background });
    await Promise.all([job('bg-lazy1', false, true), job('fg1', true, false), job('bg-lazy2', false, true), job('bg-durable', true, true), job('fg2', true, false)]);
    expect(seen).toEqual([
      ['fg1', 2],
      ['fg2', 2],
      ['bg-lazy1', 1],
      ['bg-lazy2', 1],
      ['bg-durable', 2],
    ]);
    expect(await t.db.exclusive(syncLevel)).toBe(2);
    expect((await t.db.read.get<{ c: number }>('SELECT COUNT(*) AS c FROM t'))!.c).toBe(5);
  });

  it('a non-durable transaction that fails is rolled back and leaves the writer at FULL', async () => {
    const failed = t.db.transaction(async (tx) => {
      await tx.run('INSERT INTO t (n) VALUES (1)');
      throw new Error('boom');
    }, { durable: false });
    await expect(failed).rejects.toThrow('boom');
    expect(await t.db.exclusive(syncLevel)).toBe(2);
    expect(await t.db.transaction(syncLevel)).toBe(2);
    expect((await t.db.read.get<{ c: number }>('SELECT COUNT(*) AS c FROM t'))!.c).toBe(0);
  });

  it('what a non-durable transaction committed is there after close and reopen', async () => {
    await t.db.transaction((tx) => tx.run('INSERT INTO t (n) VALUES (7)'), { durable: false, background: true });
    await t.db.close();
    t.db = await KioskDb.open(path.join(t.dir, 'k.sqlite'));
    expect(await t.db.read.all<{ n: number }>('SELECT n FROM t')).toEqual([{ n: 7 }]);
    expect(await t.db.exclusive(syncLevel)).toBe(2);
  });
});
