import { KioskError } from '../errors';
import type { KioskDb } from './database';

/** One versioned schema change; `version` is stored in SQLite's `user_version`. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const latestMigration = (migrations: readonly Migration[]): number => migrations.reduce((m, x) => Math.max(m, x.version), 0);

/** A database written by newer software: retrying cannot help, updating the software does. */
export const schemaNewer = (found: number, latest: number): KioskError =>
  new KioskError('SCHEMA_NEWER', `database schema v${found} is newer than this software (v${latest}): update the kiosk software`, { found, latest });

/** Applies every migration newer than the file's `user_version`, each in its own transaction. Returns the version. */
export async function applyMigrations(db: KioskDb, migrations: readonly Migration[]): Promise<number> {
  const row = await db.exclusive((tx) => tx.get<{ user_version: number }>('PRAGMA user_version'));
  let current = row?.user_version ?? 0;
  const latest = latestMigration(migrations);
  if (current > latest) throw schemaNewer(current, latest);
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (m.version <= current) continue;
    await db.transaction(async (tx) => {
      await tx.exec(m.sql);
      await tx.exec(`PRAGMA user_version = ${m.version}`);
    });
    current = m.version;
  }
  return current;
}
