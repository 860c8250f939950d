import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../config/load';
import { projectRoot } from '../config/paths';
import { fsyncPath } from '../kernel/atomic-file';
import { RELEASE_VERSION_RE } from '../protocol/releases/release-offer';
import { currentLink, currentVersion, releaseDir, releasesDir } from '../runtime/releases/layout';
import { switchCurrent } from '../runtime/releases/switch';
import { CliExit } from './cli-exit';

/**
 * What `kiosk install` puts on a lane (README "Installing on a lane"): the `kiosk` system user (data, devices) and
 * `kiosk-screen` (the browser — it never reads the kiosk's data), /var/lib/kiosk 0700, /etc/kiosk/config.json
 * (written only when absent), the `kiosk` launcher, the systemd units and udev rules from deploy/, then
 * daemon-reload, udev reload and `systemctl enable`. Every step first looks at what is there: a step already done
 * is not planned, so a second run plans nothing.
 *
 * With `--releases` (README "Over-the-air releases at the kiosk") the lane is also set up side by side for HQ's
 * releases, as runtime/releases/ expects it: `<updates root>` and its `releases/` owned by the kiosk user (the
 * updater writes there and swaps `current`), the package this CLI runs from copied to `releases/<its version>` the
 * way the updater's first install by hand leaves one (runtime/releases/install.ts with `nodeModulesFrom`: the
 * package's files, `node_modules` a link to the real folder this CLI loads its modules from — a kiosk never runs
 * `npm install` — and the `.release-installed` stamp), `current` linked to it (runtime/releases/switch.ts: a link
 * under a temp name, renamed), the launcher running `current`'s CLI, the drop-in
 * deploy/systemd/kiosk.service.d/releases.conf and the units it names in `OnFailure=` (kiosk-release-rescue.service),
 * both with the updates root put in for /opt/kiosk, and `updates.enabled` + `updates.root` in the config it writes.
 */

export const PATHS = {
  dataDir: '/var/lib/kiosk',
  configDir: '/etc/kiosk',
  config: '/etc/kiosk/config.json',
  screenEnv: '/etc/kiosk/screen.env',
  launcher: '/usr/local/bin/kiosk',
  unitDir: '/etc/systemd/system',
  udevRules: '/etc/udev/rules.d/99-kiosk.rules',
} as const;

export const UNITS = ['kiosk.service', 'kiosk-screen.service'] as const;

/** Where a lane installed side by side keeps its releases (config `updates.root`'s default) and the drop-in. */
export const RELEASES = {
  defaultRoot: '/opt/kiosk',
  dropIn: '/etc/systemd/system/kiosk.service.d/releases.conf',
  dropInSource: 'deploy/systemd/kiosk.service.d/releases.conf',
} as const;

/**
 * What a release folder holds besides `node_modules`: what the kiosk reads from its package at run time (dist/, the
 * screen's page, the starter price book, HQ's console files) and deploy/ (so `kiosk install` runs from a release).
 * Source files (.ts) and source maps are left out, as in the `npm pack` releases HQ publishes (test/support/project-pack.ts).
 */
export const RELEASE_CONTENT = ['package.json', 'dist', 'screen-ui', 'config/starter', 'hq/console/public', 'deploy'] as const;
const RELEASE_STAMP = '.release-installed';

/**
 * Creates `dir` and every missing parent 0755 whatever the umask of the shell running install (under `umask 077`
 * `recursive: true, mode: 0o755` gives 0700: systemd's and udev's readers, and the kiosk user, could not enter).
 */
function mkdirs755(dir: string): void {
  const missing: string[] = [];
  for (let d = dir; !fs.existsSync(d) && d !== path.dirname(d); d = path.dirname(d)) missing.push(d);
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  for (const d of missing) fs.chmodSync(d, 0o755);
}

/** One thing install does: a file-system change it makes itself, or a system command (user, systemd, udev). */
export interface Step {
  /** One line: the shell command, or what is written with its mode and owner. */
  line: string;
  /** System commands are not run under --root (an image builder runs them on the image). */
  system: boolean;
  apply(): void;
}

export interface InstallTarget {
  /** Staging root for image builders ('' = the machine itself). */
  root: string;
  /** Start the units now (`enable --now`). */
  start: boolean;
  /** Set the lane up side by side for over-the-air releases under this updates root (a path on the lane). */
  releases?: string | null;
}

