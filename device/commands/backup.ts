import * as path from 'node:path';
import { SystemClock, type Clock } from '../../kernel/clock';
import { backupDatabase, backupName, backupsDir, DEFAULT_KEEP, type BackupResult } from '../../runtime/db/backup';
import { CliExit, configFrom, printJson, type CommonOptions } from '../cli-support';
import { dbPath } from '../kiosk';

export interface BackupOptions extends CommonOptions {
  out?: string;
  keep?: string;
  json?: boolean;
}

/** The backup of `dataDir`'s database, for `kiosk backup` and `kiosk factory-reset` (whose final backup it is). */
export function backupDataDir(dataDir: string, opts: { out?: string; keep?: number; clock: Clock; prefix?: 'kiosk' | 'final' }): Promise<BackupResult> {
  const out = opts.out ? path.resolve(opts.out) : path.join(backupsDir(dataDir), backupName(opts.prefix ?? 'kiosk', opts.clock.now()));
  return backupDatabase(dbPath(dataDir), out, { clock: opts.clock, keep: opts.keep });
}

/**
 * `kiosk backup [--out FILE] [--keep N] [--json]`: an online, verified copy of the database, also while the kiosk
 * runs and sells (runtime/db/backup.ts). Default `<data>/backups/kiosk-<time>.db`, 0600; the N newest are kept.
 */
export async function backup(opts: BackupOptions): Promise<void> {
  const keep = opts.keep === undefined ? DEFAULT_KEEP : Number(opts.keep);
  if (!Number.isSafeInteger(keep) || keep < 1) throw new CliExit(2, `kiosk backup: --keep expects a whole number ≥ 1, got "${opts.keep}"`);
  const config = configFrom(opts);
  const r = await backupDataDir(config.dataDir, { out: opts.out, keep, clock: new SystemClock() });
  if (opts.json) {
    printJson({ file: r.file, size: r.size, journalSeq: r.journalSeq, receiptNo: r.receiptNo, verified: r.verified, startedAt: r.startedAt, durationMs: r.durationMs, rotated: r.rotated });
  } else {
    process.stdout.write(
      `backup ${r.file}: ${r.size} bytes, journal ${r.journalSeq}, receipt ${r.receiptNo}, verified (integrity + chain) in ${r.durationMs} ms` +
        `${r.rotated.length ? `; removed ${r.rotated.length} older` : ''}\n`,
    );
  }
}
