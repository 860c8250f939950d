/*
 * bench/fleet (issue 17): N simulated kiosks in PROCS processes against one Mosquitto, with K real `hq ingest`
 * workers on PostgreSQL sharing the load through an MQTT 5 shared subscription (`--shared fleet`).
 *
 *   npm run bench:fleet
 *   N=100,1000 K=1,2,4 RATE=0.2 DURATION=20 OUTAGE=5 PROCS=4 BACKOFF_BASE=1000 BACKOFF_CAP=60000 TELEMETRY_MS=60000
 *
 * Each kiosk (fleet-kiosk.ts) is the real kiosk with its own SQLite file and the real HQ link parts on an in-process
 * mqtt.js client. For every N × K, on a fresh broker and a fresh database:
 *   1. backlog: every kiosk sells RATE orders/s for DURATION s while not yet connected (its outbox fills);
 *   2. connect + drain: all N connect at once (births, subscriptions, backlogs) → events/s ingested = the backlog's
 *      entries / time from connect() until HQ acknowledged every entry of every kiosk; broker memory per connection =
 *      Mosquitto's VmRSS growth over the N connections (read when drained);
 *   3. live: every kiosk sells RATE orders/s for DURATION s connected; the lag = time from the last sale to fully acked;
 *   4. broker restart: Mosquitto stopped (SIGTERM), the lanes sell on for OUTAGE s, Mosquitto started → time until
 *      every kiosk is connected again and every outbox drained (converged), and the connect-rate curve (ASCII);
 *   ingest CPU per 1 000 events = the workers' utime+stime (/proc/PID/stat) over steps 2–4 / entries ingested;
 *   broker CPU per 1 000 events = Mosquitto's utime+stime over steps 2–3 / the journal entries it carried by then;
 *   5. exactly-once: the independent checker (exactly-once.ts) over PostgreSQL and every kiosk file;
 *   6. baseline, same run: the ingest workers stopped, one bare mqtt.js client per kiosk (same N connections, same
 *      PROCS processes) publishes every journal entry of its kiosk — the same payloads — QoS 1 to the same topics,
 *      all in flight, and K bare clients of a shared subscription receive them: events/s from connect to all received.
 * The HQ console through it all: one real `hq serve --no-ingest` on the same database and broker (the workers are the
 * ingest; its own broker link reconnects as in production), up before step 1, its initial admin logged in (cookie
 * session, CSRF) by a prober in this process (console-probe.ts: node's fetch, one GET in flight every PROBE_MS = 300 ms,
 * 10 s timeout, in turn /fleet, /alerts, /orders and the first kiosk's page). Per window — idle (10 s after the kiosks
 * booted, before step 1: fleet not connected, HQ database empty), connect burst (step 2), broker down (step 4: stopped,
 * lanes selling), broker restart (step 4: started until converged) — requests, errors (non-2xx, timeout, refused) and
 * p50 / p95 / max of the answered ones; and when hq serve's broker link came back and its fleet view (#count-online)
 * first showed all N online after the restart (read on for up to 60 s after convergence). hq serve exiting fails the run.
 * ACK_TIMEOUT_MS sets the kiosks' re-publish wait when HQ stays silent (default: the kiosk's own, 30 s).
 * The workers run as `--client-id hq-ingest-w1` … (persistent sessions); SESSIONS=0 runs them unnamed (clean sessions), to compare.
 * Prints markdown tables (exit code 1 when exactly-once fails or hq serve exited). Every child process, the broker and PostgreSQL are stopped on exit, error or Ctrl-C.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import mqtt from 'mqtt';
import { Client } from 'pg';
import { KioskDb } from '../../kernel/sqlite/database';
import { migrate } from '../../runtime/db/migrations';
import { Mosquitto } from '../../test/support/mosquitto';
import { Postgres } from '../../test/support/postgres';
import { connectRateChart } from './connect-chart';
import { allOnline, CONSOLE_TABLE_HEAD, ConsoleProbe, consoleTable, type WindowSummary } from './console-probe';
import { checkExactlyOnce } from './exactly-once';
import type { FromHost, HostStatus, KioskSpec, ToHost } from './fleet-host';
import { cpuMs, rssBytes } from './proc-stats';

const list = (v: string | undefined, d: string) => (v ?? d).split(',').map((s) => Number(s.trim())).filter((n) => n > 0);
const NS = list(process.env.N, '100,1000');
const KS = list(process.env.K, '1,2,4');
const RATE = Number(process.env.RATE ?? 0.2);
const DURATION_MS = Number(process.env.DURATION ?? 20) * 1000;
const OUTAGE_MS = Number(process.env.OUTAGE ?? 5) * 1000;
const PROCS = Number(process.env.PROCS ?? 4);
const RECONNECT = { baseMs: Number(process.env.BACKOFF_BASE ?? 1000), capMs: Number(process.env.BACKOFF_CAP ?? 60_000) };
const TELEMETRY_MS = Number(process.env.TELEMETRY_MS ?? 60_000);
/** The kiosks' re-publish wait when HQ stays silent; unset: the kiosk's own default (30 s). */
const ACK_TIMEOUT_MS = process.env.ACK_TIMEOUT_MS ? Number(process.env.ACK_TIMEOUT_MS) : undefined;
/** Named ingest workers with persistent sessions (default), or unnamed ones with clean sessions (SESSIONS=0). */
const SESSIONS = process.env.SESSIONS !== '0';
/** How long a drain or a convergence may take before the run is declared stuck. */
const STUCK_MS = Number(process.env.STUCK_S ?? 600) * 1000;
/** The console prober: one GET every PROBE_MS (start to start), 10 s timeout; the idle window before step 1. */
const PROBE_MS = Number(process.env.PROBE_MS ?? 300);
const PROBE_TIMEOUT_MS = 10_000;
const CONSOLE_IDLE_MS = 10_000;
/** After convergence, how long the prober keeps reading the fleet view for "all N online" (not in any window). */
const CONSOLE_ONLINE_WAIT_MS = 60_000;

