import sqlite3 from 'sqlite3';

/** Plain sqlite3 access to a kiosk file, as a technician (or an attacker) with the sqlite3 shell would have. */
export async function withRawDb<T>(file: string, body: (q: { all: <R>(sql: string, p?: unknown[]) => Promise<R[]>; run: (sql: string, p?: unknown[]) => Promise<void> }) => Promise<T>): Promise<T> {
  const db = await new Promise<sqlite3.Database>((resolve, reject) => {
    const d: sqlite3.Database = new sqlite3.Database(file, (err) => (err ? reject(err) : resolve(d)));
  });
  const all = <R>(sql: string, p: unknown[] = []) => new Promise<R[]>((res, rej) => db.all(sql, p, (e, rows) => (e ? rej(e) : res(rows as R[]))));
  const run = (sql: string, p: unknown[] = []) => new Promise<void>((res, rej) => db.run(sql, p, (e) => (e ? rej(e) : res())));
  try {
    return await body({ all, run });
  } finally {
    await new Promise<void>((res) => db.close(() => res()));
  }
}
