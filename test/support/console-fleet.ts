/**
 * A small chain for end-to-end tests of the HQ console: a real Mosquitto, HQ's signing key (`hq keygen`), real kiosks
 * as child processes (`node dist/device/cli.js start`, simulated devices, provisioned to their stores with HQ's key
 * trusted), `hq serve` as a child process on the same broker, and one console user per role (`hq user add`).
 * A kiosk sells through its own interfaces: the simulated scanner via the control endpoint, checkout and card payment
 * through the shopper screen's WebSocket (the simulated terminal approves).
 */
import { type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import WebSocket from 'ws';
import type { Role } from '../../hq/console/types';
import type { ScreenCommand, ScreenView, ServerMessage } from '../../protocol/screen';
import { exited, kiosk, kioskAsync, watchLines } from './cli';
import { hq, startHqServe, type HqServe } from './console-server';
import { Mosquitto } from './mosquitto';
import { waitFor } from './wait';

export interface KioskSpec {
  store: string;
  device: string;
}

/** A running kiosk of the chain. */
export class FleetKiosk {
  child: ChildProcessWithoutNullStreams | null = null;
  controlPort = 0;
  screenPort = 0;
  output = '';

  constructor(
    readonly store: string,
    readonly device: string,
    readonly data: string,
  ) {}

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** `kiosk start` on its data dir; resolves at its `ready` line (fails when it exits first). */
  async start(env: NodeJS.ProcessEnv = {}): Promise<string> {
    const child = kioskAsync(['start', '--data', this.data], { env: { KIOSK_HEALTH__PORT: '0', KIOSK_DEVICES__SIM_CONTROL_PORT: '0', ...env } });
    this.child = child;
    child.stderr.on('data', (b: Buffer) => (this.output = (this.output + b.toString('utf8')).slice(-20_000)));
    let ready = '';
    await watchLines(child, (l) => {
      this.output = (this.output + l + '\n').slice(-20_000);
      if (l.startsWith('ready ')) ready = l;
      return ready !== '';
    });
    if (!ready) throw new Error(`kiosk ${this.store}/${this.device} did not start:\n${this.output}`);
    this.controlPort = Number(/control=127\.0\.0\.1:(\d+)/.exec(ready)?.[1]);
    this.screenPort = Number(/screen=127\.0\.0\.1:(\d+)/.exec(ready)?.[1]);
    return ready;
  }

  /** SIGKILL: a crash (the broker publishes its last will). */
  async kill(): Promise<void> {
    if (!this.child) return;
    const child = this.child;
    child.kill('SIGKILL');
    await exited(child);
    this.child = null;
  }

  async stop(): Promise<void> {
    if (!this.child) return;
    const child = this.child;
    child.kill('SIGTERM');
    await exited(child);
    this.child = null;
  }

  /** Calls the kiosk's control endpoint (token from control.json). */
  control(method: 'GET' | 'POST', route: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    const info = JSON.parse(fs.readFileSync(path.join(this.data, 'control.json'), 'utf8')) as { port: number; token: string };
    const data = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port: info.port, path: route, method, headers: { authorization: `Bearer ${info.token}`, 'content-type': 'application/json' } },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as unknown) : null }));
        },
      );
      req.on('error', reject);
      if (data) req.write(data);
      req.end();
    });
  }

  /** The simulated lane light, e.g. `green steady`. */
  async light(): Promise<string> {
    const r = await this.control('GET', '/sim/light');
    const s = r.body as { color?: string; mode?: string } | null;
    return s ? `${s.color} ${s.mode}` : 'off';
  }

  /** The lane condition the kiosk reports on its control endpoint. */
  async status(): Promise<{ condition: { inService: boolean; reasons: string[]; closed?: { reason: string } } }> {
    return (await this.control('GET', '/status')).body as { condition: { inService: boolean; reasons: string[]; closed?: { reason: string } } };
  }

  /**
   * One shopper: scans `codes` on the simulated scanner, checks out and pays by card on the shopper's screen (the
   * simulated terminal approves), declines a printed receipt. Resolves with the completed order as the screen showed it.
   */
  async sell(codes: string[]): Promise<{ orderId: string; receiptNo: number | null; total: number }> {
    const screen = await ScreenClient.open(this.screenPort);
    try {
      for (const [i, code] of codes.entries()) {
        const r = await this.control('POST', '/sim/scanner/scan', { code });
        if (r.status !== 200) throw new Error(`scan ${code}: ${r.status} ${JSON.stringify(r.body)}`);
        await screen.until(`line ${i + 1} on the screen`, (v) => (v.order?.lines.reduce((n, l) => n + l.quantity, 0) ?? 0) >= i + 1);
      }
      await screen.command({ kind: 'checkout' });
      await screen.until('payment methods', (v) => v.screen === 'payment_method');
      await screen.command({ kind: 'pay', method: 'card' });
      const paid = await screen.until('the receipt choice', (v) => v.receipt !== null || v.screen === 'receipt_choice' || v.screen === 'thank_you', 60_000);
      const receipt = paid.receipt!;
      if (paid.screen === 'receipt_choice') await screen.command({ kind: 'receipt', choice: 'none' });
      await screen.until('thank you or welcome', (v) => v.screen === 'thank_you' || v.screen === 'welcome');
      return { orderId: receipt.orderId, receiptNo: receipt.receiptNo, total: receipt.total };
    } finally {
      screen.close();
    }
  }
}

