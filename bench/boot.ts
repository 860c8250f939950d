/**
 * bench/boot: cold start of the built kiosk (`node dist/device/cli.js start`, what `npm start` runs) to `ready`, and
 * its idle RSS, median / min / max of RUNS starts, beside `node` itself as the floor, measured in the same run.
 *
 * The kiosk runs the embedded default: every device simulated, the shopper screen, local SQLite in a fresh temporary
 * data dir ("first boot": migrations and the starter price book) or in the data dir of a first boot ("second boot"),
 * the embedded MQTT broker and HQ. Ports are 0 (any free port), so the bench runs beside a kiosk or other benches.
 *
 * - `ready`: the `ready …` line on stdout. `kiosk start` prints it at the moment it sends systemd READY=1 (device/
 *   commands/start.ts → service-status.ts), which is what the shipped unit (Type=notify) waits for; reading it off the
 *   pipe needs no polling, so measuring adds no load. Time runs from just before `spawn` to the line's arrival.
 * - idle RSS: VmRSS from /proc/<pid>/status IDLE_MS after `ready` (also VmHWM, the peak during boot).
 * - floor: `node -e` printing `ready` at once and idling; "modules only": the same after loading `kiosk start`'s
 *   modules — the share of the boot that is loading code. A bundled build (scripts/build.js: dist/device/cli.js is
 *   the loader of cli.bundle.js) loads them as the kiosk does, through the loader (KIOSK_CLI_LOAD=start, with its
 *   code cache and young-generation cap); an unbundled one (plain tsc) by requiring device/commands/start.js.
 * - "no code cache": the second boot with KIOSK_CODE_CACHE=off — what the bundle's V8 code cache saves.
 * - KIOSK_CLI_BEFORE=path/to/other/cli.js adds that build's first and second boot (before/after in one run).
 *
 * Runs alternate (floor, modules, first boot, second boot) to spread machine noise. Nothing here is a test: the
 * numbers depend on the machine and on what else runs on it.
 *
 *   npm run bench:boot     (RUNS=10 IDLE_MS=3000; KIOSK_CLI=path/to/cli.js to time another build)
 *   npm run bench:pinned   (the same on one core: taskset -c 0, see bench/pinned.ts)
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const RUNS = Number(process.env.RUNS ?? 10);
const IDLE_MS = Number(process.env.IDLE_MS ?? 3000);
const TIMEOUT_MS = Number(process.env.BOOT_TIMEOUT_MS ?? 60_000);
const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.resolve(process.env.KIOSK_CLI ?? path.join(ROOT, 'dist', 'device', 'cli.js'));
const START_MODULE = path.join(path.dirname(CLI), 'commands', 'start.js');
const BUNDLED = fs.existsSync(path.join(path.dirname(CLI), 'cli.bundle.js'));
const BEFORE = process.env.KIOSK_CLI_BEFORE ? path.resolve(process.env.KIOSK_CLI_BEFORE) : null;

/** Targets of issue 16. */
const READY_TARGET_MS = 1000;
const RSS_TARGET_MIB = 100;

interface Sample {
  readyMs: number;
  /** CPU time (user + system) the process had used when its ready line arrived: less sensitive to a busy machine. */
  cpuMs: number;
  rssMiB: number;
  hwmMiB: number;
}

const now = () => Number(process.hrtime.bigint()) / 1e6;

function procStatus(pid: number): { rssMiB: number; hwmMiB: number } {
  const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
    if (!m) throw new Error(`no ${key} in /proc/${pid}/status`);
    return Number(m[1]) / 1024;
  };
  return { rssMiB: kib('VmRSS'), hwmMiB: kib('VmHWM') };
}

/** utime + stime of a process in ms (/proc/<pid>/stat fields 14 and 15, in clock ticks of 1/100 s on Linux). */
function cpuMsOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** The kiosk's environment: embedded defaults, free ports, no systemd socket, JSON logs (not a terminal). */
function kioskEnv(dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('KIOSK_') && k !== 'NOTIFY_SOCKET' && k !== 'WATCHDOG_USEC') env[k] = v;
  return { ...env, KIOSK_DATA_DIR: dataDir, KIOSK_SCREEN__PORT: '0', KIOSK_HEALTH__PORT: '0', KIOSK_HQ__EMBEDDED_PORT: '0', KIOSK_DEVICES__SIM_CONTROL_PORT: '0' };
}

/**
 * Starts `args` under node, waits for a line starting with `ready` on stdout, reads its memory IDLE_MS later, then
 * stops it with SIGTERM and waits for it to exit.
 */
async function timeStart(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<Sample> {
  const t0 = now();
  const child = spawn(process.execPath, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString('utf8')).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let cpuMs = 0;
  const readyMs = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line after ${TIMEOUT_MS} ms\n${stderr}`)), TIMEOUT_MS);
    child.stdout.on('data', (d: Buffer) => {
      const t = now();
      stdout += d.toString('utf8');
      if (/(^|\n)ready/.test(stdout)) {
        clearTimeout(timer);
        cpuMs = cpuMsOf(child.pid!);
        resolve(t - t0);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before ready\n${stdout}\n${stderr}`));
    });
  });
  await new Promise((r) => setTimeout(r, IDLE_MS));
  const mem = procStatus(child.pid!);
  child.kill('SIGTERM');
  const code = await exited;
  if (code !== 0) throw new Error(`${args.join(' ')} exited with ${code} after SIGTERM\n${stderr}`);
  return { readyMs, cpuMs, ...mem };
}

const IDLE = 'setInterval(() => undefined, 60000); process.on("SIGTERM", () => process.exit(0));';

