import sqlite3 from 'sqlite3';
import type { Params, Tx } from '../../kernel/sqlite/database';
import { verifyJournal } from '../../protocol/journal/verify';

/**
 * What a kiosk database copy (a backup, or the file a restore is about to put in place) holds, and whether it is
 * whole: `PRAGMA integrity_check` plus the journal's hash chain (protocol/journal/verify.ts), read through a
 * read-only connection of its own, so checking a file never changes it.
 */
export interface BackupCheck {
  ok: boolean;
  /** Why not ok, for staff (null when ok). */
  reason: string | null;
  /** The journal head in the copy (0 / '' for an empty journal). */
  journalSeq: number;
  journalHash: string;
  entries: number;
  receiptNo: number;
  dbId: string | null;
  /** HQ's acknowledged journal seq as the copy knows it: rows still in the outbox are not acknowledged. */
  ackedSeq: number;
}

function openReadOnly(file: string): Promise<sqlite3.Database> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (err) => (err ? reject(err) : resolve(db)));
  });
}

/** The read statements of a Tx on a plain connection (verifyJournal reads through a Tx). */
function reader(db: sqlite3.Database): Tx {
  const refuse = () => Promise.reject(new Error('read-only'));
  return {
    get: <T>(sql: string, params: Params = []) => new Promise<T | undefined>((resolve, reject) => db.get(sql, params, (err, row) => (err ? reject(err) : resolve(row as T | undefined)))),
    all: <T>(sql: string, params: Params = []) => new Promise<T[]>((resolve, reject) => db.all(sql, params, (err, rows) => (err ? reject(err) : resolve(rows as T[])))),
    run: refuse,
    exec: refuse,
  };
}

/** HQ's acknowledged seq from the outbox: acked rows are deleted, so it is the first row left minus one, or the head. */
export async function ackedSeqOf(read: Pick<Tx, 'get'>, journalSeq: number): Promise<number> {
  const first = await read.get<{ seq: number | null }>('SELECT MIN(seq) AS seq FROM outbox');
  return first?.seq != null ? first.seq - 1 : journalSeq;
}

/** Checks the kiosk database copy `file`. Never throws for a bad file: `{ ok: false, reason }`. */
export async function checkBackup(file: string): Promise<BackupCheck> {
  const none: BackupCheck = { ok: false, reason: null, journalSeq: 0, journalHash: '', entries: 0, receiptNo: 0, dbId: null, ackedSeq: 0 };
  let db: sqlite3.Database;
  try {
    db = await openReadOnly(file);
  } catch (e) {
    return { ...none, reason: `${file}: cannot open (${(e as Error).message})` };
  }
  const r = reader(db);
  try {
    const rows = await r.all<{ integrity_check: string }>('PRAGMA integrity_check');
    if (!(rows.length === 1 && rows[0].integrity_check === 'ok')) {
      return { ...none, reason: `${file} failed PRAGMA integrity_check (${rows.slice(0, 3).map((x) => x.integrity_check.replace(/\s+/g, ' ')).join('; ')})` };
    }
    const tables = new Set((await r.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")).map((x) => x.name));
    for (const t of ['meta', 'journal', 'outbox', 'counters', 'orders']) {
      if (!tables.has(t)) return { ...none, reason: `${file} is not a kiosk database (no ${t} table)` };
    }
    const dbId = (await r.get<{ value: string }>("SELECT value FROM meta WHERE key = 'db_id'"))?.value ?? null;
    const head = await r.get<{ seq: number; hash: string }>('SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1');
    const receiptNo = (await r.get<{ value: number }>("SELECT value FROM counters WHERE name = 'receipt'"))?.value ?? 0;
    const journalSeq = head?.seq ?? 0;
    const facts = { journalSeq, journalHash: head?.hash ?? '', receiptNo, dbId, ackedSeq: await ackedSeqOf(r, journalSeq) };
    const v = await verifyJournal(r);
    if (!v.ok) return { ...none, ...facts, entries: v.entries, reason: `${file}: journal chain broken at seq ${v.brokenAt}: ${v.reason}` };
    return { ok: true, reason: null, entries: v.entries, ...facts };
  } catch (e) {
    return { ...none, reason: `${file}: cannot be read as a kiosk database (${(e as Error).message})` };
  } finally {
    await new Promise<void>((resolve) => db.close(() => resolve()));
  }
}

/** The hash of journal entry `seq` in `file` ('' when there is none or the file cannot be read). */
export async function journalHashAt(file: string, seq: number): Promise<string> {
  let db: sqlite3.Database;
  try {
    db = await openReadOnly(file);
  } catch {
    return '';
  }
  try {
    return (await reader(db).get<{ hash: string }>('SELECT hash FROM journal WHERE seq = ?', [seq]))?.hash ?? '';
  } catch {
    return '';
  } finally {
    await new Promise<void>((resolve) => db.close(() => resolve()));
  }
}