/** A plan: its steps, and what install finds and leaves as it is (printed as `note: …`). */
export interface InstallPlan {
  steps: Step[];
  notes: string[];
}

/**
 * The config written when there is none: the data dir and the screen port the units use; the rest is the default.
 * For a lane set up for releases, also `updates.enabled` and `updates.root`.
 */
export function defaultConfig(updatesRoot: string | null = null): string {
  const updates = updatesRoot ? { updates: { enabled: true, root: updatesRoot } } : {};
  return `${JSON.stringify({ dataDir: PATHS.dataDir, screen: { port: 8080 }, ...updates }, null, 2)}\n`;
}
export const DEFAULT_CONFIG = defaultConfig();

/**
 * The updates root for this run: `--updates-root` (which implies `--releases`), else the default with
 * `--releases`, else the one of a drop-in an earlier `--releases` run installed (a lane set up for releases stays
 * so when install runs again without the flag), else null.
 */
export function releasesRoot(root: string, opts: { releases?: boolean; updatesRoot?: string }): string | null {
  const at = (p: string) => (root ? path.join(root, p) : p);
  let dir: string | null = null;
  if (opts.updatesRoot !== undefined) dir = opts.updatesRoot;
  else if (opts.releases) dir = RELEASES.defaultRoot;
  else if (fs.existsSync(at(RELEASES.dropIn))) {
    const m = /^ReadWritePaths=(\S+)\s*$/m.exec(fs.readFileSync(at(RELEASES.dropIn), 'utf8'));
    dir = m ? m[1] : RELEASES.defaultRoot;
  }
  if (dir === null) return null;
  // it goes into a unit's ExecStart= (split at white space) and is the lane's path, not the staging root's
  if (!/^\/[A-Za-z0-9._/-]+$/.test(dir) || dir.split('/').some((part) => part === '.' || part === '..') || path.normalize(dir) === '/') {
    throw new CliExit(2, `kiosk install: --updates-root must be an absolute directory path other than / (letters, digits, . _ - /), not ${JSON.stringify(dir)}`);
  }
  return path.normalize(dir).replace(/\/$/, '');
}

/** The drop-in for a lane installed side by side: deploy/'s, with its updates root (/opt/kiosk) replaced by `updatesRoot`. */
export function releasesDropIn(updatesRoot: string, source = path.join(projectRoot(), RELEASES.dropInSource)): string {
  const text = fs.readFileSync(source, 'utf8');
  if (!/^ExecStart=\/opt\/kiosk\/current\//m.test(text) || !/^ReadWritePaths=\/opt\/kiosk$/m.test(text)) {
    throw new CliExit(1, `kiosk install: ${source} does not start /opt/kiosk/current/… with ReadWritePaths=/opt/kiosk: not the drop-in this install knows`);
  }
  return text.split(RELEASES.defaultRoot).join(updatesRoot);
}

/** The units a drop-in names in `OnFailure=` (plain unit names only). */
export function dropInOnFailure(source: string): string[] {
  const names: string[] = [];
  for (const m of fs.readFileSync(source, 'utf8').matchAll(/^OnFailure=(.*)$/gm)) {
    for (const name of m[1].trim().split(/\s+/).filter(Boolean)) {
      if (!/^[A-Za-z0-9@._-]+\.service$/.test(name)) throw new CliExit(1, `kiosk install: ${source}: OnFailure=${name} is not a plain unit name`);
      names.push(name);
    }
  }
  return names;
}

