import * as fs from 'node:fs';
import * as path from 'node:path';
import sqlite3 from 'sqlite3';
import { assert, KioskError } from '../errors';
import { storageFailure, type StorageFailure } from './storage-failure';

export type Params = unknown[] | Record<string, unknown>;

/** The statements a transaction body may run; only valid inside `KioskDb.transaction`. */
export interface Tx {
  run(sql: string, params?: Params): Promise<{ changes: number; lastID: number }>;
  get<T>(sql: string, params?: Params): Promise<T | undefined>;
  all<T>(sql: string, params?: Params): Promise<T[]>;
  exec(sql: string): Promise<void>;
}

function open(file: string, mode: number): Promise<sqlite3.Database> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, mode, (err) => (err ? reject(err) : resolve(db)));
  });
}

/**
 * The database holds the journal and the lane's business: readable by its owner only (0600; 0640 is kept when an
 * admin set it for a group that must read). A new file is created 0600 before SQLite opens it; SQLite gives the
 * -wal and -shm files it creates later the database file's mode (its unix VFS copies it), and files left with
 * wider modes by older software are narrowed here (never widened).
 */
function restrictModes(file: string): void {
  if (file === ':memory:' || file === '') return;
  try {
    fs.closeSync(fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o600));
  } catch {
    // it exists (or cannot be created: SQLite's open reports that with its own error)
  }
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      // only ever narrowed (a 0400 file stays 0400): group and others lose everything but a group's read
      const wide = fs.statSync(f).mode & 0o077;
      if (wide !== 0 && wide !== 0o040) fs.chmodSync(f, fs.statSync(f).mode & 0o600);
    } catch {
      // missing, or not ours to change (read-only file system): the open decides
    }
  }
}

/**
 * A read-only connection to the existing database `file`; nothing is created or written. SQLite reads a WAL
 * database through its -shm file, which it cannot create in a folder this user may not write: then, when no -wal
 * is left either (no transaction is waiting for a checkpoint, no writer is at work), the file is opened
 * `immutable` (https://www.sqlite.org/wal.html#readonly, https://www.sqlite.org/uri.html#uriimmutable).
 */
export function openReadOnlyConnection(file: string): Promise<sqlite3.Database> {
  const dir = path.dirname(file);
  let dirWritable = true;
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    dirWritable = false;
  }
  const walLeft = fs.existsSync(`${file}-wal`) && fs.statSync(`${file}-wal`).size > 0;
  if (dirWritable || walLeft || fs.existsSync(`${file}-shm`)) return open(file, sqlite3.OPEN_READONLY | sqlite3.OPEN_FULLMUTEX);
  const uri = `file:${path.resolve(file).split('/').map(encodeURIComponent).join('/')}?immutable=1`;
  return open(uri, sqlite3.OPEN_READONLY | sqlite3.OPEN_URI | sqlite3.OPEN_FULLMUTEX);
}

/** Told of every storage-class failure (disk full, read-only, corrupt, I/O ...) of a statement, before the caller sees it. */
export type StorageFailureListener = (failure: StorageFailure, cause: Error) => void;

/** Told the duration of each successful COMMIT, in seconds. */
export type CommitObserver = (seconds: number) => void;

/**
 * Statement calls on one connection. A failing statement is handed to `failed` first (only on the error path: a
 * statement that succeeds costs nothing more), then rejects with the driver's own error, unchanged.
 */
