import type { Command } from 'commander';

/** A command adds itself (and its subcommands) to the `hq` program. */
export type RegisterCommand = (program: Command) => void;

/** Every `hq` command, in help order. Add one line per command file. */
export const COMMANDS: RegisterCommand[] = [];
