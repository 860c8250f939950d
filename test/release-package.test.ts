/**
 * What `npm pack` of this project ships — the package an operator publishes with `hq release publish` and a kiosk
 * unpacks under releases/<version> (issue 17). Without package.json's `files` the checkout's .gitignore kept dist/
 * out of the archive and the TypeScript sources and tests in; a release also needs the screen's page (screen-ui/),
 * the starter price book, HQ's console assets and the units — everything a lane reads from its project root.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RELEASE_CONTENT } from '../device/service-install';
import { ROOT } from './support/cli';

jest.setTimeout(60_000);

function packed(): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, npm_config_loglevel: 'silent' } });
  const [pkg] = JSON.parse(out) as { files: { path: string }[] }[];
  return pkg.files.map((f) => f.path).sort();
}

it('ships the built code and what a lane reads from its project root; no sources, tests, maps or bench', () => {
  const files = packed();
  for (const f of [
    'package.json',
    'dist/device/cli.js',
    'dist/hq/cli.js',
    'dist/screen/public/screen-ui/app.js',
    'screen-ui/index.html',
    'screen-ui/style.css',
    'config/starter/pricebook.json',
    'config/starter/promotions.json',
    'hq/console/public/console.js',
    'deploy/systemd/kiosk.service',
    'deploy/systemd/kiosk.service.d/releases.conf',
    'deploy/systemd/kiosk-release-rescue.service',
  ]) expect([f, files.includes(f)]).toEqual([f, true]);
  // every part `kiosk install --releases` copies is in the package, so a release from HQ has what the first one had
  for (const part of RELEASE_CONTENT) expect([part, files.some((f) => f === part || f.startsWith(`${part}/`))]).toEqual([part, true]);
  expect(files.filter((f) => /\.(ts|map)$/.test(f))).toEqual([]);
  expect(files.filter((f) => /^(test|bench|dist-bench|node_modules|scripts|lint)\//.test(f) || /\.test\.js$/.test(f))).toEqual([]);
  // the files the screen serves are the checkout's own
  const html = fs.readFileSync(path.join(ROOT, 'screen-ui', 'index.html'), 'utf8');
  expect(html.length).toBeGreaterThan(100);
});