function wrap(db: sqlite3.Database, failed: (err: Error) => void): Tx {
  const fail = (reject: (e: Error) => void, err: Error) => {
    failed(err);
    reject(err);
  };
  return {
    run: (sql, params = []) =>
      new Promise((resolve, reject) =>
        db.run(sql, params, function (this: sqlite3.RunResult, err: Error | null) {
          if (err) fail(reject, err);
          else resolve({ changes: this.changes, lastID: this.lastID });
        }),
      ),
    get: <T>(sql: string, params: Params = []) =>
      new Promise<T | undefined>((resolve, reject) => db.get(sql, params, (err, row) => (err ? fail(reject, err) : resolve(row as T | undefined)))),
    all: <T>(sql: string, params: Params = []) =>
      new Promise<T[]>((resolve, reject) => db.all(sql, params, (err, rows) => (err ? fail(reject, err) : resolve(rows as T[])))),
    exec: (sql) => new Promise<void>((resolve, reject) => db.exec(sql, (err) => (err ? fail(reject, err) : resolve()))),
  };
}

/**
 * A second writer connection on an existing kiosk database, for a process the kiosk lends its writer's turn to
 * ({@link KioskDb.lend}): a price-book build process. Its commits are not durable on their own (synchronous=NORMAL:
 * the kiosk's next durable commit makes them so, WAL keeping commit order), and it never checkpoints (the kiosk's
 * background checkpoints do). Only write through it while the kiosk has lent its turn.
 */
export async function openLentWriter(file: string): Promise<{ tx: Tx; close(): Promise<void> }> {
  const conn = await open(file, sqlite3.OPEN_READWRITE | sqlite3.OPEN_FULLMUTEX);
  const tx = wrap(conn, () => undefined);
  const close = () => new Promise<void>((resolve) => conn.close(() => resolve()));
  try {
    await tx.exec('PRAGMA busy_timeout=10000; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA wal_autocheckpoint=0;');
    conn.configure('busyTimeout', 10000);
  } catch (e) {
    await close();
    throw e;
  }
  return { tx, close };
}

/**
 * The kiosk's SQLite file: WAL, synchronous=FULL, foreign keys on. One writer connection behind a queue, so
 * transactions never interleave (a statement sent on a connection while its transaction is open would join it),
 * and one reader connection that only ever sees committed data.
 */
/** How a write waits for the writer: `background` work (HQ sync, price-book apply, housekeeping) yields to the lane's. */
export interface WriteOptions {
  /**
   * Queued behind every foreground (default) transaction that is waiting, whenever it was queued: the shopper's
   * writes are first in line. A background transaction already running is never interrupted, so keep each short
   * (chunk bulk work). Background work waits while foreground work keeps arriving.
   */
  background?: boolean;
  /**
   * false: committed without waiting for the disk (synchronous=NORMAL for this transaction only; WAL keeps commit
   * order, so the next durable commit's fsync makes it durable too). A power cut may lose it, never a later durable
   * one, and nothing goes corrupt. Only for writes that are redone safely when lost, e.g. deleting rows HQ has
   * acknowledged (they are sent again and HQ drops the duplicates). Default true (synchronous=FULL).
   */
  durable?: boolean;
}

type WriterJob = () => Promise<void>;

/** Commits between two background checkpoints. */
export const CHECKPOINT_EVERY_COMMITS = 64;
/** SQLite's own checkpoint (in a COMMIT) only past this many WAL pages (4 KiB each). */
const AUTO_CHECKPOINT_PAGES = 10_000;

export class KioskDb {
  /** Writer work waiting its turn: foreground first, then background; one job runs at a time. */
  private readonly foreground: WriterJob[] = [];
  private readonly background: WriterJob[] = [];
  private writerBusy = false;
  /** The writer runs synchronous=NORMAL (a non-durable transaction's; restored to FULL before any other). */
  private relaxed = false;
  /** Commits since the last background checkpoint was queued. */
  private commitsSinceCheckpoint = 0;
  private checkpointQueued = false;
  private checkpoints = 0;
  private readonly drainWaiters: (() => void)[] = [];
  private closed = false;
  /** Opened with `openReadOnly`: one connection, no transaction, nothing written on close. */
  private readOnly = false;
  private readonly storageListeners = new Set<StorageFailureListener>();
  /** Statements prepared once on the reader ({@link readPrepared}), by SQL; finalized at close. */
  private readonly prepared = new Map<string, Promise<sqlite3.Statement>>();
  private commitObserver: CommitObserver | null = null;
  private constructor(
    readonly file: string,
    private readonly writer: sqlite3.Database,
    private readonly reader: sqlite3.Database,
    private readonly w: Tx,
    private readonly r: Tx,
  ) {}

