import { KioskDb } from '../../kernel/sqlite/database';
import { asStorageError } from '../../kernel/sqlite/storage-failure';
import { latestVersion, migrate, schemaNewer } from '../../runtime/db/migrations';
import { verifyJournal } from '../../protocol/journal/verify';
import { CliExit, configFrom, type CommonOptions } from '../cli-support';
import { dbPath } from '../kiosk';
import * as fs from 'node:fs';

/**
 * The database opened read-only (a data dir this user may only read will do); one written by older software is
 * migrated first, which needs write access.
 */
async function openForVerify(file: string): Promise<KioskDb> {
  const db = await KioskDb.openReadOnly(file);
  let version: number;
  try {
    version = (await db.read.get<{ user_version: number }>('PRAGMA user_version'))?.user_version ?? 0;
  } catch (e) {
    await db.close().catch(() => undefined);
    throw e;
  }
  if (version > latestVersion()) {
    await db.close();
    throw schemaNewer(version, latestVersion());
  }
  if (version === latestVersion()) return db;
  await db.close();
  const writable = await KioskDb.open(file);
  try {
    await migrate(writable);
  } catch (e) {
    await writable.close().catch(() => undefined);
    throw e;
  }
  return writable;
}

/** `kiosk journal verify`: recomputes the chain; `ok N entries` (exit 0) or the first broken seq (exit 1). Writes nothing. */
export async function journalVerify(opts: CommonOptions & { json?: boolean }): Promise<void> {
  const config = configFrom(opts);
  const file = dbPath(config.dataDir);
  if (!fs.existsSync(file)) throw new CliExit(1, `kiosk: no kiosk database at ${file}`);
  const db = await openForVerify(file).catch((e: unknown) => {
    throw asStorageError(e, file);
  });
  try {
    const r = await verifyJournal(db.read);
    if (opts.json) process.stdout.write(`${JSON.stringify(r)}\n`);
    if (r.ok) {
      if (!opts.json) process.stdout.write(`ok ${r.entries} entries\n`);
      return;
    }
    if (!opts.json) process.stdout.write(`broken at seq ${r.brokenAt}: ${r.reason} (${r.entries} entries verified before it)\n`);
    throw new CliExit(1, '');
  } finally {
    await db.close();
  }
}
