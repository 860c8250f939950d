import * as fs from 'node:fs';
import * as path from 'node:path';
import sqlite3 from 'sqlite3';
import type { Clock } from '../../kernel/clock';
import { KioskError } from '../../kernel/errors';
import { asStorageError } from '../../kernel/sqlite/storage-failure';
import { checkBackup } from './backup-check';
import { fsyncPath } from '../../kernel/atomic-file';

/**
 * Online backup of the kiosk database while the lane sells: `VACUUM INTO` on a read-only connection of its own.
 *
 * Why VACUUM INTO and not the backup API: it is one SQL statement run by SQLite in one read transaction, so the copy
 * is one consistent snapshot that includes everything committed in the WAL (a reader sees the WAL), and in WAL mode
 * a reader never blocks the kiosk's writer — the lane keeps selling. node-sqlite3's `Database#backup` has no
 * TypeScript declaration in sqlite3 6.0.1 and, stepped incrementally, restarts whenever another connection writes
 * (a busy lane could keep it restarting); stepped whole (-1) it is the same single read transaction as VACUUM INTO.
 * VACUUM INTO also leaves out free pages (deleted rows' old bytes), and the copy is a plain rollback-journal file
 * that opens anywhere. SQLite does not fsync the copy (sqlite.org/lang_vacuum.html#vacuuminto), so we do, and the
 * copy only gets its final name after it verified (PRAGMA integrity_check + the journal chain): a half-written or
 * failing copy never looks like a backup.
 *
 * What a backup holds: the database only. The identity and broker secrets are not copied into every rotated backup
 * (more copies of a secret, on media that travel); a lane is rebuilt with `kiosk provision` under the same ids
 * (HQ hands out the credentials) and `kiosk restore`; the data marker is re-made by the restore.
 */

/** `kiosk-<ISO 8601 basic UTC time>.db`: sortable by name, no ':' (tar and scp read `host:path`). */
export function backupName(prefix: 'kiosk' | 'pre-restore' | 'final', at: number): string {
  return `${prefix}-${new Date(at).toISOString().replace(/[-:]/g, '')}.db`;
}

export const backupsDir = (dataDir: string): string => path.join(dataDir, 'backups');
const ROTATED = /^kiosk-\d{8}T\d{6}\.\d{3}Z\.db$/;
export const DEFAULT_KEEP = 7;

export interface BackupResult {
  file: string;
  size: number;
  journalSeq: number;
  journalHash: string;
  receiptNo: number;
  dbId: string | null;
  verified: true;
  /** ISO 8601 time the copy's read transaction began (the snapshot is of that moment or a little later). */
  startedAt: string;
  durationMs: number;
  /** Older backups removed by rotation. */
  rotated: string[];
}


/** Copies the database `source` into `tmp` (which must not exist) with VACUUM INTO on a read-only connection. */
export async function vacuumInto(source: string, tmp: string): Promise<void> {
  // the copy is 0600 from its first byte: VACUUM INTO writes into an existing empty file
  fs.closeSync(fs.openSync(tmp, 'wx', 0o600));
  const db = await new Promise<sqlite3.Database>((resolve, reject) => {
    const d = new sqlite3.Database(source, sqlite3.OPEN_READONLY, (err) => (err ? reject(err) : resolve(d)));
  });
  try {
    db.configure('busyTimeout', 10000);
    await new Promise<void>((resolve, reject) => db.run('VACUUM INTO ?', [tmp], (err) => (err ? reject(err) : resolve())));
  } finally {
    await new Promise<void>((resolve) => db.close(() => resolve()));
  }
  fsyncPath(tmp);
}

/**
 * Backs up `source` into `out` (verified, 0600, atomically named), then keeps the `keep` newest rotated backups
 * (`kiosk-*.db`) in `out`'s folder. A copy that fails verification is deleted: KioskError BACKUP_INVALID.
 */
export async function backupDatabase(source: string, out: string, opts: { clock: Clock; keep?: number }): Promise<BackupResult> {
  if (!fs.existsSync(source)) throw new KioskError('STORAGE_FAILED', `no kiosk database at ${source}`, { file: source });
  const dir = path.dirname(out);
  const tmp = path.join(dir, `.${path.basename(out)}.${process.pid}.partial`);
  const t0 = opts.clock.now();
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.rmSync(tmp, { force: true });
    await vacuumInto(source, tmp);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw asStorageError(e, source);
  }
  const check = await checkBackup(tmp);
  if (!check.ok) {
    fs.rmSync(tmp, { force: true });
    throw new KioskError('BACKUP_INVALID', `backup failed its check and was deleted: ${check.reason ?? 'unknown'}`, { file: out });
  }
  fs.renameSync(tmp, out);
  fsyncPath(dir);
  const rotated = rotateBackups(dir, opts.keep ?? DEFAULT_KEEP, out);
  return {
    file: out,
    size: fs.statSync(out).size,
    journalSeq: check.journalSeq,
    journalHash: check.journalHash,
    receiptNo: check.receiptNo,
    dbId: check.dbId,
    verified: true,
    startedAt: new Date(t0).toISOString(),
    durationMs: opts.clock.now() - t0,
    rotated,
  };
}

/** Deletes all but the `keep` newest `kiosk-<time>.db` files in `dir` (never `justMade`); returns what it removed. */
export function rotateBackups(dir: string, keep: number, justMade?: string): string[] {
  const names = fs
    .readdirSync(dir)
    .filter((n) => ROTATED.test(n))
    .sort()
    .reverse();
  const drop = names.slice(Math.max(keep, 1)).map((n) => path.join(dir, n)).filter((f) => f !== justMade);
  for (const f of drop) fs.rmSync(f, { force: true });
  return drop;
}
