import * as fs from 'node:fs';
import * as path from 'node:path';
import { KioskError } from '../errors';

/** What kind of storage failure it is: decides how recovery is proven (corruption needs an integrity check). */
export type StorageFailureKind = 'full' | 'corrupt' | 'readonly' | 'io' | 'other';

/** A classified storage failure of one database file. */
export interface StorageFailure {
  /** STORAGE_FAILED, its message the reason for staff ("disk full (SQLITE_FULL) on /var/lib/kiosk: free space there"). */
  error: KioskError;
  kind: StorageFailureKind;
  /** The driver's code (SQLITE_FULL, SQLITE_IOERR, ...). */
  cause: string;
}

function codeOf(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

function kindOf(code: string): StorageFailureKind {
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') return 'full';
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') return 'corrupt';
  if (code.startsWith('SQLITE_READONLY') || code === 'SQLITE_PERM' || code === 'EROFS') return 'readonly';
  if (code.startsWith('SQLITE_IOERR') || code === 'EIO') return 'io';
  return 'other';
}

/**
 * `e` (an error from sqlite3 or the file system) as a storage failure of `file` — disk full, read-only, corrupt,
 * not a database, I/O error, cannot open, no permission — or null for anything else (a constraint, a busy lock, a bug).
 * The reasons are the boot check's (runtime/db/boot-check.ts), so staff read the same words at boot and while selling.
 */
export function storageFailure(e: unknown, file: string): StorageFailure | null {
  if (e instanceof KioskError) return e.code === 'STORAGE_FAILED' ? { error: e, kind: kindOf(String(e.details.cause ?? '')), cause: String(e.details.cause ?? '') } : null;
  const reason = storageReason(e, file);
  if (reason === null) return null;
  const cause = codeOf(e);
  return { error: new KioskError('STORAGE_FAILED', reason, { file, cause }), kind: kindOf(cause), cause };
}

/** `f` (an I/O error) restated as what it is when the file system holding `file` turned read-only. */
export function readOnlyFailure(f: StorageFailure, file: string): StorageFailure {
  const dir = path.dirname(file);
  const reason = `cannot write ${file} (${f.cause}): the file system at ${dir} is read-only (EROFS): check the disk`;
  return { error: new KioskError('STORAGE_FAILED', reason, { file, cause: f.cause }), kind: 'readonly', cause: f.cause };
}

/**
 * Whether the file system holding `dir` refuses writes as read-only (EROFS): sqlite3 says only "disk I/O error"
 * then. A file system that went read-only after an error (ext4 `errors=remount-ro`) may still pass access(2), so a
 * tiny file is created and removed. Asynchronous (the thread pool), so a failing disk never blocks the event loop.
 */
export async function fileSystemReadOnly(dir: string): Promise<boolean> {
  const probe = path.join(dir, '.kiosk-write-check');
  try {
    await fs.promises.access(dir, fs.constants.W_OK);
    await (await fs.promises.open(probe, 'w')).close();
    await fs.promises.rm(probe, { force: true });
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EROFS';
  }
}

/** Whether `e` is a storage failure (whatever the file). */
export const isStorageFailure = (e: unknown): boolean => storageFailure(e, '') !== null;

interface ErrnoLike {
  code?: unknown;
  message?: unknown;
}

/** A storage failure (disk full, not a database, corrupt, cannot open, read-only, I/O) as staff should read it; null for anything else. */
export function storageReason(e: unknown, file: string): string | null {
  const code = typeof (e as ErrnoLike | null)?.code === 'string' ? ((e as ErrnoLike).code as string) : '';
  const dir = path.dirname(file);
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') return `disk full (${code}) on ${dir}: free space there`;
  if (code === 'SQLITE_NOTADB') return `${file} is not a SQLite database (SQLITE_NOTADB): restore it from a backup`;
  if (code === 'SQLITE_CORRUPT') return `${file} is corrupt (SQLITE_CORRUPT): restore it from a backup`;
  if (code === 'SQLITE_CANTOPEN') return `cannot open ${file} (SQLITE_CANTOPEN): ${cannotOpenCause(file)}`;
  if (code.startsWith('SQLITE_READONLY') || code === 'SQLITE_PERM' || code === 'SQLITE_AUTH' || code === 'EROFS' || code === 'EACCES' || code === 'EPERM') {
    return `cannot write ${file} (${code}): ${(code !== 'EROFS' && permissionCause(file)) || `read-only or no permission on ${dir}`}`;
  }
  if (code.startsWith('SQLITE_IOERR') || code === 'EIO') return `I/O error on ${file} (${code}): check the disk`;
  if (code === 'ENOTDIR' || code === 'EISDIR') return `cannot use ${dir} as the data folder (${code})`;
  // mkdir of the data folder where a file of that name is
  if (code === 'EEXIST') return `cannot use ${dir} as the data folder (EEXIST): it exists and is not a directory`;
  return null;
}

const modeOf = (st: fs.Stats) => `owner uid ${st.uid}, mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}`;

/**
 * Why SQLite could not open `file`, found by looking (SQLite says only "unable to open database file"): the folder
 * is missing, is no folder, or this user may not write it, or the file is not readable and writable to it — with the fix.
 */
export function cannotOpenCause(file: string): string {
  const dir = path.dirname(file);
  const uid = typeof process.getuid === 'function' ? process.getuid() : null;
  const who = uid === null ? 'this user' : `uid ${uid}`;
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'ENOENT') return `${dir} does not exist: create it, or set dataDir / --data to the kiosk's data folder`;
    return `${dir} cannot be reached (${code}) by ${who}: give the kiosk's user access to it`;
  }
  if (!st.isDirectory()) return `${dir} is not a directory: set dataDir / --data to a folder`;
  return permissionCause(file) ?? `check that ${dir} exists and the kiosk may write there`;
}

/** "no permission: uid N may not write DIR (owner …, mode …): <fix>" when this user lacks it on `file` or its folder, else null. */
function permissionCause(file: string): string | null {
  // the folder, or the nearest one above it that exists (the data folder is created when missing)
  let dir = path.dirname(file);
  while (!fs.existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  const uid = typeof process.getuid === 'function' ? process.getuid() : null;
  const who = uid === null ? 'this user' : `uid ${uid}`;
  const fix = (target: string, st: fs.Stats) =>
    st.uid === uid ? `give it write permission (chmod u+w ${target})` : `run the kiosk as the user owning it, or chown ${target} to the kiosk's user`;
  const denied = (target: string, mode: number) => {
    try {
      fs.accessSync(target, mode);
      return false;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code !== 'ENOENT';
    }
  };
  try {
    if (denied(dir, fs.constants.W_OK | fs.constants.X_OK)) {
      const st = fs.statSync(dir);
      return `no permission: ${who} may not write ${dir} (${modeOf(st)}): ${fix(dir, st)}`;
    }
    if (denied(file, fs.constants.R_OK | fs.constants.W_OK)) {
      const st = fs.statSync(file);
      return `no permission: ${who} may not read and write ${file} (${modeOf(st)}): ${fix(file, st)}`;
    }
  } catch {
    // vanished while looking: nothing to say
  }
  return null;
}

/** `e` as a STORAGE_FAILED KioskError when it is a storage failure, else unchanged. */
export function asStorageError(e: unknown, file: string): unknown {
  if (e instanceof KioskError) return e;
  const reason = storageReason(e, file);
  return reason ? new KioskError('STORAGE_FAILED', reason, { file, cause: String((e as ErrnoLike).code) }) : e;
}
