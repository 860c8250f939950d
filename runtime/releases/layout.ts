import * as fs from 'node:fs';
import * as path from 'node:path';
import { RELEASE_VERSION_RE } from '../../protocol/releases/release-offer';

/**
 * Where releases live under `updates.root` (side by side, Mender-style A/B generalised to N):
 *
 *   <root>/releases/<version>/          one unpacked `npm pack` package each (its `package/` folder)
 *   <root>/current -> releases/<version>   the release systemd starts (swapped atomically: a link under a temp name, renamed)
 *   <root>/updates/state.json           the updater's trusted state (last offer accepted, the offer being worked on)
 *   <root>/updates/downloads/<version>.tgz[.partial]
 *   <root>/updates/pending-health.json  written before a switch; the new release's health check clears it or rolls back
 */
export const releasesDir = (root: string): string => path.join(root, 'releases');
export const releaseDir = (root: string, version: string): string => path.join(releasesDir(root), version);
export const currentLink = (root: string): string => path.join(root, 'current');
export const updatesDir = (root: string): string => path.join(root, 'updates');
export const stateFile = (root: string): string => path.join(updatesDir(root), 'state.json');
export const downloadFile = (root: string, version: string): string => path.join(updatesDir(root), 'downloads', `${version}.tgz`);
export const pendingHealthFile = (root: string): string => path.join(updatesDir(root), 'pending-health.json');

/** The version `current` points at (`releases/<version>`), or null when there is no such link. */
export function currentVersion(root: string): string | null {
  try {
    const target = fs.readlinkSync(currentLink(root));
    const v = path.basename(target);
    return RELEASE_VERSION_RE.test(v) && path.basename(path.dirname(path.resolve(root, target))) === 'releases' ? v : null;
  } catch {
    return null;
  }
}
