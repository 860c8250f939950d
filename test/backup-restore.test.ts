/**
 * `kiosk backup` / `kiosk restore` (issue 13): an online, verified copy while the lane sells; rotation; a copy that
 * fails its check is deleted; a restore never goes backwards silently, is refused while a kiosk holds the data dir,
 * keeps the database it replaces and records a forced restore the way `kiosk storage accept` does.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../config/load';
import { restoreDataDir } from '../device/commands/restore';
import { lockDataDir } from '../device/data-dir-lock';
import { bootKiosk, dbPath, openDatabase, type Kiosk } from '../device/kiosk';
import { SimulatedClock, SystemClock } from '../kernel/clock';
import { KioskDb } from '../kernel/sqlite/database';
import { verifyJournal } from '../protocol/journal/verify';
import { checkBackup } from '../runtime/db/backup-check';
import { backupDatabase, backupName, rotateBackups } from '../runtime/db/backup';
import { dataVerdict } from '../runtime/db/boot-check';
import { readMarker } from '../runtime/db/data-marker';
import { tempDir } from './support/engine-fixture';
import { withRawDb } from './support/sqlite';

const mode = (f: string) => fs.statSync(f).mode & 0o777;

/** Edits a journal row the way someone with the sqlite3 shell could (the append-only trigger dropped first). */
const tamper = (file: string, seq: number) =>
  withRawDb(file, async (q) => {
    await q.run('DROP TRIGGER journal_no_update');
    await q.run('UPDATE journal SET payload = \'{"tampered":true}\' WHERE seq = ?', [seq]);
  });

/** One cash sale through the lane: scan, checkout, the attendant confirms cash, completed (a receipt number). */
async function sell(k: Kiosk, barcode: string): Promise<string> {
  const r = await k.lane.scan(barcode);
  if (!r.ok || r.action !== 'item_added') throw new Error(`scan failed: ${JSON.stringify(r)}`);
  const o = await k.engine.dispatch(r.order.id, { type: 'checkout_started' });
  await k.checkout.pay(o.id, 'cash');
  await k.engine.dispatch(o.id, { type: 'order_completed' });
  return o.id;
}

const completedIds = (file: string) => withRawDb(file, async (q) => (await q.all<{ id: string }>("SELECT id FROM orders WHERE state = 'completed' ORDER BY id")).map((r) => r.id));
const headSeq = (file: string) => withRawDb(file, async (q) => (await q.all<{ seq: number }>('SELECT MAX(seq) AS seq FROM journal'))[0].seq);

