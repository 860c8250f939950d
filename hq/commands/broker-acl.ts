import type { Command } from 'commander';
import { mosquittoAcl, parseDevice } from '../broker-acl';

/** `hq broker acl --device S/D …`: the Mosquitto ACL file confining each kiosk to its own topics. */
export function register(program: Command): void {
  const broker = program.command('broker').description('broker set-up');
  broker
    .command('acl')
    .description('print a Mosquitto ACL file: each kiosk (username STORE/DEVICE) confined to its own topics')
    .requiredOption('--device <store/device>', 'a kiosk (repeatable)', (v: string, all: string[] = []) => [...all, v])
    .option('--hq-user <name>', "HQ's username", 'hq')
    .action((opts: { device: string[]; hqUser: string }) => {
      process.stdout.write(mosquittoAcl(opts.device.map(parseDevice), { hqUser: opts.hqUser }));
    });
}
