import type { Clock } from '../kernel/clock';
import type { KioskDb } from '../kernel/sqlite/database';
import { quickCheck } from '../runtime/db/boot-check';
import { StorageWatch } from '../runtime/db/storage-watch';
import type { ServiceFaults } from '../runtime/lane/service-faults';
import type { Logger } from './logger';

/**
 * A storage failure (disk full, read-only, corrupt, I/O) puts the lane out of service before the failing caller
 * hears of it, logged once per change; probed until it works again, then what failed meanwhile runs again
 * (`whenBack`). A database too large to check before boot (`checkLater`) is checked now, beside the lane: corruption
 * is a storage failure like any other. `stop()` ends the probing and waits for that check (its own connection).
 */
export function watchStorage(d: {
  db: KioskDb;
  file: string;
  faults: ServiceFaults;
  clock: Clock;
  probeMs?: number;
  checkLater: boolean;
  log?: Logger;
}): { storage: StorageWatch; whenBack(...fns: (() => void)[]): void; stop(): Promise<void> } {
  const back: (() => void)[] = [];
  const storage = new StorageWatch(d.db, d.faults, {
    clock: d.clock,
    probeMs: d.probeMs,
    onChange: (f) => (f ? d.log?.error({ cause: f.cause, reason: f.reason }, 'storage failed: lane out of service') : d.log?.info({}, 'storage works again: lane back in service')),
    onRecovered: () => back.forEach((fn) => fn()),
  });
  storage.start();
  const checked = d.checkLater
    ? quickCheck(d.file).then((reason) => {
        if (reason) storage.report(reason, 'corrupt', 'PRAGMA quick_check after boot');
      })
    : Promise.resolve();
  return {
    storage,
    whenBack: (...fns) => back.push(...fns),
    async stop() {
      storage.stop();
      await checked;
    },
  };
}