describe('backup while the lane sells', () => {
  let dir: string;
  let k: Kiosk;
  let barcode: string;
  beforeAll(async () => {
    dir = tempDir('kiosk-backup-');
    k = await bootKiosk(loadConfig({ env: {}, overrides: { dataDir: dir } }), { clock: new SystemClock(), confirmCash: async () => true });
    [{ barcodes: [barcode] }] = await k.catalog.sample('plain', 1);
  });
  afterAll(async () => {
    await k.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('takes a consistent, verified copy with the sales committed before it began, while sales go on', async () => {
    for (let i = 0; i < 5; i++) await sell(k, barcode);
    const before = await completedIds(dbPath(dir));
    const seqBefore = await headSeq(dbPath(dir));
    // the lane keeps selling in the same process while the backup runs on its own read-only connection
    let selling = true;
    let soldDuring = 0;
    const loop = (async () => {
      while (selling) {
        await sell(k, barcode);
        soldDuring++;
      }
    })();
    const out = path.join(dir, 'backups', backupName('kiosk', Date.now()));
    let r: Awaited<ReturnType<typeof backupDatabase>>;
    try {
      // more sales land while the copy is taken (the WAL holds them: nothing was checkpointed)
      while (soldDuring < 3) await new Promise((res) => setImmediate(res));
      r = await backupDatabase(dbPath(dir), out, { clock: new SystemClock() });
    } finally {
      selling = false;
      await loop;
    }
    expect(soldDuring).toBeGreaterThanOrEqual(3);
    expect(r.verified).toBe(true);
    expect(r.file).toBe(out);
    expect(mode(out)).toBe(0o600);
    expect(fs.readdirSync(path.dirname(out)).filter((n) => n.includes('partial'))).toEqual([]);
    const live = await headSeq(dbPath(dir));
    expect(r.journalSeq).toBeGreaterThan(seqBefore); // sales after `before` were in the WAL and are in the copy
    expect(r.journalSeq).toBeLessThanOrEqual(live);
    expect(r.journalSeq).toBeLessThan(live); // the loop sold after the snapshot too
    // the copy opens on its own: whole, chain intact, every sale committed before the backup began is in it
    const check = await checkBackup(out);
    expect(check).toMatchObject({ ok: true, journalSeq: r.journalSeq });
    const copied = await completedIds(out);
    for (const id of before) expect(copied).toContain(id);
    const db = await KioskDb.open(out);
    try {
      expect(await verifyJournal(db.read)).toMatchObject({ ok: true, entries: r.journalSeq });
    } finally {
      await db.close();
    }
  });
});

describe('backup files', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = tempDir('kiosk-backup-files-');
    ({ file } = await (async () => {
      const { db, file: f } = await openDatabase(loadConfig({ env: {}, overrides: { dataDir: dir } }), new SimulatedClock());
      await db.close();
      return { file: f };
    })());
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps the N newest rotated backups and never touches other files', async () => {
    const clock = new SimulatedClock(Date.UTC(2026, 11, 1));
    const bdir = path.join(dir, 'backups');
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      clock.advance(60_000);
      const r = await backupDatabase(file, path.join(bdir, backupName('kiosk', clock.now())), { clock, keep: 3 });
      made.push(path.basename(r.file));
    }
    fs.writeFileSync(path.join(bdir, 'pre-restore-20260101T000000.000Z.db'), 'kept');
    expect(fs.readdirSync(bdir).sort()).toEqual([...made.slice(2), 'pre-restore-20260101T000000.000Z.db'].sort());
    expect(made[4]).toBe('kiosk-20261201T000500.000Z.db');
    expect(rotateBackups(bdir, 1)).toEqual([path.join(bdir, made[3]), path.join(bdir, made[2])]);
    expect(fs.readdirSync(bdir).sort()).toEqual([made[4], 'pre-restore-20260101T000000.000Z.db']);
  });

  it('a copy that fails verification (a tampered journal row) is deleted and the backup fails', async () => {
    await tamper(file, 1);
    const out = path.join(dir, 'backups', 'kiosk-x.db');
    await expect(backupDatabase(file, out, { clock: new SimulatedClock() })).rejects.toMatchObject({
      code: 'BACKUP_INVALID',
      message: expect.stringMatching(/backup failed its check and was deleted: .*journal chain broken at seq 1/),
    });
    expect(fs.readdirSync(path.join(dir, 'backups'))).toEqual([]);
  });

  it('the boot fault for a database that went backwards names `kiosk restore` as the way back', () => {
    const marker = readMarker(dir);
    if (!marker || 'error' in marker) throw new Error('no marker');
    const v = dataVerdict({ ...marker, journalSeq: marker.journalSeq + 5 }, { exists: true, size: 1, userVersion: 1, dbId: marker.dbId, journalSeq: marker.journalSeq, journalHash: '', receiptNo: 0, hashOf: '' }, file);
    expect(v).toMatch(/went backwards.*`kiosk restore FILE`/);
  });
});