/** The bundle's build id (`// kiosk-bundle <id>`, drawn per build by scripts/build.js), or null. */
function buildId(pkgDir: string): string | null {
  try {
    const fd = fs.openSync(path.join(pkgDir, 'dist', 'device', 'cli.bundle.js'), 'r');
    try {
      const buf = Buffer.alloc(64);
      const n = fs.readSync(fd, buf, 0, 64, 0);
      return /^\/\/ kiosk-bundle ([0-9a-f]+)\n/.exec(buf.subarray(0, n).toString('latin1'))?.[1] ?? null;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return null;
  }
}

/** The package this CLI runs from, as a release: its version and the real node_modules folder its release links to. */
function packageToRelease(pkgDir: string): { version: string; nodeModules: string } {
  let version: unknown;
  try {
    version = (JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { version?: unknown }).version;
  } catch (e) {
    throw new CliExit(1, `kiosk install: cannot read ${path.join(pkgDir, 'package.json')}: ${(e as Error).message}`);
  }
  if (typeof version !== 'string' || !RELEASE_VERSION_RE.test(version)) {
    throw new CliExit(1, `kiosk install: ${path.join(pkgDir, 'package.json')} has version ${JSON.stringify(version)}, not a release version MAJOR.MINOR.PATCH[-tag]`);
  }
  if (!fs.existsSync(path.join(pkgDir, 'dist', 'device', 'cli.js'))) throw new CliExit(1, `kiosk install: no ${path.join(pkgDir, 'dist', 'device', 'cli.js')}: build it first (npm run build)`);
  const modules = path.join(pkgDir, 'node_modules');
  if (!fs.existsSync(modules)) throw new CliExit(1, `kiosk install: no ${modules}: run npm ci in ${pkgDir} first (a release shares it; a kiosk never runs npm install)`);
  return { version, nodeModules: fs.realpathSync(modules) };
}

/**
 * Copies the package's RELEASE_CONTENT into `dest` the way runtime/releases/install.ts installs one: into
 * `releases/.<version>.staging`, files and folders only (0755 folders, files 0755 when executable else 0644),
 * `node_modules` a link to `nodeModules`, the stamp written last, then renamed to `releases/<version>`.
 */
function copyRelease(pkgDir: string, dest: string, version: string, nodeModules: string): void {
  const staging = path.join(path.dirname(dest), `.${version}.staging`);
  fs.rmSync(staging, { recursive: true, force: true });
  fs.rmSync(dest, { recursive: true, force: true }); // not stamped: a copy cut short
  fs.mkdirSync(staging, { mode: 0o755 });
  fs.chmodSync(staging, 0o755);
  const copy = (from: string, to: string) => {
    const st = fs.statSync(from);
    if (st.isDirectory()) {
      fs.mkdirSync(to, { recursive: true, mode: 0o755 });
      fs.chmodSync(to, 0o755);
      for (const e of fs.readdirSync(from, { withFileTypes: true })) {
        if ((e.isFile() && !/\.(map|ts)$/.test(e.name)) || e.isDirectory()) copy(path.join(from, e.name), path.join(to, e.name));
      }
    } else {
      fs.copyFileSync(from, to);
      fs.chmodSync(to, st.mode & 0o111 ? 0o755 : 0o644);
    }
  };
  for (const rel of RELEASE_CONTENT) {
    const from = path.join(pkgDir, rel);
    if (!fs.existsSync(from)) continue; // e.g. a release from HQ without deploy/: install then runs from a checkout
    // the folders above it (config/, hq/console/) 0755 as well, whatever the umask of the shell running install
    for (let up = path.dirname(rel); up !== '.'; up = path.dirname(up)) {
      fs.mkdirSync(path.join(staging, up), { recursive: true });
      fs.chmodSync(path.join(staging, up), 0o755);
    }
    copy(from, path.join(staging, rel));
  }
  fs.symlinkSync(nodeModules, path.join(staging, 'node_modules'), 'dir');
  fs.writeFileSync(path.join(staging, RELEASE_STAMP), `${version} \n`, { mode: 0o644 });
  fsyncPath(staging);
  fs.renameSync(staging, dest);
  fsyncPath(path.dirname(dest));
}

const mode = (m: number) => `0${m.toString(8)}`;

/** users and groups from <root>/etc/passwd and /etc/group (a system user is always local). */
function accounts(root: string) {
  const read = (f: string) => (fs.existsSync(path.join(root || '/', f)) ? fs.readFileSync(path.join(root || '/', f), 'utf8').split('\n').filter(Boolean) : []);
  const passwd = read('etc/passwd').map((l) => l.split(':'));
  const group = read('etc/group').map((l) => l.split(':'));
  return {
    uid: (name: string) => {
      const row = passwd.find((r) => r[0] === name);
      return row ? Number(row[2]) : null;
    },
    gid: (name: string) => {
      const row = group.find((r) => r[0] === name);
      return row ? Number(row[2]) : null;
    },
    groupExists: (name: string) => group.some((r) => r[0] === name),
    memberOf: (user: string, name: string) => group.some((r) => r[0] === name && (r[3] ?? '').split(',').includes(user)),
  };
}

function run(argv: string[]): void {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new CliExit(1, `kiosk install: ${argv.join(' ')} failed: ${(r.error?.message ?? r.stderr ?? `exit ${r.status}`).trim()}`);
  }
}