  static async open(file: string): Promise<KioskDb> {
    // statement failures go to the instance's listeners (set once it exists; none can fail before)
    let self: KioskDb | null = null;
    const failed = (err: Error) => self?.failed(err);
    restrictModes(file);
    const writer = await open(file, sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE | sqlite3.OPEN_FULLMUTEX);
    const w = wrap(writer, failed);
    // checkpoints are background writer jobs (KioskDb.checkpointSoon); SQLite's own, run by whichever COMMIT crosses
    // the limit (a scan's, with two fsyncs), only as a safety net for a WAL that grew past 40 MB between them
    await w.exec(`PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000; PRAGMA wal_autocheckpoint=${AUTO_CHECKPOINT_PAGES};`);
    writer.configure('busyTimeout', 10000);
    const reader = await open(file, sqlite3.OPEN_READONLY | sqlite3.OPEN_FULLMUTEX);
    const r = wrap(reader, failed);
    await r.exec('PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;');
    reader.configure('busyTimeout', 10000);
    self = new KioskDb(file, writer, reader, w, r);
    return self;
  }

  /**
   * The existing database `file`, read-only (read-only commands: journal verify, orders list, reports): no
   * migration, no PRAGMA that writes, no checkpoint on close; works on a data dir this user may only read.
   * `transaction` and `exclusive` are programming errors on it. A missing file is SQLITE_CANTOPEN.
   */
  static async openReadOnly(file: string): Promise<KioskDb> {
    let self: KioskDb | null = null;
    const failed = (err: Error) => self?.failed(err);
    const conn = await openReadOnlyConnection(file);
    const r = wrap(conn, failed);
    try {
      await r.exec('PRAGMA busy_timeout=10000;');
      // the first read: a missing or unreadable file fails here, not at the caller's first query
      await r.get('PRAGMA user_version');
    } catch (e) {
      await new Promise<void>((resolve) => conn.close(() => resolve()));
      throw e;
    }
    conn.configure('busyTimeout', 10000);
    self = new KioskDb(file, conn, conn, r, r);
    self.readOnly = true;
    return self;
  }

  /**
   * Calls `fn` for every storage-class failure of any statement — in a transaction (the transaction still rolls
   * back and the error still reaches its caller, unchanged), in `exclusive`, or a read — before the caller sees it,
   * so the lane is out of service by the time a scan hears of the failure. Returns the unsubscribe function.
   */
  onStorageFailure(fn: StorageFailureListener): () => void {
    this.storageListeners.add(fn);
    return () => this.storageListeners.delete(fn);
  }

  /**
   * Tells `fn` how long each transaction's COMMIT took (seconds, monotonic: the WAL append and its fsync under
   * synchronous=FULL) — for the metrics' latency histogram. One observer; null removes it. Without one a commit
   * costs nothing more; an observer that throws is ignored (the transaction is committed).
   */
  observeCommits(fn: CommitObserver | null): void {
    this.commitObserver = fn;
  }

  private failed(err: Error): void {
    if (this.storageListeners.size === 0) return;
    const f = storageFailure(err, this.file);
    if (!f) return;
    for (const fn of this.storageListeners) {
      try {
        fn(f, err);
      } catch {
        // a listener's own fault must not stop the statement's caller from hearing of the failure
      }
    }
  }

