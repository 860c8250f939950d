import * as fs from 'node:fs';
import sqlite3 from 'sqlite3';
import { KioskError } from '../../kernel/errors';
import type { DataMarker } from './data-marker';
import { asStorageError, storageReason } from '../../kernel/sqlite/storage-failure';
import { openReadOnlyConnection } from '../../kernel/sqlite/database';

/**
 * Boot-time storage checks: what the database file holds (read through a read-only connection, so nothing is
 * written before the verdict), `PRAGMA quick_check`, and the comparison with the data marker. Expected storage
 * faults become `KioskError`s with a reason for staff; only the code decides whether retrying can help.
 */

export interface DbState {
  exists: boolean;
  size: number;
  userVersion: number;
  dbId: string | null;
  journalSeq: number;
  journalHash: string;
  receiptNo: number;
  /** The hash of entry `opts.hashOf` asked of probeDatabase ('' when there is no such entry). */
  hashOf: string;
}

function all<T>(db: sqlite3.Database, sql: string, params: unknown[] = []): Promise<T[]> {
  return new Promise((resolve, reject) => db.all(sql, params, (err, rows) => (err ? reject(err) : resolve(rows as T[]))));
}

/**
 * Up to this size `PRAGMA quick_check` runs at boot, before anything is written (bench/marker.ts: 2.9 s for 500 000
 * journal entries, 292 MiB, page cache warm; ~10 ms per MiB); a larger file is checked right after boot on a
 * connection of its own (quickCheck below) and a failure puts the running lane out of service.
 */
export const QUICK_CHECK_AT_BOOT_MAX_BYTES = 64 * 1024 * 1024;

/** `PRAGMA quick_check` on its own read-only connection: null when ok, else the reason for staff. */
export async function quickCheck(file: string): Promise<string | null> {
  let db: sqlite3.Database | null = null;
  try {
    db = await new Promise<sqlite3.Database>((resolve, reject) => {
      const d = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (err) => (err ? reject(err) : resolve(d)));
    });
    const rows = await all<{ quick_check: string }>(db, 'PRAGMA quick_check');
    if (rows.length === 1 && rows[0].quick_check === 'ok') return null;
    return `${file} failed PRAGMA quick_check (${rows.slice(0, 3).map((r) => r.quick_check.replace(/\s+/g, ' ')).join('; ')}): restore it from a backup (\`kiosk restore FILE\`)`;
  } catch (e) {
    return storageReason(e, file) ?? `${file}: quick_check could not run (${e instanceof Error ? e.message : String(e)})`;
  } finally {
    const d = db;
    if (d) await new Promise<void>((resolve) => d.close(() => resolve()));
  }
}

/**
 * Reads the database's identity and high-water marks without writing anything, then runs `PRAGMA quick_check`
 * when the file is at most `quickCheckMaxBytes` (default QUICK_CHECK_AT_BOOT_MAX_BYTES; `quickCheck: false` skips
 * it). `checkLater` says the file was too large to check now. A missing file is `{ exists: false }`, not an error.
 */
