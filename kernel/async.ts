import type { Clock } from './clock';

/** Rejects with `onTimeout()` when `p` has not settled after `ms` on `clock`. */
export function withTimeout<T>(clock: Clock, p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(onTimeout()), ms);
    p.then(
      (v) => {
        clock.clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clock.clearTimeout(timer);
        reject(e);
      },
    );
  });
}

export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}

/** Runs tasks one at a time, in call order; a failing task does not block the next. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(task: () => Promise<T>): Promise<T> {
    const p = this.tail.then(task, task);
    this.tail = p.catch(() => undefined);
    return p;
  }
}

/** Operations that must all reject at once when their link is closed underneath them. */
export class PendingSet {
  private readonly rejects = new Set<(e: Error) => void>();
  track<T>(p: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.rejects.add(reject);
      p.then(
        (v) => {
          this.rejects.delete(reject);
          resolve(v);
        },
        (e: unknown) => {
          this.rejects.delete(reject);
          reject(e);
        },
      );
    });
  }
  rejectAll(e: Error): void {
    const all = [...this.rejects];
    this.rejects.clear();
    for (const r of all) r(e);
  }
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
