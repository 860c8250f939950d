import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The installed dependency tree is sound (package.json `overrides`): johnny-five's optional serialport 8 — and
 * with it the native @serialport/bindings 8 that this project never builds — is deduped onto the top-level
 * serialport, and johnny-five's `"latest"` specs (temporal, browser-serialport) are pinned, so `npm ls --all` passes.
 * The lane light never lets johnny-five or firmata open a port: it hands them an open serialport v13 port.
 */
const ROOT = path.resolve(__dirname, '..');

describe('package-lock.json', () => {
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };

  it('holds one serialport, the top-level one, and no serialport 8 packages', () => {
    const serialports = Object.keys(lock.packages).filter((k) => /(^|\/)node_modules\/serialport$/.test(k));
    expect(serialports).toEqual(['node_modules/serialport']);
    const v8 = Object.entries(lock.packages)
      .filter(([k, v]) => /node_modules\/(@serialport\/[^/]+|serialport)$/.test(k) && v.version?.startsWith('8.'))
      .map(([k]) => k);
    expect(v8).toEqual([]);
  });

  it('passes `npm ls --all` (no invalid, missing or extraneous package)', () => {
    const r = spawnSync('npm', ['ls', '--all', '--package-lock-only'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stderr.split('\n').filter((l) => /ERR|invalid|missing/i.test(l))).toEqual([]);
    expect(r.status).toBe(0);
  });
});
