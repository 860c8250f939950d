import * as fs from 'node:fs';
import type { Command } from 'commander';
import { SystemClock, type Clock } from '../../kernel/clock';
import { describeScope, parsePublicKeyPem, serializeEnvelope, type Envelope } from '../../protocol/signed-envelope';
import { configTopic } from '../../protocol/control/topics';
import { writeFileAtomic } from '../../kernel/atomic-file';
import { withBroker } from '../mqtt-link';
import { loadPrivateKey, parseDuration, parseScopeArg, signConfigBundle } from '../signing';
import { boundedJsonParse } from '../../kernel/json/bounded-json';
import { JSON_LIMITS } from '../../kernel/json/limits';

export interface ConfigPushOptions {
  scope: string;
  key: string;
  version: string;
  expires?: string;
  broker?: string;
  out?: string;
  /** PEM public key files to announce in `trust.add` (key rotation). */
  trustAdd?: string[];
  /** keyIds to announce in `trust.remove`. */
  trustRemove?: string[];
}

/**
 * `hq config push`: signs FILE.json (the config sections to set) for a scope and publishes it retained, QoS 1, on
 * the scope's topic — or writes the envelope to `--out`. `--trust-add/--trust-remove` announce key changes in the
 * bundle's `trust` field. Returns the envelope.
 */
export async function configPush(file: string, opts: ConfigPushOptions, io: { out: (t: string) => void; clock: Clock }): Promise<Envelope> {
  if (!opts.broker && !opts.out) throw new Error('give --broker URL to publish or --out FILE to write the envelope');
  const scope = parseScopeArg(opts.scope);
  if (!/^\d+$/.test(opts.version)) throw new Error(`bad --version "${opts.version}": expected an integer ≥ 1`);
  let body: unknown;
  try {
    body = boundedJsonParse(fs.readFileSync(file), { maxBytes: JSON_LIMITS.configFile });
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new Error(`${file}: expected a JSON object of config sections`);
  const bundle = { ...(body as Record<string, unknown>) };
  if (opts.trustAdd?.length || opts.trustRemove?.length) {
    const add = (opts.trustAdd ?? []).map((f) => {
      const pem = fs.readFileSync(f, 'utf8');
      parsePublicKeyPem(pem);
      return pem;
    });
    bundle.trust = { ...(add.length ? { add } : {}), ...(opts.trustRemove?.length ? { remove: opts.trustRemove } : {}) };
  }
  const env = signConfigBundle({
    scope,
    version: Number(opts.version),
    body: bundle,
    key: loadPrivateKey(opts.key),
    now: io.clock.now(),
    expiresInMs: parseDuration(opts.expires ?? '30d'),
  });
  const payload = serializeEnvelope(env);
  const topic = configTopic(scope);
  if (opts.out) {
    writeFileAtomic(opts.out, payload);
    io.out(`wrote ${describeScope(scope)} config v${env.version} (key ${env.keyId}, expires ${env.expiresAt}) to ${opts.out}\n`);
  }
  if (opts.broker) {
    await withBroker(opts.broker, (c) => c.publishAsync(topic, payload, { qos: 1, retain: true }));
    io.out(`published ${describeScope(scope)} config v${env.version} (key ${env.keyId}, expires ${env.expiresAt}) on ${topic}\n`);
  }
  return env;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function register(program: Command): void {
  const config = program.commands.find((c) => c.name() === 'config') ?? program.command('config').description('signed configuration bundles');
  config
    .command('push')
    .description('sign a config bundle and publish it (retained, QoS 1) on its scope topic')
    .argument('<file>', 'JSON object of config sections')
    .requiredOption('--scope <scope>', 'fleet | store:S | device:S/D')
    .requiredOption('--key <file>', 'HQ private key (hq.key)')
    .requiredOption('--version <n>', 'bundle version, higher than the last at this scope')
    .option('--expires <duration>', 'validity, e.g. 30d, 12h', '30d')
    .option('--broker <url>', 'publish to this broker')
    .option('--out <file>', 'write the envelope to FILE instead')
    .option('--trust-add <pub>', 'announce a new trusted HQ public key (repeatable)', collect)
    .option('--trust-remove <keyId>', 'announce a key no longer trusted (repeatable)', collect)
    .action(async (file: string, opts: ConfigPushOptions) => {
      await configPush(file, opts, { out: (t) => process.stdout.write(t), clock: new SystemClock() });
    });
}
