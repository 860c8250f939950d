import * as fs from 'node:fs';
import * as path from 'node:path';
import sqlite3 from 'sqlite3';
import { KioskError } from '../kernel/errors';
import { asStorageError } from '../kernel/sqlite/storage-failure';

/** The lock itself: a small SQLite file held in `locking_mode=EXCLUSIVE` (a POSIX lock the OS drops when the process dies). */
export const lockFilePath = (dataDir: string) => path.join(dataDir, 'kiosk.lock');
/** Who holds the lock: written by the holder once it has the lock, readable by anyone without taking it. */
export const pidFilePath = (dataDir: string) => path.join(dataDir, 'kiosk.pid');

export interface DataDirLock {
  readonly pid: number;
  release(): Promise<void>;
}

/** How long a start waits for the lock when someone only probes it (dataDirLockHolder holds it for a moment). */
const PROBE_WAIT_MS = 500;

function openDb(file: string, mode: number): Promise<sqlite3.Database> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, mode, (err) => (err ? reject(err) : resolve(db)));
  });
}
const exec = (db: sqlite3.Database, sql: string) => new Promise<void>((resolve, reject) => db.exec(sql, (err) => (err ? reject(err) : resolve())));
const closeDb = (db: sqlite3.Database) => new Promise<void>((resolve) => db.close(() => resolve()));
const isBusy = (e: unknown) => /SQLITE_BUSY|SQLITE_LOCKED|database is locked/.test(e instanceof Error ? `${(e as { code?: string }).code ?? ''} ${e.message}` : String(e));

function readPid(dataDir: string): number | null {
  try {
    const text = fs.readFileSync(pidFilePath(dataDir), 'utf8').slice(0, 32).trim();
    const pid = Number(text);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** The holder's pid; the holder writes it just after taking the lock, so a probe in that instant waits a moment for it. */
async function holderPid(dataDir: string): Promise<number | null> {
  for (let i = 0; i < 20; i++) {
    const pid = readPid(dataDir);
    if (pid !== null) return pid;
    await new Promise((r) => setTimeout(r, 25));
  }
  return null;
}

function alreadyRunning(dataDir: string, pid: number | null): KioskError {
  const dir = path.resolve(dataDir);
  return new KioskError('ALREADY_RUNNING', `kiosk already running on ${dir} (pid ${pid ?? 'unknown'})`, { dataDir: dir, pid });
}

/**
 * Takes the exclusive lock on `dataDir` for this process's life: a companion SQLite file (`kiosk.lock`) in
 * `PRAGMA locking_mode=EXCLUSIVE` after a write transaction keeps SQLite's POSIX (fcntl) write lock until the
 * connection closes — or the process dies, SIGKILL included, when the kernel drops it (a pid file alone cannot
 * tell a live holder from a reused pid). The holder's pid goes to `kiosk.pid` for others to read without the lock.
 * Throws KioskError `ALREADY_RUNNING` (`kiosk already running on DIR (pid N)`) when another process (or another
 * lock in this one) holds it; STORAGE_FAILED when the data dir cannot hold the lock file at all.
 * Nothing in this process may open and close `kiosk.lock` by other means: closing any descriptor of a file drops
 * the process's POSIX locks on it.
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const file = lockFilePath(dataDir);
  let db: sqlite3.Database;
  try {
    fs.mkdirSync(dataDir, { recursive: true });
    db = await openDb(file, sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE);
  } catch (e) {
    throw asStorageError(e, file);
  }
  try {
    db.configure('busyTimeout', PROBE_WAIT_MS);
    await exec(
      db,
      'PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE; ' +
        'CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL, since TEXT NOT NULL); DELETE FROM holder; ' +
        `INSERT INTO holder (pid, since) VALUES (${process.pid}, 'locked'); COMMIT;`,
    );
  } catch (e) {
    await exec(db, 'ROLLBACK').catch(() => undefined);
    await closeDb(db);
    if (isBusy(e)) throw alreadyRunning(dataDir, await holderPid(dataDir));
    throw asStorageError(e, file);
  }
  const pid = process.pid;
  const pidFile = pidFilePath(dataDir);
  try {
    fs.writeFileSync(`${pidFile}.tmp`, `${pid}\n`, { mode: 0o644 });
    fs.renameSync(`${pidFile}.tmp`, pidFile);
  } catch (e) {
    await closeDb(db);
    throw asStorageError(e, pidFile);
  }
  let released = false;
  return {
    pid,
    async release() {
      if (released) return;
      released = true;
      if (readPid(dataDir) === pid) fs.rmSync(pidFile, { force: true });
      await closeDb(db);
    },
  };
}

/**
 * Who holds the lock on `dataDir`, without taking it: `{ pid }` (pid 0 if the holder has not written it yet) or
 * null. Never throws: a missing dir or lock file, or one nobody holds, is null. It reads the lock file for an
 * instant (a shared lock), which a `lockDataDir` racing it waits out.
 */
export async function dataDirLockHolder(dataDir: string): Promise<{ pid: number } | null> {
  const file = lockFilePath(dataDir);
  if (!fs.existsSync(file)) return null;
  let db: sqlite3.Database;
  try {
    db = await openDb(file, sqlite3.OPEN_READONLY);
  } catch {
    return null;
  }
  let held = false;
  try {
    await exec(db, 'SELECT count(*) FROM sqlite_master');
  } catch (e) {
    held = isBusy(e);
  } finally {
    await closeDb(db);
  }
  if (!held) return null;
  return { pid: (await holderPid(dataDir)) ?? 0 };
}