/** The project root: dist-bench/bench/fleet → three up. */
const ROOT = path.resolve(__dirname, '..', '..', '..');
const HQ_CLI = path.join(ROOT, 'dist', 'hq', 'cli.js');
const HOST = path.join(__dirname, 'fleet-host.js');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const s = (ms: number) => (ms / 1000).toFixed(1);

// ---- cleanup: every resource registers how it is released; run once, in reverse, on exit, error or a signal

const cleanups: (() => Promise<unknown> | unknown)[] = [];
let cleaning: Promise<void> | null = null;
function cleanupAll(): Promise<void> {
  cleaning ??= (async () => {
    while (cleanups.length) {
      try {
        await cleanups.pop()!();
      } catch {
        // keep releasing the rest
      }
    }
  })();
  return cleaning;
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    process.stderr.write(`\nbench/fleet: ${sig}, cleaning up\n`);
    void cleanupAll().finally(() => process.exit(130));
  });
}

function killOnCleanup(child: ChildProcess): void {
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
}

// ---- child processes

/** A forked fleet-host.js, with request/reply by message type. */
class Host {
  private waiting = new Map<string, (m: FromHost) => void>();
  private failed: Error | null = null;
  private constructor(readonly child: ChildProcess) {
    child.on('message', (m: FromHost) => {
      if (m.t === 'failed') {
        this.failed = new Error(`fleet host ${child.pid}: ${m.error}`);
        for (const w of this.waiting.values()) w(m);
        this.waiting.clear();
        return;
      }
      const w = this.waiting.get(m.t);
      this.waiting.delete(m.t);
      w?.(m);
    });
    child.on('exit', (code, sig) => {
      if (!this.failed) this.failed = new Error(`fleet host ${child.pid} exited (${code ?? sig})`);
      for (const w of this.waiting.values()) w({ t: 'failed', error: this.failed.message });
      this.waiting.clear();
    });
  }

  static async start(args: string[] = []): Promise<Host> {
    const child = fork(HOST, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    killOnCleanup(child);
    const h = new Host(child);
    await h.next('ready');
    return h;
  }

  next<T extends FromHost['t']>(t: T): Promise<Extract<FromHost, { t: T }>> {
    return new Promise((resolve, reject) => {
      if (this.failed) return reject(this.failed);
      this.waiting.set(t, (m) => (m.t === 'failed' ? reject(new Error(m.error)) : resolve(m as Extract<FromHost, { t: T }>)));
    });
  }

  ask<T extends FromHost['t']>(m: ToHost, reply: T): Promise<Extract<FromHost, { t: T }>> {
    const r = this.next(reply);
    this.child.send(m);
    return r;
  }

  stop(): void {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
  }
}

interface Worker {
  child: ChildProcess;
  out: string[];
}

/**
 * One real `hq ingest` worker of the shared group under a stable name (`--client-id hq-ingest-wN`: a persistent session
 * the broker keeps while the worker is away); resolves once it subscribed (its start line).
 */
async function startWorker(pgUrl: string, brokerUrl: string, clientId: string): Promise<Worker> {
  const args = [HQ_CLI, 'ingest', '--db', pgUrl, '--broker', brokerUrl, '--shared', 'fleet', ...(SESSIONS ? ['--client-id', clientId] : []), '--every', '5'];
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  killOnCleanup(child);
  const w: Worker = { child, out: [] };
  let buf = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) {
        w.out.push(l);
        if (w.out.length > 50) w.out.shift();
        if (l.includes(' <- ')) resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`hq ingest exited (${code}) before it subscribed:\n${w.out.join('\n')}${buf}`)));
  });
  return w;
}

