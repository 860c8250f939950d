/**
 * bench/scan's screen rows: scanner bytes into the pty → the shopper screen's WebSocket `view` message showing the
 * scanned item, as received by a `ws` client in another process (a screen is a browser, not part of the kiosk).
 * The kiosk is booted as bench/scan boots it (serial scanner simulator on a pty → SerialScanner → ScanFeed → lane),
 * with the real screen server (device/screen.ts) and the real HQ link (device/hq-link.ts) to `brokerUrl`.
 *
 * Times are CLOCK_MONOTONIC (process.hrtime), shared by every process on the machine, so the client's receive time
 * is comparable with the scan's start time here.
 */
import { fork } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import WebSocket from 'ws';
import type { ScreenView } from '../protocol/screen';
import { loadConfig } from '../config/load';
import { startHqLink } from '../device/hq-link';
import { bootKiosk, dbPath } from '../device/kiosk';
import { startScreen } from '../device/screen';
import { SerialScanner } from '../drivers/scanner/serial-scanner';
import { ScanFeed } from '../runtime/supervision/scan-feed';
import { SerialScannerSimulator } from '../simulators/scanner/serial-scanner-sim';
import { seedBacklog } from './scan-hq';

const now = () => Number(process.hrtime.bigint()) / 1e6;
const itemsIn = (v: ScreenView) => (v.order ? v.order.lines.reduce((n, l) => n + l.quantity, 0) : 0);

export interface ScreenRun {
  /** scan → client received the view with the scanned item, ms */
  total: number[];
  /** scan → the SerialScanner driver emitted the read */
  read: number[];
  /** driver read → engine committed item_added (lane, price book, engine transaction with fsync) */
  commit: number[];
  /** of the above: the price-book lookups (`Catalog.byBarcode`, the lane's read connection) of the scan, summed */
  lookup: number[];
  /** commit → the session emitted that view (the server writes it to the socket in the same call) */
  emit: number[];
  /** view emitted → client received */
  deliver: number[];
  /** outbox rows when the measured scans began / ended, journal entries the run appended, HQ link drained meanwhile */
  backlog: {
    start: number;
    end: number;
    appended: number;
    drained: number;
    seconds: number;
    /** outbox DELETE transactions (HQ acks) during the measured scans */
    deletes: number;
    /** seconds into the measured scans when HQ acked the last seeded row (null: not before the scans ended) */
    ranOutAt: number | null;
  };
  /** this process's event loop delay during the measured scans, ms */
  loopDelay: { p50: number; p99: number; max: number };
  /** foreground (the lane's) transactions during the measured scans: queued → body started on the writer, ms */
  writerWait: number[];
  /** the same transactions: body done → COMMIT done (fsync), ms */
  commitTime: number[];
  /** background (HQ link) transactions during the measured scans: body start → COMMIT done, ms */
  backgroundRun: number[];
}

/** What the client child reports: one message per change of the item count on screen. */
interface Seen {
  items: number;
  t: number;
}

async function startClient(url: string, onSeen: (s: Seen) => void): Promise<{ close(): void }> {
  const proc = fork(__filename, ['--ws-client', url], { stdio: 'inherit' });
  await new Promise<void>((resolve, reject) => {
    proc.once('message', () => resolve());
    proc.once('exit', (code) => reject(new Error(`bench ws client exited with ${code}`)));
  });
  proc.on('message', (m) => onSeen(m as Seen));
  return {
    close() {
      proc.removeAllListeners('exit');
      proc.kill('SIGKILL');
    },
  };
}

function clientChild(url: string): void {
  const ws = new WebSocket(url);
  let last = -1;
  ws.on('open', () => process.send?.('ready'));
  ws.on('message', (data) => {
    const t = now();
    const m = JSON.parse(data.toString()) as { type: string; view?: ScreenView };
    if (m.type !== 'view' || !m.view) return;
    const items = itemsIn(m.view);
    if (items === last) return;
    last = items;
    process.send?.({ items, t } satisfies Seen);
  });
  ws.on('error', (e) => {
    console.error(e);
    process.exit(1);
  });
}

/** SCAN_PROFILE=FILE: a V8 CPU profile of the kiosk process during the measured scans of the backlog run. */
async function startProfile(): Promise<{ stop(file: string): Promise<void> }> {
  const inspector = await import('node:inspector');
  const fs = await import('node:fs');
  const session = new inspector.Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) => session.post(method, params ?? {}, (err, r) => (err ? reject(err) : resolve(r))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 200 });
  await post('Profiler.start');
  return {
    async stop(file) {
      const r = (await post('Profiler.stop')) as { profile: unknown };
      fs.writeFileSync(file, JSON.stringify(r.profile));
      session.disconnect();
    },
  };
}

export interface ScreenRunOptions {
  dir: string;
  deviceId: string;
  brokerUrl: string;
  /** Journal entries put in the outbox before the kiosk boots. */
  backlog: number;
  perOrder: number;
  warmup: number;
}

