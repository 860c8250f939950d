import * as fs from 'node:fs';
import type { Command } from 'commander';
import { SystemClock, type Clock } from '../../kernel/clock';
import { describeScope, parsePublicKeyPem, serializeEnvelope, type Envelope } from '../../protocol/signed-envelope';
import { writeFileAtomic } from '../../kernel/atomic-file';
import { withBroker } from '../mqtt-link';
import { loadPrivateKey, parseDuration, parseScopeArg, signConfigBundle } from '../signing';
import { boundedJsonParse } from '../../kernel/json/bounded-json';
import { JSON_LIMITS } from '../../kernel/json/limits';
import { addBrokerOptions, brokerConnectOptions, type BrokerCliOptions } from '../broker-auth';
import { IngestStore } from '../ingest/store';
import { publishConfig, type PublishRefusal } from '../config/publish';
import { ConfigRegistry, scopeKey } from '../config/registry';
import { bundleProblems } from '../config/validate';

export interface ConfigPushOptions extends BrokerCliOptions {
  scope: string;
  key: string;
  /** Omitted: the next version (one more than the broker's retained one and the registry's). */
  version?: string;
  expires?: string;
  out?: string;
  /** The HQ ingest store (SQLite file or postgres:// URL) holding the config registry: checked and recorded. */
  db?: string;
  /** Print only JSON. */
  json?: boolean;
  /** PEM public key files to announce in `trust.add` (key rotation). */
  trustAdd?: string[];
  /** keyIds to announce in `trust.remove`. */
  trustRemove?: string[];
}

/** `hq config push` refused the bundle (invalid, not newer): nothing was signed or published. Exit code 2. */
export class ConfigPushRefused extends Error {
  readonly exitCode = 2;
  constructor(
    readonly refusal: PublishRefusal,
    readonly problems: string[],
  ) {
    super(`refused (${refusal === 'invalid' ? 'a kiosk would refuse this body' : refusal === 'not_newer' ? 'version not newer' : 'cannot publish'}), nothing published:\n  ${problems.join('\n  ')}`);
  }
}

export interface ConfigPushIo {
  out: (t: string) => void;
  clock: Clock;
  /** Wait for the broker's retained bundle (tests shorten it). */
  retainedWaitMs?: number;
  readStdin?: () => Promise<Buffer>;
}

