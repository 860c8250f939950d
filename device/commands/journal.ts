import { KioskDb } from '../../kernel/sqlite/database';
import { migrate } from '../../runtime/db/migrations';
import { verifyJournal } from '../../protocol/journal/verify';
import { CliExit, configFrom, type CommonOptions } from '../cli-support';
import { dbPath } from '../kiosk';
import * as fs from 'node:fs';

/** `kiosk journal verify`: recomputes the chain; `ok N entries` (exit 0) or the first broken seq (exit 1). */
export async function journalVerify(opts: CommonOptions & { json?: boolean }): Promise<void> {
  const config = configFrom(opts);
  const file = dbPath(config.dataDir);
  if (!fs.existsSync(file)) throw new CliExit(1, `no kiosk database at ${file}`);
  const db = await KioskDb.open(file);
  try {
    await migrate(db);
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
