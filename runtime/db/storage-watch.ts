import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Clock, TimerHandle } from '../../kernel/clock';
import type { ServiceFaults } from '../lane/service-faults';
import { KioskError } from '../../kernel/errors';
import type { KioskDb } from '../../kernel/sqlite/database';
import { fileSystemReadOnly, readOnlyFailure, type StorageFailure, type StorageFailureKind } from '../../kernel/sqlite/storage-failure';

export interface StorageWatchOptions {
  clock: Clock;
  /** While storage is failing, probe this often; default 5 000 ms. */
  probeMs?: number;
  /** A full disk counts as fixed only with at least this much space free in the database's folder; default 1 MiB. */
  minFreeBytes?: number;
  /** The storage fault was set (with its cause) or changed, or cleared (null): once per change, for the log. */
  onChange?: (fault: { reason: string; cause: string; kind: StorageFailureKind } | null) => void;
  /** Storage works again: what failed meanwhile may run now (payment recovery, idle timers, a paid order's completion). */
  onRecovered?: () => void;
  /** Bytes free for an unprivileged writer in `dir` (default: statfs). */
  freeBytes?: (dir: string) => Promise<number>;
}

export interface ProbeResult {
  ok: boolean;
  /** What the probe found ("ok", "12288 bytes free in /data, want 1048576", "quick_check: ..."). */
  detail: string;
  at: number;
}

const statfsFree = async (dir: string): Promise<number> => {
  const s = await fs.promises.statfs(dir);
  return s.bavail * s.bsize;
};

/** The health row the probe writes and reads back (a row of its own in `counters`: nothing else reads it). */
const PROBE_WRITE = "INSERT INTO counters (name, value) VALUES ('storage_probe', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value";
const PROBE_READ = "SELECT value FROM counters WHERE name = 'storage_probe'";

/**
 * Turns the database's storage failures into the lane's `storage` fault, and takes it away when storage works
 * again. Every storage-class failure the database reports (disk full, read-only, corrupt, I/O) sets the fault at
 * once — before the failing caller hears of it — so the lane is out of service (screen, light, doctor, HQ) with
 * the reason; `onChange` fires once per change of reason, never once per failing scan. While the fault lasts, a
 * probe runs every `probeMs` on the injected clock: for a full disk, enough free space first; then a tiny write
 * transaction on a health row and its read back; for corruption, `PRAGMA quick_check(1)` as well. The fault is
 * cleared only when the probe passes and nothing failed meanwhile.
 */
export class StorageWatch {
  private current: StorageFailure | null = null;
  private timer: TimerHandle | null = null;
  private probing: Promise<ProbeResult> | null = null;
  private stopped = false;
  private unsubscribe: (() => void) | null = null;
  private checkingReadOnly = false;
  /** The last probe's outcome (for doctor / tests). */
  lastProbe: ProbeResult | null = null;

  constructor(
    private readonly db: KioskDb,
    private readonly faults: ServiceFaults,
    private readonly opts: StorageWatchOptions,
  ) {}

  start(): void {
    this.stopped = false;
    this.unsubscribe ??= this.db.onStorageFailure((f) => this.failed(f));
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.timer) this.opts.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  /** The storage failure in force, or null when storage works. */
  get failure(): StorageFailure | null {
    return this.current;
  }

  /**
   * A storage failure found by other means (e.g. a `PRAGMA quick_check` that ran after boot): the same fault, log
   * line and probes as a failing statement — and it is cleared only when a probe passes (for `corrupt`, quick_check).
   */
  report(reason: string, kind: StorageFailureKind, cause: string): void {
    this.failed({ error: new KioskError('STORAGE_FAILED', reason, { file: this.db.file, cause }), kind, cause });
  }

  private failed(reported: StorageFailure): void {
    if (this.stopped) return;
    // an I/O error on a file system known to be read-only is that, again (no flapping between the two reasons)
    const f = reported.kind === 'io' && this.current?.kind === 'readonly' && this.current.cause === reported.cause ? this.current : reported;
    if (f.kind === 'io') this.checkReadOnly();
    const changed = this.current?.error.message !== f.error.message;
    this.current = f;
    this.faults.set('storage', f.error.message);
    if (changed) this.opts.onChange?.({ reason: f.error.message, cause: f.cause, kind: f.kind });
    this.schedule();
  }

  /** An I/O error may be a file system gone read-only: find out off the event loop, and say so when it is. */
  private checkReadOnly(): void {
    if (this.checkingReadOnly) return;
    this.checkingReadOnly = true;
    void fileSystemReadOnly(path.dirname(this.db.file))
      .then((ro) => {
        if (ro && this.current?.kind === 'io') this.failed(readOnlyFailure(this.current, this.db.file));
      })
      .finally(() => (this.checkingReadOnly = false));
  }

  private schedule(): void {
    if (this.timer || this.probing || this.stopped || !this.current) return;
    this.timer = this.opts.clock.setTimeout(() => {
      this.timer = null;
      void this.probe();
    }, this.opts.probeMs ?? 5000);
  }

  /** Probes now (a probe already running is joined); clears the fault when storage works again. */
  probe(): Promise<ProbeResult> {
    if (!this.probing) {
      this.probing = this.check()
        .then((r) => (this.lastProbe = r))
        .finally(() => {
          this.probing = null;
          this.schedule();
        });
    }
    return this.probing;
  }

  private async check(): Promise<ProbeResult> {
    const at = this.opts.clock.now();
    const f = this.current;
    if (!f) return { ok: true, detail: 'ok', at };
    try {
      if (f.kind === 'full') {
        const dir = path.dirname(this.db.file);
        const want = this.opts.minFreeBytes ?? 1024 * 1024;
        const free = await (this.opts.freeBytes ?? statfsFree)(dir);
        if (free < want) return { ok: false, detail: `${free} bytes free in ${dir}, want ${want}`, at };
      }
      await this.db.transaction((tx) => tx.run(PROBE_WRITE, [at]));
      const back = await this.db.read.get<{ value: number }>(PROBE_READ);
      if (back?.value !== at) return { ok: false, detail: `health row read back ${String(back?.value)}, wrote ${at}`, at };
      if (f.kind === 'corrupt') {
        const rows = await this.db.read.all<{ quick_check: string }>('PRAGMA quick_check(1)');
        const verdict = rows.map((r) => r.quick_check).join('; ');
        if (verdict !== 'ok') return { ok: false, detail: `quick_check: ${verdict}`, at };
      }
    } catch (e) {
      return { ok: false, detail: e instanceof Error ? e.message : String(e), at };
    }
    // a failure reported while the probe ran (a scan, the probe itself) keeps the fault for the next probe
    if (this.current !== f || this.stopped) return { ok: false, detail: 'storage failed again while probing', at };
    this.current = null;
    this.faults.set('storage', null);
    this.opts.onChange?.(null);
    try {
      this.opts.onRecovered?.();
    } catch {
      // what runs after recovery reports its own errors; the fault is cleared either way
    }
    return { ok: true, detail: 'ok', at };
  }
}
