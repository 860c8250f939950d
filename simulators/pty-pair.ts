import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findOnPath } from '../kernel/path-presence';
import { OS_CABLE_ACCESS } from './os-serial-access';
import type { CableAccess, SerialCable } from './serial-cable';

/**
 * A linked pair of real pseudo-terminals (socat), standing in for a serial cable: the device simulator opens
 * `devicePath`, the real driver opens `hostPath` with serialport exactly as it would open /dev/ttyUSB0.
 *
 * `unplug()` kills socat, so both ends vanish as when a USB-serial adapter is pulled; `replug()` brings them back
 * under the same link paths. Requires `socat` (installed by scripts/setup.js).
 *
 * The links live in a temp dir `kiosk-pty-<pid>-XXXXXX` named for the process that made it. `close()` removes
 * it; a process killed with SIGKILL cannot, so the first pair a process creates sweeps away the dirs of processes
 * that no longer exist (`sweepStalePtyDirs`) — a killed kiosk's dirs are gone once the next one starts.
 */
const DIR_PREFIX = 'kiosk-pty-';
let swept = false;

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // alive, someone else's
  }
}

/** Removes `kiosk-pty-<pid>-*` dirs under `tmp` whose process is gone; returns the names removed. Never throws. */
export function sweepStalePtyDirs(tmp = os.tmpdir()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(tmp);
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = /^kiosk-pty-(\d+)-/.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || !Number.isSafeInteger(pid) || pid <= 0 || processExists(pid)) continue;
    try {
      fs.rmSync(path.join(tmp, name), { recursive: true, force: true });
      removed.push(name);
    } catch {
      // another process swept it first, or it is not ours to remove: leave it
    }
  }
  return removed;
}

export class PtyPair implements SerialCable {
  readonly hostPath: string;
  readonly devicePath: string;
  /** Real ttys: serialport's OS binding and stat(). */
  readonly access: CableAccess = OS_CABLE_ACCESS;
  private proc: ChildProcess | null = null;
  private readonly dir: string;

  private constructor(dir: string, name: string) {
    this.dir = dir;
    this.hostPath = path.join(dir, `${name}-host`);
    this.devicePath = path.join(dir, `${name}-device`);
  }

  /** Creates the pair and waits until both ends exist. */
  static async create(name = 'tty', dir?: string): Promise<PtyPair> {
    if (!dir && !swept) {
      swept = true;
      sweepStalePtyDirs();
    }
    const pair = new PtyPair(dir ?? fs.mkdtempSync(path.join(os.tmpdir(), `${DIR_PREFIX}${process.pid}-`)), name);
    await pair.replug();
    return pair;
  }

  get plugged(): boolean {
    return this.proc !== null;
  }

  async replug(): Promise<void> {
    if (this.proc) return;
    if (!findOnPath('socat')) throw new Error('socat is not installed (not on PATH): install it (apt-get install socat, or node scripts/setup.js)');
    // socat runs under a small shell that kills it when our stdin pipe closes — so a kiosk killed with SIGKILL
    // does not leave orphaned socat processes (and stale ptys) behind.
    const script = `socat PTY,raw,echo=0,link="$1" PTY,raw,echo=0,link="$2" & s=$!; trap 'kill $s 2>/dev/null' EXIT TERM; cat >/dev/null; kill $s 2>/dev/null; wait $s`;
    const proc = spawn('sh', ['-c', script, 'pty-pair', this.hostPath, this.devicePath], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    let spawnError: Error | null = null;
    proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    proc.on('error', (e) => (spawnError = e)); // no `sh` on PATH: an 'error' event, never an unhandled one
    this.proc = proc;
    const deadline = Date.now() + 5000;
    while (!(fs.existsSync(this.hostPath) && fs.existsSync(this.devicePath))) {
      if (spawnError) {
        this.proc = null;
        throw new Error(`cannot start socat for a pty pair: ${(spawnError as Error).message}`);
      }
      if (proc.exitCode !== null || proc.signalCode !== null) {
        this.proc = null;
        throw new Error(`socat exited (${proc.exitCode ?? proc.signalCode}): ${stderr.trim() || 'is socat installed? run node scripts/setup.js'}`);
      }
      if (Date.now() > deadline) throw new Error(`pty pair did not appear within 5 s: ${stderr}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Pulls the cable: both ends disappear; open ports on them get an error / close. */
  async unplug(): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    this.proc = null;
    await new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.stdin?.end(); // the shell kills socat and exits
    });
    for (const p of [this.hostPath, this.devicePath]) fs.rmSync(p, { force: true });
  }

  async close(): Promise<void> {
    await this.unplug();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
