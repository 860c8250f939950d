import type { DeviceStatus } from '../../drivers/contract';

/** Collects status events; `next(pred)` resolves with the first (past or future) event matching. */
export function statusLog(light: { on(event: 'status', fn: (s: DeviceStatus) => void): unknown }, defaultTimeoutMs = 5000) {
  const seen: DeviceStatus[] = [];
  const waiters: Array<{ pred: (s: DeviceStatus) => boolean; resolve: (s: DeviceStatus) => void }> = [];
  light.on('status', (s) => {
    seen.push(s);
    for (const w of waiters.splice(0)) {
      if (w.pred(s)) w.resolve(s);
      else waiters.push(w);
    }
  });
  return {
    seen,
    next(pred: (s: DeviceStatus) => boolean, timeoutMs = defaultTimeoutMs): Promise<DeviceStatus> {
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no matching status event within ${timeoutMs} ms; seen ${JSON.stringify(seen)}`)), timeoutMs);
        waiters.push({
          pred,
          resolve: (s) => {
            clearTimeout(t);
            resolve(s);
          },
        });
      });
    },
  };
}

