import type { Clock, TimerHandle } from '../../kernel/clock';

export interface BackoffOptions {
  /** Wait before the first retry. */
  initialMs: number;
  /** Each further wait is the previous times this. Default 2. */
  factor?: number;
  /** Longest wait. */
  maxMs: number;
}

/** Exponential backoff: `initialMs`, then times `factor` per retry, at most `maxMs`. */
export class Backoff {
  private retries = 0;
  private readonly factor: number;

  constructor(private readonly opts: BackoffOptions) {
    this.factor = opts.factor ?? 2;
  }

  /** The wait before retry number `n` (0 = the first). */
  delayAt(n: number): number {
    return Math.min(this.opts.maxMs, Math.max(0, this.opts.initialMs * this.factor ** Math.max(0, n)));
  }

  /** The wait before the next retry (and counts it). */
  next(): number {
    return this.delayAt(this.retries++);
  }

  /** The wait the next call of `next()` returns. */
  peek(): number {
    return this.delayAt(this.retries);
  }

  reset(): void {
    this.retries = 0;
  }
}

/** What one reconnect attempt ended with: `back` (connected again, or nothing left to do) or `retry`. */
export type AttemptResult = 'back' | 'retry';

/**
 * The reconnect loop every driver of drivers/ shares: after a lost connection, attempts on the injected clock with
 * `Backoff`, until an attempt says `back` or the loop is stopped (release/close). An attempt that resolves after
 * `stop()` is ignored (the driver checks its own session inside the attempt to close what it opened). One attempt
 * at a time; an attempt that throws counts as `retry`.
 */
export class ReconnectLoop {
  private timer: TimerHandle | null = null;
  private generation = 0;
  private readonly backoff: Backoff;
  /** Attempts since the loop was started (diagnostics). */
  attempts = 0;

  constructor(
    private readonly clock: Clock,
    backoff: BackoffOptions,
    private readonly attempt: () => Promise<AttemptResult>,
  ) {
    this.backoff = new Backoff(backoff);
  }

  /** A retry is scheduled. */
  get scheduled(): boolean {
    return this.timer !== null;
  }

  /** The wait before the next retry (for status details). */
  get nextDelayMs(): number {
    return this.backoff.peek();
  }

  /**
   * Starts the loop after a loss: the first attempt after `firstDelayMs` (default: the backoff's first wait), the
   * following ones with backoff. A loop already waiting is left alone.
   */
  start(firstDelayMs?: number): void {
    if (this.timer) return;
    this.backoff.reset();
    this.attempts = 0;
    this.schedule(firstDelayMs ?? this.backoff.next());
  }

  /** Schedules the next retry after `delayMs` (default: the next backoff wait), replacing a pending one. */
  retry(delayMs?: number): void {
    this.schedule(delayMs ?? this.backoff.next());
  }

  /** Cancels the pending retry and ignores an attempt in flight; the backoff starts over next time. */
  stop(): void {
    this.generation++;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.backoff.reset();
  }

  private schedule(delayMs: number): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    const generation = this.generation;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      if (generation !== this.generation) return;
      this.attempts++;
      this.attempt().then(
        (r) => {
          if (generation !== this.generation) return;
          if (r === 'back') this.backoff.reset();
          else this.retry();
        },
        () => {
          if (generation === this.generation) this.retry();
        },
      );
    }, delayMs);
  }
}
