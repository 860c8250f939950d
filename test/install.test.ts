/**
 * `kiosk install`: --dry-run lists every step and changes nothing; --root lays out the exact files with the exact
 * modes; a second run changes nothing and says so; a technician's config is never overwritten; not as root → exit 1.
 * `--releases`: the package as the first release side by side (runtime/releases' layout), `current`, the drop-in,
 * `updates.*` in the config it writes; the copy's CLI runs (a real process); idempotent; kept what it must keep.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../config/load';
import { CliExit } from '../device/cli-exit';
import { install, type InstallOptions } from '../device/commands/install';
import { DEFAULT_CONFIG, planInstall } from '../device/service-install';
import { installRelease } from '../runtime/releases/install';
import { currentVersion, releaseDir } from '../runtime/releases/layout';
import { CLI, kiosk, ROOT } from './support/cli';
import { tempDir } from './support/engine-fixture';
import { packProject } from './support/project-pack';

/** Every entry under `root`: relative path → mode (octal) and, for files, the content; a link → its target (not followed). */
function tree(root: string): Record<string, { mode: string; text?: string; mtimeMs?: number }> {
  const out: Record<string, { mode: string; text?: string; mtimeMs?: number }> = {};
  const walk = (dir: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const st = fs.lstatSync(full);
      const rel = path.relative(root, full);
      if (st.isSymbolicLink()) {
        out[rel] = { mode: 'link', text: fs.readlinkSync(full), mtimeMs: st.mtimeMs };
        continue;
      }
      out[rel] = { mode: (st.mode & 0o7777).toString(8).padStart(4, '0'), ...(st.isFile() ? { text: fs.readFileSync(full, 'utf8'), mtimeMs: st.mtimeMs } : {}) };
      if (st.isDirectory()) walk(full);
    }
  };
  walk(root);
  return out;
}

const deployFile = (...p: string[]) => fs.readFileSync(path.join(ROOT, 'deploy', ...p), 'utf8');
const SYSTEM_PATHS = ['/var/lib/kiosk', '/etc/kiosk', '/usr/local/bin/kiosk', '/etc/systemd/system/kiosk.service', '/etc/systemd/system/kiosk-screen.service', '/etc/udev/rules.d/99-kiosk.rules'];

