import sqlite3 from 'sqlite3';
import { KioskError } from '../errors';
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

/** Told of every storage-class failure (disk full, read-only, corrupt, I/O ...) of a statement, before the caller sees it. */
export type StorageFailureListener = (failure: StorageFailure, cause: Error) => void;

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
 * The kiosk's SQLite file: WAL, synchronous=FULL, foreign keys on. One writer connection behind a queue, so
 * transactions never interleave (a statement sent on a connection while its transaction is open would join it),
 * and one reader connection that only ever sees committed data.
 */
export class KioskDb {
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly storageListeners = new Set<StorageFailureListener>();
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
    const writer = await open(file, sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE | sqlite3.OPEN_FULLMUTEX);
    const w = wrap(writer, failed);
    await w.exec('PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;');
    writer.configure('busyTimeout', 10000);
    const reader = await open(file, sqlite3.OPEN_READONLY | sqlite3.OPEN_FULLMUTEX);
    const r = wrap(reader, failed);
    await r.exec('PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;');
    reader.configure('busyTimeout', 10000);
    self = new KioskDb(file, writer, reader, w, r);
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

  /**
   * Runs `body` as one `BEGIN IMMEDIATE … COMMIT`, after every transaction queued before it. If `body` throws,
   * the transaction is rolled back and the error passed on; nothing of it is visible to anyone.
   */
  transaction<T>(body: (tx: Tx) => Promise<T>): Promise<T> {
    const next = this.queue.then(async () => {
      if (this.closed) throw new KioskError('DB_CLOSED', 'database is closed');
      await this.w.exec('BEGIN IMMEDIATE');
      try {
        const result = await body(this.w);
        await this.w.exec('COMMIT');
        return result;
      } catch (e) {
        await this.w.exec('ROLLBACK').catch(() => undefined);
        throw e;
      }
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Runs outside a transaction on the writer, in queue order (PRAGMAs, VACUUM, checkpoints). */
  exclusive<T>(body: (tx: Tx) => Promise<T>): Promise<T> {
    const next = this.queue.then(() => {
      if (this.closed) throw new KioskError('DB_CLOSED', 'database is closed');
      return body(this.w);
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Reads committed data; never waits for the writer queue. */
  get read(): Tx {
    if (this.closed) throw new KioskError('DB_CLOSED', 'database is closed');
    return this.r;
  }

  /** Waits for queued transactions, checkpoints the WAL into the main file and closes both connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.queue;
    this.closed = true;
    await new Promise<void>((resolve) => this.reader.close(() => resolve()));
    await this.w.exec('PRAGMA wal_checkpoint(TRUNCATE)').catch(() => undefined);
    await new Promise<void>((resolve, reject) => this.writer.close((err) => (err ? reject(err) : resolve())));
  }
}
