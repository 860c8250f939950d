import type { KioskConfig } from '../config/schema';
import { KioskError } from '../kernel/errors';
import { CliExit } from './cli-exit';
import { lockDataDir, type DataDirLock } from './data-dir-lock';
import { bootKiosk, type BootOptions, type Kiosk } from './kiosk';

/** The data-dir lock for a CLI command: held by another kiosk → exit 1 with `kiosk already running on DIR (pid N)`. */
export function lockForCommand(dataDir: string): Promise<DataDirLock> {
  return lockDataDir(dataDir).catch((e: unknown) => {
    throw e instanceof KioskError && e.code === 'ALREADY_RUNNING' ? new CliExit(1, e.message) : e;
  });
}

/**
 * `bootKiosk` for a command that brings up the whole lane (`demo`, `doctor` without a running kiosk, `payments
 * recover`, refunds, the terminal's end of day): it takes the data-dir lock first — a running kiosk owns the database
 * and the devices — and lets go of it when the kiosk closes (or the boot fails).
 */
export async function bootLocked(config: KioskConfig, opts: BootOptions): Promise<Kiosk> {
  const lock = await lockForCommand(config.dataDir);
  let kiosk: Kiosk;
  try {
    kiosk = await bootKiosk(config, opts);
  } catch (e) {
    await lock.release();
    throw e;
  }
  const close = kiosk.close.bind(kiosk);
  kiosk.close = async () => {
    try {
      await close();
    } finally {
      await lock.release();
    }
  };
  return kiosk;
}