export async function probeDatabase(file: string, opts: { quickCheck?: boolean; quickCheckMaxBytes?: number; hashOf?: number } = {}): Promise<DbState & { checkLater: boolean }> {
  const none = { exists: false, size: 0, userVersion: 0, dbId: null, journalSeq: 0, journalHash: '', receiptNo: 0, hashOf: '', checkLater: false };
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return none;
    throw asStorageError(e, file);
  }
  // read-only, also on a data dir this user may only read (no -shm can be created there)
  const db = await openReadOnlyConnection(file).catch((err: unknown) => {
    throw asStorageError(err, file);
  });
  try {
    const [{ user_version: userVersion }] = await all<{ user_version: number }>(db, 'PRAGMA user_version');
    const tables = new Set((await all<{ name: string }>(db, "SELECT name FROM sqlite_master WHERE type = 'table'")).map((r) => r.name));
    const dbId = tables.has('meta') ? ((await all<{ value: string }>(db, "SELECT value FROM meta WHERE key = 'db_id'"))[0]?.value ?? null) : null;
    const head = tables.has('journal') ? (await all<{ seq: number; hash: string }>(db, 'SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1'))[0] : undefined;
    const receipt = tables.has('counters') ? (await all<{ value: number }>(db, "SELECT value FROM counters WHERE name = 'receipt'"))[0] : undefined;
    const at = tables.has('journal') && opts.hashOf ? (await all<{ hash: string }>(db, 'SELECT hash FROM journal WHERE seq = ?', [opts.hashOf]))[0] : undefined;
    const checkLater = opts.quickCheck !== false && size > (opts.quickCheckMaxBytes ?? QUICK_CHECK_AT_BOOT_MAX_BYTES);
    if (opts.quickCheck !== false && size > 0 && !checkLater) {
      const rows = await all<{ quick_check: string }>(db, 'PRAGMA quick_check');
      if (!(rows.length === 1 && rows[0].quick_check === 'ok')) {
        const what = rows.slice(0, 3).map((r) => r.quick_check.replace(/\s+/g, ' ')).join('; ');
        throw new KioskError('STORAGE_FAILED', `${file} failed PRAGMA quick_check (${what}): restore it from a backup (\`kiosk restore FILE\`)`, { file, cause: 'quick_check' });
      }
    }
    return { exists: true, size, userVersion, dbId, journalSeq: head?.seq ?? 0, journalHash: head?.hash ?? '', receiptNo: receipt?.value ?? 0, hashOf: at?.hash ?? '', checkLater };
  } catch (e) {
    throw asStorageError(e, file);
  } finally {
    await new Promise<void>((resolve) => db.close(() => resolve()));
  }
}

const when = (ms: number) => new Date(ms).toISOString();

/**
 * Pure: why the database does not match the marker (it vanished, is empty, is another database, or went
 * backwards), or null when it does. No marker: nothing to compare (a data dir never used by this software).
 */
export function dataVerdict(marker: DataMarker | null, s: DbState, file: string): string | null {
  if (!marker) return null;
  const had = `the marker says journal ${marker.journalSeq}, receipt ${marker.receiptNo} (written ${when(marker.writtenAt)})`;
  const fix = 'restore the database from a backup (`kiosk restore FILE`, backups in the data dir\'s backups/), or see `kiosk storage accept`';
  if (!s.exists) return `database ${file} is missing but ${had}: ${fix}`;
  if (s.size === 0 || s.userVersion === 0) return `database ${file} is empty but ${had}: ${fix}`;
  if (s.dbId !== marker.dbId) return `${file} is a different database (id ${s.dbId ?? 'none'}; the marker names ${marker.dbId}): ${fix}`;
  if (s.journalSeq < marker.journalSeq) {
    return `database went backwards: journal ends at ${s.journalSeq}, marker says ${marker.journalSeq} (written ${when(marker.writtenAt)}): ${fix}`;
  }
  if (marker.journalSeq > 0 && s.hashOf !== marker.journalHash) {
    return `database history differs: journal entry ${marker.journalSeq} is not the one the marker recorded (written ${when(marker.writtenAt)}): ${fix}`;
  }
  if (s.receiptNo < marker.receiptNo) {
    return `database went backwards: receipt counter at ${s.receiptNo}, marker says ${marker.receiptNo} (written ${when(marker.writtenAt)}): ${fix}`;
  }
  return null;
}

/** Why the kiosk could not boot, when it is a storage or data fault (anything else is a bug and stays an error). */
export interface BootFault {
  source: 'storage' | 'data';
  code: 'STORAGE_FAILED' | 'DATA_BEHIND' | 'SCHEMA_NEWER';
  reason: string;
  /** False when retrying cannot help (a newer schema needs newer software). */
  retry: boolean;
}

export function bootFault(e: unknown, file: string): BootFault | null {
  const k = asStorageError(e, file);
  if (!(k instanceof KioskError)) return null;
  if (k.code === 'STORAGE_FAILED') return { source: 'storage', code: k.code, reason: k.message, retry: true };
  if (k.code === 'SCHEMA_NEWER') return { source: 'storage', code: k.code, reason: k.message, retry: false };
  if (k.code === 'DATA_BEHIND') return { source: 'data', code: k.code, reason: k.message, retry: true };
  return null;
}
