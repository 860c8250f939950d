/**
 * Over-the-air releases (issue 17): a release that dies before its own code runs (here: its dist/device/cli.js
 * requires a package that is not installed) never counts a boot, so its own `kiosk start` can never roll it back.
 * systemd can: kiosk.service.d/releases.conf gives the kiosk a start limit and `OnFailure=kiosk-release-rescue.service`,
 * whose ExecStart runs the PREVIOUS release's `kiosk release rescue`. No systemd here: the unit files are parsed and
 * their command lines run as systemd would run them (paths moved into a temp dir), on a real layout —
 * releases/0.1.0 a runnable release (this project's built dist/), releases/0.2.0 broken at load, `current` → 0.2.0
 * and the marker of a switch — and then the previous release's real `kiosk start` reports `rolled_back` to HQ.
 * Runs dist/: `npm run -s build` first.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import mqtt from 'mqtt';
import { lockDataDir } from '../device/data-dir-lock';
import { releaseReportedTopic } from '../protocol/releases/topics';
import type { ReleaseReported } from '../protocol/releases/release-offer';
import { currentVersion, pendingHealthFile, releaseDir } from '../runtime/releases/layout';
import { DEFAULT_MAX_BOOTS } from '../runtime/releases/probation';
import { readPendingHealth, switchCurrent, writePendingHealth, type PendingHealth } from '../runtime/releases/switch';
import { exited, ROOT, watchLines } from './support/cli';
import { tempDir } from './support/engine-fixture';
import { parseUnit, type UnitFile } from './support/unit-file';
import { waitFor } from './support/wait';

const UNITS = path.join(ROOT, 'deploy', 'systemd');

const unit = (...rel: string[]): UnitFile => parseUnit(fs.readFileSync(path.join(UNITS, ...rel), 'utf8'));
const values = (u: UnitFile, section: string, key: string): string[] => u[section]?.[key] ?? [];
const one = (u: UnitFile, section: string, key: string): string => {
  const v = values(u, section, key);
  if (v.length !== 1) throw new Error(`${section} ${key}: ${v.length} values`);
  return v[0];
};

/**
 * An ExecStart= line split as systemd splits it (systemd.service "Command lines"): the `+`/`-`/`@`/`!`/`:` prefixes,
 * words separated by blanks, single or double quotes around a word, `$$` a literal `$`, `%%` a literal `%`. The units
 * here use no backslash escape and no other specifier or variable: refused, so the test cannot read them otherwise
 * than systemd does.
 */
function execWords(line: string): { prefix: string; argv: string[] } {
  const prefix = /^[-+@!:]*/.exec(line)![0];
  const rest = line.slice(prefix.length);
  if (/\\|%[^%]|\$[^$]/.test(rest.replace(/\$\$|%%/g, ''))) throw new Error(`an escape, specifier or variable this parser does not know: ${line}`);
  const argv: string[] = [];
  const re = /'([^']*)'|"([^"]*)"|(\S+)/g;
  for (let m = re.exec(rest); m; m = re.exec(rest)) argv.push((m[1] ?? m[2] ?? m[3]).replace(/\$\$/g, '$').replace(/%%/g, '%'));
  return { prefix, argv };
}