/** The shopper screen's WebSocket as the page uses it: views in, commands out. */
export class ScreenClient {
  private last: ScreenView | null = null;
  private readonly waiters = new Set<() => void>();
  private nextId = 1;
  private readonly results = new Map<number, (m: { ok: boolean; error?: string }) => void>();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString('utf8')) as ServerMessage;
      if (m.type === 'view') {
        this.last = m.view;
        for (const w of this.waiters) w();
      } else this.results.get(m.id)?.(m);
    });
  }

  static open(port: number): Promise<ScreenClient> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new ScreenClient(ws)));
      ws.once('error', reject);
    });
  }

  view(): ScreenView | null {
    return this.last;
  }

  until(what: string, pred: (v: ScreenView) => boolean, timeoutMs = 30_000): Promise<ScreenView> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.last && pred(this.last)) {
          this.waiters.delete(check);
          clearTimeout(timer);
          resolve(this.last);
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`screen: no view with ${what}; last: ${JSON.stringify(this.last).slice(0, 1500)}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  command(command: ScreenCommand): Promise<void> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.results.set(id, (m) => (m.ok ? resolve() : reject(new Error(`screen command ${command.kind}: ${m.error}`))));
      this.ws.send(JSON.stringify({ type: 'command', id, command }));
    });
  }

  close(): void {
    this.ws.close();
  }
}

export interface ConsoleUserLogin {
  username: string;
  password: string;
  role: Role;
  stores: string[];
}

export interface ConsoleFleet {
  dir: string;
  broker: Mosquitto;
  /** HQ's private and public key files. */
  key: string;
  pub: string;
  db: string;
  serve: HqServe;
  kiosks: FleetKiosk[];
  /** One user per role; the store manager manages the first kiosk's store only. */
  users: Record<Role, ConsoleUserLogin>;
  adminPassword: string;
  close(): Promise<void>;
}

const PASSWORD = 'e2e-Passw0rd-long';

/** Barcodes of fixed-price, unrestricted items of the starter price book (what the kiosks sell). */
export function sellableBarcodes(n: number): string[] {
  const book = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'config', 'starter', 'pricebook.json'), 'utf8')) as {
    items: { barcodes: string[]; ageLimit: number | null; soldByWeight: boolean }[];
  };
  return book.items
    .filter((i) => !i.soldByWeight && i.ageLimit === null && i.barcodes[0].length === 13)
    .slice(0, n)
    .map((i) => i.barcodes[0]);
}

export interface ConsoleFleetOptions {
  kiosks: KioskSpec[];
  /** Extra `hq serve` arguments (e.g. an offline alert threshold). */
  serveArgs?: string[];
  serveEnv?: NodeJS.ProcessEnv;
  /** Ingest store: a SQLite file in the fleet's dir by default, or a postgres:// URL. */
  db?: string;
  /** Start the kiosks (default true). */
  startKiosks?: boolean;
}

/** Brings the chain up: broker, key, kiosks provisioned (and started), `hq serve`, users. */
export async function startConsoleFleet(opts: ConsoleFleetOptions): Promise<ConsoleFleet> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'console-e2e-'));
  const broker = await Mosquitto.start();
  const kiosks: FleetKiosk[] = [];
  let serve: HqServe | null = null;
  const close = async () => {
    await serve?.stop();
    for (const k of kiosks) await k.kill();
    await broker.close();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const keyDir = path.join(dir, 'keys');
    const kg = hq(['keygen', '--out', keyDir]);
    if (kg.code !== 0) throw new Error(`hq keygen: ${kg.stdout}${kg.stderr}`);
    const key = path.join(keyDir, 'hq.key');
    const pub = path.join(keyDir, 'hq.pub');
    for (const spec of opts.kiosks) {
      const data = path.join(dir, `kiosk-${spec.store}-${spec.device}`);
      const p = kiosk(['provision', '--data', data, '--store', spec.store, '--device', spec.device, '--broker', broker.url, '--trust', pub]);
      if (p.code !== 0) throw new Error(`kiosk provision ${spec.store}/${spec.device}: ${p.stdout}${p.stderr}`);
      kiosks.push(new FleetKiosk(spec.store, spec.device, data));
    }
    const db = opts.db ?? path.join(dir, 'hq.sqlite');
    serve = await startHqServe(['--db', db, '--broker', broker.url, '--key', key, ...(opts.serveArgs ?? [])], { env: opts.serveEnv });
    if (!serve.adminPassword) throw new Error(`hq serve printed no initial admin password:\n${serve.output()}`);
    const first = opts.kiosks[0]?.store ?? 'S1';
    const users = {
      admin: { username: 'admin', password: serve.adminPassword, role: 'admin', stores: [] },
      store_manager: { username: 'manager1', password: PASSWORD, role: 'store_manager', stores: [first] },
      support: { username: 'support1', password: PASSWORD, role: 'support', stores: [] },
      auditor: { username: 'auditor1', password: PASSWORD, role: 'auditor', stores: [] },
    } satisfies Record<Role, ConsoleUserLogin>;
    for (const u of [users.store_manager, users.support, users.auditor]) {
      const r = hq(['user', 'add', u.username, '--role', u.role, ...u.stores.flatMap((s) => ['--store', s]), '--db', db, '--password-stdin'], { input: `${u.password}\n` });
      if (r.code !== 0) throw new Error(`hq user add ${u.username}: ${r.stdout}${r.stderr}`);
    }
    if (opts.startKiosks !== false) for (const k of kiosks) await k.start();
    return { dir, broker, key, pub, db, serve, kiosks, users, adminPassword: serve.adminPassword, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** Waits until `fn` holds, polling every 200 ms. */
export const eventually = <T>(what: string, fn: () => T | Promise<T>, timeoutMs = 30_000) => waitFor(what, fn, timeoutMs, 200);
