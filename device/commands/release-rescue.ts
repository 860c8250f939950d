import * as fs from 'node:fs';
import { currentVersion, releaseDir } from '../../runtime/releases/layout';
import { rollBackLink } from '../../runtime/releases/probation';
import { readPendingHealth, switchCurrent } from '../../runtime/releases/switch';
import { CliExit, configFrom, printJson, type CommonOptions } from '../cli-support';
import { lockForCommand } from '../locked-boot';

export interface ReleaseRescueOptions extends CommonOptions {
  json?: boolean;
}

export type RescueResult =
  | { result: 'disabled' }
  /** No release on probation: the kiosk failed for another reason; nothing to roll back. */
  | { result: 'none' }
  /** The switch never happened (`current` is not the release on probation): nothing to roll back. */
  | { result: 'not_switched'; version: string; previous: string; current: string | null }
  /** The release had already failed; `current` pointed back at the previous release (now or before). */
  | { result: 'already_failed'; version: string; previous: string; current: string | null; relinked: boolean }
  /** Rolled back now: `current` → previous, the marker failed with check `boot`. */
  | { result: 'rolled_back'; version: string; previous: string; current: string | null };

/**
 * The rollback of a release that died before its own `kiosk start` could count a boot (a missing dependency, a
 * syntax error in dist/, a wrong `engines`): systemd gives up on kiosk.service at its start limit and starts
 * kiosk-release-rescue.service (deploy/systemd), which runs this command from the PREVIOUS release. The marker is
 * failed with check `boot` and `current` points back (runtime/releases/probation.ts rollBackLink, the path the new
 * release's own boot counting takes); the previous release, started next, settles the rest before its boot
 * (restores the backup if the schema changed, reports `rolled_back`). Under the data dir's lock: never while a kiosk
 * runs. Idempotent: a second run finds the marker failed and changes nothing.
 */
export async function rescueRelease(root: string, dataDir: string): Promise<RescueResult> {
  const lock = await lockForCommand(dataDir);
  try {
    const marker = readPendingHealth(root);
    if (!marker) return { result: 'none' };
    const { version, previous } = marker;
    const current = currentVersion(root);
    if (!fs.existsSync(releaseDir(root, previous))) throw new CliExit(1, `kiosk release rescue: the previous release ${previous} is not installed under ${root}/releases; nothing changed`);
    if (marker.failed) {
      // a rollback cut between the marker and the link (rollBackLink writes the marker first): finish it, as the
      // previous release's settleBeforeBoot would — the failed release itself never gets that far
      const relinked = current !== previous;
      if (relinked) switchCurrent(root, previous);
      return { result: 'already_failed', version, previous, current: currentVersion(root), relinked };
    }
    if (current !== version) return { result: 'not_switched', version, previous, current };
    rollBackLink(root, marker, { check: 'boot', detail: `release ${version} never reached its own start (systemd start limit)` });
    return { result: 'rolled_back', version, previous, current: currentVersion(root) };
  } finally {
    await lock.release();
  }
}

/** `kiosk release rescue [--json]` (exit 0 whenever nothing is left to do; 1 when a kiosk runs on the data dir). */
export async function releaseRescue(opts: ReleaseRescueOptions): Promise<void> {
  const config = configFrom(opts);
  const r: RescueResult = config.updates.enabled ? await rescueRelease(config.updates.root, config.dataDir) : { result: 'disabled' };
  if (opts.json) return printJson(r);
  const line = (() => {
    switch (r.result) {
      case 'disabled':
        return 'over-the-air releases are off (config updates.enabled): nothing to roll back';
      case 'none':
        return 'no release on probation: nothing to roll back';
      case 'not_switched':
        return `release ${r.version} never became current (current: ${r.current ?? 'none'}): nothing to roll back`;
      case 'already_failed':
        return `release ${r.version} had already failed: nothing to do${r.relinked ? ` but point current back at ${r.previous} (done)` : ''}`;
      case 'rolled_back':
        return `release ${r.version} rolled back to ${r.previous}: it never reached its own start; ${r.previous} reports it to HQ when it starts`;
    }
  })();
  process.stdout.write(`${line}\n`);
}
