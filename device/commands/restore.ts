import * as path from 'node:path';
import { SystemClock, type Clock } from '../../kernel/clock';
import { KioskError } from '../../kernel/errors';
import { planRestore, restoreDatabase, type RestoreResult } from '../../runtime/db/restore';
import { readIdentity } from '../../runtime/trust/identity';
import { CliExit, configFrom, printJson, type CommonOptions } from '../cli-support';
import { lockDataDir } from '../data-dir-lock';
import { dbPath } from '../kiosk';

export interface RestoreOptions extends CommonOptions {
  force?: boolean;
  attendant?: string;
  json?: boolean;
}

/**
 * The restore, under the data dir's lock (a running kiosk holds it: refused, nothing touched). The backup is
 * verified first; one behind this lane (journal older than the marker, the current database or HQ's ack) needs
 * `force` (runtime/db/restore.ts explains the consequence).
 */
export async function restoreDataDir(dataDir: string, from: string, opts: { force?: boolean; attendant?: string; clock: Clock; deviceId: string }): Promise<RestoreResult> {
  const lock = await lockDataDir(dataDir).catch((e: unknown) => {
    if (e instanceof KioskError && e.code === 'ALREADY_RUNNING') throw new KioskError('ALREADY_RUNNING', `${e.message}: stop it first (systemctl stop kiosk); nothing was restored`, e.details);
    throw e;
  });
  try {
    const file = dbPath(dataDir);
    const plan = await planRestore(dataDir, file, path.resolve(from));
    return await restoreDatabase(dataDir, file, path.resolve(from), plan, { force: opts.force, clock: opts.clock, deviceId: opts.deviceId, attendantId: opts.attendant ?? 'restore' });
  } finally {
    await lock.release();
  }
}

/** `kiosk restore FILE [--force] [--attendant ID] [--json]`. */
export async function restore(from: string, opts: RestoreOptions): Promise<void> {
  if (!from) throw new CliExit(2, 'kiosk restore: give the backup file');
  const config = configFrom(opts);
  const identity = (() => {
    try {
      return readIdentity(config.dataDir);
    } catch {
      return null;
    }
  })();
  const r = await restoreDataDir(config.dataDir, from, { force: opts.force, attendant: opts.attendant, clock: new SystemClock(), deviceId: identity?.device ?? config.device.deviceId });
  if (opts.json) {
    printJson({
      restored: r.restored,
      journalSeq: r.journalSeq,
      preRestore: r.preRestore,
      forced: r.forced,
      accepted: r.accepted ? { lost: r.accepted.lost, acceptedSeq: r.accepted.acceptedSeq, receiptNo: r.accepted.receiptNo } : null,
    });
    return;
  }
  const a = r.accepted;
  process.stdout.write(
    `restored ${r.restored} (journal ${r.journalSeq})${r.preRestore ? `; the previous database is kept as ${r.preRestore}` : ''}\n` +
      (a
        ? `recorded like \`kiosk storage accept\`${a.lost ? `: entries ${a.lost.from}-${a.lost.to} lost here (never reused), storage_accepted at ${a.acceptedSeq}` : ''}; next receipt ${a.receiptNo + 1}\n`
        : ''),
  );
}
