import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI, ROOT } from './cli';
import { RELEASE_RESTART_EXIT } from '../../runtime/releases/switch';

/**
 * A stand-in for systemd's `Restart=` in release tests: runs `kiosk start --data DIR` from `<root>/current` (its
 * `dist/device/cli.js` when the release has one — a real `npm pack` build — else the repository's built CLI), and
 * starts it again whenever it exits with RELEASE_RESTART_EXIT (75). Any other exit ends the supervision.
 */
export class ReleaseSupervisor {
  /** One entry per start: the release `current` pointed at and how that start ended. */
  readonly runs: { release: string | null; code: number | null; signal: NodeJS.Signals | null }[] = [];
  child: ChildProcessWithoutNullStreams | null = null;
  readonly ended: Promise<void>;
  private stopped = false;
  private onStart: ((child: ChildProcessWithoutNullStreams, release: string | null) => void) | null = null;

  constructor(
    private readonly o: { root: string; data: string; env: NodeJS.ProcessEnv; maxStarts?: number },
    onStart?: (child: ChildProcessWithoutNullStreams, release: string | null) => void,
  ) {
    this.onStart = onStart ?? null;
    this.ended = this.loop();
  }

  private cli(): { file: string; release: string | null } {
    const current = path.join(this.o.root, 'current');
    let release: string | null = null;
    try {
      release = path.basename(fs.readlinkSync(current));
    } catch {
      // no link yet
    }
    const own = path.join(current, 'dist', 'device', 'cli.js');
    return { file: fs.existsSync(own) ? own : CLI, release };
  }

  private async loop(): Promise<void> {
    for (let i = 0; i < (this.o.maxStarts ?? 10) && !this.stopped; i++) {
      const { file, release } = this.cli();
      const child = spawn(process.execPath, [file, 'start', '--data', this.o.data], {
        cwd: ROOT,
        env: { ...process.env, KIOSK_LOG_LEVEL: 'warn', KIOSK_HQ__EMBEDDED_PORT: '0', KIOSK_SCREEN__PORT: '0', KIOSK_HEALTH__PORT: '0', TZ: 'UTC', ...this.o.env },
      });
      this.child = child;
      this.onStart?.(child, release);
      const end = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
      this.runs.push({ release, ...end });
      this.child = null;
      if (end.code !== RELEASE_RESTART_EXIT) return;
    }
  }

  /** Stops the kiosk running now (SIGTERM) and the supervision. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.child?.kill('SIGTERM');
    await this.ended;
  }

  /** Kills whatever runs (a failed test must not leave a kiosk behind). */
  async kill(): Promise<void> {
    this.stopped = true;
    this.child?.kill('SIGKILL');
    await this.ended;
  }
}
