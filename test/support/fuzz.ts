import fc from 'fast-check';
import { isKioskError, type KioskErrorCode } from '../../kernel/errors';

/**
 * Shared pieces of the fuzz targets (test/fuzz/*.fuzz.test.ts). Run count: env FUZZ_RUNS (default 1 000 per
 * property, so the folder stays fast in CI); `npm run fuzz` runs them long.
 */
export const RUNS = Math.max(1, Number(process.env.FUZZ_RUNS ?? 1000));
/** fast-check parameters for a target; a failure prints the seed and the shrunk input. */
export const params = { numRuns: RUNS };

/** The longest error message any parser may produce: output stays bounded whatever the input. */
export const MAX_MESSAGE = 2000;

type Mutation = { op: 'flip' | 'insert' | 'delete' | 'set'; at: number; value: number };

const mutation: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom('flip', 'insert', 'delete', 'set'),
  at: fc.nat(),
  value: fc.integer({ min: 0, max: 255 }),
});

/** Applies byte mutations (positions taken modulo the current length). */
export function mutate(bytes: Uint8Array, ms: readonly Mutation[]): Uint8Array {
  const out = [...bytes];
  for (const m of ms) {
    const at = out.length === 0 ? 0 : m.at % (m.op === 'insert' ? out.length + 1 : out.length);
    if (m.op === 'insert') out.splice(at, 0, m.value);
    else if (out.length === 0) continue;
    else if (m.op === 'delete') out.splice(at, 1);
    else if (m.op === 'flip') out[at] ^= 1 << (m.value & 7);
    else out[at] = m.value;
  }
  return Uint8Array.from(out);
}

/**
 * Inputs for a byte parser: mostly valid samples with a few flipped, inserted, deleted or overwritten bytes (much
 * stronger than pure noise: they get past the first checks), some samples glued together, and plain random bytes.
 */
export function bytesFrom(samples: readonly Uint8Array[], maxRandom = 300): fc.Arbitrary<Uint8Array> {
  const sample = fc.constantFrom(...samples);
  return fc.oneof(
    { weight: 5, arbitrary: fc.tuple(sample, fc.array(mutation, { minLength: 1, maxLength: 6 })).map(([s, ms]) => mutate(s, ms)) },
    { weight: 2, arbitrary: fc.array(sample, { minLength: 1, maxLength: 4 }).map((ss) => Uint8Array.from(ss.flatMap((s) => [...s]))) },
    { weight: 1, arbitrary: sample },
    { weight: 3, arbitrary: fc.uint8Array({ maxLength: maxRandom }) },
  );
}

/** The same for a text parser: mutated samples (as UTF-8 bytes, decoded leniently) and arbitrary strings. */
export function textFrom(samples: readonly string[], maxRandom = 300): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: bytesFrom(samples.map((s) => Buffer.from(s, 'utf8')), maxRandom).map((b) => Buffer.from(b).toString('utf8')) },
    { weight: 2, arbitrary: fc.string({ maxLength: maxRandom, unit: 'grapheme' }) },
    { weight: 1, arbitrary: fc.string({ maxLength: maxRandom, unit: 'binary' }) },
  );
}

/** Cut points for streaming parsers: the input split at these (sorted, clamped) positions. */
export const cuts = fc.array(fc.nat({ max: 4096 }), { maxLength: 8 });

export function splitAt(bytes: Uint8Array, at: readonly number[]): Uint8Array[] {
  const points = [...new Set(at.map((p) => Math.min(p, bytes.length)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  return out;
}

/** Runs `fn`; anything it throws must be a KioskError with one of `codes` and a bounded message. */
export function onlyKioskErrors<T>(codes: readonly KioskErrorCode[], fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    expectExpected(e, codes);
    return undefined;
  }
}

export async function onlyKioskErrorsAsync<T>(codes: readonly KioskErrorCode[], fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (e) {
    expectExpected(e, codes);
    return undefined;
  }
}

function expectExpected(e: unknown, codes: readonly KioskErrorCode[]): void {
  if (!isKioskError(e) || !codes.includes(e.code)) throw e; // shown with the failing input and its seed
  if (e.message.length > MAX_MESSAGE) throw new Error(`message of ${e.message.length} characters: ${e.message.slice(0, 200)}…`);
}
