import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { deviceState, downMetrics, kioskMetrics, type HealthSources, type KioskMetrics } from './kiosk-metrics';
import type { DeviceClass } from '../drivers/contract';
import type { Kiosk } from './kiosk';
import { portProblem } from './port-in-use';

export type { HealthSources } from './kiosk-metrics';

/** What a booted kiosk offers /healthz and /metrics: its condition, its devices as the supervisor sees them, storage, the HQ link. */
export function kioskHealthSources(kiosk: Kiosk, hqConnected: (() => boolean) | null): HealthSources {
  const hw = kiosk.hardware;
  return {
    condition: () => kiosk.condition(),
    devices: () =>
      hw ? Object.fromEntries(Object.entries(hw.devices).flatMap(([cls, d]) => (d ? [[cls, hw.supervisor.status(cls as DeviceClass) ?? d.status()]] : []))) : {},
    storageFailure: () => kiosk.storage.failure?.error.message ?? null,
    hqConnected: () => (hqConnected ? hqConnected() : null),
    db: kiosk.db,
  };
}

export interface HealthBody {
  status: 'ok' | 'unavailable';
  inService: boolean;
  /** Why the lane is out of service ("printer: paper out", "storage: …"); empty when in service. */
  reasons: string[];
  /** Each device class's state: ok, offline, unknown or its fault. */
  devices: Record<string, string>;
  /** null while storage works, else the reason. */
  storage: string | null;
  /** The HQ link; null without one. */
  hqConnected: boolean | null;
}

export function healthBody(src: HealthSources): HealthBody {
  const c = src.condition();
  return {
    status: c.inService ? 'ok' : 'unavailable',
    inService: c.inService,
    reasons: c.reasons,
    devices: Object.fromEntries(Object.entries(src.devices()).map(([cls, s]) => [cls, deviceState(s)])),
    storage: src.storageFailure(),
    hqConnected: src.hqConnected(),
  };
}

/** Only requests addressed to the loopback name (a web page elsewhere cannot read these through DNS rebinding). */
const loopbackHost = (host: string | undefined) => host !== undefined && /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(host);

/** What the server answers from: a booted kiosk's sources, or only the reasons a kiosk that is not (yet) booted is out of service. */
type Serving = { kind: 'kiosk'; src: HealthSources; metrics: KioskMetrics } | { kind: 'down'; reasons: () => string[]; metrics: KioskMetrics };

export interface HealthServer {
  port: number;
  /** From now on, answer for this booted kiosk. */
  serve(src: HealthSources): void;
  /** From now on, answer 503 with these reasons (a boot fault, or still booting). */
  serveDown(reasons: () => string[]): void;
  close(): Promise<void>;
}

/**
 * `/healthz` and `/metrics` on 127.0.0.1:`health.port` for a supervisor, a monitoring agent or the support desk:
 * `GET /healthz` answers 200 `{"status":"ok",…}` while the lane is in service and 503 `{"status":"unavailable",
 * "reasons":[…],…}` when not (the supervisor's condition: required devices, storage and the other lane-wide
 * faults); `GET /metrics` is the Prometheus text format of `kioskMetrics`. Before a kiosk is served (`serve`) — or
 * while its boot failed (`serveDown`, the boot fault shell) — both say the lane is out of service and why.
 * A busy port is one clear line (exit 1).
 */
export async function startHealthServer(port: number, src: HealthSources | null): Promise<HealthServer> {
  const down = (reasons: () => string[]): Serving => ({ kind: 'down', reasons, metrics: downMetrics(reasons) });
  let serving: Serving = src ? { kind: 'kiosk', src, metrics: kioskMetrics(src) } : down(() => ['kiosk: starting']);
  const swap = (next: Serving) => {
    serving.metrics.stop();
    serving = next;
  };
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const send = (code: number, type: string, body: string) => {
      res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (!loopbackHost(req.headers.host)) return send(403, 'text/plain; charset=utf-8', 'loopback only\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain; charset=utf-8', 'GET only\n');
    const now = serving;
    if (path === '/healthz') {
      let body: HealthBody;
      try {
        body =
          now.kind === 'kiosk'
            ? healthBody(now.src)
            : { status: 'unavailable', inService: false, reasons: now.reasons(), devices: {}, storage: null, hqConnected: null };
      } catch (e) {
        return send(503, 'application/json', JSON.stringify({ status: 'unavailable', reasons: [`health: ${e instanceof Error ? e.message : String(e)}`] }));
      }
      return send(body.inService ? 200 : 503, 'application/json', JSON.stringify(body));
    }
    if (path === '/metrics') {
      now.metrics.registry.metrics().then(
        (text) => send(200, now.metrics.registry.contentType, text),
        (e: unknown) => send(500, 'text/plain; charset=utf-8', `metrics: ${e instanceof Error ? e.message : String(e)}\n`),
      );
      return;
    }
    send(404, 'text/plain; charset=utf-8', 'GET /healthz or /metrics\n');
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    serving.metrics.stop();
    throw portProblem(e, 'health', port, 'health.port');
  }
  server.on('error', () => undefined); // a scraper's socket error is never the kiosk's end
  return {
    port: (server.address() as AddressInfo).port,
    serve: (next) => swap({ kind: 'kiosk', src: next, metrics: kioskMetrics(next) }),
    serveDown: (reasons) => swap(down(reasons)),
    close: () =>
      new Promise<void>((resolve) => {
        serving.metrics.stop();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