/** `hq serve` beside the workers: the console a manager opens during the storm, and when its broker link came up. */
interface ConsoleServe {
  child: ChildProcess;
  url: string;
  /** The initial admin's password (printed once by `hq serve` on an empty users table; never echoed here). */
  adminPassword: string;
  /** Epoch ms of every "broker … connected" / "disconnected" line of hq serve. */
  connects: number[];
  disconnects: number[];
  /** Its last lines (the password line left out), for a failure. */
  out: string[];
  /** Set when it exited before the bench stopped it. */
  exited: string | null;
}

/**
 * One real `hq serve` on the workers' database and broker, `--no-ingest`: the K workers are HQ's ingest (an in-process
 * one would subscribe to every kiosk's events outside the shared group and take every event a second time); its own
 * MQTT client is the console's broker link (commands, the "broker unreachable" banner), reconnecting as in production.
 * The fleet view, alerts and orders come from what the workers store. Resolves once it listens, has printed the
 * initial admin's password (empty users table) and its broker link is connected.
 */
async function startConsole(pgUrl: string, brokerUrl: string): Promise<ConsoleServe> {
  const child = spawn(process.execPath, [HQ_CLI, 'serve', '--db', pgUrl, '--broker', brokerUrl, '--no-ingest', '--host', '127.0.0.1', '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TZ: 'UTC' },
  });
  cleanups.push(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const done = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([done, sleep(10_000)]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const c: ConsoleServe = { child, url: '', adminPassword: '', connects: [], disconnects: [], out: [], exited: null };
  let stopping = false;
  cleanups.push(() => (stopping = true)); // released first: the exit that follows is the bench's own
  let buf = '';
  await new Promise<void>((resolve, reject) => {
    const check = () => {
      if (c.url && c.adminPassword && c.connects.length) resolve();
    };
    const onData = (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) {
        const pw = /created user admin \(role admin\) with password: (\S+)/.exec(l);
        if (pw) c.adminPassword = pw[1];
        const url = /hq console: (http:\/\/[^\s/]+)/.exec(l);
        if (url) c.url = url[1];
        if (/hq serve: broker .* connected$/.test(l)) c.connects.push(Date.now());
        if (/hq serve: broker .* disconnected/.test(l)) c.disconnects.push(Date.now());
        c.out.push(pw ? 'hq serve: created user admin (role admin) with password: (not shown)' : l);
        if (c.out.length > 50) c.out.shift();
      }
      check();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, sig) => {
      c.exited = `exited (${code ?? sig})`;
      if (!stopping) process.stderr.write(`  hq serve ${c.exited} during the run:\n    ${c.out.slice(-8).join('\n    ')}\n`);
      reject(new Error(`hq serve ${c.exited} before it was up:\n${c.out.join('\n')}`));
    });
    setTimeout(() => reject(new Error(`hq serve not up (URL, admin password, broker link) within 60 s:\n${c.out.join('\n')}`)), 60_000).unref();
  });
  return c;
}

async function stopWorker(w: Worker): Promise<void> {
  if (w.child.exitCode !== null) return;
  const done = new Promise((r) => w.child.once('exit', r));
  w.child.kill('SIGTERM');
  await Promise.race([done, sleep(15_000)]);
  if (w.child.exitCode === null) w.child.kill('SIGKILL');
}

// ---- the fleet

/** An empty, migrated kiosk database, copied for every kiosk (each boots it with its own identity). */
async function templateDb(dir: string): Promise<string> {
  const file = path.join(dir, 'template.sqlite');
  const db = await KioskDb.open(file);
  await migrate(db);
  await db.close();
  return file;
}

