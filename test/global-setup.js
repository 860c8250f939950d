// Builds dist/ once before the test run: integration tests start the real `kiosk` CLI as a child process.
// Type errors do not stop the build here (tsc still emits; `npm run typecheck` is where they fail CI), so one
// unfinished file elsewhere never blocks running the tests of another folder.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

module.exports = async () => {
  const root = path.resolve(__dirname, '..');
  const r = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0 && process.env.CI) process.stderr.write(r.stdout);
  if (!fs.existsSync(path.join(root, 'dist', 'device', 'cli.js'))) throw new Error(`build produced no dist/device/cli.js:\n${r.stdout}${r.stderr}`);
};
