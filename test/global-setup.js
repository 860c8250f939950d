// Builds dist/ once before the test run: integration tests start the real `kiosk` CLI as a child process.
// The same build as `npm run build` (scripts/build.js: a fresh tree swapped in, so dist/ holds exactly this build's
// output and test/dist-contents.test.ts checks what would ship), except that type errors do not stop it (tsc still
// emits; `npm run typecheck` is where they fail CI), so one unfinished file elsewhere never blocks the tests of another folder.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

module.exports = async () => {
  const root = path.resolve(__dirname, '..');
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.js'), '--emit-on-type-error'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0 || process.env.CI) process.stderr.write(`${r.stdout}${r.stderr}`);
  if (r.status !== 0 || !fs.existsSync(path.join(root, 'dist', 'device', 'cli.js'))) {
    throw new Error(`build produced no dist/device/cli.js:\n${r.stdout}${r.stderr}`);
  }
};
