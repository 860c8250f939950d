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

export interface MosquittoOptions {
  /** Extra lines for mosquitto.conf (e.g. `password_file`, `acl_file`). Default: anonymous allowed. */
  extraConfig?: string[];
  /** Keep retained messages and sessions across `restart()` (persistence file in the broker's dir). Default true. */
  persistence?: boolean;
  port?: number;
}

/**
 * A real Mosquitto broker (Debian's `mosquitto`, installed by scripts/setup.js) on a loopback port, for tests.
 * `stop()` / `start()` / `restart()` take it down and bring it back on the same port, as a broker outage would.
 */
export class Mosquitto {
  private child: ChildProcess | null = null;
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

  get running(): boolean {
    return this.child !== null;
  }

  async start(): Promise<void> {
    if (this.child) return;
    const conf = path.join(this.dir, 'mosquitto.conf');
    const lines = [
      `listener ${this.port} 127.0.0.1`,
      'allow_anonymous true',
      `persistence ${this.opts.persistence === false ? 'false' : 'true'}`,
      `persistence_location ${this.dir}/`,
      'max_inflight_messages 0',
      'max_queued_messages 100000',
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
