import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * A real `npm pack` archive of a small package `name@version` made in `dir`: package.json, index.js with `marker`,
 * and `padding` bytes of random data (incompressible: a package of a known, larger size for range tests).
 * Returns the .tgz path.
 */
export function npmPack(dir: string, o: { name?: string; version: string; marker?: string; padding?: number }): string {
  const src = path.join(dir, `src-${o.version}-${randomBytes(3).toString('hex')}`);
  fs.mkdirSync(src, { recursive: true });
  fs.writeFileSync(path.join(src, 'package.json'), JSON.stringify({ name: o.name ?? 'kiosk-test-pkg', version: o.version, main: 'index.js', files: ['index.js', 'blob.bin'] }));
  fs.writeFileSync(path.join(src, 'index.js'), `module.exports = ${JSON.stringify(o.marker ?? o.version)};\n`);
  if (o.padding) fs.writeFileSync(path.join(src, 'blob.bin'), randomBytes(o.padding));
  const name = execFileSync('npm', ['pack', '--silent', '--pack-destination', src], { cwd: src, encoding: 'utf8', env: { ...process.env, npm_config_loglevel: 'silent' } }).trim().split('\n').pop()!;
  return path.join(src, name);
}