function readBody(file: string): Record<string, unknown> {
  let body: unknown;
  try {
    body = boundedJsonParse(fs.readFileSync(file), { maxBytes: JSON_LIMITS.configFile });
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new Error(`${file}: expected a JSON object of config sections`);
  return { ...(body as Record<string, unknown>) };
}

/**
 * `hq config push`: validates FILE.json (the config sections to set) exactly as a kiosk would, and refuses it with
 * the problems (exit 2, nothing signed or published) when a kiosk would refuse it; refuses a version not above the
 * one retained on the broker (and, with `--db`, the registry's); signs it and publishes it retained, QoS 1, on the
 * scope's topic (recorded in the registry with `--db`) — and/or writes the envelope to `--out`. `--version` omitted
 * = the next one. `--trust-add/--trust-remove` announce key changes in the bundle's `trust` field. Returns the envelope.
 */
export async function configPush(file: string, opts: ConfigPushOptions, io: ConfigPushIo): Promise<Envelope> {
  if (!opts.broker && !opts.out) throw new Error('give --broker URL to publish or --out FILE to write the envelope');
  const scope = parseScopeArg(opts.scope);
  if (opts.version !== undefined && (!/^\d+$/.test(opts.version) || Number(opts.version) < 1)) throw new Error(`bad --version "${opts.version}": expected an integer ≥ 1`);
  const expiresInMs = parseDuration(opts.expires ?? '30d');
  const bundle = readBody(file);
  if (opts.trustAdd?.length || opts.trustRemove?.length) {
    const add = (opts.trustAdd ?? []).map((f) => {
      const pem = fs.readFileSync(f, 'utf8');
      parsePublicKeyPem(pem);
      return pem;
    });
    bundle.trust = { ...(add.length ? { add } : {}), ...(opts.trustRemove?.length ? { remove: opts.trustRemove } : {}) };
  }
  const key = loadPrivateKey(opts.key);
  const connection = opts.broker ? await brokerConnectOptions(opts, { readStdin: io.readStdin }) : null;
  const store = opts.db ? await IngestStore.open(opts.db) : null;
  const refuse = (refusal: PublishRefusal, problems: string[]): never => {
    if (opts.json) io.out(`${JSON.stringify({ ok: false, scope: scopeKey(scope), refusal, problems })}\n`);
    throw new ConfigPushRefused(refusal, problems);
  };
  try {
    const registry = store ? new ConfigRegistry(store.db.read) : null;
    // first, without any broker: a body a kiosk would refuse is never signed
    const problems = bundleProblems(bundle, { before: registry ? await registry.layersUnder(scope) : [] });
    if (problems.length) return refuse('invalid', problems);

    let env: Envelope;
    let topic: string | null = null;
    if (connection) {
      const r = await withBroker(connection, (client) =>
        publishConfig(
          { store, mqtt: client, hqKey: key, clock: io.clock, retainedWaitMs: io.retainedWaitMs },
          { scope, body: bundle, user: 'cli', kind: 'publish', expiresInMs, ...(opts.version !== undefined ? { version: Number(opts.version) } : {}) },
        ),
      );
      if (!r.ok) return refuse(r.refusal, r.problems);
      env = r.envelope;
      topic = r.topic;
    } else {
      // --out only: the registry (with --db) is the one version we can check against; nothing is recorded
      const registryVersion = registry ? ((await registry.latest(scope))?.version ?? 0) : 0;
      if (opts.version === undefined && !registry) throw new Error('--out without --broker or --db needs --version N');
      const version = opts.version !== undefined ? Number(opts.version) : registryVersion + 1;
      if (version <= registryVersion) return refuse('not_newer', [`version ${version} is not newer than version ${registryVersion} in the registry for ${describeScope(scope)}`]);
      env = signConfigBundle({ scope, version, body: bundle, key, now: io.clock.now(), expiresInMs });
    }
    const label = `${describeScope(scope)} config v${env.version} (key ${env.keyId}, expires ${env.expiresAt})`;
    if (opts.out) writeFileAtomic(opts.out, serializeEnvelope(env));
    if (opts.json) {
      io.out(`${JSON.stringify({ ok: true, scope: scopeKey(scope), version: env.version, keyId: env.keyId, expiresAt: env.expiresAt, topic, out: opts.out ?? null, recorded: store !== null && topic !== null })}\n`);
    } else {
      if (opts.out) io.out(`wrote ${label} to ${opts.out}\n`);
      if (topic) io.out(`published ${label} on ${topic}${store ? ' (recorded in the registry)' : ''}\n`);
    }
    return env;
  } finally {
    await store?.close();
  }
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function register(program: Command): void {
  const config = program.commands.find((c) => c.name() === 'config') ?? program.command('config').description('signed configuration bundles');
  const push = config
    .command('push')
    .description('validate a config bundle as a kiosk would, sign it and publish it (retained, QoS 1) on its scope topic')
    .argument('<file>', 'JSON object of config sections')
    .requiredOption('--scope <scope>', 'fleet | store:S | device:S/D')
    .requiredOption('--key <file>', 'HQ private key (hq.key)')
    .option('--version <n>', 'bundle version, higher than the retained one (default: the next)')
    .option('--expires <duration>', 'validity, e.g. 30d, 12h', '30d')
    .option('--out <file>', 'write the envelope to FILE (as well as, or instead of, publishing)')
    .option('--db <target>', 'HQ ingest store (file or postgres:// URL): check and record the version in its registry')
    .option('--json', 'print only JSON')
    .option('--trust-add <pub>', 'announce a new trusted HQ public key (repeatable)', collect)
    .option('--trust-remove <keyId>', 'announce a key no longer trusted (repeatable)', collect);
  addBrokerOptions(push, { required: false }).action(async (file: string, opts: ConfigPushOptions) => {
    await configPush(file, opts, { out: (t) => process.stdout.write(t), clock: new SystemClock() });
  });
}
