import type { KioskConfig } from '../../config/schema';
import type { Clock } from '../../kernel/clock';
import { settleBeforeBoot, type Settled } from '../../runtime/releases/probation';
import { RELEASE_RESTART_EXIT } from '../../runtime/releases/switch';
import { dbPath } from '../database';
import type { Logger } from '../logger';

/**
 * `kiosk start`, before the database is opened (the data dir is locked): settles a release switch or rollback
 * (runtime/releases/probation.ts). Returns false when the process must end at once with RELEASE_RESTART_EXIT (it
 * has just pointed `current` back at the previous release), true to boot on.
 */
export async function settleReleaseBeforeBoot(config: KioskConfig, o: { clock: Clock; log: Logger }): Promise<boolean> {
  if (!config.updates.enabled) return true;
  let s: Settled;
  try {
    s = await settleBeforeBoot({ root: config.updates.root, dataDir: config.dataDir, dbFile: dbPath(config.dataDir), clock: o.clock, deviceId: config.device.deviceId });
  } catch (e) {
    // the updater's own files are unreadable: the kiosk still starts (the lane matters more than the update)
    o.log.error({ err: (e as Error).message }, 'release: could not settle the pending release; starting as is');
    return true;
  }
  if (s.kind === 'none') return true;
  o.log.warn({ release: s.marker.version, previous: s.marker.previous, state: s.kind, ...(s.marker.failed ? { failed: s.marker.failed } : {}), ...(s.marker.restored !== undefined ? { restored: s.marker.restored } : {}) }, 'release');
  if (s.kind !== 'restart') return true;
  process.exitCode = RELEASE_RESTART_EXIT;
  return false;
}
