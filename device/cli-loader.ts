#!/usr/bin/env node
import * as fs from 'node:fs';
import Module from 'node:module';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';

/**
 * The `kiosk` command as `npm run build` ships it (issue 16: cold start). scripts/build.js bundles the CLI
 * (device/cli.ts and everything it loads, native and lazily loaded packages left outside) into cli.bundle.js and
 * puts this file in place of dist/device/cli.js, so `npm start`, the `kiosk` bin, the installed launcher and the
 * systemd unit all start here. One file instead of ~1 000 saves resolving and reading them; a V8 code cache of the
 * bundle, written by the build after loading `kiosk start`'s modules, saves compiling them again at every start.
 *
 * The cache is V8's: tied to this node binary and to its V8 flags. A cache V8 rejects (another node, a flag given on
 * the command line or in NODE_OPTIONS) costs nothing but the time it would have saved: the bundle compiles as usual.
 * KIOSK_CODE_CACHE=off skips it (bench/boot shows what it saves).
 *
 * Modes for scripts/build.js and bench/boot (environment; the loader takes these three out of process.env, since
 * the config reads every other KIOSK_* variable as a setting):
 *   KIOSK_CLI_LOAD=start         load `kiosk start`'s modules and return, running no command
 *   KIOSK_CLI_LOAD=write-cache   the same, then write the code cache next to the bundle and exit
 */

/**
 * V8's young generation never grows past its first 1 MiB semi-space (default: up to 16 MiB). Boot allocates fast
 * and the default lets the new space grow to 32 MiB that an idle kiosk then keeps resident; capped, the idle RSS is
 * ~20 MiB lower at no measurable cost to boot or to selling (bench/boot). Set here, before the bundle is compiled,
 * rather than as `node --max-semi-space-size=1`: it then holds wherever the CLI is started from, and the code cache
 * (which V8 ties to the flags in force) was written under the same flags by the build.
 *
 * The flag is process-wide and V8 raises it back to 2 whenever it sets up an isolate, i.e. for every worker thread
 * (the HQ uplink, the price-book encoder): it is set again once each worker runs. A young generation that doubled
 * in between stays at 2 MiB per semi-space.
 */
const capYoungGeneration = () => v8.setFlagsFromString('--semi-space-growth-factor=1');
capYoungGeneration();
process.on('worker', (worker) => worker.once('online', capYoungGeneration));

interface BundleExports {
  /** Runs the CLI on process.argv (device/cli.ts). */
  main(): void;
  /** Loads `kiosk start`'s modules (device/commands/start.ts) without running it. */
  loadStart(): void;
}

/** The loader's own environment variables, taken out of process.env before the config (or a child) sees them. */
function takeEnv(name: string): string | undefined {
  const value = process.env[name];
  delete process.env[name];
  return value;
}
const mode = takeEnv('KIOSK_CLI_LOAD');
const bundleName = takeEnv('KIOSK_CLI_BUNDLE_NAME');
const useCache = takeEnv('KIOSK_CODE_CACHE') !== 'off';

const BUNDLE = path.join(__dirname, 'cli.bundle.js');
/** The bundle's first line names its build (`// kiosk-bundle <id>`); its cache is cli.bundle.<id>.cache. */
const BUILD_LINE = /^\/\/ kiosk-bundle ([0-9a-f]+)\n/;

function cacheFile(source: string): string | null {
  const m = BUILD_LINE.exec(source);
  return m ? path.join(__dirname, `cli.bundle.${m[1]}.cache`) : null;
}

function readCache(file: string | null): Buffer | undefined {
  if (!file || !useCache) return undefined;
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined; // no cache (a build that could not write one): compiled as usual
  }
}

function load(): { exports: BundleExports; script: vm.Script; cache: string | null } {
  let source: string;
  try {
    // the build keeps the bundle ASCII: read as latin1 it is a one-byte string (half the heap of a UTF-16 one)
    source = fs.readFileSync(BUNDLE, 'latin1');
  } catch (e) {
    throw new Error(`${BUNDLE} is missing: run \`npm run build\` (${(e as Error).message})`);
  }
  const cache = cacheFile(source);
  // the build names the script as the bundle will be called after it swapped dist/ in (V8 keeps that name in the cache)
  const filename = (mode === 'write-cache' && bundleName) || BUNDLE;
  const script = new vm.Script(Module.wrap(source), { filename, cachedData: readCache(cache) });
  const module = { exports: {} as BundleExports };
  const wrapper = script.runInThisContext() as (e: object, r: NodeJS.Require, m: object, f: string, d: string) => void;
  wrapper.call(module.exports, module.exports, Module.createRequire(BUNDLE), module, BUNDLE, __dirname);
  return { exports: module.exports, script, cache };
}

const bundle = load();
if (mode === 'start' || mode === 'write-cache') {
  bundle.exports.loadStart();
  if (mode === 'write-cache') {
    if (!bundle.cache) throw new Error(`${BUNDLE} has no build line: not a bundle of scripts/build.js`);
    // after loading: the cache then holds the bytecode of every module body `kiosk start` runs, not just the top level
    fs.writeFileSync(bundle.cache, bundle.script.createCachedData());
    process.exit(0);
  }
} else {
  bundle.exports.main();
}
