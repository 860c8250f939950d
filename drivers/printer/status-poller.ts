import type { Clock, TimerHandle } from '../../kernel/clock';
import { errorMessage } from '../../kernel/async';
import { isKioskError, type KioskError } from '../../kernel/errors';
import type { DeviceFault } from '../contract/device';
import { describeStatus, sameFaults, statusFaults, type EscPosStatus } from './status';

/** A debounced change the poller reports: what `status()` says from now on. */
export interface PolledStatus {
  online: boolean;
  faults: DeviceFault[];
  detail: string;
}

export interface StatusPollerHost {
  readonly clock: Clock;
  /** Bumped by disable/release/close: a poll of an older session is dropped. */
  session(): number;
  enabled(): boolean;
  /** One real-time status read (queued behind print jobs). */
  read(): Promise<EscPosStatus>;
  /** What status() reports now. */
  reported(): { online: boolean; faults: DeviceFault[] };
  /** A change to report; `initial`: the poll enable() runs (it reports the result itself). */
  report(change: PolledStatus, initial: boolean): void;
  /** A garbled reply (a PROTOCOL error): the poll counts as missed. */
  protocolError(e: KioskError): void;
}

export interface StatusPollerOptions {
  intervalMs: number;
  /** Consecutive missed polls before `online: false` (one missed poll is not offline). */
  offlineAfterMissedPolls: number;
  /** Consecutive polls a changed fault set must be seen in before it is reported. */
  faultConfirmPolls: number;
}

/**
 * The printer's status poll while enabled: every `intervalMs`, one poll at a time per session. Only
 * `offlineAfterMissedPolls` consecutive misses turn `online` false, and a new set of faults must hold for
 * `faultConfirmPolls` polls — so a flapping printer or sensor produces no event storm. The first poll after
 * enable() establishes the faults at once.
 */
export class StatusPoller {
  private timer: TimerHandle | null = null;
  /** Session of the poll in flight, if any. */
  private inFlight: number | null = null;
  private missed = 0;
  private candidate: DeviceFault[] | null = null;
  private candidateCount = 0;

  constructor(
    private readonly host: StatusPollerHost,
    private readonly opts: StatusPollerOptions,
  ) {}

  /** A fresh link: no misses counted. */
  resetMisses(): void {
    this.missed = 0;
  }

  /** enable(): a fault set seen before does not count towards confirming a new one. */
  resetFaults(): void {
    this.candidate = null;
    this.candidateCount = 0;
  }

  stop(): void {
    if (this.timer) this.host.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  /** Polls now (and schedules the next poll while enabled). */
  async pollNow(initial: boolean): Promise<void> {
    const host = this.host;
    const session = host.session();
    // one poll at a time per session (a poll left over from before a disable/enable does not count)
    if (!host.enabled() || this.inFlight === session) return;
    this.inFlight = session;
    try {
      const st = await host.read();
      if (session === host.session()) this.succeeded(st, initial);
    } catch (e) {
      if (session === host.session()) this.missedPoll(e);
    } finally {
      if (this.inFlight === session) this.inFlight = null;
      if (session === host.session() && host.enabled()) this.schedule(this.opts.intervalMs);
    }
  }

  private schedule(delay: number): void {
    this.stop();
    this.timer = this.host.clock.setTimeout(() => {
      this.timer = null;
      void this.pollNow(false);
    }, delay);
  }

  private succeeded(st: EscPosStatus, initial: boolean): void {
    this.missed = 0;
    const now = this.host.reported();
    let changed = !now.online;
    let faults = now.faults;
    const seen = statusFaults(st);
    if (initial) {
      changed = changed || !sameFaults(seen, now.faults);
      faults = seen;
      this.candidate = null;
    } else if (sameFaults(seen, now.faults)) {
      this.candidate = null;
      this.candidateCount = 0;
    } else {
      if (this.candidate && sameFaults(seen, this.candidate)) this.candidateCount++;
      else {
        this.candidate = seen;
        this.candidateCount = 1;
      }
      if (this.candidateCount >= this.opts.faultConfirmPolls) {
        faults = seen;
        this.candidate = null;
        this.candidateCount = 0;
        changed = true;
      }
    }
    if (changed) this.host.report({ online: true, faults, detail: describeStatus(st) }, initial);
  }

  private missedPoll(e: unknown): void {
    this.missed++;
    if (isKioskError(e, 'PROTOCOL')) this.host.protocolError(e);
    const now = this.host.reported();
    if (now.online && this.missed >= this.opts.offlineAfterMissedPolls) {
      this.host.report({ online: false, faults: now.faults, detail: `no status for ${this.missed} polls: ${errorMessage(e)}` }, false);
    }
  }
}
