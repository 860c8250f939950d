import { UsageError } from './user';

/**
 * A commander action for `hq <command> <verb>`: an error is printed as one line `hq <command> <verb>: message` on
 * stderr, and the exit code is 2 for bad usage ({@link UsageError}), 1 otherwise — never a stack trace.
 */
export function cliAction<A extends unknown[]>(command: string, verb: string, fn: (...a: A) => Promise<void>): (...a: A) => Promise<void> {
  return async (...a) => {
    try {
      await fn(...a);
    } catch (e) {
      process.stderr.write(`hq ${command} ${verb}: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = e instanceof UsageError ? 2 : 1;
    }
  };
}