function kioskSpecs(root: string, template: string, n: number): KioskSpec[] {
  const specs: KioskSpec[] = [];
  for (let i = 0; i < n; i++) {
    // 20 lanes per store, as a large supermarket
    const store = `s${String(Math.floor(i / 20) + 1).padStart(3, '0')}`;
    const device = `lane-${String((i % 20) + 1).padStart(2, '0')}`;
    const dataDir = path.join(root, `${store}-${device}`);
    fs.mkdirSync(dataDir, { recursive: true });
    fs.copyFileSync(template, path.join(dataDir, 'kiosk.sqlite'));
    specs.push({ dataDir, store, device });
  }
  return specs;
}

async function fleetStatus(hosts: Host[]): Promise<HostStatus> {
  const all = await Promise.all(hosts.map((h) => h.ask({ t: 'status' }, 'status')));
  return all.reduce<HostStatus>(
    (a, { status: b }) => ({
      kiosks: a.kiosks + b.kiosks,
      connected: a.connected + b.connected,
      drained: a.drained + b.drained,
      entries: a.entries + b.entries,
      connects: a.connects.concat(b.connects),
      rssBytes: a.rssBytes + b.rssBytes,
      behind: a.behind.concat(b.behind),
    }),
    { kiosks: 0, connected: 0, drained: 0, entries: 0, connects: [], rssBytes: 0, behind: [] },
  );
}

/** Polls until `done(status)`; returns the time it became true and the status then. */
async function until(hosts: Host[], what: string, done: (st: HostStatus) => boolean, onTick?: (st: HostStatus, at: number) => void): Promise<{ at: number; st: HostStatus }> {
  const deadline = Date.now() + STUCK_MS;
  for (;;) {
    const st = await fleetStatus(hosts);
    const at = Date.now();
    onTick?.(st, at);
    if (done(st)) return { at, st };
    if (at > deadline) {
      throw new Error(`${what}: not reached within ${s(STUCK_MS)} s (connected ${st.connected}/${st.kiosks}, drained ${st.drained}/${st.kiosks}; behind: ${st.behind.join('; ')})`);
    }
    await sleep(200);
  }
}

const allDrained = (st: HostStatus) => st.drained === st.kiosks;
const allConnectedAndDrained = (st: HostStatus) => st.connected === st.kiosks && st.drained === st.kiosks;

async function sellEverywhere(hosts: Host[], rate: number, durationMs: number): Promise<{ orders: number; lateMs: number }> {
  const r = await Promise.all(hosts.map((h) => h.ask({ t: 'sell', rate, durationMs }, 'sold')));
  return { orders: r.reduce((a, b) => a + b.orders, 0), lateMs: Math.max(...r.map((x) => x.lateMs)) };
}

interface RunResult {
  n: number;
  k: number;
  entries: number;
  backlogEntries: number;
  drainEventsPerS: number;
  bareEventsPerS: number;
  bareEvents: number;
  exactlyOnce: string;
  brokerBytesPerConn: number;
  cpuMsPer1000: number;
  /** Mosquitto's utime + stime over connect + drain + live (steps 2–3), per 1 000 journal entries it carried. */
  brokerCpuMsPer1000: number;
  connectAllS: number;
  converge: { reconnectedS: number; convergedS: number; workersBackS: number[]; kiosksBeforeWorkers: number };
  live: { offeredOrdersPerS: number; achievedOrdersPerS: number; lateMs: number; lagS: number };
  hostRssPerKioskBytes: number;
  charts: { first: string; restart: string };
  console: ConsoleResult;
}

interface ConsoleResult {
  windows: WindowSummary[];
  /** hq serve's broker link: whether it logged the disconnect, and when it connected again (s after the broker started). */
  sawDisconnect: boolean;
  reconnectedS: number | null;
  /** Its fleet view: first read showing all N online after the broker started (s), the fewest online any read showed since the broker stopped. */
  allOnlineS: number | null;
  minOnline: number;
  fleetReads: number;
  /** Set when hq serve exited during the run: the run fails. */
  exited: string | null;
}

