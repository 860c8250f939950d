import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Clock } from '../../kernel/clock';
import { SqlAuditLog } from '../audit/audit-log';
import { IngestStore } from '../ingest/store';

/**
 * Opens the console store `db` (a SQLite file, its folder made first, or a postgres:// URL) for one CLI command, runs
 * `fn` with it, an audit log on it and the clock's now, and closes it whatever happens.
 */
export async function withConsoleStore<T>(db: string, fn: (store: IngestStore, audit: SqlAuditLog, now: number) => Promise<T>, clock: Clock): Promise<T> {
  if (!/^postgres(ql)?:\/\//.test(db)) fs.mkdirSync(path.dirname(path.resolve(db)), { recursive: true });
  const store = await IngestStore.open(db);
  try {
    return await fn(store, new SqlAuditLog(store.db, clock), clock.now());
  } finally {
    await store.close();
  }
}
