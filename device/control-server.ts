import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { KioskError } from '../kernel/errors';
import type { SimControl } from './simulation/sim-control';
import { boundedJsonParse } from '../kernel/json/bounded-json';
import { JSON_LIMITS } from '../kernel/json/limits';
import { portProblem } from './port-in-use';

export interface ControlHandlers {
  status(): unknown;
  doctor(interactive: boolean): Promise<unknown>;
  sim: SimControl;
  /**
   * `kiosk pricebook import FILE` beside the running kiosk: the kiosk builds the book itself, its writes queued behind
   * the lane's (two processes writing one SQLite file would make a scan's commit wait on SQLite's busy polling).
   */
  pricebookImport?(file: string, version: string | undefined): Promise<unknown>;
  /** `kiosk refunds list-in-doubt` / `decide` beside the running kiosk, which owns the terminal (device/refunds-control.ts). */
  refunds?: { list(): Promise<unknown>; decide(body: Record<string, unknown>): Promise<unknown> };
}

/** How long `kiosk pricebook import` waits for the running kiosk's answer (a big book on a slow lane takes minutes). */
export const PRICEBOOK_IMPORT_TIMEOUT_MS = 30 * 60_000;

export interface ControlFile {
  port: number;
  pid: number;
  token: string;
}

export const controlFilePath = (dataDir: string) => path.join(dataDir, 'control.json');

type Route = (body: Record<string, unknown>) => Promise<unknown> | unknown;

/**
 * The running kiosk's loopback control endpoint: `kiosk sim …` and `kiosk doctor` talk to it. It listens on
 * 127.0.0.1 only, requires the token from `<data>/control.json` (mode 0600), and offers `/sim/*` routes only for
 * devices that are simulated — with real devices bound there is nothing to drive.
 */
export async function startControlServer(dataDir: string, port: number, h: ControlHandlers): Promise<{ port: number; close(): Promise<void> }> {
  const token = randomBytes(16).toString('hex');
  const routes = new Map<string, Route>();
  const add = (name: string, fn: Route) => routes.set(name, fn);
  add('GET /status', () => h.status());
  add('POST /doctor', (b) => h.doctor(b.interactive === true));
  if (h.pricebookImport) {
    const importBook = h.pricebookImport;
    add('POST /pricebook/import', (b) => {
      if (typeof b.file !== 'string' || !path.isAbsolute(b.file)) throw new KioskError('PROTOCOL', 'body.file: expected the absolute path of the price-book file');
      if (b.version !== undefined && typeof b.version !== 'string') throw new KioskError('PROTOCOL', 'body.version: expected a string');
      return importBook(b.file, b.version);
    });
  }
  if (h.refunds) {
    const r = h.refunds;
    add('GET /refunds/in-doubt', () => r.list());
    add('POST /refunds/decide', (b) => r.decide(b));
  }
  const s = h.sim;
  if (s.scanner) {
    const sc = s.scanner;
    add('POST /sim/scanner/scan', async (b) => {
      if (typeof b.code !== 'string' || b.code.length === 0) throw new KioskError('PROTOCOL', 'body.code: expected the barcode text');
      await sc.scan(b.code, typeof b.aim === 'string' ? { aim: b.aim } : {});
      return { ok: true };
    });
    add('POST /sim/scanner/unplug', () => sc.unplug());
    add('POST /sim/scanner/replug', () => sc.replug());
  }
  if (s.terminal) {
    const t = s.terminal;
    add('POST /sim/terminal/approve', () => t.approve());
    add('POST /sim/terminal/decline', (b) => t.decline(typeof b.code === 'number' ? b.code : undefined));
    add('POST /sim/terminal/timeout', () => t.timeout());
    add('POST /sim/terminal/unplug', () => t.unplug());
    add('POST /sim/terminal/replug', () => t.replug());
  }
  if (s.printer) {
    const p = s.printer;
    add('POST /sim/printer/paper-out', () => p.paperOut());
    add('POST /sim/printer/paper-near-end', () => p.paperNearEnd());
    add('POST /sim/printer/paper-ok', () => p.paperOk());
    add('POST /sim/printer/cover-open', () => p.coverOpen());
    add('POST /sim/printer/cover-close', () => p.coverClose());
    add('POST /sim/printer/unplug', () => p.unplug());
    add('POST /sim/printer/replug', () => p.replug());
    add('GET /sim/printer/last', () => p.last());
  }
  if (s.display) {
    const d = s.display;
    add('GET /sim/display', () => ({ lines: d.lines() }));
  }
  if (s.light) {
    const l = s.light;
    add('GET /sim/light', () => l.state());
  }

  const server = http.createServer((req, res) => {
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body ?? null));
    };
    if (req.headers.authorization !== `Bearer ${token}`) return send(401, { error: 'missing or wrong token (see control.json)' });
    const route = routes.get(`${req.method} ${(req.url ?? '').split('?')[0]}`);
    if (!route) return send(404, { error: `no such control route: ${req.method} ${req.url}`, routes: [...routes.keys()] });
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      raw += c;
      if (raw.length > 65536) req.destroy();
    });
    req.on('end', () => {
      let body: Record<string, unknown> = {};
      try {
        body = raw ? (boundedJsonParse(raw, { maxBytes: JSON_LIMITS.controlBody }) as Record<string, unknown>) : {};
      } catch {
        return send(400, { error: 'body is not JSON' });
      }
      Promise.resolve()
        .then(() => route(body))
        .then((r) => send(200, r === undefined ? { ok: true } : r))
        .catch((e: unknown) => send(e instanceof KioskError ? 409 : 500, { error: e instanceof Error ? e.message : String(e), code: e instanceof KioskError ? e.code : undefined }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((e: unknown) => {
    throw portProblem(e, 'control', port, 'devices.simControlPort');
  });
  server.on('error', () => undefined); // a listening server's later socket errors are the client's, never the kiosk's end
  const actual = (server.address() as AddressInfo).port;
  const file = controlFilePath(dataDir);
  const info: ControlFile = { port: actual, pid: process.pid, token };
  fs.writeFileSync(file, JSON.stringify(info), { mode: 0o600 });
  return {
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        try {
          const cur = boundedJsonParse(fs.readFileSync(file), { maxBytes: JSON_LIMITS.localStateFile }) as ControlFile;
          if (cur.pid === process.pid) fs.rmSync(file, { force: true });
        } catch {
          /* already gone */
        }
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Client side, for `kiosk sim …` / `kiosk doctor`: null when no kiosk is running on this data dir. */
export async function callControl(dataDir: string, method: 'GET' | 'POST', route: string, body?: unknown, timeoutMs = 60_000): Promise<{ status: number; body: unknown } | null> {
  let info: ControlFile;
  try {
    info = boundedJsonParse(fs.readFileSync(controlFilePath(dataDir)), { maxBytes: JSON_LIMITS.localStateFile }) as ControlFile;
    process.kill(info.pid, 0); // still alive?
  } catch {
    return null;
  }
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      { host: '127.0.0.1', port: info.port, path: route, method, headers: { authorization: `Bearer ${info.token}`, 'content-type': 'application/json' }, timeout: timeoutMs },
      (res) => {
        let raw = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (raw += c));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: raw ? JSON.parse(raw) : null });
          } catch (e) {
            reject(e);
          }
        });
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNREFUSED' ? resolve(null) : reject(e)));
    if (data) req.write(data);
    req.end();
  });
}