async function runOne(pg: Postgres, template: string, n: number, k: number): Promise<RunResult> {
  const mark = cleanups.length; // what this run registers is released at its end
  const release = async () => {
    while (cleanups.length > mark) {
      try {
        await cleanups.pop()!();
      } catch {
        // keep releasing the rest
      }
    }
  };
  let pgUrlOf: string | null = null;
  const workersOf: Worker[] = [];
  try {
    const dbName = `fleet_n${n}_k${k}_${Date.now() % 1e6}`;
    const admin = new Client({ connectionString: pg.url });
    admin.on('error', () => undefined);
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    await admin.end();
    const pgUrl = pg.url.replace(/\/postgres$/, `/${dbName}`);
    pgUrlOf = pgUrl;

    // notice level: the broker logs every client's connect (the ingest workers' own reconnects after the restart)
    const broker = await Mosquitto.start({ extraConfig: ['log_type notice', 'log_timestamp_format %H:%M:%S'] });
    cleanups.push(() => broker.close());
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `fleet-${n}-`));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));

    const workers = workersOf;
    for (let i = 0; i < k; i++) workers.push(await startWorker(pgUrl, broker.url, `hq-ingest-w${i + 1}`));
    // the console (after the workers: they created the schema), and a manager logged in; measured from before step 1
    const hqConsole = await startConsole(pgUrl, broker.url);
    const brokerRss0 = rssBytes(broker.pid!) ?? 0;

    const specs = kioskSpecs(dir, template, n);
    const procs = Math.min(PROCS, n);
    const hosts: Host[] = [];
    for (let p = 0; p < procs; p++) hosts.push(await Host.start());
    cleanups.push(async () => {
      await Promise.all(hosts.map((h) => h.ask({ t: 'close' }, 'closed').catch(() => undefined)));
      for (const h of hosts) h.stop();
    });
    const shares = hosts.map((_, p) => specs.filter((_s, i) => i % procs === p));
    const t0 = Date.now();
    const booted = await Promise.all(hosts.map((h, p) => h.ask({ t: 'boot', kiosks: shares[p], brokerUrl: broker.url, reconnect: RECONNECT, telemetryMs: TELEMETRY_MS, ackTimeoutMs: ACK_TIMEOUT_MS }, 'booted')));
    const dbFiles = booted.flatMap((b) => b.dbFiles);
    process.stderr.write(`  N=${n} K=${k}: ${n} kiosks booted in ${s(Date.now() - t0)} s\n`);

    // the pages a manager opens during an incident, in turn; the kiosk page 404s until HQ heard of the kiosk
    const kioskPath = `/fleet/${specs[0].store}/${specs[0].device}`;
    const probe = new ConsoleProbe({ base: hqConsole.url, pages: ['/fleet', '/alerts', '/orders', kioskPath], unknownUntilKnown: [kioskPath], periodMs: PROBE_MS, timeoutMs: PROBE_TIMEOUT_MS });
    await probe.login('admin', hqConsole.adminPassword);
    cleanups.push(() => probe.stop());
    probe.window('idle');
    await sleep(CONSOLE_IDLE_MS);
    await probe.stop();

    // 1. backlog, offline
    await sellEverywhere(hosts, RATE, DURATION_MS);
    const backlogEntries = (await fleetStatus(hosts)).entries;
    process.stderr.write(`  backlog: ${backlogEntries} journal entries\n`);

    // 2. connect + drain
    const cpu0 = workers.reduce((a, w) => a + (cpuMs(w.child.pid!) ?? 0), 0);
    const brokerCpu0 = cpuMs(broker.pid!) ?? NaN;
    probe.window('connect burst');
    const tConnect = Date.now();
    await Promise.all(hosts.map((h) => h.ask({ t: 'connect' }, 'connected')));
    let allConnectedAt = 0;
    const drained = await until(hosts, 'connect + drain', allConnectedAndDrained, (st, at) => {
      if (!allConnectedAt && st.connected === st.kiosks) allConnectedAt = at;
    });
    const drainMs = drained.at - tConnect;
    const brokerRss1 = rssBytes(broker.pid!) ?? 0;
    await probe.stop();
    const firstChart = connectRateChart(drained.st.connects, tConnect);
    process.stderr.write(`  drained in ${s(drainMs)} s\n`);

    // 3. live
    const tLive = Date.now();
    const liveSold = await sellEverywhere(hosts, RATE, DURATION_MS);
    const tSalesEnd = Date.now();
    const liveDrained = await until(hosts, 'live drain', allDrained);
    // every entry so far went through this broker process in steps 2–3 (in as an event, out to a worker, plus acks)
    const brokerCpuMsPer1000 = (((cpuMs(broker.pid!) ?? NaN) - brokerCpu0) / liveDrained.st.entries) * 1000;
    const live = {
      offeredOrdersPerS: RATE * n,
      achievedOrdersPerS: liveSold.orders / ((tSalesEnd - tLive) / 1000),
      lateMs: liveSold.lateMs,
      lagS: (liveDrained.at - tSalesEnd) / 1000,
    };

    // 4. broker restart with the lanes selling through the outage
    const tDown = Date.now();
    probe.window('broker down');
    await broker.stop();
    await sellEverywhere(hosts, RATE, OUTAGE_MS);
    const tBroker = Date.now();
    const logFrom = broker.log.length;
    probe.window('broker restart');
    await broker.start();
    let reconnectedAt = 0;
    const converged = await until(hosts, 'convergence after the broker restart', allConnectedAndDrained, (st, at) => {
      if (!reconnectedAt && st.connected === st.kiosks) reconnectedAt = at;
    });
    // the console's fleet view may lag the kiosks (the workers store their births): read on, unrecorded, up to a minute
    probe.window(null);
    const onlineBy = Date.now() + CONSOLE_ONLINE_WAIT_MS;
    while (allOnline(probe.fleet, n, tBroker).at === null && Date.now() < onlineBy && hqConsole.exited === null) await sleep(200);
    await probe.stop();
    const seen = allOnline(probe.fleet, n, tBroker, tDown);
    const consoleResult: ConsoleResult = {
      windows: probe.windows.names().map((w) => probe.windows.summary(w)),
      sawDisconnect: hqConsole.disconnects.some((t) => t >= tDown),
      reconnectedS: ((t) => (t === undefined ? null : (t - tBroker) / 1000))(hqConsole.connects.find((t) => t >= tBroker)),
      allOnlineS: seen.at === null ? null : (seen.at - tBroker) / 1000,
      minOnline: seen.minOnline,
      fleetReads: seen.readings,
      exited: hqConsole.exited,
    };
    const restartChart = connectRateChart(converged.st.connects, tBroker);
    const workersBack = workerReconnects(broker.log.slice(logFrom), tBroker);
    const kioskConnects = converged.st.connects.filter((t) => t >= tBroker).sort((a, b) => a - b);
    const cpu1 = workers.reduce((a, w) => a + (cpuMs(w.child.pid!) ?? 0), 0);
    const entries = converged.st.entries;
    const hostRss = converged.st.rssBytes;
    process.stderr.write(`  converged ${s(converged.at - tBroker)} s after the broker restart\n`);

    // 5. exactly-once, the kiosks stopped
    await Promise.all(hosts.map((h) => h.ask({ t: 'close' }, 'closed')));
    for (const w of workers) await stopWorker(w);
    // their sessions would keep taking a share of the `fleet` group's events (queued) during the baseline: end them
    for (let i = 0; i < (SESSIONS ? k : 0); i++) await (await mqtt.connectAsync(broker.url, { clientId: `hq-ingest-w${i + 1}`, clean: true, reconnectPeriod: 0 })).endAsync();
    const eo = await checkExactlyOnce({ pgUrl, kioskFiles: dbFiles });
    if (!eo.ok) process.stderr.write(`  exactly-once FAILED:\n    ${eo.problems.join('\n    ')}\n`);

    // 6. baseline: bare mqtt.js, same connections, same payloads, K shared subscribers
    const subs: Host[] = [];
    for (let i = 0; i < k; i++) subs.push(await Host.start(['sub', 'bare', broker.url]));
    const tBare = Date.now();
    const pub = await Promise.all(hosts.map((h, p) => h.ask({ t: 'bare', kiosks: shares[p].map((sp, i) => ({ ...sp, dbFile: booted[p].dbFiles[i] })), brokerUrl: broker.url }, 'bare-done')));
    const published = pub.reduce((a, b) => a + b.published, 0);
    let received = 0;
    const deadline = Date.now() + STUCK_MS;
    for (;;) {
      received = (await Promise.all(subs.map((h) => h.ask({ t: 'received' }, 'received')))).reduce((a, b) => a + b.n, 0);
      if (received >= published || Date.now() > deadline) break;
      await sleep(20);
    }
    const bareMs = Date.now() - tBare;
    for (const h of subs) h.stop();

    return {
      n,
      k,
      entries,
      backlogEntries,
      drainEventsPerS: backlogEntries / (drainMs / 1000),
      bareEventsPerS: received / (bareMs / 1000),
      bareEvents: received,
      exactlyOnce: eo.ok ? `ok (${eo.devices} kiosks, ${eo.events} entries)` : `FAILED: ${eo.problems.length - 1}+ problems`,
      brokerBytesPerConn: (brokerRss1 - brokerRss0) / n,
      cpuMsPer1000: ((cpu1 - cpu0) / entries) * 1000,
      brokerCpuMsPer1000,
      connectAllS: allConnectedAt ? (allConnectedAt - tConnect) / 1000 : NaN,
      converge: {
        reconnectedS: (reconnectedAt - tBroker) / 1000,
        convergedS: (converged.at - tBroker) / 1000,
        workersBackS: workersBack,
        kiosksBeforeWorkers: workersBack.length ? kioskConnects.filter((t) => (t - tBroker) / 1000 < Math.max(...workersBack) - 1).length : 0,
      },
      live,
      hostRssPerKioskBytes: hostRss / n,
      charts: { first: firstChart, restart: restartChart },
      // an exit after the console's windows (steps 5–6) fails the run too
      console: { ...consoleResult, exited: hqConsole.exited },
    };
  } catch (e) {
    // (not while Ctrl-C tears everything down: the database is going away)
    if (!cleaning) await diagnose(pgUrlOf, workersOf).catch(() => undefined);
    throw e;
  } finally {
    await release();
  }
}

