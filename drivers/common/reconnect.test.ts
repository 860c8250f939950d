import { SimulatedClock } from '../../kernel/clock';
import { OfflineDebounce } from './offline-debounce';
import { Backoff, ReconnectLoop, type AttemptResult } from './reconnect';

const flush = () => new Promise((r) => setImmediate(r));

/** Advances the simulated clock in small steps, letting each attempt's promise settle. */
async function advance(clock: SimulatedClock, ms: number): Promise<void> {
  for (let left = ms; left > 0; left -= Math.min(left, 10)) {
    clock.advance(Math.min(left, 10));
    await flush();
  }
}

describe('Backoff', () => {
  it('starts at initialMs, multiplies by factor, stops at maxMs, starts over after reset', () => {
    const b = new Backoff({ initialMs: 100, factor: 3, maxMs: 1000 });
    expect([b.next(), b.next(), b.next(), b.peek(), b.next(), b.next()]).toEqual([100, 300, 900, 1000, 1000, 1000]);
    b.reset();
    expect(b.next()).toBe(100);
    expect(new Backoff({ initialMs: 50, maxMs: 150 }).delayAt(1)).toBe(100); // factor 2 by default
  });
});

describe('ReconnectLoop', () => {
  it('retries with backoff until an attempt is back, counting attempts; stop() ends it for good', async () => {
    const clock = new SimulatedClock(0);
    const at: number[] = [];
    let results: AttemptResult[] = ['retry', 'retry', 'back'];
    const loop = new ReconnectLoop(clock, { initialMs: 100, maxMs: 250 }, async () => {
      at.push(clock.now());
      return results.shift() ?? 'back';
    });
    loop.start();
    await advance(clock, 1000);
    expect(at).toEqual([100, 300, 550]); // 100, then 200, then 250 (the max)
    expect(loop.attempts).toBe(3);
    expect(loop.scheduled).toBe(false);

    results = ['retry', 'retry'];
    at.length = 0;
    loop.start(0); // a first attempt at once (the lane light after a lost link), then the backoff from its start
    clock.advance(0);
    await flush();
    await advance(clock, 150);
    expect(at).toEqual([1000, 1100]);
    loop.stop();
    await advance(clock, 2000);
    expect(at).toEqual([1000, 1100]);
    expect(loop.scheduled).toBe(false);
  });

  it('an attempt that throws counts as a retry; one that resolves after stop() is ignored', async () => {
    const clock = new SimulatedClock(0);
    let calls = 0;
    let release: (r: AttemptResult) => void = () => undefined;
    const loop = new ReconnectLoop(clock, { initialMs: 10, maxMs: 10 }, () => {
      calls++;
      if (calls === 1) return Promise.reject(new Error('port vanished'));
      return new Promise<AttemptResult>((r) => (release = r));
    });
    loop.start();
    await advance(clock, 20);
    expect(calls).toBe(2); // the throw was retried
    loop.stop();
    release('retry'); // too late: the loop was stopped while it ran
    await advance(clock, 100);
    expect(calls).toBe(2);
  });
});

describe('OfflineDebounce', () => {
  it('fires once after its wait unless cancelled; a second start() does not push it back', () => {
    const clock = new SimulatedClock(0);
    const d = new OfflineDebounce(clock, 1000);
    let fired = 0;
    d.start(() => fired++);
    clock.advance(600);
    d.start(() => fired++);
    clock.advance(400);
    expect(fired).toBe(1);
    d.start(() => fired++);
    clock.advance(999);
    d.cancel();
    clock.advance(5000);
    expect(fired).toBe(1);
    expect(d.pending).toBe(false);
  });
});
