import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { ROOT } from './support/cli';

/**
 * What `kiosk start` loads before its first line of work: the libraries only reports, e-receipts, payment QR codes
 * or a PostgreSQL HQ use are loaded where they are used (`await import()`), not at boot (issue 16: cold start and
 * idle RSS; bench/boot measures them). Checked on the built product in a fresh node, as a kiosk starts: tsc's module
 * graph (device/commands/start.js, one file per module), and the bundle the `kiosk` command really runs
 * (scripts/build.js: dist/device/cli.js loads cli.bundle.js, which leaves those libraries to Node's require).
 */
const START = path.join(ROOT, 'dist', 'device', 'commands', 'start.js');
const CLI = path.join(ROOT, 'dist', 'device', 'cli.js');
const LAZY = ['pdfkit', 'fontkit', 'pg', 'qrcode', 'exceljs', 'echarts', 'aedes'];
/** Our own modules a lane with a broker configured never runs: the embedded HQ's ingest (device/embedded-hq.ts). */
const LAZY_OWN = ['hq/ingest/ingest.js', 'hq/ingest/store.js'];

function packagesLoadedBy(file: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const script = `require(${JSON.stringify(file)});
    const names = new Set();
    for (const f of Object.keys(require.cache)) {
      const m = /node_modules[\\\\/]((?:@[^\\\\/]+[\\\\/])?[^\\\\/]+)/.exec(f);
      if (m) names.add(m[1].replace(/\\\\/g, '/'));
      else names.add('own:' + f);
    }
    process.stdout.write(JSON.stringify([...names]));`;
  const r = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`loading ${file} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as string[];
}

describe('kiosk start: module graph at boot', () => {
  it('loads the lane (sqlite3, mqtt, zod) but none of the report, PDF, QR or PostgreSQL libraries', () => {
    const loaded = packagesLoadedBy(START);
    expect(loaded).toEqual(expect.arrayContaining(['sqlite3', 'mqtt', 'zod']));
    expect(LAZY.filter((p) => loaded.includes(p))).toEqual([]);
    expect(loaded.filter((f) => f.startsWith('own:') && LAZY_OWN.some((own) => f.endsWith(own)))).toEqual([]);
  });

  it('the bundled CLI loading `kiosk start` (KIOSK_CLI_LOAD=start) requires sqlite3 but none of the lazy libraries', () => {
    const loaded = packagesLoadedBy(CLI, { ...process.env, KIOSK_CLI_LOAD: 'start' });
    // the loader (the bundle is compiled by it, not required) and the native addon the bundle leaves outside, which
    // only the database module requires; zod and mqtt are inside the bundle
    expect(loaded).toEqual(expect.arrayContaining(['sqlite3', `own:${CLI}`]));
    expect(LAZY.filter((p) => loaded.includes(p))).toEqual([]);
    // nothing of ours is required beside the loader (a second copy of a module would be a second KioskError class)
    expect(loaded.filter((f) => f.startsWith('own:') && f !== `own:${CLI}`)).toEqual([]);
  });
});
