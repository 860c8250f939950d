import type { Clock, TimerHandle } from '../../kernel/clock';

export interface PresenceHost {
  /** The transport is open right now. */
  connected(): boolean;
  /** Is the connected device still there? (absent: the driver cannot tell; nothing is polled). */
  check: (() => Promise<boolean>) | undefined;
  /** The check said no. */
  gone(): void;
}

/**
 * Transports do not always report their own death (serialport's poller can miss the hang-up of a pulled USB-serial
 * adapter): while connected, the device's presence is checked every `ms` (0 = never); a check that fails to run is
 * tried again next time.
 */
export class PresencePoll {
  private timer: TimerHandle | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly ms: number,
    private readonly host: PresenceHost,
  ) {}

  /** (Re)starts the poll: the first check after `ms`. */
  start(): void {
    this.stop();
    const check = this.host.check;
    if (!check || this.ms <= 0) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      if (!this.host.connected()) return;
      check().then(
        (present) => {
          if (!this.host.connected() || this.timer !== null) return; // lost or reconnected meanwhile
          if (present) this.start();
          else this.host.gone();
        },
        () => {
          if (this.host.connected() && this.timer === null) this.start();
        },
      );
    }, this.ms);
  }

  stop(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}
