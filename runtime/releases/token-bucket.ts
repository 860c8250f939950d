import type { Clock } from '../../kernel/clock';

/**
 * A token bucket: `ratePerSecond` tokens a second, at most `burst` held. `take(n)` may run the bucket into debt (a
 * network chunk is bigger than a second's worth at a low rate) and answers how long to wait before going on, so the
 * average stays at the rate. Time from the injected clock.
 */
export class TokenBucket {
  private tokens: number;
  private at: number;
  constructor(
    private readonly clock: Clock,
    readonly ratePerSecond: number,
    readonly burst: number = ratePerSecond,
  ) {
    if (!(ratePerSecond > 0) || !(burst > 0)) throw new RangeError('rate and burst must be positive');
    this.tokens = burst;
    this.at = clock.now();
  }

  /** Takes `n` tokens; returns the wait in ms before the next take (0 when the bucket is not in debt). */
  take(n: number): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) * this.ratePerSecond) / 1000);
    this.at = now;
    this.tokens -= n;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.ratePerSecond);
  }
}

/** Waits `ms` on the clock (resolves at once for 0); rejects with `signal.reason` when aborted. */
export function sleepOn(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason as Error);
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clock.clearTimeout(t);
      reject(signal!.reason as Error);
    };
    const t = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
