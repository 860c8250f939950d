import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './cli';

/**
 * A real `npm pack` archive of this project as built (`npm run -s build` first): its package.json with `version`,
 * its dist/ (each file passed through `patch` (relative path, text) — the change a later build would carry) and the
 * rest of what package.json's `files` ships (the screen's page, starter data, HQ's page, deploy/).
 * `npm pack --ignore-scripts`: the `prepare` script would build again into the copy. Returns the .tgz path.
 * The source maps are left out (nothing at run time reads them; the package is 4× smaller without them).
 *
 * A patched CLI bundle is a new build: it gets a new build id on its first line (scripts/build.js draws one per
 * build) and no code cache. V8 checks a code cache against the source's length only, so the old build's cache would
 * be taken for a same-length change (e.g. a version string) and run the old bytecode.
 */
export function packProject(dir: string, version: string, patch: (rel: string, text: string) => string = (_r, t) => t): string {
  const src = path.join(dir, `kiosk-runtime-${version}`);
  fs.rmSync(src, { recursive: true, force: true });
  fs.mkdirSync(src, { recursive: true });
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  fs.writeFileSync(path.join(src, 'package.json'), `${JSON.stringify({ ...pkg, version }, null, 2)}\n`);
  const dist = path.join(ROOT, 'dist');
  if (!fs.existsSync(path.join(dist, 'device', 'cli.js'))) throw new Error('no dist/device/cli.js: run `npm run -s build` first');
  const copy = (from: string, to: string) => {
    fs.mkdirSync(to, { recursive: true });
    for (const e of fs.readdirSync(from, { withFileTypes: true })) {
      const f = path.join(from, e.name);
      const t = path.join(to, e.name);
      if (e.isDirectory()) copy(f, t);
      else if (e.isFile() && !e.name.endsWith('.map')) {
        const rel = path.relative(ROOT, f);
        if (/\.(c|m)?js$/.test(e.name)) {
          const text = fs.readFileSync(f, 'utf8');
          const out = patch(rel, text);
          fs.writeFileSync(t, out, { mode: fs.statSync(f).mode & 0o777 }); // cli.js stays executable (the unit runs it)
        } else fs.copyFileSync(f, t);
      }
    }
  };
  copy(dist, path.join(src, 'dist'));
  // what a release needs beside dist/ (the screen's page, starter data, HQ's page, the units): package.json's "files"
  // picks from these as it does from a checkout
  for (const rel of ['screen-ui', path.join('config', 'starter'), path.join('hq', 'console', 'public'), 'deploy']) {
    fs.cpSync(path.join(ROOT, rel), path.join(src, rel), { recursive: true });
  }
  const bundle = path.join(src, 'dist', 'device', 'cli.bundle.js');
  const built = fs.readFileSync(path.join(dist, 'device', 'cli.bundle.js'), 'utf8');
  const patched = fs.readFileSync(bundle, 'utf8');
  if (patched !== built) {
    const m = /^\/\/ kiosk-bundle ([0-9a-f]+)\n/.exec(patched);
    if (!m) throw new Error('dist/device/cli.bundle.js has no build line');
    fs.writeFileSync(bundle, patched.replace(m[0], `// kiosk-bundle ${randomBytes(8).toString('hex')}\n`));
    fs.rmSync(path.join(src, 'dist', 'device', `cli.bundle.${m[1]}.cache`), { force: true });
  }
  const name = execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], { cwd: src, encoding: 'utf8', env: { ...process.env, npm_config_loglevel: 'silent' } })
    .trim()
    .split('\n')
    .pop()!;
  return path.join(dir, name);
}
