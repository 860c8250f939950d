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
 *
 * The product build then bundles the `kiosk` CLI (issue 16: cold start; bundleCli below): dist/device/cli.js becomes
 * the loader (device/cli-loader.ts) of dist/device/cli.bundle.js and of the bundle's V8 code cache. The rest of dist/
 * stays as tsc emitted it (the HQ tool, workers, the screen page, and the files the bundle still loads by path).
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

/**
 * Packages the bundle leaves to Node's require: native addons (their .node file is found from their own folder), ESM
 * packages loaded with require(esm) (aedes), and what `kiosk start` loads only when used (reports, PDF receipts, QR
 * codes, PostgreSQL; test/boot-lazy-modules.test.ts) — inside the bundle they would still be parsed at every start.
 * mqtt-packet: one instance for the bundle and Aedes, whose number cache `kiosk start` switches off.
 */
const BUNDLE_EXTERNAL = ['sqlite3', '@serialport/bindings-cpp', 'usb', 'node-hid', 'aedes', 'mqtt-packet', 'pdfkit', 'fontkit', 'qrcode', 'pg', 'exceljs', 'echarts'];

/**
 * Each bundled file still sees its own folder as __dirname/__filename, and `require.resolve` resolves from there
 * (worker scripts, the screen page, the project root and packages that read files beside them find them where tsc
 * and npm put them): the bundle's folder joined with the file's path relative to it.
 */