  /** Queues `run` on the writer; runs after the jobs ahead of it (foreground ones before any background one). */
  private enqueue<T>(run: () => Promise<T>, options?: WriteOptions): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      (options?.background ? this.background : this.foreground).push(() => run().then(resolve, reject));
      queueMicrotask(() => this.pump());
    });
  }

  private pump(): void {
    if (this.writerBusy) return;
    const job = this.foreground.shift() ?? this.background.shift();
    if (!job) {
      for (const w of this.drainWaiters.splice(0)) w();
      return;
    }
    this.writerBusy = true;
    void job().finally(() => {
      this.writerBusy = false;
      this.pump();
    });
  }

  /** Resolves when no writer job is running or waiting. */
  private drained(): Promise<void> {
    if (!this.writerBusy && this.foreground.length === 0 && this.background.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Writer jobs waiting (not counting the one running), for metrics and tests. */
  get writesWaiting(): { foreground: number; background: number } {
    return { foreground: this.foreground.length, background: this.background.length };
  }

  /**
   * Runs `body` as one `BEGIN IMMEDIATE … COMMIT`, after the transactions queued before it (a background one also
   * after every foreground one waiting: {@link WriteOptions}). If `body` throws, the transaction is rolled back and
   * the error passed on; nothing of it is visible to anyone.
   */
  transaction<T>(body: (tx: Tx) => Promise<T>, options?: WriteOptions): Promise<T> {
    assert(!this.readOnly, `transaction on ${this.file}, opened read-only`);
    return this.enqueue(async () => {
      if (this.closed) throw new KioskError('DB_CLOSED', 'database is closed');
      // the connection is back to synchronous=FULL before any durable transaction (also if restoring it failed once)
      if (this.relaxed && options?.durable !== false) {
        await this.w.exec('PRAGMA synchronous=FULL');
        this.relaxed = false;
      }
      if (options?.durable === false && !this.relaxed) {
        await this.w.exec('PRAGMA synchronous=NORMAL');
        this.relaxed = true;
      }
      try {
        const result = await this.runTransaction(body);
        this.checkpointSoon();
        return result;
      } finally {
        if (this.relaxed) {
          // failing here leaves `relaxed` set: the next durable transaction restores it first, or fails
          await this.w
            .exec('PRAGMA synchronous=FULL')
            .then(() => (this.relaxed = false))
            .catch(() => undefined);
        }
      }
    }, options);
  }

  /**
   * Every {@link CHECKPOINT_EVERY_COMMITS} commits, a PASSIVE checkpoint (WAL pages copied into the database file,
   * with its fsyncs) queued as background work: it runs when no lane transaction waits, never inside a scan's COMMIT.
   * A failure is left to the next one (storage failures reach the listeners as for any statement).
   */
  private checkpointSoon(): void {
    if (++this.commitsSinceCheckpoint < CHECKPOINT_EVERY_COMMITS || this.checkpointQueued) return;
    this.commitsSinceCheckpoint = 0;
    this.checkpointQueued = true;
    void this.enqueue(async () => {
      this.checkpointQueued = false;
      if (this.closed) return;
      await this.w.exec('PRAGMA wal_checkpoint(PASSIVE)').then(
        () => this.checkpoints++,
        () => undefined,
      );
    }, { background: true });
  }

  /** Background checkpoints run so far (for metrics and tests). */
  get checkpointsRun(): number {
    return this.checkpoints;
  }

  /** `BEGIN IMMEDIATE`, `body`, `COMMIT` (observed), or `ROLLBACK` when `body` throws: the writer's turn has come. */
  private async runTransaction<T>(body: (tx: Tx) => Promise<T>): Promise<T> {
    await this.w.exec('BEGIN IMMEDIATE');
    try {
      const result = await body(this.w);
      const observe = this.commitObserver;
      if (observe) {
        const t0 = process.hrtime.bigint();
        await this.w.exec('COMMIT');
        try {
          observe(Number(process.hrtime.bigint() - t0) / 1e9);
        } catch {
          // the transaction is committed: an observer's fault must not make its caller think otherwise
        }
      } else {
        await this.w.exec('COMMIT');
      }
      return result;
    } catch (e) {
      await this.w.exec('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }

  /** Runs outside a transaction on the writer, in queue order (PRAGMAs, VACUUM, checkpoints). */
  exclusive<T>(body: (tx: Tx) => Promise<T>, options?: WriteOptions): Promise<T> {
    assert(!this.readOnly, `exclusive on ${this.file}, opened read-only`);
    return this.enqueue(async () => {
      if (this.closed) throw new KioskError('DB_CLOSED', 'database is closed');
      return body(this.w);
    }, options);
  }

  /**
   * Lends the writer's turn to another connection on this file (a price-book build process: {@link openLentWriter}):
   * `body` runs in queue order — a background one behind every foreground transaction waiting — while this
   * process's writer stays idle, so neither ever waits on SQLite's lock. Counts as a commit for the background
   * checkpoint. `body` must not resolve before the other connection's transaction has ended.
   */
  lend<T>(body: () => Promise<T>, options?: WriteOptions): Promise<T> {
    assert(!this.readOnly, `lend on ${this.file}, opened read-only`);
    return this.enqueue(async () => {
      if (this.closed) throw new KioskError('DB_CLOSED', 'database is closed');
      const result = await body();
      this.checkpointSoon();
      return result;
    }, options);
  }

  /**
   * All rows of `sql` through a statement prepared once on the reader connection and kept until close: one trip to
   * SQLite's thread per call instead of two (prepare, then step) — for the lane's hot reads (a barcode lookup: p50
   * 0.04 instead of 0.12 ms on the CI machine). Each call steps to the end, so no read transaction stays open
   * between calls (a statement left on a row would hold the WAL's checkpoints back). SQLite re-prepares it by itself
   * after a schema change (a price book switched in by renaming tables). Keep `sql` a constant: each text is kept.
   */
  readPrepared<T>(sql: string, params: Params = []): Promise<T[]> {
    if (this.closed) return Promise.reject(new KioskError('DB_CLOSED', 'database is closed'));
    let stmt = this.prepared.get(sql);
    if (!stmt) {
      stmt = new Promise<sqlite3.Statement>((resolve, reject) => {
        const s: sqlite3.Statement = this.reader.prepare(sql, (err) => (err ? reject(err) : resolve(s)));
      });
      this.prepared.set(sql, stmt);
      // a statement that does not prepare is not kept: the error goes to this call, the next one tries again
      stmt.catch(() => this.prepared.delete(sql));
    }
    return stmt.then(
      (s) =>
        new Promise<T[]>((resolve, reject) =>
          s.all(params, (err: Error | null, rows: unknown[]) => {
            if (!err) return resolve(rows as T[]);
            this.failed(err);
            reject(err);
          }),
        ),
      (err: Error) => {
        this.failed(err);
        throw err;
      },
    );
  }

  /** Reads committed data; never waits for the writer queue. */
  get read(): Tx {
    if (this.closed) throw new KioskError('DB_CLOSED', 'database is closed');
    return this.r;
  }

  /** Waits for queued transactions, checkpoints the WAL into the main file and closes both connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.drained();
    this.closed = true;
    // an unfinalized statement would keep the connection from closing
    const statements = await Promise.all([...this.prepared.values()].map((p) => p.catch(() => null)));
    this.prepared.clear();
    await Promise.all(statements.map((s) => s && new Promise<void>((resolve) => s.finalize(() => resolve()))));
    if (this.readOnly) {
      await new Promise<void>((resolve, reject) => this.reader.close((err) => (err ? reject(err) : resolve())));
      return;
    }
    await new Promise<void>((resolve) => this.reader.close(() => resolve()));
    await this.w.exec('PRAGMA wal_checkpoint(TRUNCATE)').catch(() => undefined);
    await new Promise<void>((resolve, reject) => this.writer.close((err) => (err ? reject(err) : resolve())));
  }
}
