import { readAhead } from './read-ahead';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A source that records how far it was pulled, and whether its finally ran. */
function counted(n: number, failAt: number | null = null) {
  const state = { pulled: 0, closed: false };
  async function* gen(): AsyncGenerator<number> {
    try {
      for (let i = 0; i < n; i++) {
        await tick();
        if (i === failAt) throw new Error(`broke at ${i}`);
        state.pulled = i + 1;
        yield i;
      }
    } finally {
      state.closed = true;
    }
  }
  return { state, source: gen() };
}

describe('readAhead', () => {
  it('gives every item in order', async () => {
    const { source, state } = counted(25);
    const got: number[] = [];
    for await (const v of readAhead(source, 3)) got.push(v);
    expect(got).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(state.closed).toBe(true);
  });

  it('reads ahead while the consumer waits, never more than `depth` items', async () => {
    const { source, state } = counted(100);
    const it = readAhead(source, 4);
    expect((await it.next()).value).toBe(0);
    for (let i = 0; i < 20; i++) await tick(); // the consumer is busy elsewhere
    // item 0 was taken; 4 more wait in the buffer
    expect(state.pulled).toBe(5);
    expect((await it.next()).value).toBe(1);
    for (let i = 0; i < 20; i++) await tick();
    expect(state.pulled).toBe(6);
    await it.return(undefined);
    expect(state.closed).toBe(true);
  });

  it("a source's error comes after the items made before it", async () => {
    const { source } = counted(10, 6);
    const got: number[] = [];
    await expect(
      (async () => {
        for await (const v of readAhead(source, 3)) got.push(v);
      })(),
    ).rejects.toThrow('broke at 6');
    expect(got).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('a consumer that stops early closes the source before its own loop goes on', async () => {
    const { source, state } = counted(1000);
    for await (const v of readAhead(source, 2)) if (v === 3) break;
    expect(state.closed).toBe(true);
    expect(state.pulled).toBeLessThanOrEqual(6);
  });

  it('refuses a depth that is not a positive integer', async () => {
    await expect(readAhead(counted(1).source, 0).next()).rejects.toThrow(RangeError);
  });
});
