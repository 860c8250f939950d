import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tar from 'tar';
import { MAX_PACKAGE_BYTES } from '../../protocol/releases/release-offer';
import { fsyncPath } from '../../kernel/atomic-file';
import { tryParseJson } from '../../kernel/json/bounded-json';
import { releaseDir, releasesDir } from './layout';

/**
 * Installs a verified release package side by side: the `npm pack` tgz's `package/` folder is unpacked into
 * `<root>/releases/.<version>.staging/`, checked, and renamed to `<root>/releases/<version>/` (an install cut short
 * leaves only a staging folder, removed by the next try). Nothing outside the staging folder is written: only files
 * and folders are taken (no links, devices or fifos), every path must stay under `package/` (no `..`, no absolute
 * path), and the unpacked bytes and entries are bounded.
 *
 * Dependencies: an `npm pack` package has no node_modules (and npm never packs package-lock.json). The kiosk does
 * not run `npm install` in a store (no registry, no build tools): when the new package.json's `dependencies` are the
 * same as the running release's, the new release's `node_modules` is a link to the running release's (resolved to
 * its real folder, so no chain of links grows); a package that bundles its own `node_modules` (bundleDependencies)
 * uses those; otherwise the install is refused (`dependencies_changed`): such a release is installed by hand.
 */

export const MAX_UNPACKED_BYTES = 4 * MAX_PACKAGE_BYTES;
export const MAX_ENTRIES = 200_000;

export type InstallFailure = 'bad_archive' | 'unsafe_entry' | 'too_large' | 'package_mismatch' | 'dependencies_changed';
export type InstallResult = { ok: true; dir: string; dependencies: 'linked' | 'bundled' | 'none' } | { ok: false; reason: InstallFailure; detail: string };

export interface InstallOptions {
  root: string;
  tgz: string;
  version: string;
  /** The package's SHA-256 (recorded in the install's stamp). */
  sha256?: string;
  /** The running release's folder (its package.json and node_modules), or null when the kiosk does not run from `releases/`. */
  runningDir: string | null;
  /**
   * The first install by hand (no release to share with yet): the `node_modules` folder the release links to, taken
   * as is (e.g. the one `npm ci` made in the folder the kiosk ran from before).
   */
  nodeModulesFrom?: string;
}

const STAMP = '.release-installed';

/** True when `releases/<version>` was installed completely from the package with this SHA-256 (its stamp is written last, before the rename). */
export function isInstalled(root: string, version: string, sha256: string): boolean {
  try {
    return fs.readFileSync(path.join(releaseDir(root, version), STAMP), 'utf8').trim() === `${version} ${sha256}`;
  } catch {
    return false;
  }
}

function readPackageJson(dir: string): Record<string, unknown> | null {
  try {
    const r = tryParseJson(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'), { maxBytes: 1024 * 1024 });
    return r.ok && typeof r.value === 'object' && r.value !== null ? (r.value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const sortedJson = (v: unknown): string => JSON.stringify(v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : (v ?? {}));

export async function installRelease(o: InstallOptions): Promise<InstallResult> {
  const dest = releaseDir(o.root, o.version);
  if (o.sha256 ? isInstalled(o.root, o.version, o.sha256) : fs.existsSync(path.join(dest, STAMP))) return { ok: true, dir: dest, dependencies: fs.existsSync(path.join(dest, 'node_modules')) ? 'linked' : 'none' };
  const staging = path.join(releasesDir(o.root), `.${o.version}.staging`);
  fs.rmSync(staging, { recursive: true, force: true });
  fs.rmSync(dest, { recursive: true, force: true }); // not stamped: a half install
  fs.mkdirSync(staging, { recursive: true, mode: 0o755 });
  const fail = (reason: InstallFailure, detail: string): InstallResult => {
    fs.rmSync(staging, { recursive: true, force: true });
    return { ok: false, reason, detail };
  };

  // a holder: the filter (a callback) sets it, which TypeScript's narrowing of a `let` does not see
  const found: { problem: { reason: InstallFailure; detail: string } | null } = { problem: null };
  let bytes = 0;
  let entries = 0;
  try {
    await tar.x({
      file: o.tgz,
      cwd: staging,
      strip: 1,
      strict: true,
      preserveOwner: false,
      noChmod: false,
      filter: (p, entry) => {
        const e = entry as tar.ReadEntry;
        entries++;
        bytes += e.size ?? 0;
        const name = p.replace(/^\.\//, '');
        const parts = name.split('/');
        if (path.isAbsolute(name) || parts.includes('..') || parts[0] !== 'package') found.problem ??= { reason: 'unsafe_entry', detail: `entry ${JSON.stringify(p).slice(0, 200)} is outside package/` };
        else if (e.type !== 'File' && e.type !== 'Directory' && e.type !== 'OldFile') found.problem ??= { reason: 'unsafe_entry', detail: `entry ${JSON.stringify(p).slice(0, 200)} is a ${e.type}: only files and folders are installed` };
        else if (bytes > MAX_UNPACKED_BYTES || entries > MAX_ENTRIES) found.problem ??= { reason: 'too_large', detail: `more than ${MAX_UNPACKED_BYTES} bytes or ${MAX_ENTRIES} entries unpacked` };
        return found.problem === null;
      },
    });
  } catch (e) {
    return fail(found.problem ? found.problem.reason : 'bad_archive', found.problem ? found.problem.detail : `not a readable npm pack archive (${(e as Error).message})`);
  }
  if (found.problem) return fail(found.problem.reason, found.problem.detail);

  const pkg = readPackageJson(staging);
  if (!pkg) return fail('bad_archive', 'no package/package.json');
  if (pkg.version !== o.version) return fail('package_mismatch', `the package is version ${String(pkg.version)}, the offer says ${o.version}`);
  const running = o.runningDir ? readPackageJson(o.runningDir) : null;
  if (running && pkg.name !== running.name) return fail('package_mismatch', `the package is ${String(pkg.name)}, the kiosk runs ${String(running.name)}`);

  let dependencies: 'linked' | 'bundled' | 'none' = 'none';
  const wants = Object.keys((pkg.dependencies as object | undefined) ?? {}).length > 0;
  if (fs.existsSync(path.join(staging, 'node_modules'))) dependencies = 'bundled';
  else if (wants && o.nodeModulesFrom) {
    if (!fs.existsSync(o.nodeModulesFrom)) return fail('dependencies_changed', `no node_modules at ${o.nodeModulesFrom}`);
    fs.symlinkSync(fs.realpathSync(o.nodeModulesFrom), path.join(staging, 'node_modules'), 'dir');
    dependencies = 'linked';
  } else if (wants) {
    const runningModules = o.runningDir ? path.join(o.runningDir, 'node_modules') : null;
    if (!running || !runningModules || !fs.existsSync(runningModules)) return fail('dependencies_changed', 'the release needs dependencies and the running release has none to share');
    if (sortedJson(pkg.dependencies) !== sortedJson(running.dependencies)) {
      return fail('dependencies_changed', 'the release changes its dependencies (package.json "dependencies"): it cannot share the running release\'s node_modules; install it by hand');
    }
    fs.symlinkSync(fs.realpathSync(runningModules), path.join(staging, 'node_modules'), 'dir');
    dependencies = 'linked';
  }
  fs.writeFileSync(path.join(staging, STAMP), `${o.version} ${o.sha256 ?? ''}\n`);
  fsyncPath(staging);
  fs.renameSync(staging, dest);
  fsyncPath(releasesDir(o.root));
  return { ok: true, dir: dest, dependencies };
}
