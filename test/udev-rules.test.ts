import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaultConfig } from '../config/defaults';

describe('deploy/udev/99-kiosk.rules', () => {
  const file = path.join(__dirname, '..', 'deploy', 'udev', '99-kiosk.rules');

  it('is generated from the known-device table and up to date', () => {
    // scripts/udev-rules.ts as `npm run build` ships it (test/global-setup.js built dist/)
    const r = spawnSync(process.execPath, [path.join(__dirname, '..', 'dist', 'scripts', 'udev-rules.js'), '--check'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('gives the kiosk group access to every known device, without running as root', () => {
    const text = fs.readFileSync(file, 'utf8');
    for (const k of defaultConfig().devices.known) {
      expect(text).toContain(`ATTRS{idVendor}=="${k.vendorId.toString(16).padStart(4, '0')}"`);
    }
    const ruleLines = text.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(ruleLines.length).toBeGreaterThanOrEqual(defaultConfig().devices.known.length);
    for (const l of ruleLines) expect(l).toMatch(/MODE="0660", GROUP="kiosk"/);
    expect(text).not.toMatch(/MODE="0666"/);
  });
});
