/**
 * KioskDb's writer queue (kernel/sqlite/database.ts): foreground transactions (the lane's) run before every
 * background one waiting (HQ sync, bulk apply), whenever each was queued; a running transaction is never
 * interrupted; a failed one does not stop the queue; close() waits for both queues. On a real SQLite file.
 */
import * as path from 'node:path';
import { KioskDb } from './database';
import { freshKioskDbEachTest } from '../../test/support/kiosk-db';

describe('KioskDb writer priority', () => {
  const t = freshKioskDbEachTest('kiosk-prio-', 'CREATE TABLE log (n INTEGER PRIMARY KEY AUTOINCREMENT, who TEXT NOT NULL)');

  const write = (who: string, background: boolean) => t.db.transaction((tx) => tx.run('INSERT INTO log (who) VALUES (?)', [who]).then(() => who), { background });

  it('runs waiting foreground transactions before waiting background ones; the running one finishes first', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const holding = t.db.transaction(async (tx) => {
      await tx.run("INSERT INTO log (who) VALUES ('running-bg')");
      await gate;
    }, { background: true });
    await new Promise((r) => setTimeout(r, 20)); // the background transaction holds the writer
    const done = [write('bg1', true), write('bg2', true), write('fg1', false), write('bg3', true), write('fg2', false)];
    expect(t.db.writesWaiting).toEqual({ foreground: 2, background: 3 });
    release();
    await holding;
    await Promise.all(done);
    const rows = await t.db.read.all<{ who: string }>('SELECT who FROM log ORDER BY n');
    expect(rows.map((r) => r.who)).toEqual(['running-bg', 'fg1', 'fg2', 'bg1', 'bg2', 'bg3']);
  });

  it('a failed transaction is rolled back and the queue goes on; close() waits for background work', async () => {
    const failed = t.db.transaction(async (tx) => {
      await tx.run("INSERT INTO log (who) VALUES ('lost')");
      throw new Error('boom');
    }, { background: true });
    const after = write('after', true);
    await expect(failed).rejects.toThrow('boom');
    await after;
    const late = write('late-bg', true);
    await t.db.close();
    await late;
    const again = await KioskDb.open(path.join(t.dir, 'k.sqlite'));
    try {
      const rows = await again.read.all<{ who: string }>('SELECT who FROM log ORDER BY n');
      expect(rows.map((r) => r.who)).toEqual(['after', 'late-bg']);
    } finally {
      t.db = again;
    }
  });

  it('keeps first-come order among foreground transactions (no reordering of the lane’s own writes)', async () => {
    const whos = Array.from({ length: 50 }, (_, i) => `fg${i}`);
    await Promise.all(whos.map((w, i) => (i % 7 === 0 ? write(`bg${i}`, true) : write(w, false))));
    const rows = await t.db.read.all<{ who: string }>("SELECT who FROM log WHERE who LIKE 'fg%' ORDER BY n");
    expect(rows.map((r) => r.who)).toEqual(whos.filter((_, i) => i % 7 !== 0));
  });
});