/** What `systemctl is-enabled` / `is-active` says ('' when systemctl is absent or says nothing). */
function systemctlSays(verb: 'is-enabled' | 'is-active', unit: string): string {
  const r = spawnSync('systemctl', [verb, unit], { encoding: 'utf8' });
  return (r.stdout ?? '').trim();
}

/**
 * The launcher: the node that runs this install, this checkout's CLI (on a lane set up for releases: the CLI of
 * the release `current` points at, so commands run the code the service runs), and /etc/kiosk/config.json by default.
 */
export function launcherScript(cli = path.resolve(__dirname, 'cli.js'), of = projectRoot()): string {
  const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return (
    `#!/bin/sh\n# written by kiosk install: the kiosk CLI of ${of}\n` +
    `# the lane's config unless KIOSK_CONFIG or --config says otherwise (readable by root and the kiosk user)\n` +
    `if [ -z "$KIOSK_CONFIG" ] && [ -r ${PATHS.config} ]; then export KIOSK_CONFIG=${PATHS.config}; fi\n` +
    `exec ${sh(process.execPath)} ${sh(cli)} "$@"\n`
  );
}

/** The screen unit's environment: the page the kiosk serves, from the config's screen.port. */
export function screenEnv(configFile: string): string {
  // the file as the unit reads it: no KIOSK_* variables from the shell that runs install
  const config = loadConfig({ configPath: fs.existsSync(configFile) ? configFile : undefined, env: {} });
  if (config.screen.port === 0) {
    throw new CliExit(2, `kiosk install: screen.port is 0 (any free port) in ${configFile}: the screen unit needs a fixed port — set screen.port, e.g. 8080`);
  }
  return `# written by kiosk install from screen.port in ${PATHS.config}; run kiosk install again after changing it\nKIOSK_SCREEN_URL=http://127.0.0.1:${config.screen.port}/\n`;
}

/** Every step still needed to install onto `target`, in order. */
export function planInstall(target: InstallTarget): Step[] {
  return planInstallWithNotes(target).steps;
}