export async function throughScreen(codes: string[], opts: ScreenRunOptions): Promise<ScreenRun> {
  if (opts.backlog > 0) await seedBacklog(dbPath(opts.dir), opts.deviceId, opts.backlog);
  const config = loadConfig({ env: {}, overrides: { dataDir: opts.dir, device: { deviceId: opts.deviceId }, hq: { broker: opts.brokerUrl } } });
  const k = await bootKiosk(config);
  const sim = await SerialScannerSimulator.create({ name: `bench-${opts.deviceId}` });
  const scanner = new SerialScanner({ path: sim.hostPath, baudRate: 115200 });
  await scanner.open();
  await scanner.claim();
  await scanner.enable();
  const feed = new ScanFeed(scanner, k.lane);
  let expect = -1;
  let tRead = 0;
  let tCommit = 0;
  let tEmit = 0;
  let tLookup = 0;
  let waiter: ((t: number) => void) | null = null;
  scanner.on('data', () => {
    if (tRead === 0) tRead = now();
  });
  // before the screen's own listener, so this is the moment the engine announces the commit
  k.engine.on('committed', (c) => {
    if (c.event.type === 'item_added') tCommit = now();
  });
  const byBarcode = k.catalog.byBarcode.bind(k.catalog);
  k.catalog.byBarcode = async (key) => {
    const t = now();
    try {
      return await byBarcode(key);
    } finally {
      tLookup += now() - t;
    }
  };
  const screen = await startScreen(k, { port: 0, onError: (e) => console.error('screen:', e) });
  // device/screen.ts wires the kiosk's own scan feed (hardware.scanFeed) this way; this feed is ours
  feed.on('outcome', (o, d) => screen.session.scanned(o, d.raw));
  screen.session.on('view', (v) => {
    if (itemsIn(v) === expect && tEmit === 0) tEmit = now();
  });
  const client = await startClient(`ws://127.0.0.1:${screen.port}/ws`, (s) => {
    if (s.items === expect && waiter) waiter(s.t);
  });

  // the writer queue, seen from outside: how long the lane's transactions wait for the writer and for their COMMIT,
  // and how long each background transaction (an outbox delete) holds the writer
  let recordWrites = false;
  const transaction = k.db.transaction.bind(k.db);
  k.db.transaction = ((body, options) => {
    if (!recordWrites) return transaction(body, options);
    const queued = now();
    let started = 0;
    let bodyDone = 0;
    return transaction(async (tx) => {
      started = now();
      const r = await body(tx);
      bodyDone = now();
      return r;
    }, options).then((r) => {
      const done = now();
      if (options?.background) run.backgroundRun.push(done - started);
      else {
        run.writerWait.push(started - queued);
        run.commitTime.push(done - bodyDone);
      }
      return r;
    });
  }) as typeof k.db.transaction;

  const link = await startHqLink(k);
  await new Promise<void>((resolve) => (link.client.connected ? resolve() : link.client.once('connect', () => resolve())));
  const journalHead = async () => (await k.db.read.get<{ n: number }>('SELECT MAX(seq) AS n FROM journal'))?.n ?? 0;

  const run: ScreenRun = {
    total: [],
    read: [],
    commit: [],
    lookup: [],
    emit: [],
    deliver: [],
    backlog: { start: 0, end: 0, appended: 0, drained: 0, seconds: 0, deletes: 0, ranOutAt: null },
    loopDelay: { p50: 0, p99: 0, max: 0 },
    writerWait: [],
    commitTime: [],
    backgroundRun: [],
  };
  let lastSeededAcked = -1;
  link.publisher.on('acked', (seq) => {
    if (opts.backlog > 0 && lastSeededAcked < 0 && seq >= opts.backlog) lastSeededAcked = now();
  });
  const scanAll = async (list: string[], record: boolean) => {
    for (let i = 0; i < list.length; i++) {
      expect = (i % opts.perOrder) + 1;
      tRead = 0;
      tCommit = 0;
      tEmit = 0;
      tLookup = 0;
      const got = new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`scan ${i} (${list[i]}): no view with ${expect} items within 10 s`)), 10_000);
        waiter = (t) => {
          clearTimeout(timer);
          resolve(t);
        };
      });
      const t0 = now();
      await sim.scan(list[i]);
      const t = await got;
      waiter = null;
      if (record) {
        run.total.push(t - t0);
        run.read.push(tRead - t0);
        run.commit.push(tCommit - tRead);
        run.lookup.push(tLookup);
        run.emit.push(tEmit - tCommit);
        run.deliver.push(t - tEmit);
      }
      if ((i + 1) % opts.perOrder === 0 || i === list.length - 1) {
        expect = -1;
        await feed.idle();
        const o = await k.engine.openOrder();
        if (o) await k.engine.dispatch(o.id, { type: 'order_cancelled', reason: 'bench' });
      }
    }
  };
  await scanAll(codes.slice(0, opts.warmup), false);
  const head0 = await journalHead();
  run.backlog.start = await link.publisher.backlog();
  const onAcked = () => run.backlog.deletes++;
  link.publisher.on('acked', onAcked);
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const runStart = now();
  recordWrites = true;
  const profile = process.env.SCAN_PROFILE && opts.backlog > 0 ? await startProfile() : null;
  await scanAll(codes, true);
  if (profile) await profile.stop(process.env.SCAN_PROFILE!);
  recordWrites = false;
  loop.disable();
  link.publisher.off('acked', onAcked);
  run.loopDelay = { p50: loop.percentile(50) / 1e6, p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 };
  if (lastSeededAcked >= 0) run.backlog.ranOutAt = (Math.max(lastSeededAcked, runStart) - runStart) / 1000;
  run.backlog.seconds = (now() - runStart) / 1000;
  run.backlog.end = await link.publisher.backlog();
  run.backlog.appended = (await journalHead()) - head0;
  run.backlog.drained = run.backlog.start + run.backlog.appended - run.backlog.end;

  client.close();
  feed.stop();
  await scanner.close();
  await sim.close();
  await screen.close();
  await link.close();
  await k.close();
  return run;
}

if (require.main === module && process.argv[2] === '--ws-client') clientChild(process.argv[3]);
