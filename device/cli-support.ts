import { loadConfig } from '../config/load';
import type { KioskConfig } from '../config/schema';
import { CliExit } from './cli-exit';
import { withIsoTimes } from './json-times';
import { withIdentity } from './identity-config';

export { CliExit, reportAndExit } from './cli-exit';

export interface CommonOptions {
  data?: string;
  config?: string;
  /** Global `--log-level` (device/cli.ts checks it and hands it on as KIOSK_LOG_LEVEL). */
  logLevel?: string;
}

/**
 * The config for a command's `--data` / `--config`, with the provisioned identity's store and device ids
 * (device/identity-config.ts: the identity wins). Every command uses this — except `provision`, which replaces the
 * identity and takes {@link baseConfigFrom}.
 */
export function configFrom(opts: CommonOptions): KioskConfig {
  return configAndIdentity(opts).config;
}

/**
 * {@link configFrom}, and which config ids the identity replaced (`kiosk start` logs them). An unreadable identity
 * leaves the config's ids (backup, factory-reset, support-bundle must still run); booting refuses it (bootKiosk).
 */
export function configAndIdentity(opts: CommonOptions): ReturnType<typeof withIdentity> {
  return withIdentity(baseConfigFrom(opts), { unreadable: 'keep-config' });
}

/** The config for a command's `--data` / `--config` (before or after the subcommand); an empty one is a usage error (exit 2). No identity merged. */
export function baseConfigFrom(opts: CommonOptions): KioskConfig {
  if (opts.data !== undefined && opts.data.trim() === '') throw new CliExit(2, 'kiosk: --data needs a directory, got an empty string');
  if (opts.config !== undefined && opts.config.trim() === '') throw new CliExit(2, 'kiosk: --config needs a file, got an empty string');
  return loadConfig({ configPath: opts.config, overrides: opts.data ? { dataDir: opts.data } : undefined });
}

/** A command's `--json` output: indented, times (`…At` epoch ms) as ISO 8601 (device/json-times.ts). */
export const printJson = (v: unknown): void => {
  process.stdout.write(`${JSON.stringify(withIsoTimes(v), null, 2)}\n`);
};