/**
 * When each ingest worker connected again after the restart, at most this many whole seconds after `t0` (Mosquitto's log lines
 * `HH:MM:SS: New client connected from … as hq-ingest-…`, local time, one-second resolution).
 */
function workerReconnects(log: string, t0: number): number[] {
  const out: number[] = [];
  const base = new Date(t0);
  for (const m of log.matchAll(/^(\d\d):(\d\d):(\d\d): New client connected from \S+ as hq-ingest-/gm)) {
    const at = new Date(base);
    at.setHours(Number(m[1]), Number(m[2]), Number(m[3]), 0);
    if (at.getTime() < t0 - 12 * 3600_000) at.setDate(at.getDate() + 1); // past midnight
    // the log's second began up to 1 s before the logged moment: at most this many seconds after t0
    out.push(Math.max(0, Math.ceil((at.getTime() + 1000 - t0) / 1000)));
  }
  return out;
}

/** A stuck run: what HQ holds per device, and the ingest workers' last lines. */
async function diagnose(pgUrl: string | null, workers: Worker[]): Promise<void> {
  if (pgUrl) {
    const c = new Client({ connectionString: pgUrl });
    c.on('error', () => undefined);
    await c.connect();
    try {
      const { rows } = await c.query(
        'SELECT store_id, device_id, contiguous_seq, stored, duplicates, rejected, chain_ok FROM devices ORDER BY store_id, device_id',
      );
      const gaps = await c.query('SELECT store_id, device_id, COUNT(*) AS rows, MAX(seq) AS max FROM sales_events GROUP BY 1, 2 ORDER BY 1, 2');
      process.stderr.write(`  HQ devices:\n${rows.map((r) => `    ${JSON.stringify(r)}`).join('\n')}\n  HQ sales_events per device:\n${gaps.rows.map((r) => `    ${JSON.stringify(r)}`).join('\n')}\n`);
    } finally {
      await c.end();
    }
  }
  for (const w of workers) process.stderr.write(`  hq ingest ${w.child.pid}:\n    ${w.out.slice(-8).join('\n    ')}\n`);
}

