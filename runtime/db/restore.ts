import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Clock } from '../../kernel/clock';
import { KioskError } from '../../kernel/errors';
import { ackedSeqOf, checkBackup, journalHashAt, type BackupCheck } from './backup-check';
import { backupName, backupsDir, vacuumInto } from './backup';
import { dataVerdict, probeDatabase } from './boot-check';
import { readMarker } from './data-marker';
import { acceptDatabase, type AcceptResult } from './storage-accept';
import sqlite3 from 'sqlite3';
import { fsyncPath } from '../../kernel/atomic-file';

/**
 * `kiosk restore FILE`: puts a verified backup in place of the kiosk database, never going backwards silently.
 * The caller holds the data dir's lock (no kiosk runs on it meanwhile).
 */

export interface RestorePlan {
  backup: BackupCheck;
  /** The highest journal seq this lane is known to have used: the data marker, the current database, HQ's ack. */
  current: { markerSeq: number | null; databaseSeq: number | null; hqAckedSeq: number | null; receiptNo: number };
  /** Why restoring needs --force (the backup is behind), or null. */
  behind: string | null;
}

/** HQ's acknowledged seq as the current database knows it (outbox rows left = not acknowledged); null without one. */
async function hqAcked(file: string, journalSeq: number): Promise<number | null> {
  if (!fs.existsSync(file)) return null;
  const db = await new Promise<sqlite3.Database | null>((resolve) => {
    const d = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (err) => resolve(err ? null : d));
  });
  if (!db) return null;
  try {
    const get = <T>(sql: string) => new Promise<T | undefined>((resolve, reject) => db.get(sql, (err, row) => (err ? reject(err) : resolve(row as T | undefined))));
    return await ackedSeqOf({ get }, journalSeq);
  } catch {
    return null;
  } finally {
    await new Promise<void>((resolve) => db.close(() => resolve()));
  }
}

/** Checks the backup and compares it with what this lane had. Throws BACKUP_INVALID when the backup is not whole. */
export async function planRestore(dataDir: string, dbFile: string, from: string): Promise<RestorePlan> {
  if (!fs.existsSync(from)) throw new KioskError('BACKUP_INVALID', `no such backup file: ${from}`, { file: from });
  const backup = await checkBackup(from);
  if (!backup.ok) throw new KioskError('BACKUP_INVALID', `refused: ${backup.reason ?? 'the backup did not verify'}; nothing changed`, { file: from });
  const m = readMarker(dataDir);
  const marker = m && !('error' in m) ? m : null;
  // the current database may be broken (that is often why one restores): what it says is used when it can be read
  const state = await probeDatabase(dbFile, { quickCheck: false }).catch(() => null);
  const databaseSeq = state?.exists ? state.journalSeq : null;
  const hqAckedSeq = databaseSeq !== null ? await hqAcked(dbFile, databaseSeq) : null;
  const current = { markerSeq: marker?.journalSeq ?? null, databaseSeq, hqAckedSeq, receiptNo: Math.max(marker?.receiptNo ?? 0, state?.receiptNo ?? 0) };
  if (marker && marker.journalSeq > 0 && backup.journalSeq >= marker.journalSeq) {
    const at = await journalHashAt(from, marker.journalSeq);
    if (at !== marker.journalHash) {
      throw new KioskError(
        'BACKUP_INVALID',
        `refused: ${from} holds a different history at journal entry ${marker.journalSeq} than this lane (another lane's backup, or a fork); restoring it would fork HQ's chain; nothing changed`,
        { file: from },
      );
    }
  }
  const facts: string[] = [];
  if (hqAckedSeq !== null && backup.journalSeq < hqAckedSeq) facts.push(`HQ has acknowledged this lane's journal up to seq ${hqAckedSeq}`);
  if (databaseSeq !== null && backup.journalSeq < databaseSeq) facts.push(`the current database's journal ends at seq ${databaseSeq}`);
  if (marker && backup.journalSeq < marker.journalSeq) facts.push(`the data marker says seq ${marker.journalSeq} was used`);
  const used = Math.max(current.markerSeq ?? 0, databaseSeq ?? 0, hqAckedSeq ?? 0);
  const behind = facts.length
    ? `the backup is older than this lane: its journal ends at seq ${backup.journalSeq}, but ${facts.join('; ')}. ` +
      `Restoring it loses sales ${backup.journalSeq + 1}-${used} from this lane` +
      `${hqAckedSeq !== null && hqAckedSeq > backup.journalSeq ? ` (HQ keeps them up to ${hqAckedSeq}; anything after that exists only on this lane and on paper)` : ''}. ` +
      `Journal and receipt numbers are not reused: with --force the restore is recorded like \`kiosk storage accept\` ` +
      `(a storage_accepted entry at seq ${used + 1}, receipts go on after ${Math.max(current.receiptNo, backup.receiptNo)}). ` +
      `The current database is kept in ${backupsDir(dataDir)}.`
    : null;
  return { backup, current, behind };
}

