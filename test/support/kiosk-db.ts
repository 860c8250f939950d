import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KioskDb } from '../../kernel/sqlite/database';

/** A test's kiosk database file (`dir/k.sqlite`); a test may reopen it into `db`, which is what gets closed after it. */
export interface FreshKioskDb {
  dir: string;
  db: KioskDb;
}

/**
 * Jest hooks: before each test a fresh temp dir (`prefix…`) with a KioskDb at `k.sqlite` and `schema` run on it (no
 * migrations: the kernel's own tests); after it, `db` closed and the dir removed.
 */
export function freshKioskDbEachTest(prefix: string, schema: string): FreshKioskDb {
  const t = {} as FreshKioskDb;
  beforeEach(async () => {
    t.dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    t.db = await KioskDb.open(path.join(t.dir, 'k.sqlite'));
    await t.db.exclusive((tx) => tx.exec(schema));
  });
  afterEach(async () => {
    await t.db.close();
    fs.rmSync(t.dir, { recursive: true, force: true });
  });
  return t;
}
