import { SimulatedClock } from '../../../kernel/clock';
import { PollWaits } from './poll-waits';

describe('pauses between order queries', () => {
  it('end after their time on the injected clock, on abort, or at once when woken for their order', async () => {
    const clock = new SimulatedClock(0);
    const waits = new PollWaits(clock);
    const ended: string[] = [];
    const timed = waits.wait(2000, undefined, 'a').then(() => ended.push('timed'));
    const ac = new AbortController();
    const aborted = waits.wait(2000, ac.signal, 'b').then(() => ended.push('aborted'));
    const woken = waits.wait(2000, undefined, 'c').then(() => ended.push('woken'));
    expect(waits.wake('nobody')).toBe(false);
    expect(waits.wake('c')).toBe(true);
    await woken;
    ac.abort();
    await aborted;
    expect(ended).toEqual(['woken', 'aborted']);
    clock.advance(1999);
    await Promise.resolve();
    expect(ended).toHaveLength(2);
    clock.advance(1);
    await timed;
    expect(ended).toEqual(['woken', 'aborted', 'timed']);
    // a finished pause cannot be woken again
    expect(waits.wake('a')).toBe(false);
  });
});
