/**
 * KioskDb's checkpoints (kernel/sqlite/database.ts): not inside whichever COMMIT crosses SQLite's limit (a scan's),
 * but a PASSIVE checkpoint queued as background writer work every CHECKPOINT_EVERY_COMMITS commits — after the
 * foreground transactions waiting. On a real SQLite file: the pages reach the database file only then.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CHECKPOINT_EVERY_COMMITS, KioskDb } from './database';

describe('KioskDb background checkpoints', () => {
  let dir: string;
  let file: string;
  let db: KioskDb;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-ckpt-'));
    file = path.join(dir, 'k.sqlite');
    db = await KioskDb.open(file);
    await db.exclusive((tx) => tx.exec('CREATE TABLE t (n INTEGER PRIMARY KEY, blob BLOB NOT NULL)'));
  });
  afterEach(async () => {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const insert = (n: number) => db.transaction((tx) => tx.run('INSERT INTO t (n, blob) VALUES (?, randomblob(8000))', [n]));

  it('copies the WAL into the database file only after CHECKPOINT_EVERY_COMMITS commits, as background work', async () => {
    const autoLimit = await db.exclusive(async (tx) => (await tx.get<{ wal_autocheckpoint: number }>('PRAGMA wal_autocheckpoint'))!.wal_autocheckpoint);
    expect(autoLimit).toBe(10_000);
    const before = fs.statSync(file).size;
    for (let n = 1; n < CHECKPOINT_EVERY_COMMITS; n++) await insert(n);
    // nothing checkpointed yet: the rows are in the WAL only
    expect(fs.statSync(file).size).toBe(before);
    expect(db.checkpointsRun).toBe(0);
    await insert(CHECKPOINT_EVERY_COMMITS);
    // the checkpoint is queued behind a lane transaction that is already waiting
    expect(db.writesWaiting.background).toBe(1);
    const order: string[] = [];
    await db.transaction(async () => {
      order.push(`lane write, checkpoints so far ${db.checkpointsRun}`);
    });
    await db.exclusive(async () => undefined, { background: true }); // after the queued checkpoint
    expect(order).toEqual(['lane write, checkpoints so far 0']);
    expect(db.checkpointsRun).toBe(1);
    expect(fs.statSync(file).size).toBeGreaterThan(before + CHECKPOINT_EVERY_COMMITS * 8000);
    expect((await db.read.get<{ c: number }>('SELECT COUNT(*) AS c FROM t'))!.c).toBe(CHECKPOINT_EVERY_COMMITS);
  });

  it('close() with a checkpoint queued still closes cleanly and keeps every row', async () => {
    for (let n = 1; n <= CHECKPOINT_EVERY_COMMITS; n++) await insert(n);
    await db.close();
    db = await KioskDb.open(file);
    expect((await db.read.get<{ c: number }>('SELECT COUNT(*) AS c FROM t'))!.c).toBe(CHECKPOINT_EVERY_COMMITS);
  });
});
