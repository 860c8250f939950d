import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../config/load';
import { projectRoot } from '../config/paths';
import { CliExit } from './cli-exit';

/**
 * What `kiosk install` puts on a lane (README "Installing on a lane"): the `kiosk` system user (data, devices) and
 * `kiosk-screen` (the browser — it never reads the kiosk's data), /var/lib/kiosk 0700, /etc/kiosk/config.json
 * (written only when absent), the `kiosk` launcher, the systemd units and udev rules from deploy/, then
 * daemon-reload, udev reload and `systemctl enable`. Every step first looks at what is there: a step already done
 * is not planned, so a second run plans nothing.
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
}

/** The config written when there is none: the data dir and the screen port the units use; the rest is the default. */
export const DEFAULT_CONFIG = `${JSON.stringify({ dataDir: PATHS.dataDir, screen: { port: 8080 } }, null, 2)}\n`;

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

/** The launcher: the node that runs this install, this checkout's CLI, and /etc/kiosk/config.json by default. */
export function launcherScript(cli = path.resolve(__dirname, 'cli.js')): string {
  const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return (
    `#!/bin/sh\n# written by kiosk install: the kiosk CLI of ${projectRoot()}\n` +
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
  const { root } = target;
  const at = (p: string) => (root ? path.join(root, p) : p);
  const acct = accounts(root);
  const steps: Step[] = [];
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
          fs.mkdirSync(path.dirname(full), { recursive: true, mode: 0o755 }); // parents as usual, only this one m
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
          fs.mkdirSync(path.dirname(full), { recursive: true, mode: 0o755 });
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
  file(PATHS.config, () => DEFAULT_CONFIG, 0o640, 'root', 'kiosk', "default config; a technician's config is never overwritten", true);
  // the screen URL from the config as it will be (the default when this run writes it)
  file(PATHS.screenEnv, () => screenEnv(at(PATHS.config)), 0o644, 'root', 'root', 'the screen URL');
  file(PATHS.launcher, () => launcherScript(), 0o755, 'root', 'root', 'the kiosk launcher');
  const deploy = path.join(projectRoot(), 'deploy');
  let unitsChanged = false;
  for (const unit of UNITS) {
    unitsChanged = file(`${PATHS.unitDir}/${unit}`, () => fs.readFileSync(path.join(deploy, 'systemd', unit), 'utf8'), 0o644, 'root', 'root', `from deploy/systemd/${unit}`) || unitsChanged;
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
  return steps;
}
