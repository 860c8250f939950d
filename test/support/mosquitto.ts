import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export const MOSQUITTO_BIN = '/usr/sbin/mosquitto';

/** A free TCP port on 127.0.0.1 (asked of the kernel, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function waitForPort(port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`mosquitto did not listen on ${port} within ${ms} ms`));
        else setTimeout(attempt, 25);
      });
    };
    attempt();
  });
}

/** The folder holding package.json: two up from test/support/ under ts-jest, three when a benchmark runs this from dist-bench/. */
function projectRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${__dirname}`);
  }
}

/** The broker configuration we ship (deploy/mosquitto/mosquitto.conf). */
export const SHIPPED_CONF = path.join(projectRoot(), 'deploy', 'mosquitto', 'mosquitto.conf');

/** The shipped file's settings lines (no comments, no blank lines). */
function shippedLines(): string[] {
  return fs
    .readFileSync(SHIPPED_CONF, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** The shipped file with its listeners on loopback test ports and its /etc/mosquitto files replaced. */
function shippedConfig(port: number, shipped: ShippedBroker): string[] {
  return shippedLines().map((l) => {
    if (l === 'listener 1883') return `listener ${port} 127.0.0.1`;
    if (l === 'listener 1884') return `listener ${shipped.hqPort} 127.0.0.1`;
    return l.replace(/\/etc\/mosquitto\/([\w.-]+)/g, (_, name: string) => {
      const file = shipped.files[name];
      if (!file) throw new Error(`${SHIPPED_CONF} needs /etc/mosquitto/${name}: pass it in shipped.files`);
      return file;
    });
  });
}

/** The kiosks' certificate listener we ship (deploy/mosquitto/mosquitto-certs.conf): an add-on to the shipped configuration. */
export const CERTS_CONF = path.join(projectRoot(), 'deploy', 'mosquitto', 'mosquitto-certs.conf');

/**
 * mosquitto-certs.conf's settings lines for `extraConfig` next to `shipped` (read after it, as conf.d reads
 * kiosk_certs.conf after kiosk.conf): its listener on loopback `port`, each `/etc/mosquitto/PATH` replaced by
 * `files[PATH]` (`certs/ca.crt`, `certs/server.crt`, `certs/server.key`, `certs/crl.pem`, `kiosk.acl`).
 */
export function certsListenerConfig(port: number, files: Record<string, string>): string[] {
  return fs
    .readFileSync(CERTS_CONF, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      if (l === 'listener 8883') return `listener ${port} 127.0.0.1`;
      return l.replace(/\/etc\/mosquitto\/([\w./-]+)/g, (_, name: string) => {
        const file = files[name];
        if (!file) throw new Error(`${CERTS_CONF} needs /etc/mosquitto/${name}: pass it in files`);
        return file;
      });
    });
}

/** Waits until something listens on loopback `port` (e.g. a listener of `extraConfig`). */
export function waitForListener(port: number, ms = 10_000): Promise<void> {
  return waitForPort(port, ms);
}

/** Run deploy/mosquitto/mosquitto.conf itself: its kiosk listener (1883) on `port`, its HQ listener (1884) on `hqPort`. */
export interface ShippedBroker {
  hqPort: number;
  /** The files for its `/etc/mosquitto/NAME` paths, by NAME: `kiosk.passwd`, `hq.passwd`, `kiosk.acl`. */
  files: Record<string, string>;
}

export interface MosquittoOptions {
  /** Extra lines for mosquitto.conf (e.g. `password_file`, `acl_file`). Default: anonymous allowed. */
  extraConfig?: string[];
  /** Keep retained messages and sessions across `restart()` (persistence file in the broker's dir). Default true. */
  persistence?: boolean;
  port?: number;
  /** The shipped configuration, authentication and both listeners included, instead of the anonymous derivative. */
  shipped?: ShippedBroker;
}

/**
 * A real Mosquitto broker (Debian's `mosquitto`, installed by scripts/setup.js) on a loopback port, for tests.
 * `stop()` / `start()` / `restart()` take it down and bring it back on the same port, as a broker outage would.
 *
 * Its configuration is deploy/mosquitto/mosquitto.conf: with `shipped`, that file itself (ports and file paths
 * substituted); by default its documented derivative for tests that are not about authentication — the shipped
 * file's general settings (queue and in-flight limits) with one anonymous listener instead of its two listeners.
 */
export class Mosquitto {
  private child: ChildProcess | null = null;
  /** The broker's process id while it runs (e.g. for a bench to set its CPU priority). */
  get pid(): number | undefined {
    return this.child?.pid;
  }
  readonly dir: string;
  log = '';

  private constructor(
    readonly port: number,
    private readonly opts: MosquittoOptions,
  ) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mosq-'));
    // run as root, mosquitto drops to its own user: that user must be able to write the persistence file here
    fs.chmodSync(this.dir, 0o777);
  }

  static async start(opts: MosquittoOptions = {}): Promise<Mosquitto> {
    const m = new Mosquitto(opts.port ?? (await freePort()), opts);
    await m.start();
    return m;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** The HQ listener of the shipped configuration. */
  get hqUrl(): string {
    if (!this.opts.shipped) throw new Error('only a broker started with `shipped` has an HQ listener');
    return `mqtt://127.0.0.1:${this.opts.shipped.hqPort}`;
  }

  get running(): boolean {
    return this.child !== null;
  }

  async start(): Promise<void> {
    if (this.child) return;
    const conf = path.join(this.dir, 'mosquitto.conf');
    const general = shippedLines().filter((l) => /^(max_queued_messages|max_inflight_messages)\s/.test(l));
    const lines = [
      ...(this.opts.shipped
        ? shippedConfig(this.port, this.opts.shipped).filter((l) => !l.startsWith('persistence '))
        : [`listener ${this.port} 127.0.0.1`, 'allow_anonymous true', ...general]),
      `persistence ${this.opts.persistence === false ? 'false' : 'true'}`,
      `persistence_location ${this.dir}/`,
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      ...(this.opts.extraConfig ?? []),
    ];
    // an `allow_anonymous` in extraConfig wins over the default above
    const conflicts = (this.opts.extraConfig ?? []).some((l) => l.startsWith('allow_anonymous'));
    fs.writeFileSync(conf, (conflicts ? lines.filter((l) => l !== 'allow_anonymous true') : lines).join('\n') + '\n');
    const child = spawn(MOSQUITTO_BIN, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (d: Buffer) => (this.log += d.toString()));
    this.child = child;
    child.once('exit', () => {
      if (this.child === child) this.child = null;
    });
    try {
      await waitForPort(this.port, 10_000);
      if (this.opts.shipped) await waitForPort(this.opts.shipped.hqPort, 10_000);
    } catch (e) {
      child.kill('SIGKILL');
      throw new Error(`${(e as Error).message}\n${this.log}`);
    }
  }

  /** Stops the broker (SIGTERM, so it saves its persistence file; `hard` = SIGKILL, a crash). */
  async stop(hard = false): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(hard ? 'SIGKILL' : 'SIGTERM');
    await exited;
    this.child = null;
  }

  /** SIGHUP: Mosquitto re-reads its configuration, and with it a listener's certificates and CRL (not its open connections). */
  reload(): void {
    if (!this.child) throw new Error('mosquitto is not running');
    this.child.kill('SIGHUP');
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Stops the broker and deletes its directory. */
  async close(): Promise<void> {
    await this.stop(true);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
