/**
 * KioskDb.lend + openLentWriter (kernel/sqlite/database.ts): another connection on the file — a price-book build
 * process's — writes only in turns the kiosk lends it from its writer queue, so the lane's waiting transactions still
 * go first and neither side ever meets SQLite's lock. On a real SQLite file, the second connection in a real child
 * process where it matters.
 */
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CHECKPOINT_EVERY_COMMITS, openLentWriter } from './database';
import { freshKioskDbEachTest } from '../../test/support/kiosk-db';

const t = freshKioskDbEachTest('kiosk-lend-', 'CREATE TABLE log (n INTEGER PRIMARY KEY AUTOINCREMENT, who TEXT NOT NULL)');

const who = async () => (await t.db.read.all<{ who: string }>('SELECT who FROM log ORDER BY n')).map((r) => r.who);

test('a lent turn waits behind the lane like any background transaction, and the lane waits for it to end', async () => {
  const other = await openLentWriter(t.db.file);
  try {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    // the other connection holds SQLite's write lock for its whole turn
    const lent = t.db.lend(async () => {
      await other.tx.exec('BEGIN IMMEDIATE');
      await other.tx.run("INSERT INTO log (who) VALUES ('lent-1')");
      await gate;
      await other.tx.exec('COMMIT');
      return 'done';
    }, { background: true });
    await new Promise((r) => setTimeout(r, 20));
    const queued = [
      t.db.lend(() => other.tx.run("INSERT INTO log (who) VALUES ('lent-2')"), { background: true }),
      t.db.transaction((tx) => tx.run("INSERT INTO log (who) VALUES ('lane')")),
    ];
    expect(t.db.writesWaiting).toEqual({ foreground: 1, background: 1 });
    release();
    expect(await lent).toBe('done');
    await Promise.all(queued);
    expect(await who()).toEqual(['lent-1', 'lane', 'lent-2']);
  } finally {
    await other.close();
  }
});

test('a lent turn that fails does not stop the queue; lent turns count toward the background checkpoint', async () => {
  await expect(t.db.lend(() => Promise.reject(new Error('the build process died')), { background: true })).rejects.toThrow('the build process died');
  await t.db.transaction((tx) => tx.run("INSERT INTO log (who) VALUES ('after')"));
  expect(await who()).toEqual(['after']);
  const before = t.db.checkpointsRun;
  for (let i = 0; i < CHECKPOINT_EVERY_COMMITS; i++) await t.db.lend(async () => i, { background: true });
  await t.db.transaction(async () => undefined, { background: true }); // behind the queued checkpoint
  expect(t.db.checkpointsRun).toBe(before + 1);
});

test('the lent writer is a connection of another process: its commits are seen by the kiosk, it never checkpoints', async () => {
  const script = path.join(t.dir, 'child.js');
  fs.writeFileSync(
    script,
    `const { openLentWriter } = require(${JSON.stringify(path.join(__dirname, '../../dist/kernel/sqlite/database.js'))});
     (async () => {
       const w = await openLentWriter(process.argv[2]);
       const pragmas = { sync: (await w.tx.get('PRAGMA synchronous')).synchronous, auto: (await w.tx.get('PRAGMA wal_autocheckpoint')).wal_autocheckpoint };
       process.on('message', async () => {
         await w.tx.exec('BEGIN IMMEDIATE');
         for (let i = 0; i < 50; i++) await w.tx.run("INSERT INTO log (who) VALUES ('child')");
         await w.tx.exec('COMMIT');
         process.send(pragmas);
       });
       process.send('open');
     })();`,
  );
  const child = fork(script, [t.db.file], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    await new Promise((r) => child.once('message', r));
    const pragmas = await t.db.lend(() => new Promise((r) => (child.once('message', r), child.send('go'))), { background: true });
    expect(pragmas).toEqual({ sync: 1, auto: 0 }); // NORMAL: not durable alone; no checkpoint of its own
    await t.db.transaction((tx) => tx.run("INSERT INTO log (who) VALUES ('lane')"));
    const rows = await who();
    expect(rows).toHaveLength(51);
    expect(rows.at(-1)).toBe('lane');
  } finally {
    child.kill();
  }
});
