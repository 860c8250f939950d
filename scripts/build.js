#!/usr/bin/env node
/*
 * `npm run build`: compiles the product (tsconfig.build.json) and the shopper page (tsconfig.ui.json) into a fresh
 * folder, then puts that folder in place of dist/. dist/ therefore holds exactly what this build emitted: a file
 * whose source was moved, deleted or excluded (a test helper, a contract suite) never lingers from an older build,
 * and a kiosk process or test that starts `node dist/...` during a build sees the whole old or the whole new tree.
 *
 *   node scripts/build.js [--bench] [--out DIR] [--emit-on-type-error]
 *
 * --bench                the benchmarks instead (tsconfig.bench.json → dist-bench/: bench/ with the test/support helpers
 *                        it uses, never part of dist/)
 * --out DIR              build into DIR instead of dist/ (or dist-bench/)
 * --emit-on-type-error   exit 0 when tsc reports type errors but emitted (test/global-setup.js: `npm run typecheck`
 *                        is where type errors fail CI, so one unfinished file never blocks other folders' tests)
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const tsc = require.resolve('typescript/bin/tsc', { paths: [root] });

/** Compiles `project` into `outDir`; returns tsc's exit status and output. */
function compile(project, outDir) {
  const r = spawnSync(process.execPath, [tsc, '-p', project, '--outDir', outDir], { cwd: root, encoding: 'utf8' });
  return { status: r.status ?? 1, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** Puts `fresh` where `target` is, moving the old tree aside first; retried when a concurrent build swapped in between. */
function swapIn(fresh, target) {
  const old = `${target}.old-${process.pid}`;
  for (let attempt = 0; ; attempt++) {
    try {
      fs.renameSync(target, old);
    } catch (e) {
      if (e.code !== 'ENOENT') throw e;
    }
    try {
      fs.renameSync(fresh, target);
      break;
    } catch (e) {
      // another build put its tree there between our two renames: move that aside too and try again
      if ((e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST') || attempt >= 5) throw e;
      fs.rmSync(old, { recursive: true, force: true });
    }
  }
  fs.rmSync(old, { recursive: true, force: true });
}

/** What each build compiles, and the file that shows it emitted. */
const BUILDS = {
  product: {
    out: 'dist',
    steps: (fresh) => [compile('tsconfig.build.json', fresh), compile('tsconfig.ui.json', path.join(fresh, 'screen', 'public'))],
    marker: path.join('device', 'cli.js'),
  },
  bench: {
    out: 'dist-bench',
    steps: (fresh) => [compile('tsconfig.bench.json', fresh)],
    marker: path.join('bench', 'orders.js'),
  },
};

/** Builds into a fresh sibling of `target` and swaps it in. Returns the tsc results. */
function build(kind, target, emitOnTypeError) {
  const fresh = `${target}.next-${process.pid}`;
  fs.rmSync(fresh, { recursive: true, force: true });
  const steps = kind.steps(fresh);
  const failed = steps.filter((s) => s.status !== 0);
  const emitted = fs.existsSync(path.join(fresh, kind.marker));
  if (failed.length > 0 && !(emitOnTypeError && emitted)) {
    fs.rmSync(fresh, { recursive: true, force: true });
    return { ok: false, output: failed.map((s) => s.output).join('') };
  }
  swapIn(fresh, target);
  return { ok: true, output: failed.map((s) => s.output).join('') };
}

function main() {
  const kind = process.argv.includes('--bench') ? BUILDS.bench : BUILDS.product;
  const at = process.argv.indexOf('--out');
  const target = path.resolve(root, at >= 0 ? process.argv[at + 1] : kind.out);
  const r = build(kind, target, process.argv.includes('--emit-on-type-error'));
  if (r.output) process.stdout.write(r.output);
  if (!r.ok) {
    console.error(`build failed; ${path.relative(root, target) || target} left as it was`);
    process.exit(1);
  }
}

main();
