import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const CLI = path.join(ROOT, 'dist', 'device', 'cli.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/*
 * The CLI runs with TZ=UTC unless a test says otherwise: the store's zone defaults to the system's, and tests that
 * name "today" from the test process (toISOString) must agree with it on any machine. A test of local time sets
 * `timezone` in its config, which wins over the system's zone.
 */

/** Runs the built `kiosk` CLI to completion. */
export function kiosk(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, KIOSK_LOG_LEVEL: 'warn', KIOSK_HQ__EMBEDDED_PORT: '0', KIOSK_SCREEN__PORT: '0', KIOSK_HEALTH__PORT: '0', TZ: 'UTC', ...opts.env },
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const running = new Set<ChildProcessWithoutNullStreams>();

export function kioskAsync(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): ChildProcessWithoutNullStreams {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, KIOSK_LOG_LEVEL: 'warn', KIOSK_HQ__EMBEDDED_PORT: '0', KIOSK_SCREEN__PORT: '0', KIOSK_HEALTH__PORT: '0', TZ: 'UTC', ...opts.env } });
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/** Kills every CLI child a test started and left running (a failed assertion must not leave a kiosk behind). */
export function killStrays(): void {
  for (const c of running) c.kill('SIGKILL');
  running.clear();
}

/** Calls `onLine` for each stdout line until it returns true (or the process ends). */
export function watchLines(child: ChildProcessWithoutNullStreams, onLine: (line: string) => boolean | void): Promise<void> {
  return new Promise((resolve) => {
    let buf = '';
    let done = false;
    const finish = () => {
      if (!done) {
        done = true;
        resolve();
      }
    };
    child.stdout.on('data', (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      let i: number;
      while (!done && (i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (onLine(line)) finish();
      }
    });
    child.on('exit', finish);
  });
}

export const exited = (child: ChildProcessWithoutNullStreams) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });

/** `kiosk start --data DIR`, up to its `ready` line (fails when it exits first). */
export async function startedKiosk(data: string): Promise<ChildProcessWithoutNullStreams> {
  const child = kioskAsync(['start', '--data', data]);
  let ready = false;
  await watchLines(child, (line) => (ready = line.startsWith('ready ')));
  if (!ready) throw new Error(`kiosk start on ${data} exited before its ready line (code ${child.exitCode})`);
  return child;
}

/** Kills a kiosk that a failed expectation left running, and waits for its exit (before its data dir is removed). */
export async function killIfRunning(child: ChildProcessWithoutNullStreams | null): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGKILL');
  await exited(child);
}
