/**
 * `kiosk install`: --dry-run lists every step and changes nothing; --root lays out the exact files with the exact
 * modes; a second run changes nothing and says so; a technician's config is never overwritten; not as root → exit 1.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../config/load';
import { DEFAULT_CONFIG, planInstall } from '../device/service-install';
import { CLI, kiosk, ROOT } from './support/cli';
import { tempDir } from './support/engine-fixture';

/** Every entry under `root`: relative path → mode (octal) and, for files, the content. */
function tree(root: string): Record<string, { mode: string; text?: string; mtimeMs?: number }> {
  const out: Record<string, { mode: string; text?: string; mtimeMs?: number }> = {};
  const walk = (dir: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const st = fs.statSync(full);
      const rel = path.relative(root, full);
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
