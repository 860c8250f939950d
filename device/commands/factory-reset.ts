import * as fs from 'node:fs';
import * as path from 'node:path';
import { SystemClock, type Clock } from '../../kernel/clock';
import { KioskError } from '../../kernel/errors';
import { backupsDir, type BackupResult } from '../../runtime/db/backup';
import { readIdentity } from '../../runtime/trust/identity';
import { CliExit, configFrom, printJson, type CommonOptions } from '../cli-support';
import { lockDataDir, lockFilePath, pidFilePath } from '../data-dir-lock';
import { dbPath } from '../kiosk';
import { backupDataDir } from './backup';

export interface FactoryResetOptions extends CommonOptions {
  yesIKnow?: string;
  wipeBackups?: boolean;
  json?: boolean;
}

export interface FactoryResetResult {
  dataDir: string;
  deviceId: string;
  /** The final backup (null: no database to back up, or --wipe-backups, where nothing would keep it). */
  finalBackup: BackupResult | null;
  removed: string[];
  keptBackups: boolean;
}

/** What the technician may type: the device id, `store/device`, or `RESET <device>`. */
export function confirms(typed: string, who: { store: string; device: string }): boolean {
  const t = typed.replace(/\r?\n$/, '');
  return t === who.device || t === `${who.store}/${who.device}` || t === `RESET ${who.device}`;
}

/**
 * Wipes the lane back to factory state under the data dir's lock (refused while a kiosk runs): first a final,
 * verified backup of the database (`<data>/backups/final-<time>.db`; a backup that fails stops the reset with
 * nothing wiped), then everything in the data dir — database and its WAL, data marker, identity, broker secrets,
 * trust store, control file, embedded HQ store, reports — except the backups folder (unless `wipeBackups`) and the
 * lock itself. The config file (e.g. /etc/kiosk/config.json) is not data and stays.
 */
export async function resetDataDir(dataDir: string, opts: { wipeBackups?: boolean; clock: Clock; deviceId: string }): Promise<FactoryResetResult> {
  const lock = await lockDataDir(dataDir).catch((e: unknown) => {
    if (e instanceof KioskError && e.code === 'ALREADY_RUNNING') throw new KioskError('ALREADY_RUNNING', `${e.message}: stop it first (systemctl stop kiosk); nothing was wiped`, e.details);
    throw e;
  });
  try {
    const finalBackup = !opts.wipeBackups && fs.existsSync(dbPath(dataDir)) ? await backupDataDir(dataDir, { clock: opts.clock, prefix: 'final' }) : null;
    const keep = new Set([lockFilePath(dataDir), pidFilePath(dataDir), ...(opts.wipeBackups ? [] : [backupsDir(dataDir)])].map((p) => path.basename(p)));
    const removed: string[] = [];
    for (const name of fs.readdirSync(dataDir).sort()) {
      if (keep.has(name) || name.startsWith(`${path.basename(lockFilePath(dataDir))}-`)) continue;
      fs.rmSync(path.join(dataDir, name), { recursive: true, force: true });
      removed.push(name);
    }
    return { dataDir: path.resolve(dataDir), deviceId: opts.deviceId, finalBackup, removed, keptBackups: !opts.wipeBackups };
  } finally {
    await lock.release();
  }
}

async function readLine(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of process.stdin) {
    chunks.push(c as Buffer);
    size += (c as Buffer).length;
    if (size > 1024 || (c as Buffer).includes(0x0a)) break;
  }
  return Buffer.concat(chunks).toString('utf8').split('\n')[0];
}

/** `kiosk factory-reset [--yes-i-know DEVICE] [--wipe-backups] [--json]`: typed confirmation on stdin otherwise. */
export function factoryReset(opts: FactoryResetOptions): Promise<void> {
  return factoryResetWith(opts, { readLine, prompt: (t) => process.stderr.write(t) });
}

export async function factoryResetWith(opts: FactoryResetOptions, io: { readLine: () => Promise<string>; prompt: (t: string) => void }): Promise<void> {
  const config = configFrom(opts);
  let identity = null;
  try {
    identity = readIdentity(config.dataDir);
  } catch {
    /* an unreadable identity is wiped like the rest; the config's ids confirm */
  }
  const who = { store: identity?.store ?? config.device.storeId, device: identity?.device ?? config.device.deviceId };
  if (opts.yesIKnow !== undefined) {
    if (opts.yesIKnow !== who.device) throw new CliExit(2, `kiosk factory-reset: --yes-i-know names "${opts.yesIKnow}", but this lane is ${who.store}/${who.device}; nothing changed`);
  } else {
    io.prompt(
      `This wipes lane ${who.store}/${who.device} in ${path.resolve(config.dataDir)}: identity, secrets, trust store and sales data` +
        `${opts.wipeBackups ? ', and every backup' : ' (a final backup is kept in backups/)'}.\nType RESET ${who.device} to go on: `,
    );
    const typed = await io.readLine();
    if (!confirms(typed, who)) throw new CliExit(1, 'kiosk factory-reset: not confirmed; nothing changed');
  }
  const r = await resetDataDir(config.dataDir, { wipeBackups: opts.wipeBackups, clock: new SystemClock(), deviceId: who.device });
  if (opts.json) {
    printJson({ dataDir: r.dataDir, deviceId: r.deviceId, finalBackup: r.finalBackup ? { file: r.finalBackup.file, journalSeq: r.finalBackup.journalSeq, size: r.finalBackup.size } : null, removed: r.removed, keptBackups: r.keptBackups });
    return;
  }
  process.stdout.write(
    `factory reset of ${who.store}/${who.device} done: removed ${r.removed.join(', ') || 'nothing'}` +
      `${r.finalBackup ? `; final backup ${r.finalBackup.file} (journal ${r.finalBackup.journalSeq}, verified)` : ''}` +
      `${r.keptBackups ? `; backups kept in ${backupsDir(r.dataDir)}` : '; backups wiped'}\n`,
  );
}
