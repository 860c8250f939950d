import type { Clock } from '../../../kernel/clock';

/**
 * The pauses between a channel's order queries while the shopper confirms: each ends after `ms` on the injected
 * clock, when the payment is aborted, or at once when a verified notification for its order arrives (`wake`).
 */
export class PollWaits {
  private readonly waiting = new Map<string, () => void>();

  constructor(private readonly clock: Clock) {}

  wait(ms: number, signal?: AbortSignal, orderNo?: string): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.clock.clearTimeout(h);
        signal?.removeEventListener('abort', done);
        if (orderNo !== undefined && this.waiting.get(orderNo) === done) this.waiting.delete(orderNo);
        resolve();
      };
      const h = this.clock.setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      if (orderNo !== undefined) this.waiting.set(orderNo, done);
    });
  }

  /** Ends the pause of `orderNo`'s payment now (a notification said it was paid); false when none waits. */
  wake(orderNo: string): boolean {
    const w = this.waiting.get(orderNo);
    w?.();
    return w !== undefined;
  }
}
