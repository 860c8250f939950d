import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '../support/mosquitto';

/** Debian's PostgreSQL server binaries (package `postgresql`, installed by scripts/setup.js). */
export function postgresBin(): string {
  const base = '/usr/lib/postgresql';
  const versions = fs.existsSync(base) ? fs.readdirSync(base).filter((v) => fs.existsSync(path.join(base, v, 'bin', 'postgres'))) : [];
  if (versions.length === 0) throw new Error('PostgreSQL is not installed: apt-get install postgresql (scripts/setup.js does)');
  return path.join(base, versions.sort((a, b) => Number(b) - Number(a))[0], 'bin');
}

/** PostgreSQL refuses to run as root: run its tools as the `postgres` user when we are root. */
function asPostgres(cmd: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
}

/** A throw-away PostgreSQL server on a loopback port, in its own temp data directory (trust auth, loopback only). */
export class Postgres {
  private constructor(
    private readonly child: ChildProcess,
    readonly dir: string,
    readonly port: number,
  ) {}

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  static async start(): Promise<Postgres> {
    const bin = postgresBin();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-pg-'));
    fs.chmodSync(dir, 0o777);
    const data = path.join(dir, 'data');
    if (process.getuid?.() === 0) spawnSync('chown', ['postgres', dir]);
    const [c, a] = asPostgres(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    const init = spawnSync(c, a, { encoding: 'utf8' });
    if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
    const port = await freePort();
    const [sc, sa] = asPostgres(path.join(bin, 'postgres'), ['-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', dir, '-F']);
    const child = spawn(sc, sa, { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    const pg = new Postgres(child, dir, port);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const probe = spawnSync(path.join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port)], { encoding: 'utf8' });
      if (probe.status === 0) break;
      if (Date.now() > deadline || child.exitCode !== null) {
        child.kill('SIGKILL');
        throw new Error(`postgres did not start:\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return pg;
  }

  async close(): Promise<void> {
    if (this.child.exitCode === null) {
      const done = new Promise((r) => this.child.once('exit', r));
      // signal the server itself (runuser does not pass signals on): SIGINT = fast shutdown
      const pidFile = path.join(this.dir, 'data', 'postmaster.pid');
      const pid = fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]) : NaN;
      if (Number.isInteger(pid) && pid > 0) process.kill(pid, 'SIGINT');
      else this.child.kill('SIGKILL');
      await done;
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
