/**
 * Stopping a kiosk leaves nothing behind: `kiosk start` run and stopped (SIGTERM) several times in one process
 * leaves the process's listeners and active handles as they were, and every listener the kiosk, its HQ link and its
 * screen add to the long-lived emitters (engine, lane, faults, payment events, devices, supervisor, the MQTT client) is
 * removed again.
 */
import type { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../config/load';
import { start } from '../device/commands/start';
import { startHqLink } from '../device/hq-link';
import { bootKiosk, type Kiosk } from '../device/kiosk';
import { createLogger, type Logger } from '../device/logger';
import { startScreen } from '../device/screen';
import { tempDir } from './support/engine-fixture';
import { Mosquitto } from './support/mosquitto';
import { waitFor } from './support/wait';

// a real Mosquitto broker is the kiosk's HQ here; aedes v1 (the embedded HQ) is an ES module jest's CommonJS registry cannot load
jest.mock('../device/embedded-hq', () => ({
  startEmbeddedHq: () => Promise.reject(new Error('the embedded HQ is not used in these tests')),
}));

const PROCESS_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'exit', 'beforeExit', 'uncaughtException', 'unhandledRejection', 'warning'] as const;
const processListeners = () => Object.fromEntries(PROCESS_EVENTS.map((e) => [e, process.listenerCount(e)]));
/** Active handles and requests by type, counted (timers, sockets, servers, child processes, pipes…). */
const activeResources = () => {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1;
  return counts;
};
/** The resource types of which more are active now than in `base` (what a run left behind). */
const grown = (base: Record<string, number>) => Object.fromEntries(Object.entries(activeResources()).filter(([type, n]) => n > (base[type] ?? 0)));
/** Every event's listener count on an emitter. */
const listeners = (e: EventEmitter) => Object.fromEntries(e.eventNames().map((n) => [String(n), e.listenerCount(n)]));

describe('stopping a kiosk', () => {
  let dir: string;
  let broker: Mosquitto;
  // pino flushes its asynchronous destinations at exit through one shared, leak-free 'exit' listener, installed
  // while any logger lives: a logger held for the whole suite makes that listener part of the baseline
  let logger: Logger;
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  const logLevel = process.env.KIOSK_LOG_LEVEL;
  beforeAll(async () => {
    process.on('warning', onWarning);
    process.env.KIOSK_LOG_LEVEL = 'silent';
    logger = createLogger('silent');
    broker = await Mosquitto.start({ persistence: false });
  });
  afterAll(async () => {
    await broker.stop();
    logger.flush();
    process.off('warning', onWarning);
    if (logLevel === undefined) delete process.env.KIOSK_LOG_LEVEL;
    else process.env.KIOSK_LOG_LEVEL = logLevel;
  });
  beforeEach(() => {
    dir = tempDir('kiosk-stop-');
    warnings.length = 0;
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('`kiosk start` started and stopped 3 times in one process: process listeners and active handles back to the baseline', async () => {
    const configFile = path.join(dir, 'config.json');
    fs.writeFileSync(configFile, JSON.stringify({ hq: { broker: broker.url }, screen: { port: 0 } }));
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    try {
      const baseListeners = processListeners();
      const baseResources = activeResources();
      for (let run = 1; run <= 3; run++) {
        out.length = 0;
        const running = start({ data: path.join(dir, 'data'), config: configFile });
        await waitFor(`ready (run ${run})`, () => out.some((l) => l.startsWith('ready ')), 30_000);
        expect(process.listenerCount('SIGTERM')).toBe(baseListeners.SIGTERM + 1);
        process.emit('SIGTERM');
        await running;
        expect(out.at(-1)).toBe('stopped\n');
        expect(processListeners()).toEqual(baseListeners);
        // sockets, servers, ptys, child processes (socat) and timers of the run are all gone: nothing keeps the process alive
        await waitFor(`active handles back to the baseline after run ${run}`, () => Object.keys(grown(baseResources)).length === 0, 10_000).catch(() => {
          expect(grown(baseResources)).toEqual({});
        });
      }
    } finally {
      spy.mockRestore();
      void write;
    }
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
  }, 120_000);

  it('HQ link and screen started and stopped 12 times on one kiosk, then the kiosk closed: no listener left on its emitters', async () => {
    const baseResources = activeResources();
    const k: Kiosk = await bootKiosk(loadConfig({ env: {}, overrides: { dataDir: dir, hq: { broker: broker.url }, screen: { port: 0 } } }), { devices: true });
    let closed = false;
    try {
      const hw = k.hardware!;
      const emitters: Record<string, EventEmitter> = {
        engine: k.engine,
        lane: k.lane,
        faults: k.faults,
        payments: k.payments,
        supervisor: hw.supervisor,
        ...(hw.scanFeed ? { scanFeed: hw.scanFeed } : {}),
        ...Object.fromEntries(Object.entries(hw.devices).flatMap(([cls, d]) => (d ? [[cls, d as EventEmitter]] : []))),
      };
      const snapshot = () => Object.fromEntries(Object.entries(emitters).map(([name, e]) => [name, listeners(e)]));
      const booted = snapshot();
      for (let i = 0; i < 12; i++) {
        const hq = await startHqLink(k);
        const screen = await startScreen(k, { port: 0 });
        // every other time it stops while still connecting (no reconnect may follow), otherwise once it is up
        if (i % 2 === 1) await waitFor('hq link up', () => hq.client.connected);
        expect(snapshot()).not.toEqual(booted); // they do listen while they run
        await screen.close();
        await hq.close();
        expect(snapshot()).toEqual(booted);
        // the ended client (the lane thread's side of the uplink worker, which has ended) keeps only the link's 'error'
        // guard (an error after the end must not throw)
        expect(listeners(hq.client)).toEqual({ error: 1 });
      }
      closed = true;
      await k.close();
      // what stays is the devices' own 'error' guard (a closed device reporting an error must not throw); nothing else
      const left = Object.fromEntries(Object.entries(snapshot()).filter(([, l]) => Object.keys(l).length > 0));
      for (const [name, l] of Object.entries(left)) expect({ [name]: Object.keys(l) }).toEqual({ [name]: ['error'] });
      expect(Object.keys(left).every((n) => n in hw.devices)).toBe(true);
      await waitFor('active handles back to the baseline', () => Object.keys(grown(baseResources)).length === 0, 10_000).catch(() => {
        expect(grown(baseResources)).toEqual({});
      });
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      if (!closed) await k.close();
    }
  }, 120_000);
});
