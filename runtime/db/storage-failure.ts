import * as fs from 'node:fs';
import * as path from 'node:path';
import { KioskError } from '../errors';
import { storageReason } from './boot-check';

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