function report(results: RunResult[]): string {
  const f0 = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '–');
  const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '–');
  const out: string[] = [];
  out.push(`bench/fleet — RATE ${RATE} orders/s per kiosk, DURATION ${s(DURATION_MS)} s, OUTAGE ${s(OUTAGE_MS)} s, ${PROCS} kiosk processes, backoff full jitter ${RECONNECT.baseMs}–${RECONNECT.capMs} ms, ack timeout ${ACK_TIMEOUT_MS ?? 'default (30 000)'} ms, ${os.cpus().length} CPUs`);
  out.push('');
  out.push('| N | K | backlog drained, events/s | bare mqtt.js, events/s | ratio | exactly-once | broker KiB / connection | ingest CPU ms / 1 000 events | broker CPU ms / 1 000 events | all connected after restart, s | converged after restart, s |');
  out.push('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    out.push(
      `| ${r.n} | ${r.k} | ${f0(r.drainEventsPerS)} | ${f0(r.bareEventsPerS)} | ${f1((r.drainEventsPerS / r.bareEventsPerS) * 100)} % | ${r.exactlyOnce} | ${f1(r.brokerBytesPerConn / 1024)} | ${f1(r.cpuMsPer1000)} | ${f1(r.brokerCpuMsPer1000)} | ${f1(r.converge.reconnectedS)} | ${f1(r.converge.convergedS)} |`,
    );
  }
  out.push('');
  out.push('| N | K | entries in all | backlog entries | first connect of all N, s | live: offered orders/s | live: achieved orders/s | live: ack lag after the last sale, s | kiosk process memory per kiosk, MiB |');
  out.push('|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    out.push(
      `| ${r.n} | ${r.k} | ${f0(r.entries)} | ${f0(r.backlogEntries)} | ${f1(r.connectAllS)} | ${f1(r.live.offeredOrdersPerS)} | ${f1(r.live.achievedOrdersPerS)} | ${f1(r.live.lagS)} | ${f1(r.hostRssPerKioskBytes / 2 ** 20)} |`,
    );
  }
  out.push('');
  out.push(
    `HQ console during the storms: one \`hq serve --no-ingest\` on the same database and broker, one logged-in admin, one GET in flight every ${PROBE_MS} ms (start to start, ${PROBE_TIMEOUT_MS / 1000} s timeout) over /fleet, /alerts, /orders and one kiosk's page in turn; ` +
      'latency over the answered requests; idle = 10 s before step 1 (fleet not connected, HQ database empty); connect burst = step 2; broker down = stopped, the lanes selling; broker restart = started until converged',
  );
  out.push('');
  out.push(...CONSOLE_TABLE_HEAD);
  for (const r of results) out.push(...consoleTable(r.n, r.k, r.console.windows));
  for (const r of results) {
    const c = r.console;
    const link = c.reconnectedS === null ? 'hq serve did NOT reconnect to the broker' : `hq serve ${c.sawDisconnect ? 'lost and ' : ''}reconnected to the broker at ${f1(c.reconnectedS)} s`;
    const online =
      c.allOnlineS === null
        ? `its fleet view did NOT show all ${r.n} online ${c.exited ? '(hq serve gone)' : `within ${CONSOLE_ONLINE_WAIT_MS / 1000} s after convergence`}`
        : `all ${r.n} online after restart at ${f1(c.allOnlineS)} s (fleet view read every ~${f1((PROBE_MS * 4) / 1000)} s; fewest online it showed since the broker stopped: ${f0(c.minOnline)})`;
    out.push('', `N=${r.n} K=${r.k}: console: ${online}; ${link} (t0 = broker started)${c.exited ? `; hq serve ${c.exited} during the run: FAILED` : ''}`);
  }
  for (const r of results) {
    const back = r.converge.workersBackS.length ? r.converge.workersBackS.map((x) => `${x} s`).join(', ') : 'not seen in the broker log';
    out.push('', `N=${r.n} K=${r.k}: reconnects after the broker restart (t0 = broker started); ingest workers connected again at ${back} (at most, 1 s resolution), at least ${r.converge.kiosksBeforeWorkers} kiosk(s) reconnected before the last of them`);
    out.push('```', r.charts.restart, '```');
    out.push(`N=${r.n} K=${r.k}: first connect of the fleet with its backlogs (t0 = connect())`, '```', r.charts.first, '```');
  }
  return out.join('\n');
}

async function main(): Promise<void> {
  if (!fs.existsSync(HQ_CLI)) throw new Error(`${HQ_CLI} is missing: npm run build first (npm run bench:fleet does)`);
  const pg = await Postgres.start();
  cleanups.push(() => pg.close());
  const tdir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-template-'));
  cleanups.push(() => fs.rmSync(tdir, { recursive: true, force: true }));
  const template = await templateDb(tdir);
  const results: RunResult[] = [];
  for (const n of NS) {
    for (const k of KS) {
      process.stderr.write(`bench/fleet: N=${n} K=${k}\n`);
      results.push(await runOne(pg, template, n, k));
    }
  }
  process.stdout.write(`${report(results)}\n`);
  if (results.some((r) => !r.exactlyOnce.startsWith('ok') || r.console.exited !== null)) process.exitCode = 1;
}

if (require.main === module) {
  main()
    .catch((e: unknown) => {
      process.stderr.write(`bench/fleet failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    })
    .finally(() => cleanupAll());
}
