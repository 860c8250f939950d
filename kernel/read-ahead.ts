/**
 * Iterates `source` up to `depth` items ahead of the consumer: while the consumer awaits something else (a write
 * on SQLite's thread), the next items are already being made (parsed, encoded) on this one. Order is kept; an
 * error of the source reaches the consumer after the items made before it; a consumer that stops early (break,
 * throw) stops the reading and closes the source (its `finally` runs) before its own loop goes on.
 */
export async function* readAhead<T>(source: AsyncIterable<T>, depth: number): AsyncGenerator<T> {
  if (!Number.isSafeInteger(depth) || depth < 1) throw new RangeError(`readAhead: depth must be a positive integer, got ${depth}`);
  const it = source[Symbol.asyncIterator]();
  const buffer: T[] = [];
  let finished = false; // the source ended or failed: nothing to close
  let failure: { error: unknown } | null = null;
  let stopped = false;
  let wakeConsumer: (() => void) | null = null;
  let wakeProducer: (() => void) | null = null;
  const wake = (w: (() => void) | null) => w?.();

  const producer = (async () => {
    try {
      while (!stopped) {
        if (buffer.length >= depth) {
          await new Promise<void>((resolve) => (wakeProducer = resolve));
          continue;
        }
        const r = await it.next();
        if (r.done) {
          finished = true;
          break;
        }
        buffer.push(r.value);
        const w = wakeConsumer;
        wakeConsumer = null;
        wake(w);
      }
    } catch (error) {
      finished = true;
      failure = { error };
    } finally {
      const w = wakeConsumer;
      wakeConsumer = null;
      wake(w);
    }
  })();

  try {
    for (;;) {
      if (buffer.length > 0) {
        const v = buffer.shift() as T;
        const w = wakeProducer;
        wakeProducer = null;
        wake(w);
        yield v;
        continue;
      }
      if (failure !== null) throw (failure as { error: unknown }).error;
      if (finished) return;
      await new Promise<void>((resolve) => (wakeConsumer = resolve));
    }
  } finally {
    stopped = true;
    const w = wakeProducer;
    wakeProducer = null;
    wake(w);
    await producer;
    if (!finished) await it.return?.();
  }
}
