import { loadConfig } from '../config/load';
import type { KioskConfig } from '../config/schema';
import { ConfigError, KioskError } from '../kernel/errors';

export interface CommonOptions {
  data?: string;
  config?: string;
}

/** Exit codes: 0 ok, 1 the command's check failed / a kiosk error, 2 bad configuration or usage. */
export class CliExit extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export function configFrom(opts: CommonOptions): KioskConfig {
  return loadConfig({ configPath: opts.config, overrides: opts.data ? { dataDir: opts.data } : undefined });
}

export function reportAndExit(e: unknown): never {
  if (e instanceof CliExit) {
    if (e.message) process.stderr.write(`${e.message}\n`);
    process.exit(e.code);
  }
  if (e instanceof ConfigError) {
    process.stderr.write(`kiosk: ${e.message}\n`);
    process.exit(2);
  }
  if (e instanceof KioskError) {
    process.stderr.write(`kiosk: ${e.code}: ${e.message}\n`);
    process.exit(1);
  }
  const code = (e as { code?: unknown } | null)?.code;
  if (e instanceof Error && typeof code === 'string' && /^(SQLITE_[A-Z_]+|ENOSPC|EACCES|EPERM|EROFS|EIO|ENOTDIR|EISDIR)$/.test(code)) {
    // a storage fault (disk full, not a database, corrupt, cannot open…): one line, no stack
    process.stderr.write(`kiosk: STORAGE_FAILED: ${e.message.split('\n')[0]}\n`);
    process.exit(1);
  }
  process.stderr.write(`kiosk: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
}

export const printJson = (v: unknown): void => {
  process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
};
