import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

function projectRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${__dirname}`);
  }
}

export const ROOT = projectRoot();
export const HQ_CLI = path.join(ROOT, 'dist', 'hq', 'cli.js');

/** Runs the built `hq` CLI to completion. */
export function hq(args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [HQ_CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, TZ: 'UTC', ...opts.env },
    encoding: 'utf8',
    input: opts.input,
    timeout: opts.timeoutMs ?? 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface HqServe {
  child: ChildProcessWithoutNullStreams;
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  url: string;
  /** The initial admin's password, printed once when the users table was empty (null when it was not). */
  adminPassword: string | null;
  output(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/**
 * `hq serve` as a child process (`node dist/hq/cli.js serve ARGS`): resolves once it printed its URL (and, on an
 * empty users table, the initial admin password — printed on the lines after the URL or before it).
 */
export async function startHqServe(args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<HqServe> {
  const child = spawn(process.execPath, [HQ_CLI, 'serve', '--host', '127.0.0.1', '--port', '0', ...args], {
    cwd: ROOT,
    env: { ...process.env, TZ: 'UTC', ...opts.env },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
  child.stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
  const found = (): { url: string; password: string | null } | null => {
    const url = /hq console: (http:\/\/[^\s/]+)\/?/.exec(out);
    if (!url) return null;
    const pw = /password[^\n]*?[:=]?\s+([A-Za-z0-9_\-+/]{12,})/i.exec(out);
    return { url: url[1], password: pw ? pw[1] : null };
  };
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  for (;;) {
    const f = found();
    // the password may come on the next write; give it a moment once the URL is there
    if (f && (f.password || Date.now() > deadline - 25_000 || /password/i.test(out) === false)) {
      if (!f.password) await new Promise((r) => setTimeout(r, 300));
      const again = found()!;
      return {
        child,
        url: again.url,
        adminPassword: again.password,
        output: () => out + err,
        stop: () =>
          new Promise((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
            child.once('exit', (code) => resolve(code));
            child.kill('SIGTERM');
          }),
      };
    }
    if (child.exitCode !== null) throw new Error(`hq serve exited ${child.exitCode}:\n${out}${err}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`hq serve printed no URL:\n${out}${err}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
