import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KioskDb } from '../../kernel/sqlite/database';
import { migrate, MIGRATIONS } from './migrations';

describe('migrations', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-mig-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('upgrades a file written by an older version in place, keeping its data', async () => {
    const file = path.join(dir, 'k.sqlite');
    const old = await KioskDb.open(file);
    expect(await migrate(old, MIGRATIONS.filter((m) => m.version === 1))).toBe(1);
    await old.transaction((tx) => tx.run("INSERT INTO meta (key, value) VALUES ('marker', 'kept')"));
    await old.close();

    const db = await KioskDb.open(file);
    expect(await migrate(db)).toBe(Math.max(...MIGRATIONS.map((m) => m.version)));
    expect(await db.read.get('SELECT value FROM meta WHERE key = ?', ['marker'])).toEqual({ value: 'kept' });
    const tables = (await db.read.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")).map((t) => t.name);
    expect(tables).toEqual(expect.arrayContaining(['orders', 'journal', 'outbox', 'items', 'print_jobs']));
    // applying again is a no-op
    expect(await migrate(db)).toBe(Math.max(...MIGRATIONS.map((m) => m.version)));
    await db.close();
  });

  it('refuses a database from newer software', async () => {
    const db = await KioskDb.open(path.join(dir, 'k.sqlite'));
    await db.exclusive((tx) => tx.exec('PRAGMA user_version = 999'));
    await expect(migrate(db)).rejects.toThrow(/newer than this software/);
    await db.close();
  });

  it('a failing migration leaves the file at the last good version', async () => {
    const db = await KioskDb.open(path.join(dir, 'k.sqlite'));
    const broken = [...MIGRATIONS.filter((m) => m.version === 1), { version: 2, name: 'broken', sql: 'CREATE TABLE x (a); SELECT no_such_function();' }];
    await expect(migrate(db, broken)).rejects.toThrow();
    expect(await db.read.get('PRAGMA user_version')).toEqual({ user_version: 1 });
    expect(await db.read.all("SELECT name FROM sqlite_master WHERE name = 'x'")).toEqual([]);
    await db.close();
  });

  it('runs with WAL, synchronous=FULL and foreign keys on', async () => {
    const db = await KioskDb.open(path.join(dir, 'k.sqlite'));
    const r = await db.exclusive(async (tx) => ({
      journal: await tx.get<{ journal_mode: string }>('PRAGMA journal_mode'),
      sync: await tx.get<{ synchronous: number }>('PRAGMA synchronous'),
      fk: await tx.get<{ foreign_keys: number }>('PRAGMA foreign_keys'),
    }));
    expect(r).toEqual({ journal: { journal_mode: 'wal' }, sync: { synchronous: 2 }, fk: { foreign_keys: 1 } });
    await db.close();
  });
});
