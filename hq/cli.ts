#!/usr/bin/env node
import { Command } from 'commander';
import { packageVersion } from '../kernel/version';
import { COMMANDS } from './commands';

/**
 * `hq`: the head-office side of the fleet — keys, signed config and price books, remote commands, the live fleet
 * table and sale ingestion. Each command lives in its own file under hq/commands/ and registers itself in
 * hq/commands/index.ts.
 */
const program = new Command();
program
  .name('hq')
  .description('HQ tools for a fleet of kiosks: keys, signed config and price books, commands, ingest, watch')
  .showHelpAfterError()
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
  .version(packageVersion(), '-V, --version', 'print the version')
  // positional: `hq config push --version N` stays the command's own option
  .enablePositionalOptions();

for (const register of COMMANDS) register(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`hq: ${e instanceof Error ? e.message : String(e)}\n`);
  // a usage error found after parsing (hq/broker-auth.ts BrokerOptionsError) exits 2 like commander's own
  process.exit(e instanceof Error && (e as { exitCode?: unknown }).exitCode === 2 ? 2 : 1);
});