describe('kiosk install', () => {
  let root: string;
  beforeEach(() => (root = tempDir('install-root-')));
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('--dry-run on the machine lists every step, one per line, and changes nothing', () => {
    const before = SYSTEM_PATHS.map((p) => [p, fs.existsSync(p)]);
    const passwd = fs.readFileSync('/etc/passwd', 'utf8');
    const r = kiosk(['install', '--dry-run']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const expected: RegExp[] = [];
    if (!/^kiosk:/m.test(passwd)) expected.push(/^would run: useradd --system --user-group --home-dir \/var\/lib\/kiosk --no-create-home --shell \/usr\/sbin\/nologin( --groups \S+)? kiosk$/);
    if (!fs.existsSync('/var/lib/kiosk')) expected.push(/^would do: mkdir \/var\/lib\/kiosk \(0700 kiosk:kiosk\)$/);
    if (!fs.existsSync('/etc/kiosk/config.json')) expected.push(/^would do: write \/etc\/kiosk\/config\.json \(0640 root:kiosk, default config/);
    expected.push(
      /^would do: write \/usr\/local\/bin\/kiosk \(0755 root:root/,
      /^would do: write \/etc\/systemd\/system\/kiosk\.service \(0644 root:root/,
      /^would do: write \/etc\/systemd\/system\/kiosk-screen\.service \(0644 root:root/,
      /^would do: write \/etc\/udev\/rules\.d\/99-kiosk\.rules \(0644 root:root/,
      /^would run: systemctl daemon-reload$/,
      /^would run: udevadm control --reload$/,
      /^would run: systemctl enable kiosk\.service kiosk-screen\.service$/,
    );
    for (const re of expected) expect(lines.filter((l) => re.test(l))).toHaveLength(1);
    expect(lines.slice(0, -1).every((l) => /^would (run|do): /.test(l))).toBe(true);
    expect(lines[lines.length - 1]).toBe(`kiosk install: dry run, nothing changed (${lines.length - 1} steps)`);
    expect(SYSTEM_PATHS.map((p) => [p, fs.existsSync(p)])).toEqual(before);
    expect(fs.readFileSync('/etc/passwd', 'utf8')).toBe(passwd);
  });

  it('--dry-run --root leaves the staging root empty', () => {
    const r = kiosk(['install', '--dry-run', '--root', root]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^would do: write .*\/etc\/systemd\/system\/kiosk\.service/m);
    expect(fs.readdirSync(root)).toEqual([]);
  });

  it('--root: the exact files with the exact modes; a second run changes nothing and says so', () => {
    const r = kiosk(['install', '--root', root]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^would run: useradd .* kiosk$/m);
    expect(r.stdout).toMatch(/^would run: systemctl enable kiosk\.service kiosk-screen\.service$/m);
    expect(r.stdout).toMatch(/^kiosk install: done \(8 changes\)$/m);
    const t = tree(root);
    const modes = Object.fromEntries(Object.entries(t).map(([p, e]) => [p, e.mode]));
    expect(modes).toEqual({
      etc: '0755',
      'etc/kiosk': '0750',
      'etc/kiosk/config.json': '0640',
      'etc/kiosk/screen.env': '0644',
      'etc/systemd': '0755',
      'etc/systemd/system': '0755',
      'etc/systemd/system/kiosk.service': '0644',
      'etc/systemd/system/kiosk-screen.service': '0644',
      'etc/udev': '0755',
      'etc/udev/rules.d': '0755',
      'etc/udev/rules.d/99-kiosk.rules': '0644',
      usr: '0755',
      'usr/local': '0755',
      'usr/local/bin': '0755',
      'usr/local/bin/kiosk': '0755',
      var: '0755',
      'var/lib': '0755',
      'var/lib/kiosk': '0700',
    });
    expect(t['etc/systemd/system/kiosk.service'].text).toBe(deployFile('systemd', 'kiosk.service'));
    expect(t['etc/systemd/system/kiosk-screen.service'].text).toBe(deployFile('systemd', 'kiosk-screen.service'));
    expect(t['etc/udev/rules.d/99-kiosk.rules'].text).toBe(deployFile('udev', '99-kiosk.rules'));
    expect(t['etc/kiosk/config.json'].text).toBe(DEFAULT_CONFIG);
    const config = loadConfig({ configPath: path.join(root, 'etc/kiosk/config.json'), env: {} });
    expect(config.dataDir).toBe('/var/lib/kiosk');
    expect(t['etc/kiosk/screen.env'].text).toMatch(/^KIOSK_SCREEN_URL=http:\/\/127\.0\.0\.1:8080\/$/m);
    // the launcher runs this checkout's CLI
    const v = spawnSync(path.join(root, 'usr/local/bin/kiosk'), ['--version'], { encoding: 'utf8' });
    expect(v.status).toBe(0);
    expect(v.stdout.trim()).toBe(kiosk(['--version']).stdout.trim());
    expect(t['usr/local/bin/kiosk'].text).toContain(CLI);

    const again = kiosk(['install', '--root', root]);
    expect(again.code).toBe(0);
    expect(again.stdout).not.toMatch(/^(write|mkdir|chmod) /m);
    expect(again.stdout).not.toMatch(/daemon-reload|udevadm/);
    expect(again.stdout).toMatch(/^kiosk install: nothing changed here; the steps above are for the image$/m);
    expect(tree(root)).toEqual(t);
  });

  it('--root under umask 077: the folders it makes are still 0755 (systemd, udev and the kiosk user must enter them)', () => {
    const r = spawnSync('/bin/sh', ['-c', 'umask 077 && exec "$0" "$@"', process.execPath, CLI, 'install', '--root', root], { encoding: 'utf8', cwd: '/' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const modes = Object.fromEntries(Object.entries(tree(root)).map(([p, e]) => [p, e.mode]));
    for (const dir of ['etc', 'etc/systemd', 'etc/systemd/system', 'etc/udev', 'etc/udev/rules.d', 'usr', 'usr/local', 'usr/local/bin', 'var', 'var/lib']) expect([dir, modes[dir]]).toEqual([dir, '0755']);
    expect(modes['etc/kiosk']).toBe('0750');
    expect(modes['var/lib/kiosk']).toBe('0700');
  });

  it("a technician's config is kept (mode fixed), the screen URL follows its screen.port, a changed unit is put back", () => {
    fs.mkdirSync(path.join(root, 'etc/kiosk'), { recursive: true, mode: 0o750 });
    fs.chmodSync(path.join(root, 'etc/kiosk'), 0o750);
    const mine = JSON.stringify({ screen: { port: 8090 }, device: { storeId: 'S7', deviceId: 'L3', name: 'Lane 3' } });
    fs.writeFileSync(path.join(root, 'etc/kiosk/config.json'), mine, { mode: 0o644 });
    expect(kiosk(['install', '--root', root]).code).toBe(0);
    expect(fs.readFileSync(path.join(root, 'etc/kiosk/config.json'), 'utf8')).toBe(mine);
    expect((fs.statSync(path.join(root, 'etc/kiosk/config.json')).mode & 0o777).toString(8)).toBe('640');
    expect(fs.readFileSync(path.join(root, 'etc/kiosk/screen.env'), 'utf8')).toMatch(/^KIOSK_SCREEN_URL=http:\/\/127\.0\.0\.1:8090\/$/m);

    const unit = path.join(root, 'etc/systemd/system/kiosk.service');
    fs.writeFileSync(unit, 'edited\n');
    const r = kiosk(['install', '--root', root]);
    expect(r.stdout.split('\n').filter((l) => /^(write|mkdir|chmod) /.test(l))).toEqual([`write ${unit} (0644 root:root, from deploy/systemd/kiosk.service)`]);
    expect(r.stdout).toMatch(/^would run: systemctl daemon-reload$/m);
    expect(fs.readFileSync(unit, 'utf8')).toBe(deployFile('systemd', 'kiosk.service'));
  });

  it('--root onto an image that has the users: owners from its passwd/group; a wrong owner or mode is put right', () => {
    fs.mkdirSync(path.join(root, 'etc'));
    fs.writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\nkiosk:x:990:991::/var/lib/kiosk:/usr/sbin/nologin\n');
    fs.writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\nkiosk:x:991:\n');
    const r = kiosk(['install', '--root', root]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^mkdir \S+\/var\/lib\/kiosk \(0700 kiosk:kiosk\)$/m);
    expect(r.stdout).not.toMatch(/useradd .* kiosk$/m);
    const owner = (p: string) => {
      const st = fs.statSync(path.join(root, p));
      return `${st.uid}:${st.gid} ${(st.mode & 0o7777).toString(8)}`;
    };
    expect(owner('var/lib/kiosk')).toBe('990:991 700');
    expect(owner('etc/kiosk')).toBe('0:991 750');
    expect(owner('etc/kiosk/config.json')).toBe('0:991 640');
    expect(owner('etc/systemd/system/kiosk.service')).toBe('0:0 644');
    expect(owner('usr/local/bin/kiosk')).toBe('0:0 755');

    fs.chownSync(path.join(root, 'var/lib/kiosk'), 0, 0);
    fs.chmodSync(path.join(root, 'etc/kiosk/config.json'), 0o666);
    const fix = kiosk(['install', '--root', root]);
    expect(fix.stdout.split('\n').filter((l) => /^(write|mkdir|chmod) /.test(l))).toEqual([
      `chmod 0700 + chown kiosk:kiosk ${path.join(root, 'var/lib/kiosk')}`,
      `chmod 0640 + chown root:kiosk ${path.join(root, 'etc/kiosk/config.json')} (content kept)`,
    ]);
    expect(owner('var/lib/kiosk')).toBe('990:991 700');
    expect(owner('etc/kiosk/config.json')).toBe('0:991 640');
    expect(kiosk(['install', '--root', root]).stdout).not.toMatch(/^(write|mkdir|chmod) /m);
  });

  it('users: none planned when the image has them; missing device groups are added with usermod', () => {
    fs.mkdirSync(path.join(root, 'etc'));
    fs.writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\nkiosk:x:990:990::/var/lib/kiosk:/usr/sbin/nologin\nkiosk-screen:x:991:991::/var/lib/kiosk-screen:/usr/sbin/nologin\n');
    fs.writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\ndialout:x:20:kiosk\nplugdev:x:46:\nvideo:x:44:kiosk-screen\nkiosk:x:990:\nkiosk-screen:x:991:\n');
    const lines = planInstall({ root, start: false }).filter((s) => s.system).map((s) => s.line);
    expect(lines.filter((l) => /^(useradd|usermod)/.test(l))).toEqual(['usermod --append --groups plugdev kiosk']);
  });

  it('--root after `systemctl --root enable`: enabling is not planned again', () => {
    expect(kiosk(['install', '--root', root]).code).toBe(0);
    const en = spawnSync('systemctl', [`--root=${root}`, 'enable', 'kiosk.service', 'kiosk-screen.service'], { encoding: 'utf8' });
    expect(en.status).toBe(0);
    const again = kiosk(['install', '--root', root]);
    expect(again.stdout).not.toMatch(/systemctl enable/);
    expect(again.stdout).toMatch(/nothing changed/);
  });

  it('--start enables with --now', () => {
    const lines = planInstall({ root, start: true }).map((s) => s.line);
    expect(lines).toContain('systemctl enable --now kiosk.service kiosk-screen.service');
  });

  it('not as root and without --dry-run: exit 1 with one clear line, nothing written', () => {
    const setpriv = '/usr/bin/setpriv';
    if (!fs.existsSync(setpriv)) throw new Error(`${setpriv} is missing: install util-linux (node scripts/setup.js does)`);
    const r = spawnSync(setpriv, ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, 'install', '--root', root], { encoding: 'utf8', cwd: '/' });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('kiosk install: must run as root (sudo kiosk install), or use --dry-run to see what it would do\n');
    expect(r.stdout).toBe('');
    expect(fs.readdirSync(root)).toEqual([]);
    // --dry-run needs no root
    const dry = spawnSync(setpriv, ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, 'install', '--dry-run'], { encoding: 'utf8', cwd: '/' });
    expect(dry.stderr).toBe('');
    expect(dry.status).toBe(0);
  });
});

/** `kiosk install` in this process (as the CLI calls it): its stdout, or the CliExit it ended with. */
async function runInstall(opts: InstallOptions): Promise<{ out: string; lines: string[]; exit: CliExit | null }> {
  const chunks: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  let exit: CliExit | null = null;
  try {
    await install(opts);
  } catch (e) {
    if (!(e instanceof CliExit)) throw e;
    exit = e;
  } finally {
    spy.mockRestore();
  }
  const out = chunks.join('');
  return { out, lines: out.split('\n').filter(Boolean), exit };
}

/** The files a release copy must hold, listed from the checkout on their own: package.json, dist, the UI, starter data, HQ's page, deploy/. */
function expectedReleaseFiles(): string[] {
  const files: string[] = [];
  const walk = (rel: string) => {
    const st = fs.statSync(path.join(ROOT, rel));
    if (st.isDirectory()) for (const n of fs.readdirSync(path.join(ROOT, rel))) walk(path.join(rel, n));
    else if (!rel.endsWith('.map') && !rel.endsWith('.ts')) files.push(rel);
  };
  for (const rel of ['package.json', 'dist', 'screen-ui', 'config/starter', 'hq/console/public', 'deploy']) walk(rel);
  return files.sort();
}

function filesUnder(dir: string): string[] {
  const files: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = path.join(rel, e.name);
      if (e.isDirectory()) walk(r);
      else files.push(r);
    }
  };
  walk('');
  return files.sort();
}

const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
/** Runs a release's CLI as systemd does: the file itself (its `#!/usr/bin/env node`), from another folder. */
const runRelease = (cli: string, args: string[], cwd: string) =>
  spawnSync(cli, args, { encoding: 'utf8', cwd, env: { PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin`, TZ: 'UTC', KIOSK_LOG_LEVEL: 'warn' }, timeout: 60_000 });

describe('kiosk install --releases', () => {
  let root: string;
  beforeEach(() => (root = tempDir('install-releases-')));
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('--dry-run --releases --root prints the release steps and leaves the staging root empty', async () => {
    const r = await runInstall({ dryRun: true, root, releases: true });
    expect(r.exit).toBeNull();
    const rel = path.join(root, 'opt/kiosk/releases', VERSION);
    for (const re of [
      new RegExp(`^would do: write ${root}/etc/kiosk/config\\.json \\(0640, default config with updates\\.enabled and updates\\.root;`),
      new RegExp(`^would do: mkdir ${root}/opt/kiosk \\(0755\\)$`),
      new RegExp(`^would do: mkdir ${root}/opt/kiosk/releases \\(0755\\)$`),
      new RegExp(`^would do: copy ${ROOT} \\(package\\.json, dist, screen-ui, config/starter, hq/console/public, deploy\\) to ${rel} \\(0755/0644 root:root; node_modules -> ${fs.realpathSync(path.join(ROOT, 'node_modules'))}; stamped \\.release-installed\\)$`),
      new RegExp(`^would do: link ${root}/opt/kiosk/current -> releases/${VERSION.replace(/\./g, '\\.')} \\(a temp link renamed over it\\)$`),
      new RegExp(`^would do: write ${root}/usr/local/bin/kiosk \\(0755 root:root, the kiosk launcher, running current's CLI\\)$`),
      new RegExp(`^would do: mkdir ${root}/etc/systemd/system/kiosk\\.service\\.d \\(0755 root:root\\)$`),
      new RegExp(`^would do: write ${root}/etc/systemd/system/kiosk\\.service\\.d/releases\\.conf \\(0644 root:root, from deploy/systemd/kiosk\\.service\\.d/releases\\.conf, updates root /opt/kiosk\\)$`),
      /^would run: systemctl daemon-reload$/,
    ]) {
      expect([re, r.lines.filter((l) => re.test(l)).length]).toEqual([re, 1]);
    }
    expect(r.lines.slice(0, -1).every((l) => /^would (run|do): /.test(l))).toBe(true);
    expect(r.lines[r.lines.length - 1]).toBe(`kiosk install: dry run, nothing changed (${r.lines.length - 1} steps)`);
    expect(fs.readdirSync(root)).toEqual([]);
  });

  it('--releases --root: the release tree, current, the drop-in, updates.* in the config, the launcher; the copy runs; a second run changes nothing', async () => {
    const r = await runInstall({ root, releases: true });
    expect(r.exit).toBeNull();
    expect(r.out).toMatch(/^kiosk install: done \(15 changes\)$/m);
    expect(r.out).not.toMatch(/^note: /m);
    const base = path.join(root, 'opt/kiosk');
    const rel = path.join(base, 'releases', VERSION);

    // the layout runtime/releases reads: releases/<version>, current -> releases/<version> (relative, as switchCurrent makes it)
    expect(fs.readlinkSync(path.join(base, 'current'))).toBe(path.join('releases', VERSION));
    expect(fs.readdirSync(base).sort()).toEqual(['current', 'releases']);
    expect(fs.readdirSync(path.join(base, 'releases'))).toEqual([VERSION]); // no staging folder left
    expect(filesUnder(rel).filter((f) => f !== '.release-installed' && f !== 'node_modules')).toEqual(expectedReleaseFiles());
    expect(fs.readFileSync(path.join(rel, '.release-installed'), 'utf8')).toBe(`${VERSION} \n`);
    expect(fs.readFileSync(path.join(rel, 'package.json'), 'utf8')).toBe(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(fs.readFileSync(path.join(rel, 'dist/device/cli.bundle.js')).equals(fs.readFileSync(path.join(ROOT, 'dist/device/cli.bundle.js')))).toBe(true);
    // node_modules: a link to the checkout's real folder (the updater's first install by hand; later releases link to its real path)
    expect(fs.lstatSync(path.join(rel, 'node_modules')).isSymbolicLink()).toBe(true);
    expect(fs.readlinkSync(path.join(rel, 'node_modules'))).toBe(fs.realpathSync(path.join(ROOT, 'node_modules')));
    const mode = (p: string) => (fs.statSync(p).mode & 0o7777).toString(8);
    expect(mode(path.join(rel, 'dist/device/cli.js'))).toBe('755');
    expect(mode(path.join(rel, 'package.json'))).toBe('644');
    expect(mode(rel)).toBe('755');
    expect(mode(base)).toBe('755');

    const t = tree(root);
    expect(t['etc/systemd/system/kiosk.service.d']?.mode).toBe('0755');
    expect(t['etc/systemd/system/kiosk.service.d/releases.conf']).toMatchObject({ mode: '0644', text: deployFile('systemd', 'kiosk.service.d', 'releases.conf') });
    expect(t['etc/systemd/system/kiosk.service.d/releases.conf'].text).toMatch(/^ExecStart=\/opt\/kiosk\/current\/dist\/device\/cli\.js start /m);
    // the unit the drop-in starts when systemd gives up on a release, installed beside it (not enabled)
    expect(t['etc/systemd/system/kiosk.service.d/releases.conf'].text).toMatch(/^OnFailure=kiosk-release-rescue\.service$/m);
    expect(t['etc/systemd/system/kiosk-release-rescue.service']).toMatchObject({ mode: '0644', text: deployFile('systemd', 'kiosk-release-rescue.service') });
    expect(r.lines).toContain(`write ${path.join(root, 'etc/systemd/system/kiosk-release-rescue.service')} (0644 root:root, from deploy/systemd/kiosk-release-rescue.service, updates root /opt/kiosk)`);
    const config = loadConfig({ configPath: path.join(root, 'etc/kiosk/config.json'), env: {} });
    expect(config.updates).toMatchObject({ enabled: true, root: '/opt/kiosk' });
    expect(config.dataDir).toBe('/var/lib/kiosk');
    expect(t['usr/local/bin/kiosk'].text).toContain(`'/opt/kiosk/current/dist/device/cli.js' "$@"`);
    expect(t['usr/local/bin/kiosk'].text).not.toContain(CLI);

    // a second run: nothing to copy, link or write, and it says so
    const again = await runInstall({ root, releases: true });
    expect(again.exit).toBeNull();
    expect(again.out).not.toMatch(/^(write|mkdir|chmod|copy|link) /m);
    expect(again.out).not.toMatch(/daemon-reload|udevadm/);
    expect(again.out).toMatch(/^kiosk install: nothing changed here; the steps above are for the image$/m);
    // and without the flag: the lane stays set up for releases (the launcher is not put back on the checkout)
    const plain = await runInstall({ root });
    expect(plain.out).not.toMatch(/^(write|mkdir|chmod|copy|link) /m);
    expect(tree(root)).toEqual(t);

    // the copy's CLI runs as the drop-in starts it, from the copy: --version from its package.json, SQLite through its node_modules link
    const cli = path.join(base, 'current/dist/device/cli.js');
    const v = runRelease(cli, ['--version'], root);
    expect(v.stderr).toBe('');
    expect(v.stdout.trim()).toBe(VERSION);
    const data = path.join(root, 'data');
    const orders = runRelease(cli, ['orders', 'list', '--data', data], root);
    expect(orders.stderr).toBe('');
    expect(orders.status).toBe(0);
    expect(orders.stdout.trim()).toMatch(/^no orders$/i);
    expect(fs.existsSync(path.join(data, 'kiosk.sqlite'))).toBe(true);
    // the updater takes it as the running release: the next `npm pack` build installs beside it, sharing its node_modules
    expect(currentVersion(base)).toBe(VERSION);
    const next = await installRelease({ root: base, tgz: packProject(path.join(root, 'packs'), '0.1.77'), version: '0.1.77', runningDir: releaseDir(base, VERSION) });
    expect(next).toMatchObject({ ok: true, dependencies: 'linked' });
    expect(fs.readlinkSync(path.join(base, 'releases/0.1.77/node_modules'))).toBe(fs.realpathSync(path.join(ROOT, 'node_modules')));
    const pkgFile = path.join(rel, 'package.json');
    fs.writeFileSync(pkgFile, fs.readFileSync(pkgFile, 'utf8').replace(`"version": "${VERSION}"`, '"version": "9.9.9-copy"'));
    expect(runRelease(cli, ['--version'], root).stdout.trim()).toBe('9.9.9-copy');

    // systemd takes kiosk.service with the drop-in, and the rescue unit, as laid out (its ExecStart: the copy's cli.js through `current`)
    fs.cpSync('/usr/lib/systemd/system', path.join(root, 'usr/lib/systemd/system'), { recursive: true, dereference: true });
    fs.mkdirSync(path.join(root, 'bin'));
    fs.copyFileSync('/bin/sh', path.join(root, 'bin/sh'));
    fs.chmodSync(path.join(root, 'bin/sh'), 0o755);
    const units = ['kiosk.service', 'kiosk-release-rescue.service'].map((u) => `/etc/systemd/system/${u}`);
    const verify = () => {
      const v = spawnSync('/usr/bin/systemd-analyze', ['verify', '--man=no', '--generators=no', `--root=${root}`, ...units], { encoding: 'utf8' });
      return { code: v.status, ours: `${v.stdout}${v.stderr}`.split('\n').filter((l) => /kiosk/.test(l)) };
    };
    expect(verify()).toEqual({ code: 0, ours: [] });
    // and the drop-in is what it checked: without `current` the command it starts is not there
    fs.renameSync(path.join(base, 'current'), path.join(base, 'current.away'));
    expect(verify().ours.join('\n')).toMatch(/\/opt\/kiosk\/current\/dist\/device\/cli\.js is not executable/);
  }, 60_000);

  it("--updates-root: the drop-in and config follow it; a technician's config, a current set by the updater and another build are kept and reported; a dangling current or a cut copy is redone", async () => {
    fs.mkdirSync(path.join(root, 'etc/kiosk'), { recursive: true, mode: 0o750 });
    fs.chmodSync(path.join(root, 'etc/kiosk'), 0o750);
    const mine = JSON.stringify({ screen: { port: 8090 } });
    fs.writeFileSync(path.join(root, 'etc/kiosk/config.json'), mine, { mode: 0o640 });
    const r = await runInstall({ root, updatesRoot: '/srv/lanes/kiosk/' });
    expect(r.exit).toBeNull();
    expect(r.lines).toContain(
      `note: ${path.join(root, 'etc/kiosk/config.json')} is kept (updates.enabled false, updates.root /opt/kiosk): for over-the-air releases set "updates": { "enabled": true, "root": "/srv/lanes/kiosk" } in it`,
    );
    expect(fs.readFileSync(path.join(root, 'etc/kiosk/config.json'), 'utf8')).toBe(mine);
    const dropIn = fs.readFileSync(path.join(root, 'etc/systemd/system/kiosk.service.d/releases.conf'), 'utf8');
    expect(dropIn).toMatch(/^ExecStart=\/srv\/lanes\/kiosk\/current\/dist\/device\/cli\.js start --config \/etc\/kiosk\/config\.json --data \/var\/lib\/kiosk$/m);
    expect(dropIn).toMatch(/^ReadWritePaths=\/srv\/lanes\/kiosk$/m);
    expect(dropIn).not.toContain('/opt/kiosk');
    const rescue = fs.readFileSync(path.join(root, 'etc/systemd/system/kiosk-release-rescue.service'), 'utf8');
    expect(rescue).toBe(deployFile('systemd', 'kiosk-release-rescue.service').split('/opt/kiosk').join('/srv/lanes/kiosk'));
    expect(rescue).toMatch(/^ConditionPathExists=\/srv\/lanes\/kiosk\/updates\/pending-health\.json$/m);
    const base = path.join(root, 'srv/lanes/kiosk');
    expect(fs.readlinkSync(path.join(base, 'current'))).toBe(path.join('releases', VERSION));

    // the technician sets updates.*: no note; a run without flags keeps /srv/lanes/kiosk (from the drop-in)
    fs.writeFileSync(path.join(root, 'etc/kiosk/config.json'), JSON.stringify({ screen: { port: 8090 }, updates: { enabled: true, root: '/srv/lanes/kiosk' } }));
    const quiet = await runInstall({ root });
    expect(quiet.out).not.toMatch(/^note: /m);
    expect(quiet.out).not.toMatch(/^(write|mkdir|chmod|copy|link) /m);
    expect(fs.existsSync(path.join(root, 'opt'))).toBe(false);

    // the updater switched to another release: current is its, install keeps it
    fs.mkdirSync(path.join(base, 'releases/0.1.99'));
    fs.rmSync(path.join(base, 'current'));
    fs.symlinkSync('releases/0.1.99', path.join(base, 'current'));
    const kept = await runInstall({ root });
    expect(kept.lines).toContain(`note: ${path.join(base, 'current')} -> releases/0.1.99 is kept: the updater switches releases (this package is ${VERSION}, in releases/${VERSION})`);
    expect(kept.out).not.toMatch(/^link /m);
    expect(fs.readlinkSync(path.join(base, 'current'))).toBe('releases/0.1.99');

    // current pointing at a release that is not there: linked to this package again
    fs.rmSync(path.join(base, 'releases/0.1.99'), { recursive: true });
    const relinked = await runInstall({ root });
    expect(relinked.lines).toContain(`link ${path.join(base, 'current')} -> releases/${VERSION} (a temp link renamed over it; it was -> releases/0.1.99, which is not an installed release)`);
    expect(fs.readlinkSync(path.join(base, 'current'))).toBe(path.join('releases', VERSION));
    expect(fs.readdirSync(base).filter((n) => n.includes('.tmp'))).toEqual([]);

    // a copy cut short (no stamp) is made again; another build of the same version is kept and reported
    const rel = path.join(base, 'releases', VERSION);
    fs.rmSync(path.join(rel, '.release-installed'));
    fs.rmSync(path.join(rel, 'dist'), { recursive: true });
    const redo = await runInstall({ root });
    expect(redo.lines.filter((l) => /^copy /.test(l))).toHaveLength(1);
    expect(filesUnder(rel).filter((f) => f !== '.release-installed' && f !== 'node_modules')).toEqual(expectedReleaseFiles());
    const bundle = path.join(rel, 'dist/device/cli.bundle.js');
    fs.writeFileSync(bundle, fs.readFileSync(bundle, 'utf8').replace(/^\/\/ kiosk-bundle [0-9a-f]+\n/, '// kiosk-bundle 00000000\n'));
    const other = await runInstall({ root });
    expect(other.out).not.toMatch(/^copy /m);
    expect(other.lines.filter((l) => l.startsWith(`note: ${rel} is kept: it holds another build of ${VERSION} (bundle 00000000, this package's `))).toHaveLength(1);
  }, 60_000);

  it('refuses an updates root that is not an absolute plain path (exit 2) and a current that is not a link (exit 1), writing nothing', async () => {
    for (const bad of ['opt/kiosk', '/', '/opt/../etc', '/opt/my kiosk']) {
      const r = await runInstall({ root, updatesRoot: bad });
      expect(r.exit?.code).toBe(2);
      expect(r.exit?.message).toMatch(/^kiosk install: --updates-root must be an absolute directory path other than \//);
    }
    expect(fs.readdirSync(root)).toEqual([]);
    fs.mkdirSync(path.join(root, 'opt/kiosk/current'), { recursive: true });
    const r = await runInstall({ root, releases: true });
    expect(r.exit?.code).toBe(1);
    expect(r.exit?.message).toBe(`kiosk install: ${path.join(root, 'opt/kiosk/current')} is not a link: move it away and run kiosk install again`);
    expect(r.out).toBe('');
    expect(fs.readdirSync(root)).toEqual(['opt']);
  });

  it('the built CLI takes --releases and --updates-root', () => {
    const r = kiosk(['install', '--dry-run', '--root', root, '--releases', '--updates-root', '/srv/k']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^would do: link \S+\/srv\/k\/current -> releases\//m);
    expect(r.stdout).toMatch(/^would do: write \S+\/etc\/systemd\/system\/kiosk\.service\.d\/releases\.conf \(0644 root:root, from deploy\/systemd\/kiosk\.service\.d\/releases\.conf, updates root \/srv\/k\)$/m);
    expect(fs.readdirSync(root)).toEqual([]);
  });
});
