/**
 * The service kit's units (deploy/systemd): `systemd-analyze verify` accepts them as `kiosk install --root` lays
 * them out, and a lint of our own holds them to what the issue demands (Type=notify, WatchdogSec, Restart=on-failure,
 * the hardening list, the screen unit bound to the kiosk) — removing any one of them fails here.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { KIOSK_UNIT_RULES, lintUnit, parseUnit, SCREEN_UNIT_RULES } from './support/unit-file';
import { kiosk, ROOT } from './support/cli';
import { tempDir } from './support/engine-fixture';

const unitText = (name: string) => fs.readFileSync(path.join(ROOT, 'deploy', 'systemd', name), 'utf8');
const ANALYZE = '/usr/bin/systemd-analyze';

/** `kiosk install --root` into a temp root, plus what verify needs from the system: its units and the screen's binaries. */
function stagedRoot(): string {
  const root = tempDir('units-root-');
  const r = kiosk(['install', '--root', root]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  // sysinit.target, multi-user.target … as the machine has them (dereferenced: absolute links would point outside the root)
  fs.cpSync('/usr/lib/systemd/system', path.join(root, 'usr/lib/systemd/system'), { recursive: true, dereference: true });
  // ExecStart must name an executable: stand-ins for cage and chromium (not installed on a CI machine)
  for (const bin of ['usr/bin/cage', 'usr/bin/chromium']) {
    fs.mkdirSync(path.dirname(path.join(root, bin)), { recursive: true });
    if (!fs.existsSync(path.join(root, bin))) fs.writeFileSync(path.join(root, bin), '#!/bin/sh\n', { mode: 0o755 });
  }
  return root;
}

/** systemd-analyze verify's complaints about our units (its notes about the copied system units are not ours). */
function verify(root: string, units = ['kiosk.service', 'kiosk-screen.service']) {
  if (!fs.existsSync(ANALYZE)) throw new Error(`${ANALYZE} is missing: install the Debian package systemd (node scripts/setup.js does)`);
  const r = spawnSync(ANALYZE, ['verify', '--man=no', '--generators=no', `--root=${root}`, ...units.map((u) => `/etc/systemd/system/${u}`)], { encoding: 'utf8' });
  const ours = `${r.stdout}${r.stderr}`.split('\n').filter((l) => /kiosk/.test(l));
  return { code: r.status, ours };
}

describe('systemd units', () => {
  it('systemd-analyze verify accepts both units as kiosk install --root lays them out', () => {
    const root = stagedRoot();
    try {
      expect(verify(root)).toEqual({ code: 0, ours: [] });
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('… and it is a real check: a bad Type=, a missing ExecStart binary or an unknown directive are reported', () => {
    const root = stagedRoot();
    try {
      const unit = path.join(root, 'etc/systemd/system/kiosk.service');
      fs.writeFileSync(unit, unitText('kiosk.service').replace(/^Type=notify$/m, 'Type=notifyy').replace(/^WatchdogSec=30$/m, 'WatchdogSecs=30'));
      const bad = verify(root, ['kiosk.service']);
      expect(bad.ours.join('\n')).toMatch(/Failed to parse service type.*notifyy/);
      expect(bad.ours.join('\n')).toMatch(/WatchdogSecs/);
      fs.rmSync(path.join(root, 'usr/local/bin/kiosk'));
      fs.writeFileSync(unit, unitText('kiosk.service'));
      const noBinary = verify(root, ['kiosk.service']);
      expect(noBinary.code).not.toBe(0);
      expect(noBinary.ours.join('\n')).toMatch(/\/usr\/local\/bin\/kiosk is not executable/);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('the releases drop-in: systemd-analyze verify accepts it when <root>/current holds a release, and says so when it does not', () => {
    const root = stagedRoot();
    try {
      const dropIn = path.join(root, 'etc/systemd/system/kiosk.service.d/releases.conf');
      fs.mkdirSync(path.dirname(dropIn), { recursive: true });
      fs.copyFileSync(path.join(ROOT, 'deploy', 'systemd', 'kiosk.service.d', 'releases.conf'), dropIn);
      const service = (k: string) => parseUnit(fs.readFileSync(dropIn, 'utf8')).Service?.[k];
      expect(service('ExecStart')).toEqual(['', '/opt/kiosk/current/dist/device/cli.js start --config /etc/kiosk/config.json --data /var/lib/kiosk']);
      expect(service('RestartForceExitStatus')).toEqual(['75']);
      expect(service('ReadWritePaths')).toEqual(['/opt/kiosk']);
      // no release installed: the command systemd would start is not there
      expect(verify(root, ['kiosk.service']).ours.join('\n')).toMatch(/\/opt\/kiosk\/current\/dist\/device\/cli\.js is not executable/);
      // as the releases layout has it: releases/<version>/ and a relative `current` link
      const rel = path.join(root, 'opt/kiosk/releases/0.1.0/dist/device');
      fs.mkdirSync(rel, { recursive: true });
      fs.writeFileSync(path.join(rel, 'cli.js'), '#!/usr/bin/env node\n', { mode: 0o755 });
      fs.symlinkSync('releases/0.1.0', path.join(root, 'opt/kiosk/current'));
      expect(verify(root, ['kiosk.service'])).toEqual({ code: 0, ours: [] });
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('kiosk.service has every directive the issue demands', () => {
    expect(lintUnit(unitText('kiosk.service'), KIOSK_UNIT_RULES)).toEqual([]);
  });

  it('kiosk-screen.service: Chromium in cage after the kiosk, bound to it, restarted, touch settings, the URL from screen.env', () => {
    expect(lintUnit(unitText('kiosk-screen.service'), SCREEN_UNIT_RULES)).toEqual([]);
  });

  it('the lint fails when any demanded directive is removed or weakened', () => {
    for (const [file, rules] of [['kiosk.service', KIOSK_UNIT_RULES], ['kiosk-screen.service', SCREEN_UNIT_RULES]] as const) {
      const text = unitText(file);
      for (const rule of rules) {
        const without = text
          .split('\n')
          .filter((l) => !l.startsWith(`${rule.key}=`))
          .join('\n');
        expect(lintUnit(without, rules)).toContain(`${rule.section}.${rule.key} (${rule.why})`);
      }
    }
    expect(lintUnit(unitText('kiosk.service').replace(/^ProtectSystem=strict$/m, 'ProtectSystem=full'), KIOSK_UNIT_RULES)).toEqual(['Service.ProtectSystem (hardening: read-only system)']);
    expect(lintUnit(unitText('kiosk.service').replace('DeviceAllow=char-hidraw rw\n', ''), KIOSK_UNIT_RULES)).toEqual(['Service.DeviceAllow (the lane devices)']);
  });

  it('parses repeated directives and continuation lines', () => {
    const u = parseUnit('[Service]\nDeviceAllow=a rw\nDeviceAllow=b rw\nExecStart=/bin/x \\\n  --flag\n# DeviceAllow=c\n');
    expect(u.Service.DeviceAllow).toEqual(['a rw', 'b rw']);
    expect(u.Service.ExecStart).toEqual(['/bin/x  --flag']);
  });
});
