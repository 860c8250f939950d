import type { Clock, TimerHandle } from '../../kernel/clock';

/**
 * The debounce every driver of drivers/ reports `online: false` through: a lost connection counts as offline only
 * if it is not back within `ms` (a glitch is not an outage). `start()` begins the wait (a running one is kept, so
 * repeated losses do not push it back); `cancel()` when the device is back or released.
 */
export class OfflineDebounce {
  private timer: TimerHandle | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly ms: number,
  ) {}

  /** A wait is running. */
  get pending(): boolean {
    return this.timer !== null;
  }

  /** Runs `expired` after `ms` unless cancelled first; a wait already running is kept. */
  start(expired: () => void): void {
    if (this.timer) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      expired();
    }, this.ms);
  }

  cancel(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}
