import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DeviceClass, DeviceStatus } from '../drivers/contract';
import type { KioskDb } from '../kernel/sqlite/database';
import type { LaneCondition } from '../runtime/supervision/lane-condition';

/** What /healthz and /metrics read, each at the moment of the request (nothing is polled). */
export interface HealthSources {
  /** The lane's condition now (devices and lane-wide faults: storage, data, sync). */
  condition(): LaneCondition;
  /** Each configured device's status (undefined: not reported yet). */
  devices(): Partial<Record<DeviceClass, DeviceStatus | undefined>>;
  /** The storage watch: null while storage works, else the reason. */
  storageFailure(): string | null;
  /** The HQ link: true/false, or null when there is none. */
  hqConnected(): boolean | null;
  db: KioskDb;
}

export interface KioskMetrics {
  registry: Registry;
  /** Stops observing (commit latency, event-loop delay). */
  stop(): void;
}

/** A device's one-word state for the `state` label: offline, its first fault (paper_out, cover_open …), or ok. */
export function deviceState(s: DeviceStatus | undefined): string {
  if (!s) return 'unknown';
  if (!s.online) return 'offline';
  return s.faults[0]?.toLowerCase() ?? 'ok';
}

/** Commit (WAL append + fsync) latency buckets, seconds: SD cards reach hundreds of ms. */
const COMMIT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * The kiosk's Prometheus metrics, on a registry of their own (never prom-client's global one). Gauges and the
 * payment counter are computed when scraped (`collect`), from the condition, the device statuses and committed
 * rows; commit latency is observed by the database's commit hook; event-loop delay by `monitorEventLoopDelay`
 * (reset at each scrape, so its figures cover the time since the last one).
 */
export function kioskMetrics(src: HealthSources): KioskMetrics {
  const registry = new Registry();
  const registers = [registry];
  new Gauge({
    name: 'kiosk_lane_in_service',
    help: 'Whether the lane sells (1) or is out of service (0).',
    registers,
    collect() {
      this.set(src.condition().inService ? 1 : 0);
    },
  });
  new Gauge({
    name: 'kiosk_lane_out_of_service_reason',
    help: 'One series per reason the lane is out of service now (value 1).',
    labelNames: ['reason'],
    registers,
    collect() {
      this.reset();
      for (const reason of src.condition().reasons) this.set({ reason }, 1);
    },
  });
  new Gauge({
    name: 'kiosk_device_state',
    help: 'Each device class in its current state (value 1): ok, offline, unknown, or its fault (paper_out, cover_open, …).',
    labelNames: ['class', 'state'],
    registers,
    collect() {
      this.reset();
      for (const [cls, s] of Object.entries(src.devices())) this.set({ class: cls, state: deviceState(s) }, 1);
    },
  });
  new Gauge({
    name: 'kiosk_device_online',
    help: 'Whether each device class is online (1) or not (0).',
    labelNames: ['class'],
    registers,
    collect() {
      this.reset();
      for (const [cls, s] of Object.entries(src.devices())) this.set({ class: cls }, s?.online ? 1 : 0);
    },
  });
  new Gauge({
    name: 'kiosk_storage_ok',
    help: 'Whether the database is readable and writable (1) or failing (0).',
    registers,
    collect() {
      this.set(src.storageFailure() === null ? 1 : 0);
    },
  });
  new Gauge({
    name: 'kiosk_orders',
    help: 'Orders in the database by state.',
    labelNames: ['state'],
    registers,
    async collect() {
      const rows = await src.db.read.all<{ state: string; n: number }>('SELECT state, COUNT(*) AS n FROM orders GROUP BY state');
      this.reset();
      for (const r of rows) this.set({ state: r.state }, r.n);
    },
  });
  new Counter({
    name: 'kiosk_payments_total',
    help: 'Payment attempts by method and outcome (requested, sent, approved, declined, unknown, reversed, captured, refunded …), as recorded.',
    labelNames: ['method', 'outcome'],
    registers,
    async collect() {
      const rows = await src.db.read.all<{ method: string; state: string; n: number }>('SELECT method, state, COUNT(*) AS n FROM payment_attempts GROUP BY method, state');
      this.reset();
      for (const r of rows) this.inc({ method: r.method, outcome: r.state }, r.n);
    },
  });
  new Gauge({
    name: 'kiosk_outbox_backlog',
    help: 'Journal entries not yet acknowledged by HQ (outbox rows).',
    registers,
    async collect() {
      const row = await src.db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM outbox');
      this.set(row?.n ?? 0);
    },
  });
  // a kiosk without an HQ link (tools, tests) has no such series at all
  if (src.hqConnected() !== null) {
    new Gauge({
      name: 'kiosk_hq_connected',
      help: 'Whether the HQ link (MQTT) is connected (1) or not (0).',
      registers,
      collect() {
        this.set(src.hqConnected() ? 1 : 0);
      },
    });
  }
  // the histogram records each sampling timer's whole interval: the delay is what exceeds the resolution
  const RESOLUTION_MS = 10;
  const loop = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  loop.enable();
  new Gauge({
    name: 'kiosk_event_loop_delay_seconds',
    help: 'Event-loop delay since the previous scrape: mean, p50, p99 and max.',
    labelNames: ['stat'],
    registers,
    collect() {
      const s = (ns: number) => (Number.isFinite(ns) ? Math.max(0, ns / 1e6 - RESOLUTION_MS) / 1e3 : 0);
      this.set({ stat: 'mean' }, s(loop.mean));
      this.set({ stat: 'p50' }, s(loop.percentile(50)));
      this.set({ stat: 'p99' }, s(loop.percentile(99)));
      this.set({ stat: 'max' }, s(loop.max));
      loop.reset();
    },
  });
  const commits = new Histogram({
    name: 'kiosk_db_commit_seconds',
    help: 'Duration of each database COMMIT (WAL append and fsync, synchronous=FULL).',
    buckets: COMMIT_BUCKETS,
    registers,
  });
  src.db.observeCommits((seconds) => commits.observe(seconds));
  return {
    registry,
    stop() {
      src.db.observeCommits(null);
      loop.disable();
    },
  };
}

/** The metrics of a kiosk that is not booted (starting, or its boot failed): out of service, and why. */
export function downMetrics(reasons: () => string[]): KioskMetrics {
  const registry = new Registry();
  new Gauge({
    name: 'kiosk_lane_in_service',
    help: 'Whether the lane sells (1) or is out of service (0).',
    registers: [registry],
    collect() {
      this.set(0);
    },
  });
  new Gauge({
    name: 'kiosk_lane_out_of_service_reason',
    help: 'One series per reason the lane is out of service now (value 1).',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const reason of reasons()) this.set({ reason }, 1);
    },
  });
  return { registry, stop: () => undefined };
}
