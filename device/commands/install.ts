import { CliExit } from '../cli-exit';
import { planInstallWithNotes, releasesRoot } from '../service-install';

export interface InstallOptions {
  dryRun?: boolean;
  root?: string;
  start?: boolean;
  /** Also set the lane up side by side for over-the-air releases (under `updatesRoot`, default /opt/kiosk). */
  releases?: boolean;
  updatesRoot?: string;
}

/**
 * `kiosk install`: makes this machine a lane (see device/service-install.ts for the steps). As root only, unless
 * `--dry-run`, which prints every step it would take, one per line, and changes nothing. `--root DIR` installs the
 * files under a staging root (image builders); user creation, systemctl and udevadm are then printed as
 * "would run", never run. A second run finds nothing to do and says so. `--releases [--updates-root DIR]` also
 * installs this package as the first release under DIR (README "Over-the-air releases at the kiosk"); a lane set up
 * so stays so when install runs again without the flag. What install finds and keeps is printed as `note: …`.
 */
export async function install(opts: InstallOptions): Promise<void> {
  const root = opts.root ?? '';
  if (opts.root !== undefined && root.trim() === '') throw new CliExit(2, 'kiosk install: --root needs a directory');
  if (!opts.dryRun && process.getuid?.() !== 0) {
    throw new CliExit(1, 'kiosk install: must run as root (sudo kiosk install), or use --dry-run to see what it would do');
  }
  const releases = releasesRoot(root, { releases: opts.releases === true, updatesRoot: opts.updatesRoot });
  const { steps, notes } = planInstallWithNotes({ root, start: opts.start === true, releases });
  const out = (line: string) => process.stdout.write(`${line}\n`);
  for (const n of notes) out(`note: ${n}`);
  if (steps.length === 0) {
    out('kiosk install: already installed, nothing to change');
    return;
  }
  let changed = 0;
  for (const step of steps) {
    if (opts.dryRun) out(`would ${step.system ? 'run' : 'do'}: ${step.line}`);
    else if (step.system && root) out(`would run: ${step.line}`);
    else {
      step.apply();
      changed++;
      out(step.line);
    }
  }
  if (opts.dryRun) out(`kiosk install: dry run, nothing changed (${steps.length} steps)`);
  else out(changed ? `kiosk install: done (${changed} changes)` : 'kiosk install: nothing changed here; the steps above are for the image');
  await Promise.resolve();
}