export interface RestoreResult {
  restored: string;
  journalSeq: number;
  /** The copy of the database that was replaced (null when there was none). */
  preRestore: string | null;
  forced: boolean;
  accepted: AcceptResult | null;
}


/** Keeps the current database (WAL content included) as `<data>/backups/pre-restore-<time>.db`, or its raw files when it cannot be read. */
async function keepCurrent(dataDir: string, dbFile: string, clock: Clock): Promise<string | null> {
  if (!fs.existsSync(dbFile)) return null;
  const dir = backupsDir(dataDir);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const out = path.join(dir, backupName('pre-restore', clock.now()));
  try {
    await vacuumInto(dbFile, out);
  } catch {
    // unreadable (that may be why one restores): the raw files, as they are
    fs.rmSync(out, { force: true });
    fs.copyFileSync(dbFile, out);
    fs.chmodSync(out, 0o600);
    if (fs.existsSync(`${dbFile}-wal`)) fs.copyFileSync(`${dbFile}-wal`, `${out}-wal`);
  }
  return out;
}

/**
 * Restores `from` over `dbFile` after `planRestore`: refuses a backup behind this lane unless `force`; keeps the
 * current database; replaces the file atomically (the old -wal/-shm removed first: SQLite would replay an old WAL
 * onto the restored file); then, when the data marker does not match the restored database, records it the way
 * `kiosk storage accept` does, so numbering goes on after what was used.
 */
export async function restoreDatabase(
  dataDir: string,
  dbFile: string,
  from: string,
  plan: RestorePlan,
  opts: { force?: boolean; clock: Clock; deviceId: string; attendantId: string },
): Promise<RestoreResult> {
  if (plan.behind && !opts.force) throw new KioskError('DATA_BEHIND', `refused: ${plan.behind} Give --force to restore it anyway.`, { file: from });
  const preRestore = await keepCurrent(dataDir, dbFile, opts.clock);
  const tmp = path.join(path.dirname(dbFile), `.${path.basename(dbFile)}.restore.${process.pid}.tmp`);
  fs.rmSync(tmp, { force: true });
  fs.copyFileSync(from, tmp);
  fs.chmodSync(tmp, 0o600);
  const fd = fs.openSync(tmp, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  for (const f of [`${dbFile}-wal`, `${dbFile}-shm`, `${dbFile}-journal`]) fs.rmSync(f, { force: true });
  fs.renameSync(tmp, dbFile);
  fsyncPath(path.dirname(dbFile));

  const m = readMarker(dataDir);
  const state = await probeDatabase(dbFile, { quickCheck: false, hashOf: m && !('error' in m) ? m.journalSeq : undefined });
  const mismatch = m === null ? null : 'error' in m ? m.error : dataVerdict(m, state, dbFile);
  let accepted: AcceptResult | null = null;
  if (mismatch) {
    const r = await acceptDatabase(dataDir, dbFile, {
      clock: opts.clock,
      deviceId: opts.deviceId,
      attendantId: opts.attendantId,
      reason: `kiosk restore ${path.basename(from)}${opts.force ? ' --force' : ''}`,
    });
    if (!('nothing' in r)) accepted = r;
  }
  return { restored: from, journalSeq: plan.backup.journalSeq, preRestore, forced: Boolean(opts.force && plan.behind), accepted };
}
