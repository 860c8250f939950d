import { ConfigError, KioskError } from '../kernel/errors';

/**
 * How the `kiosk` CLI ends on an error. Light on purpose (kernel/errors only): device/cli.ts imports it, and
 * `kiosk --help` must not load zod, SQLite or MQTT (test/cli-conventions.test.ts).
 */

/** Exit codes: 0 ok, 1 the command's check failed / a kiosk error, 2 bad configuration or usage. */
export class CliExit extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** File-system and SQLite codes that mean "this storage cannot be used", said in one line without a stack. */
const STORAGE_CODES = /^(SQLITE_[A-Z_]+|ENOSPC|EACCES|EPERM|EROFS|EIO|ENOTDIR|EISDIR|EEXIST)$/;

/** Prints one line for an expected error and exits 1 or 2; only a bug (anything else) prints its stack. */
export function reportAndExit(e: unknown): never {
  if (e instanceof CliExit) {
    if (e.message) process.stderr.write(`${e.message}\n`);
    process.exit(e.code);
  }
  if (e instanceof ConfigError) {
    // one problem, one line; several, one line each under the heading
    process.stderr.write(`kiosk: ${e.problems.length === 1 ? `invalid configuration: ${e.problems[0]}` : e.message}\n`);
    process.exit(2);
  }
  if (e instanceof KioskError) {
    process.stderr.write(`kiosk: ${e.code}: ${e.message}\n`);
    process.exit(1);
  }
  const code = (e as { code?: unknown } | null)?.code;
  if (e instanceof Error && typeof code === 'string' && STORAGE_CODES.test(code)) {
    // a storage fault (disk full, not a database, corrupt, cannot open…): one line, no stack
    process.stderr.write(`kiosk: STORAGE_FAILED: ${e.message.split('\n')[0]}\n`);
    process.exit(1);
  }
  process.stderr.write(`kiosk: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
}