describe('kiosk restore', () => {
  let dir: string;
  let k: Kiosk | null;
  let barcode: string;
  const boot = async () => {
    k = await bootKiosk(loadConfig({ env: {}, overrides: { dataDir: dir } }), { clock: new SystemClock(), confirmCash: async () => true });
    [{ barcodes: [barcode] }] = await k.catalog.sample('plain', 1);
    return k;
  };
  const stop = async () => {
    await k?.close();
    k = null;
  };
  const restoreOpts = (force = false) => ({ force, clock: new SystemClock(), deviceId: 'lane-01', attendant: 'tech-7' });
  beforeEach(() => {
    dir = tempDir('kiosk-restore-');
    k = null;
  });
  afterEach(async () => {
    await stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses while a kiosk holds the data dir, and changes nothing', async () => {
    await boot();
    await sell(k!, barcode);
    const b = await backupDatabase(dbPath(dir), path.join(dir, 'backups', 'b.db'), { clock: new SystemClock() });
    const lock = await lockDataDir(dir); // what `kiosk start` holds for its life
    try {
      const before = await headSeq(dbPath(dir));
      await expect(restoreDataDir(dir, b.file, restoreOpts(true))).rejects.toMatchObject({ code: 'ALREADY_RUNNING', message: expect.stringMatching(/kiosk already running on .* \(pid \d+\): stop it first.*nothing was restored/) });
      expect(await headSeq(dbPath(dir))).toBe(before);
      expect(fs.readdirSync(path.join(dir, 'backups'))).toEqual(['b.db']);
    } finally {
      await lock.release();
    }
  });

  it('refuses an older backup without --force, explaining what would be lost; with --force restores it and numbering goes on', async () => {
    await boot();
    await sell(k!, barcode);
    const b = await backupDatabase(dbPath(dir), path.join(dir, 'backups', 'old.db'), { clock: new SystemClock() });
    for (let i = 0; i < 3; i++) await sell(k!, barcode);
    const lostOrders = await completedIds(dbPath(dir));
    const receiptsBefore = await withRawDb(dbPath(dir), async (q) => (await q.all<{ value: number }>("SELECT value FROM counters WHERE name = 'receipt'"))[0].value);
    await stop();
    const head = await headSeq(dbPath(dir));
    // HQ acknowledged all but the last entry: the publisher deletes acknowledged outbox rows
    await withRawDb(dbPath(dir), (q) => q.run('DELETE FROM outbox WHERE seq <= ?', [head - 1]));
    const bytesBefore = fs.readFileSync(dbPath(dir));

    const e = await restoreDataDir(dir, b.file, restoreOpts(false)).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'DATA_BEHIND' });
    const msg = (e as Error).message;
    expect(msg).toContain(`its journal ends at seq ${b.journalSeq}`);
    expect(msg).toContain(`the current database's journal ends at seq ${head}`);
    expect(msg).toContain(`HQ has acknowledged this lane's journal up to seq ${head - 1}`);
    expect(msg).toContain(`loses sales ${b.journalSeq + 1}-${head} from this lane (HQ keeps them up to ${head - 1}; anything after that exists only on this lane and on paper)`);
    expect(msg).toContain('Give --force');
    expect(fs.readFileSync(dbPath(dir)).equals(bytesBefore)).toBe(true); // nothing changed
    expect(fs.readdirSync(path.join(dir, 'backups'))).toEqual(['old.db']);

    const r = await restoreDataDir(dir, b.file, restoreOpts(true));
    expect(r.forced).toBe(true);
    expect(r.preRestore).toMatch(/backups\/pre-restore-\d{8}T\d{6}\.\d{3}Z\.db$/);
    // the replaced database is kept, whole, with the sales the restore dropped
    expect(await checkBackup(r.preRestore!)).toMatchObject({ ok: true, journalSeq: head });
    expect(await completedIds(r.preRestore!)).toEqual(lostOrders);
    // recorded like `kiosk storage accept`: storage_accepted after the marker's seq, receipt counter never below it
    expect(r.accepted).toMatchObject({ lost: { from: b.journalSeq + 1, to: head }, acceptedSeq: head + 1 });
    expect(r.accepted!.receiptNo).toBe(receiptsBefore);
    const restored = await checkBackup(dbPath(dir));
    expect(restored).toMatchObject({ ok: true, journalSeq: head + 1 });
    const entry = await withRawDb(dbPath(dir), (q) => q.all<{ type: string; payload: string }>('SELECT type, payload FROM journal WHERE seq = ?', [head + 1]));
    expect(entry[0].type).toBe('storage_accepted');
    expect(JSON.parse(entry[0].payload)).toMatchObject({ attendantId: 'tech-7', reason: 'kiosk restore old.db --force' });
    expect(mode(dbPath(dir))).toBe(0o600);
    // the lane boots on the restored database and the next receipt follows the old ones
    await boot();
    const next = await sell(k!, barcode);
    expect((await k!.engine.get(next)).receiptNo).toBe(receiptsBefore + 1);
  });

  it('restores a backup that is not behind without --force, and refuses a file that does not verify', async () => {
    await boot();
    await sell(k!, barcode);
    await stop();
    const b = await backupDatabase(dbPath(dir), path.join(dir, 'backups', 'same.db'), { clock: new SystemClock() });
    // the live database is damaged afterwards (a tampered row): the backup is what the lane had
    await tamper(dbPath(dir), 2);
    const r = await restoreDataDir(dir, b.file, restoreOpts(false));
    expect(r).toMatchObject({ forced: false, accepted: null, journalSeq: b.journalSeq });
    expect(await checkBackup(dbPath(dir))).toMatchObject({ ok: true, journalSeq: b.journalSeq });
    expect(readMarker(dir)).toMatchObject({ journalSeq: b.journalSeq });

    const bad = path.join(dir, 'not-a-db.db');
    fs.writeFileSync(bad, 'SQLite format 3\0 but garbage after it'.repeat(200));
    const before = fs.readFileSync(dbPath(dir));
    await expect(restoreDataDir(dir, bad, restoreOpts(true))).rejects.toMatchObject({ code: 'BACKUP_INVALID', message: expect.stringMatching(/^refused: .*nothing changed$/) });
    expect(fs.readFileSync(dbPath(dir)).equals(before)).toBe(true);
  });

  it('over a database left by a killed kiosk: its WAL is kept in the pre-restore copy and never replayed onto the restored file', async () => {
    await boot();
    for (let i = 0; i < 2; i++) await sell(k!, barcode);
    const b = await backupDatabase(dbPath(dir), path.join(dir, 'b.db'), { clock: new SystemClock() });
    for (let i = 0; i < 3; i++) await sell(k!, barcode);
    // the files as a SIGKILL leaves them: the main file plus a WAL holding the last sales, never checkpointed
    const crashed = tempDir('kiosk-restore-crashed-');
    try {
      for (const f of ['kiosk.sqlite', 'kiosk.sqlite-wal']) fs.copyFileSync(path.join(dir, f), path.join(crashed, f));
      expect(fs.statSync(path.join(crashed, 'kiosk.sqlite-wal')).size).toBeGreaterThan(0);
      const live = await completedIds(dbPath(dir));
      const liveHead = await headSeq(dbPath(dir));
      await stop();
      const r = await restoreDataDir(crashed, b.file, restoreOpts(true));
      expect(r.forced).toBe(true);
      expect(await completedIds(r.preRestore!)).toEqual(live); // the WAL's sales are in the kept copy
      const restored = await checkBackup(path.join(crashed, 'kiosk.sqlite'));
      expect(restored).toMatchObject({ ok: true, journalSeq: b.journalSeq });
      expect((await completedIds(path.join(crashed, 'kiosk.sqlite'))).length).toBe(2);
      expect(fs.existsSync(path.join(crashed, 'kiosk.sqlite-wal'))).toBe(false);
      expect(liveHead).toBeGreaterThan(b.journalSeq);
    } finally {
      fs.rmSync(crashed, { recursive: true, force: true });
    }
  });

  it('refuses a backup of another history at the marker seq (another lane), even with --force', async () => {
    await boot();
    await sell(k!, barcode);
    await stop();
    const other = tempDir('kiosk-restore-other-');
    try {
      const o = await bootKiosk(loadConfig({ env: {}, overrides: { dataDir: other } }), { clock: new SimulatedClock(Date.UTC(2025, 0, 1)), confirmCash: async () => true });
      for (let i = 0; i < 3; i++) await sell(o, barcode);
      await o.close();
      const b = await backupDatabase(dbPath(other), path.join(other, 'x.db'), { clock: new SystemClock() });
      await expect(restoreDataDir(dir, b.file, restoreOpts(true))).rejects.toMatchObject({ code: 'BACKUP_INVALID', message: expect.stringMatching(/different history at journal entry \d+ .*fork HQ's chain/) });
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });
});
