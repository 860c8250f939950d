/**
 * bench/pinned: a Pi-class run. Runs benches as they are (every core of this machine), then the same benches pinned
 * to one core with `taskset -c 0` (util-linux), and prints each table under a label, the pinned one after the
 * unpinned one. Child processes a bench starts (the kiosk of bench/boot, HQ ingest of bench/scan, Mosquitto) inherit
 * the affinity, so the whole run shares the one core, as on a single-core board.
 *
 *   node dist-bench/bench/pinned.js boot [scan pricebook orders sync …]     (names of dist-bench/bench/<name>.js)
 *   npm run bench:pinned                                                    (boot)
 *
 * PINNED_ONLY=1 skips the unpinned run; PINNED_CPU=2 pins to another core. Each bench's own environment variables
 * (RUNS, SCANS, ITEMS…) pass through. The bench learns its affinity from BENCH_AFFINITY (bench/boot prints it).
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const CPU = process.env.PINNED_CPU ?? '0';

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: 'inherit', env });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

async function main(): Promise<number> {
  const names = process.argv.slice(2);
  if (names.length === 0) {
    console.error('usage: node dist-bench/bench/pinned.js <bench> [<bench> …]   e.g. boot scan pricebook orders sync');
    return 2;
  }
  const scripts = names.map((n) => path.join(__dirname, `${n.replace(/\.js$/, '')}.js`));
  const missing = scripts.filter((s) => !fs.existsSync(s));
  if (missing.length) {
    console.error(`no such bench: ${missing.map((m) => path.relative(process.cwd(), m)).join(', ')} (npm run build:bench first)`);
    return 2;
  }
  const taskset = spawnSync('taskset', ['-c', CPU, 'true'], { stdio: 'ignore' });
  if (taskset.error || taskset.status !== 0) {
    console.error(`taskset -c ${CPU} does not work here (${taskset.error?.message ?? `exit ${taskset.status}`}): install util-linux (npm run pretest installs it)`);
    return 2;
  }
  const cores = os.cpus().length;
  let failed = 0;
  for (const [i, script] of scripts.entries()) {
    if (process.env.PINNED_ONLY !== '1') {
      console.log(`\n## ${names[i]}: all ${cores} cores\n`);
      if ((await run(process.execPath, [script], { ...process.env, BENCH_AFFINITY: `${cores} cores` })) !== 0) failed++;
    }
    console.log(`\n## ${names[i]}: one core (taskset -c ${CPU}, Pi-class)\n`);
    if ((await run('taskset', ['-c', CPU, process.execPath, script], { ...process.env, BENCH_AFFINITY: `1 core (taskset -c ${CPU})` })) !== 0) failed++;
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
