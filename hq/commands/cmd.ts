import type { Command } from 'commander';
import { SystemClock, type Clock } from '../../kernel/clock';
import { payloadSha256, type CommandResult } from '../../protocol/control/commands';
import { serializeEnvelope } from '../../protocol/signed-envelope';
import { commandResultTopic, commandTopic } from '../../protocol/control/topics';
import { withBroker } from '../mqtt-link';
import { addBrokerOptions, brokerConnectOptions, type BrokerCliOptions } from '../broker-auth';
import { loadPrivateKey, parseArgPairs, parseTarget, signCommand } from '../signing';
import { boundedJsonParse } from '../../kernel/json/bounded-json';
import { JSON_LIMITS } from '../../kernel/json/limits';

export interface CmdOptions extends BrokerCliOptions {
  key: string;
  broker: string;
  /** Print exactly one JSON document on stdout (the result, or what was sent), nothing else. */
  json?: boolean;
  arg?: string[];
  wait?: boolean;
  /** Seconds to wait for the result (with --wait). */
  timeout?: string;
}

/**
 * `hq cmd S/D NAME [--arg k=v …] --key hq.key --broker URL [--username U --password-file F] [--wait] [--json]`: signs a
 * command (random id, 10-minute expiry) and publishes it on `kiosk/v1/S/D/cmd` (QoS 1, not retained). With `--wait`,
 * subscribes to `…/cmd/result` first and returns the result with that id (throws after `--timeout` seconds, default
 * 60). Output: the result JSON (or, without --wait, what was sent) on `out` (stdout); the `sent …` progress line on
 * `err` (stderr) — not at all with `--json`, so stdout is exactly one JSON document.
 */
export async function sendCommand(
  target: string,
  name: string,
  opts: CmdOptions,
  io: { out: (t: string) => void; err?: (t: string) => void; clock: Clock; readStdin?: () => Promise<Buffer> },
): Promise<CommandResult | null> {
  const progress = (t: string) => {
    if (!opts.json) io.err?.(t);
  };
  const { store, device } = parseTarget(target);
  const env = signCommand({ store, device, name, args: parseArgPairs(opts.arg ?? []), key: loadPrivateKey(opts.key), now: io.clock.now() });
  const id = env.body.id;
  const sent = payloadSha256(serializeEnvelope(env));
  const timeoutMs = Number(opts.timeout ?? '60') * 1000;
  if (!(timeoutMs > 0)) throw new Error(`bad --timeout "${opts.timeout}"`);
  const broker = await brokerConnectOptions(opts, { readStdin: io.readStdin });
  return withBroker(broker, async (client) => {
    if (!opts.wait) {
      await client.publishAsync(commandTopic(store, device), serializeEnvelope(env), { qos: 1, retain: false });
      if (opts.json) io.out(`${JSON.stringify({ sent: true, id, name, topic: commandTopic(store, device) })}\n`);
      else io.out(`sent ${name} ${id} to ${commandTopic(store, device)}\n`);
      return null;
    }
    const resultTopic = commandResultTopic(store, device);
    const result = new Promise<CommandResult>((resolve, reject) => {
      const timer = io.clock.setTimeout(() => {
        client.removeListener('message', onMessage);
        reject(new Error(`no result for ${name} ${id} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      const onMessage = (topic: string, payload: Buffer) => {
        if (topic !== resultTopic) return;
        let r: CommandResult;
        try {
          r = boundedJsonParse(payload, { maxBytes: JSON_LIMITS.commandResult }) as CommandResult;
        } catch {
          return;
        }
        // a refused command the kiosk could not verify is named only by the hash of what was published
        if (r.id !== id && (r.id !== null || r.payloadSha256 !== sent)) return;
        io.clock.clearTimeout(timer);
        client.removeListener('message', onMessage);
        resolve(r);
      };
      client.on('message', onMessage);
    });
    await client.subscribeAsync(resultTopic, { qos: 1 });
    await client.publishAsync(commandTopic(store, device), serializeEnvelope(env), { qos: 1, retain: false });
    progress(`sent ${name} ${id} to ${commandTopic(store, device)}, waiting for the result\n`);
    const r = await result;
    io.out(`${JSON.stringify(r)}\n`);
    return r;
  });
}

export function register(program: Command): void {
  const cmd = program
    .command('cmd')
    .description('send a signed command to one kiosk: lock, unlock, print_test, doctor, resend, eod, rebirth')
    .argument('<target>', 'STORE/DEVICE')
    .argument('<name>', 'command name')
    .option('--arg <k=v>', 'command argument (repeatable; JSON values are parsed)', (v: string, prev: string[] = []) => [...prev, v])
    .requiredOption('--key <file>', 'HQ private key (hq.key)');
  addBrokerOptions(cmd)
    .option('--wait', 'wait for the kiosk\'s cmd/result and print it')
    .option('--timeout <s>', 'seconds to wait with --wait', '60')
    .option('--json', 'print exactly one JSON document on stdout (the result, or what was sent)')
    .action(async (target: string, name: string, opts: CmdOptions) => {
      const r = await sendCommand(target, name, opts, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t), clock: new SystemClock() });
      if (r && r.status !== 'ok') process.exitCode = 1;
    });
}