interface Variant {
  name: string;
  /** Kiosk boots count against the targets. */
  kiosk: boolean;
  run: (dataDir: string) => Promise<Sample>;
}

const VARIANTS: Variant[] = [
  { name: 'floor: node, prints ready', kiosk: false, run: (dir) => timeStart(['-e', `process.stdout.write("ready\\n"); ${IDLE}`], kioskEnv(dir), ROOT) },
  BUNDLED
    ? {
        name: 'modules only: loader, KIOSK_CLI_LOAD=start',
        kiosk: false,
        run: (dir) => timeStart(['-e', `require(${JSON.stringify(CLI)}); process.stdout.write("ready\\n"); ${IDLE}`], { ...kioskEnv(dir), KIOSK_CLI_LOAD: 'start' }, ROOT),
      }
    : {
        name: 'modules only: require start.js',
        kiosk: false,
        run: (dir) => timeStart(['-e', `require(${JSON.stringify(START_MODULE)}); process.stdout.write("ready\\n"); ${IDLE}`], kioskEnv(dir), ROOT),
      },
  { name: 'kiosk start, first boot', kiosk: true, run: (dir) => timeStart([CLI, 'start'], kioskEnv(dir), ROOT) },
  { name: 'kiosk start, second boot', kiosk: true, run: (dir) => timeStart([CLI, 'start'], kioskEnv(dir), ROOT) },
  ...(BUNDLED ? [{ name: 'second boot, no code cache', kiosk: false, run: (dir: string) => timeStart([CLI, 'start'], { ...kioskEnv(dir), KIOSK_CODE_CACHE: 'off' }, ROOT) }] : []),
  ...(BEFORE
    ? [
        { name: 'before: first boot', kiosk: false, run: (dir: string) => timeStart([BEFORE, 'start'], kioskEnv(path.join(dir, 'before')), ROOT) },
        { name: 'before: second boot', kiosk: false, run: (dir: string) => timeStart([BEFORE, 'start'], kioskEnv(path.join(dir, 'before')), ROOT) },
      ]
    : []),
];

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: number[]) => {
  const s = sorted(xs);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main(): Promise<void> {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is not built: npm run build`);
  if (BEFORE && !fs.existsSync(BEFORE)) throw new Error(`KIOSK_CLI_BEFORE: ${BEFORE} does not exist`);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-bench-boot-'));
  const samples = VARIANTS.map(() => [] as Sample[]);
  try {
    for (let r = 0; r < RUNS; r++) {
      const dir = fs.mkdtempSync(path.join(root, `run${r}-`));
      fs.mkdirSync(path.join(dir, 'before'));
      // floor and modules never touch the data dir; the second boot reuses the first boot's
      for (let v = 0; v < VARIANTS.length; v++) samples[v].push(await VARIANTS[v].run(dir));
      process.stderr.write(`run ${r + 1}/${RUNS}: ${samples.map((s) => s[r].readyMs.toFixed(0)).join(' / ')} ms\n`);
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  const floor = median(samples[0].map((s) => s.readyMs));
  const f0 = (v: number, w: number) => v.toFixed(0).padStart(w);
  const affinity = process.env.BENCH_AFFINITY ?? `${os.cpus().length} cores`;
  console.log(`\nbench/boot: spawn → ready line and idle RSS (${IDLE_MS} ms after ready), ${RUNS} starts each, ${affinity}`);
  console.log(`node ${process.version}, ${path.relative(ROOT, CLI)}${BEFORE ? ` (before: ${BEFORE})` : ''}; embedded default (simulated devices, screen, SQLite, embedded broker + HQ)\n`);
  console.log('| variant                               | ready median ms |  min |  max | × floor | CPU ms to ready | idle RSS MiB (min–max) | peak RSS MiB |');
  console.log('|---------------------------------------|----------------:|-----:|-----:|--------:|----------------:|-----------------------:|-------------:|');
  VARIANTS.forEach((v, i) => {
    const ms = samples[i].map((s) => s.readyMs);
    const rss = samples[i].map((s) => s.rssMiB);
    const hwm = samples[i].map((s) => s.hwmMiB);
    const cpu = samples[i].map((s) => s.cpuMs);
    const rssCell = `${median(rss).toFixed(0)} (${Math.min(...rss).toFixed(0)}–${Math.max(...rss).toFixed(0)})`;
    console.log(
      `| ${v.name.padEnd(37)} | ${f0(median(ms), 15)} | ${f0(Math.min(...ms), 4)} | ${f0(Math.max(...ms), 4)} | ${(median(ms) / floor).toFixed(2).padStart(7)} | ${f0(median(cpu), 15)} | ${rssCell.padStart(22)} | ${f0(median(hwm), 12)} |`,
    );
  });
  const boots = samples.filter((_, i) => VARIANTS[i].kiosk);
  const ready = Math.max(...boots.map((b) => median(b.map((s) => s.readyMs))));
  const rss = Math.max(...boots.map((b) => median(b.map((s) => s.rssMiB))));
  console.log(
    `\ntargets (issue 16): ready ≤ ${READY_TARGET_MS} ms median: ${ready <= READY_TARGET_MS ? 'met' : 'NOT met'} (${ready.toFixed(0)} ms); ` +
      `idle RSS ≤ ${RSS_TARGET_MIB} MiB: ${rss <= RSS_TARGET_MIB ? 'met' : 'NOT met'} (${rss.toFixed(0)} MiB); ${samples.slice(2).flat().length} kiosk boots, all reached ready and stopped with 0`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