/** Every step still needed to install onto `target`, in order, and what it leaves as it is. */
export function planInstallWithNotes(target: InstallTarget): InstallPlan {
  const { root } = target;
  const updatesRoot = target.releases ?? null;
  const at = (p: string) => (root ? path.join(root, p) : p);
  const acct = accounts(root);
  const steps: Step[] = [];
  const notes: string[] = [];
  const system = (argv: string[]) => steps.push({ line: argv.join(' '), system: true, apply: () => run(argv) });

  // users: kiosk owns the data and the devices (dialout: serial, plugdev: USB); kiosk-screen runs the browser
  const users: [string, string, string[]][] = [
    ['kiosk', PATHS.dataDir, ['dialout', 'plugdev']],
    ['kiosk-screen', '/var/lib/kiosk-screen', ['video', 'render', 'input']],
  ];
  for (const [name, home, wanted] of users) {
    const groups = wanted.filter((g) => acct.groupExists(g));
    if (acct.uid(name) === null) {
      system(['useradd', '--system', '--user-group', '--home-dir', home, '--no-create-home', '--shell', '/usr/sbin/nologin', ...(groups.length ? ['--groups', groups.join(',')] : []), name]);
    } else {
      const missing = groups.filter((g) => !acct.memberOf(name, g));
      if (missing.length) system(['usermod', '--append', '--groups', missing.join(','), name]);
    }
  }

  /** Owner ids at apply time (the user may be created by an earlier step). */
  const ids = (user: string, group: string) => {
    const now = accounts(root);
    return { uid: user === 'root' ? 0 : now.uid(user), gid: group === 'root' ? 0 : now.gid(group) };
  };
  /** On the machine every owner is set (useradd runs first); under --root only owners the image's passwd/group name. */
  const manage = (user: string, group: string) => {
    if (!root) return true;
    const want = ids(user, group);
    return want.uid !== null && want.gid !== null;
  };
  const ownerWrong = (p: string, user: string, group: string) => {
    if (!manage(user, group)) return false;
    const st = fs.statSync(p);
    const want = ids(user, group);
    return st.uid !== want.uid || st.gid !== want.gid;
  };
  const chown = (p: string, user: string, group: string) => {
    if (!manage(user, group)) return;
    const want = ids(user, group);
    if (want.uid === null || want.gid === null) throw new CliExit(1, `kiosk install: no user ${user} / group ${group} to own ${p}`);
    fs.chownSync(p, want.uid, want.gid);
  };
  const owned = (user: string, group: string) => (manage(user, group) ? ` ${user}:${group}` : '');

  const dir = (p: string, m: number, user: string, group: string) => {
    const full = at(p);
    const st = fs.existsSync(full) ? fs.statSync(full) : null;
    if (!st) {
      steps.push({
        line: `mkdir ${full} (${mode(m)}${owned(user, group)})`,
        system: false,
        apply: () => {
          mkdirs755(path.dirname(full)); // parents 0755, only this one m
          fs.mkdirSync(full, { mode: m });
          fs.chmodSync(full, m);
          chown(full, user, group);
        },
      });
    } else if ((st.mode & 0o7777) !== m || ownerWrong(full, user, group)) {
      steps.push({
        line: `chmod ${mode(m)}${owned(user, group) ? ` + chown${owned(user, group)}` : ''} ${full}`,
        system: false,
        apply: () => {
          fs.chmodSync(full, m);
          chown(full, user, group);
        },
      });
    }
  };
  /** Writes `content` when the file differs (or, with `keep`, only when it is absent); fixes mode and owner. */
  const file = (p: string, content: () => string, m: number, user: string, group: string, what: string, keep = false): boolean => {
    const full = at(p);
    const exists = fs.existsSync(full);
    const body = exists && keep ? null : content();
    if (!exists || (body !== null && fs.readFileSync(full, 'utf8') !== body)) {
      steps.push({
        line: `write ${full} (${mode(m)}${owned(user, group)}, ${what})`,
        system: false,
        apply: () => {
          mkdirs755(path.dirname(full));
          const tmp = `${full}.kiosk-install`;
          fs.writeFileSync(tmp, body ?? content(), { mode: m });
          fs.chmodSync(tmp, m);
          chown(tmp, user, group);
          fs.renameSync(tmp, full);
        },
      });
      return true;
    }
    if ((fs.statSync(full).mode & 0o7777) !== m || ownerWrong(full, user, group)) {
      steps.push({
        line: `chmod ${mode(m)}${owned(user, group) ? ` + chown${owned(user, group)}` : ''} ${full}${keep ? ' (content kept)' : ''}`,
        system: false,
        apply: () => {
          fs.chmodSync(full, m);
          chown(full, user, group);
        },
      });
    }
    return false;
  };

  dir(PATHS.dataDir, 0o700, 'kiosk', 'kiosk');
  dir(PATHS.configDir, 0o750, 'root', 'kiosk');
  const configExisted = fs.existsSync(at(PATHS.config));
  file(PATHS.config, () => defaultConfig(updatesRoot), 0o640, 'root', 'kiosk', `default config${updatesRoot ? ' with updates.enabled and updates.root' : ''}; a technician's config is never overwritten`, true);
  if (updatesRoot && configExisted) {
    const u = loadConfig({ configPath: at(PATHS.config), env: {} }).updates;
    if (!u.enabled || path.normalize(u.root).replace(/\/$/, '') !== updatesRoot) {
      notes.push(`${at(PATHS.config)} is kept (updates.enabled ${u.enabled}, updates.root ${u.root}): for over-the-air releases set "updates": { "enabled": true, "root": "${updatesRoot}" } in it`);
    }
  }
  // the screen URL from the config as it will be (the default when this run writes it)
  file(PATHS.screenEnv, () => screenEnv(at(PATHS.config)), 0o644, 'root', 'root', 'the screen URL');
  if (updatesRoot) planReleases(updatesRoot);
  file(PATHS.launcher, () => (updatesRoot ? launcherScript(path.join(updatesRoot, 'current', 'dist', 'device', 'cli.js'), `the release ${path.join(updatesRoot, 'current')} points at`) : launcherScript()), 0o755, 'root', 'root', updatesRoot ? "the kiosk launcher, running current's CLI" : 'the kiosk launcher');
  const deploy = path.join(projectRoot(), 'deploy');
  let unitsChanged = false;
  for (const unit of UNITS) {
    unitsChanged = file(`${PATHS.unitDir}/${unit}`, () => fs.readFileSync(path.join(deploy, 'systemd', unit), 'utf8'), 0o644, 'root', 'root', `from deploy/systemd/${unit}`) || unitsChanged;
  }
  if (updatesRoot) {
    const from = path.join(projectRoot(), RELEASES.dropInSource);
    dir(path.dirname(RELEASES.dropIn), 0o755, 'root', 'root');
    unitsChanged = file(RELEASES.dropIn, () => releasesDropIn(updatesRoot, from), 0o644, 'root', 'root', `from ${RELEASES.dropInSource}, updates root ${updatesRoot}`) || unitsChanged;
    // the units the drop-in starts on failure (kiosk-release-rescue.service: the way back from a release that never
    // reached its own start), from deploy/systemd/ beside kiosk.service, with the same updates root; not enabled
    for (const unit of dropInOnFailure(from)) {
      const source = path.join(deploy, 'systemd', unit);
      if (!fs.existsSync(source)) throw new CliExit(1, `kiosk install: ${RELEASES.dropInSource} names OnFailure=${unit}, which is not in deploy/systemd/`);
      unitsChanged = file(`${PATHS.unitDir}/${unit}`, () => fs.readFileSync(source, 'utf8').split(RELEASES.defaultRoot).join(updatesRoot), 0o644, 'root', 'root', `from deploy/systemd/${unit}, updates root ${updatesRoot}`) || unitsChanged;
    }
  }
  const rulesChanged = file(PATHS.udevRules, () => fs.readFileSync(path.join(deploy, 'udev', '99-kiosk.rules'), 'utf8'), 0o644, 'root', 'root', 'from deploy/udev/99-kiosk.rules');

  if (unitsChanged) system(['systemctl', 'daemon-reload']);
  if (rulesChanged) {
    system(['udevadm', 'control', '--reload']);
    system(['udevadm', 'trigger', '--action=change', '--subsystem-match=tty', '--subsystem-match=usb', '--subsystem-match=hidraw']);
  }
  // under --root: the links `systemctl --root=DIR enable` makes (absolute, so they point into the image, not here)
  const linked = (p: string) => fs.lstatSync(at(p), { throwIfNoEntry: false })?.isSymbolicLink() === true;
  const enabled = root
    ? linked(`${PATHS.unitDir}/multi-user.target.wants/kiosk.service`) && linked(`${PATHS.unitDir}/kiosk.service.wants/kiosk-screen.service`)
    : UNITS.every((u) => systemctlSays('is-enabled', u) === 'enabled');
  if (!enabled) system(['systemctl', 'enable', ...(target.start ? ['--now'] : []), ...UNITS]);
  else if (target.start && !root && !UNITS.every((u) => systemctlSays('is-active', u) === 'active')) system(['systemctl', 'start', ...UNITS]);
  return { steps, notes };

  /** The updates root and releases/ (the kiosk's: the updater writes there), this package as a release, `current`. */
  function planReleases(updates: string): void {
    dir(updates, 0o755, 'kiosk', 'kiosk');
    dir(releasesDir(updates), 0o755, 'kiosk', 'kiosk');
    const pkgDir = projectRoot();
    const { version, nodeModules } = packageToRelease(pkgDir);
    const base = at(updates);
    const dest = releaseDir(base, version);
    if (!fs.existsSync(path.join(dest, RELEASE_STAMP))) {
      steps.push({
        line: `copy ${pkgDir} (${RELEASE_CONTENT.join(', ')}) to ${dest} (0755/0644${owned('root', 'root')}; node_modules -> ${nodeModules}; stamped ${RELEASE_STAMP})`,
        system: false,
        apply: () => copyRelease(pkgDir, dest, version, nodeModules),
      });
    } else if (fs.realpathSync(dest) !== fs.realpathSync(pkgDir) && buildId(dest) !== buildId(pkgDir)) {
      notes.push(`${dest} is kept: it holds another build of ${version} (bundle ${buildId(dest) ?? 'none'}, this package's ${buildId(pkgDir) ?? 'none'}); a version names one package — give a new build a new version`);
    }
    const link = currentLink(base);
    const st = fs.lstatSync(link, { throwIfNoEntry: false });
    if (st && !st.isSymbolicLink()) throw new CliExit(1, `kiosk install: ${link} is not a link: move it away and run kiosk install again`);
    const was = st ? fs.readlinkSync(link) : null;
    const points = st ? currentVersion(base) : null;
    if (!st || points === null || !fs.existsSync(link)) {
      steps.push({
        line: `link ${link} -> ${path.join('releases', version)} (a temp link renamed over it${was === null ? '' : `; it was -> ${was}, which is not an installed release`})`,
        system: false,
        apply: () => switchCurrent(base, version),
      });
    } else if (points !== version) {
      notes.push(`${link} -> ${was} is kept: the updater switches releases (this package is ${version}, in ${path.join('releases', version)})`);
    }
  }
}
