import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AssertionFailed } from '../errors';
import { KioskDb } from './database';

describe('KioskDb.openReadOnly', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-ro-db-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads committed data; a transaction or exclusive on it is a programming error; the file is not changed', async () => {
    const file = path.join(dir, 'k.sqlite');
    const w = await KioskDb.open(file);
    await w.transaction((tx) => tx.exec('CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (7);'));
    await w.close();
    const bytes = fs.readFileSync(file);
    const db = await KioskDb.openReadOnly(file);
    expect(await db.read.get<{ v: number }>('SELECT v FROM t')).toEqual({ v: 7 });
    expect(() => db.transaction((tx) => tx.run('INSERT INTO t VALUES (8)'))).toThrow(AssertionFailed);
    expect(() => db.exclusive((tx) => tx.exec('VACUUM'))).toThrow(AssertionFailed);
    await expect(db.read.run('INSERT INTO t VALUES (9)')).rejects.toMatchObject({ code: 'SQLITE_READONLY' });
    await db.close();
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
  });

  it('a missing file is SQLITE_CANTOPEN and creates nothing', async () => {
    await expect(KioskDb.openReadOnly(path.join(dir, 'none.sqlite'))).rejects.toMatchObject({ code: 'SQLITE_CANTOPEN' });
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