function ownDirnamePlugin(outDir) {
  const rel = (p) => JSON.stringify(path.relative(outDir, p).split(path.sep).join('/'));
  return {
    name: 'own-dirname',
    setup(b) {
      b.onLoad({ filter: /\.(c|m)?js$/ }, async (args) => {
        let contents = await fs.promises.readFile(args.path, 'utf8');
        const resolves = /\brequire\.resolve\(/.test(contents);
        if (!resolves && !/\b__(dirname|filename)\b/.test(contents)) return { contents, loader: 'js' };
        if (resolves) contents = contents.replace(/\brequire\.resolve\(/g, '__ownRequire.resolve(');
        const prelude =
          `var __dirname = require("path").join(__kioskBundleDir, ${rel(path.dirname(args.path))}), ` +
          `__filename = require("path").join(__kioskBundleDir, ${rel(args.path)})` +
          (resolves ? ', __ownRequire = require("module").createRequire(__filename);' : ';');
        // on the first line, so the file's own source map (tsc's) still lines up
        return { contents: `${prelude}${contents}`, loader: 'js' };
      });
    },
  };
}

/**
 * Bundles dist/device/cli.js (tsc's output, so the bundle runs exactly the code tsc emitted) into cli.bundle.js,
 * puts the loader in place of cli.js, and has the loader write the V8 code cache of `kiosk start`'s modules.
 * Returns { error } when bundling failed (the build then fails: a dist/ without its CLI must not ship), { warning }
 * when only the code cache could not be written (the CLI works without it, only slower to start;
 * test/dist-contents.test.ts fails on it).
 */
async function bundleCli(fresh, finalDir) {
  const esbuild = require('esbuild');
  const dir = path.join(fresh, 'device');
  const bundle = path.join(dir, 'cli.bundle.js');
  const id = require('node:crypto').randomBytes(8).toString('hex');
  const entry = "exports.main = () => require('./cli.js');\nexports.loadStart = () => require('./commands/start.js');\n";
  try {
    await esbuild.build({
      stdin: { contents: entry, resolveDir: dir, sourcefile: 'cli-bundle-entry.js', loader: 'js' },
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      outfile: bundle,
      external: BUNDLE_EXTERNAL,
      plugins: [ownDirnamePlugin(dir)],
      banner: { js: `// kiosk-bundle ${id}\nvar __kioskBundleDir = __dirname;` },
      // whitespace and syntax only: names stay as written (stack traces, error and class names)
      minifyWhitespace: true,
      minifySyntax: true,
      legalComments: 'linked',
      sourcemap: 'linked',
      sourcesContent: false,
      charset: 'ascii',
      logLevel: 'silent',
    });
  } catch (e) {
    // esbuild throws on errors; the message lists them
    return { error: `bundling ${path.relative(root, bundle)} failed: ${e.message}` };
  }
  // esbuild leaves non-ASCII inside regular expression literals: one such character makes V8 hold the whole bundle
  // as a two-byte string (2 × its size, for the life of the process). A \u escape means the same in a regex, a string
  // or a template literal (esbuild escapes the latter two already; comments are gone).
  const text = fs.readFileSync(bundle, 'utf8').replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  fs.writeFileSync(bundle, text);
  // the loader as cli.js; tsc's cli.js stays beside it as cli-main.js: the same CLI unbundled (plain stack traces;
  // test/cli-conventions.test.ts reads its module graph, which the bundle's require.cache no longer shows)
  const main = fs.readFileSync(path.join(dir, 'cli.js'), 'utf8').replace(/\/\/# sourceMappingURL=cli\.js\.map\s*$/, '//# sourceMappingURL=cli-main.js.map\n');
  fs.writeFileSync(path.join(dir, 'cli-main.js'), main, { mode: 0o755 });
  fs.renameSync(path.join(dir, 'cli.js.map'), path.join(dir, 'cli-main.js.map'));
  fs.copyFileSync(path.join(dir, 'cli-loader.js'), path.join(dir, 'cli.js'));
  fs.chmodSync(path.join(dir, 'cli.js'), 0o755);
  const w = spawnSync(process.execPath, [path.join(dir, 'cli.js')], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
    // V8 keeps the script name it compiled under in the cache: the bundle's name once swapped in, for stack traces
    env: { ...process.env, KIOSK_CLI_LOAD: 'write-cache', KIOSK_CLI_BUNDLE_NAME: path.join(finalDir, 'device', 'cli.bundle.js') },
  });
  if (w.status !== 0 || !fs.existsSync(path.join(dir, `cli.bundle.${id}.cache`))) {
    return { warning: `warning: no code cache for ${path.relative(root, bundle)}: loading \`kiosk start\` failed (exit ${w.status}${w.error ? `, ${w.error.message}` : ''}):\n${w.stdout}${w.stderr}` };
  }
  return {};
}

/** What each build compiles, and the file that shows it emitted. */
const BUILDS = {
  product: {
    out: 'dist',
    steps: (fresh) => [compile('tsconfig.build.json', fresh), compile('tsconfig.ui.json', path.join(fresh, 'screen', 'public'))],
    marker: path.join('device', 'cli.js'),
    after: bundleCli,
  },
  bench: {
    out: 'dist-bench',
    steps: (fresh) => [compile('tsconfig.bench.json', fresh)],
    marker: path.join('bench', 'orders.js'),
  },
};

/** Builds into a fresh sibling of `target` and swaps it in. Returns the tsc results. */
async function build(kind, target, emitOnTypeError) {
  const fresh = `${target}.next-${process.pid}`;
  fs.rmSync(fresh, { recursive: true, force: true });
  const steps = kind.steps(fresh);
  const failed = steps.filter((s) => s.status !== 0);
  const emitted = fs.existsSync(path.join(fresh, kind.marker));
  if (failed.length > 0 && !(emitOnTypeError && emitted)) {
    fs.rmSync(fresh, { recursive: true, force: true });
    return { ok: false, output: failed.map((s) => s.output).join('') };
  }
  const after = kind.after ? await kind.after(fresh, target) : {};
  if (after.error) {
    fs.rmSync(fresh, { recursive: true, force: true });
    return { ok: false, output: `${failed.map((s) => s.output).join('')}${after.error}\n` };
  }
  swapIn(fresh, target);
  return { ok: true, output: `${failed.map((s) => s.output).join('')}${after.warning ? `${after.warning}\n` : ''}` };
}

async function main() {
  const kind = process.argv.includes('--bench') ? BUILDS.bench : BUILDS.product;
  const at = process.argv.indexOf('--out');
  const target = path.resolve(root, at >= 0 ? process.argv[at + 1] : kind.out);
  const r = await build(kind, target, process.argv.includes('--emit-on-type-error'));
  if (r.output) process.stdout.write(r.output);
  if (!r.ok) {
    console.error(`build failed; ${path.relative(root, target) || target} left as it was`);
    process.exit(1);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