let dir: string;
let root: string;
let data: string;
let configFile: string;
/** The unit's absolute paths moved into the test's temp dir. */
const place = (arg: string) => arg.replaceAll('/opt/kiosk', root).replaceAll('/etc/kiosk/config.json', configFile).replaceAll('/var/lib/kiosk', data);
const env = (): NodeJS.ProcessEnv => ({
  ...process.env,
  // systemd's PATH has node (`#!/usr/bin/env node`); here: the node running the tests
  PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? '/usr/bin:/bin'}`,
  KIOSK_LOG_LEVEL: 'warn',
  KIOSK_HQ__EMBEDDED_PORT: '0',
  KIOSK_SCREEN__PORT: '0',
  KIOSK_HEALTH__PORT: '0',
  TZ: 'UTC',
});
/** Runs an ExecStart= line (prefix dropped) to completion, the way systemd would: argv[0] executed directly. */
function runExec(line: string): { code: number | null; stdout: string; stderr: string } {
  const { argv } = execWords(line);
  const [file, ...args] = argv.map(place);
  const r = spawnSync(file, args, { env: env(), encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const dropIn = () => unit('kiosk.service.d', 'releases.conf');
const rescueUnit = () => unit('kiosk-release-rescue.service');
/** kiosk.service's ExecStart as the drop-in leaves it (its empty ExecStart= clears the unit's own). */
const kioskExecStart = () => {
  const lines = values(dropIn(), 'Service', 'ExecStart');
  expect(lines[0]).toBe('');
  expect(lines).toHaveLength(2);
  return lines[1];
};
const rescueExecStarts = () => values(rescueUnit(), 'Service', 'ExecStart');
/** `kiosk release rescue` from the previous release: the rescue unit's first ExecStart, run as systemd runs it. */
const rescue = () => runExec(rescueExecStarts()[0]);

const marker = (over: Partial<PendingHealth> = {}): PendingHealth => ({
  v: 1,
  rollout: 'r-rescue',
  version: '0.2.0',
  previous: '0.1.0',
  backup: null,
  schemaBefore: 0,
  switchedAt: Date.now(),
  deadline: Date.now() + 600_000,
  boots: 0,
  ...over,
});

beforeEach(() => {
  dir = tempDir('release-rescue-');
  root = path.join(dir, 'opt');
  data = path.join(dir, 'data');
  configFile = path.join(dir, 'config.json');
  fs.writeFileSync(configFile, JSON.stringify({ dataDir: '/nowhere', updates: { enabled: true, root } }));
  // 0.1.0, known good: this project as built (its dist/ — the running release's own CLI, as installed side by side)
  fs.mkdirSync(releaseDir(root, '0.1.0'), { recursive: true });
  fs.symlinkSync(path.join(ROOT, 'dist'), path.join(releaseDir(root, '0.1.0'), 'dist'), 'dir');
  // 0.2.0 dies while Node loads it: a dependency that is not installed, before any of its own code runs
  const cli = path.join(releaseDir(root, '0.2.0'), 'dist', 'device', 'cli.js');
  fs.mkdirSync(path.dirname(cli), { recursive: true });
  fs.writeFileSync(cli, "#!/usr/bin/env node\n'use strict';\nrequire('kiosk-dependency-that-is-not-installed');\n", { mode: 0o755 });
  // the switch happened: the marker, then `current` → the new release
  writePendingHealth(root, marker());
  switchCurrent(root, '0.2.0');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('a release that never reaches its own start', () => {
  it('is rolled back by the rescue unit with the previous release\'s CLI, and the previous release reports rolled_back', async () => {
    const before = readPendingHealth(root);
    expect(before).toMatchObject({ boots: 0 });
    // systemd starts it until its start limit: each start dies at load and counts nothing
    for (let i = 0; i < 3; i++) {
      const r = runExec(kioskExecStart());
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain("Cannot find module 'kiosk-dependency-that-is-not-installed'");
    }
    expect(readPendingHealth(root)).toEqual(before);
    expect(currentVersion(root)).toBe('0.2.0');

    // OnFailure= → kiosk-release-rescue.service: 0.1.0's own `kiosk release rescue`
    const r = rescue();
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout).toBe('release 0.2.0 rolled back to 0.1.0: it never reached its own start; 0.1.0 reports it to HQ when it starts\n');
    expect(currentVersion(root)).toBe('0.1.0');
    const failed = readPendingHealth(root)!;
    expect(failed).toMatchObject({ version: '0.2.0', previous: '0.1.0', boots: 0, failed: { check: 'boot', detail: 'release 0.2.0 never reached its own start (systemd start limit)' } });

    // idempotent: run again (a second failure, a technician) it changes nothing
    const again = rescue();
    expect({ code: again.code, stdout: again.stdout }).toEqual({ code: 0, stdout: 'release 0.2.0 had already failed: nothing to do\n' });
    expect(readPendingHealth(root)).toEqual(failed);
    expect(currentVersion(root)).toBe('0.1.0');

    // the rescue unit then starts kiosk.service again: `current` is 0.1.0, whose `kiosk start` settles the rollback
    // before its boot and reports it on the HQ link (here the embedded broker), retained
    const { argv } = execWords(kioskExecStart());
    const [file, ...args] = argv.map(place);
    expect(fs.realpathSync(file)).toBe(fs.realpathSync(path.join(ROOT, 'dist', 'device', 'cli.js')));
    const child = spawn(file, args, { env: env() });
    let port = '';
    await watchLines(child, (line) => {
      const m = /^ready .*mqtt=127\.0\.0\.1:(\d+)/.exec(line);
      if (m) port = m[1];
      return m !== null;
    });
    try {
      expect(port).not.toBe('');
      const hq = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 });
      const seen: ReleaseReported[] = [];
      hq.on('message', (_t, p) => p.length && seen.push(JSON.parse(p.toString()) as ReleaseReported));
      await hq.subscribeAsync(releaseReportedTopic('store-001', 'lane-01'), { qos: 1 });
      await waitFor('rolled_back reported', () => seen.some((s) => s.step === 'rolled_back'), 30_000);
      expect(seen.find((s) => s.step === 'rolled_back')).toMatchObject({
        rollout: 'r-rescue',
        version: '0.2.0',
        running: '0.1.0',
        reason: 'boot',
        detail: 'release 0.2.0 never reached its own start (systemd start limit)',
      });
      await hq.endAsync();
      // reported: the marker is gone, the lane runs on 0.1.0
      await waitFor('marker cleared', () => readPendingHealth(root) === null, 10_000);
      expect(currentVersion(root)).toBe('0.1.0');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited(child)).toEqual({ code: 0, signal: null });
  }, 120_000);
});

describe('kiosk release rescue', () => {
  it('says there is nothing to roll back when no release is on probation, or when the switch never happened', () => {
    fs.rmSync(pendingHealthFile(root));
    // (the rescue unit does not run then: ConditionPathExists=, below); by hand:
    const none = runExec(`${path.join(ROOT, 'dist', 'device', 'cli.js')} release rescue --config /etc/kiosk/config.json --data /var/lib/kiosk`);
    expect({ code: none.code, stdout: none.stdout }).toEqual({ code: 0, stdout: 'no release on probation: nothing to roll back\n' });
    expect(currentVersion(root)).toBe('0.2.0');

    // a crash between the marker and the link: `current` still the previous release, nothing to undo
    switchCurrent(root, '0.1.0');
    writePendingHealth(root, marker());
    const r = rescue();
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 0, stdout: 'release 0.2.0 never became current (current: 0.1.0): nothing to roll back\n' });
    expect(readPendingHealth(root)).not.toHaveProperty('failed');
    expect(currentVersion(root)).toBe('0.1.0');
  });

  it('finishes a rollback cut between the marker and the link', () => {
    writePendingHealth(root, marker({ failed: { check: 'boot', detail: 'release 0.2.0 started 3 times without passing its health check' } }));
    const r = rescue();
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 0, stdout: 'release 0.2.0 had already failed: nothing to do but point current back at 0.1.0 (done)\n' });
    expect(currentVersion(root)).toBe('0.1.0');
    expect(readPendingHealth(root)).toMatchObject({ failed: { detail: 'release 0.2.0 started 3 times without passing its health check' } });
  });

  it('refuses while a kiosk holds the data dir, changing nothing', async () => {
    const lock = await lockDataDir(data);
    try {
      const r = rescue();
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^kiosk already running on .*\(pid \d+\)\n$/);
      expect(currentVersion(root)).toBe('0.2.0');
      expect(readPendingHealth(root)).not.toHaveProperty('failed');
    } finally {
      await lock.release();
    }
  });
});

describe('the units', () => {
  it('give kiosk.service a start limit that a crash loop reaches in about a minute and a self-rollback never does', () => {
    const u = dropIn();
    expect(one(u, 'Unit', 'OnFailure')).toBe('kiosk-release-rescue.service');
    const burst = Number(one(u, 'Unit', 'StartLimitBurst'));
    const interval = Number(one(u, 'Unit', 'StartLimitIntervalSec'));
    const restartSec = Number(one(u, 'Service', 'RestartSec'));
    // the drop-in's RestartSec is kiosk.service's (the limit is reasoned on it)
    expect(one(unit('kiosk.service'), 'Service', 'RestartSec')).toBe(String(restartSec));
    // a crash at load takes next to no time: `burst` starts fall inside the interval, so the limit is hit (~1 min)
    expect(burst * restartSec).toBeLessThan(interval);
    expect(burst * restartSec).toBeLessThanOrEqual(90);
    // a release that starts and rolls itself back: DEFAULT_MAX_BOOTS + 1 starts of it, one of the previous release,
    // and the start before the switch — never the start limit
    expect(burst).toBeGreaterThan(DEFAULT_MAX_BOOTS + 3);
  });

  it('the rescue unit: a oneshot on a pending marker, the previous release\'s CLI, then kiosk.service again as root', () => {
    // systemd's own parser accepts it (and refuses a unit it cannot run: see test/systemd-units.test.ts)
    const copy = path.join(dir, 'kiosk-release-rescue.service');
    fs.copyFileSync(path.join(UNITS, 'kiosk-release-rescue.service'), copy);
    const verified = spawnSync('/usr/bin/systemd-analyze', ['verify', '--man=no', '--generators=no', copy], { encoding: 'utf8' });
    expect({ code: verified.status, out: `${verified.stdout}${verified.stderr}` }).toEqual({ code: 0, out: '' });
    const u = rescueUnit();
    expect(one(u, 'Service', 'Type')).toBe('oneshot');
    expect(one(u, 'Unit', 'ConditionPathExists')).toBe(pendingHealthFile('/opt/kiosk'));
    // as the kiosk user: the marker and `current` stay the kiosk's
    expect(one(u, 'Service', 'User')).toBe(one(unit('kiosk.service'), 'Service', 'User'));
    const [cli, restart, ...more] = rescueExecStarts();
    expect(more).toEqual([]);
    expect(execWords(cli)).toMatchObject({ prefix: '', argv: ['/bin/sh', '-c', expect.stringContaining('/opt/kiosk/releases/$previous/dist/device/cli.js release rescue ')] });
    expect(execWords(restart)).toEqual({ prefix: '+', argv: ['/bin/sh', '-c', 'systemctl reset-failed kiosk.service && systemctl start --no-block kiosk.service'] });
    // a command the CLI accepts (the `release rescue` of the help)
    const help = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'device', 'cli.js'), 'release', 'rescue', '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: kiosk release rescue [options]');
  });
});
