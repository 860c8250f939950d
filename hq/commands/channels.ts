import * as fs from 'node:fs';
import type { Command } from 'commander';
import { SystemClock, type Clock } from '../../kernel/clock';
import { isKioskError } from '../../kernel/errors';
import { SECRET_CHANNELS, type SecretChannel } from '../../protocol/payments/channel-secrets';
import { SqlAuditLog } from '../audit/audit-log';
import { addBrokerOptions, brokerConnectOptions, type BrokerCliOptions } from '../broker-auth';
import { deliverChannelSecrets, type DeliveryOutcome } from '../channels/deliver';
import { CHAIN, ChannelSecretsRegistry, type ChannelSecretsRow } from '../channels/registry';
import { defaultSecretsKeyFile, loadSecretsKey, type HqSecretsKey } from '../channels/secrets-key';
import { setChannelSecrets } from '../channels/set-secrets';
import { IngestStore } from '../ingest/store';
import { withBroker } from '../mqtt-link';
import { loadPrivateKey } from '../signing';
import { redactUrl } from './ingest';

export interface ChannelsOptions extends BrokerCliOptions {
  db: string;
  secretsKey?: string;
  key?: string;
  json?: boolean;
}

export interface ChannelsSetOptions extends ChannelsOptions {
  channel: string;
  store?: string;
  chain?: boolean;
  appId?: string;
  mchId?: string;
  merId?: string;
  apiKeyFile?: string;
  clientCert?: string;
  clientKey?: string;
  merchantKey?: string;
  gatewayKey?: string;
  signKey?: string;
  signCert?: string;
}

export class ChannelsUsage extends Error {}

interface Io {
  out: (t: string) => void;
  err: (t: string) => void;
  clock: Clock;
  retainedWaitMs?: number;
}

/** The HQ secrets key for `--db`: `--secrets-key FILE`, else `hq-secrets.key` beside the SQLite file (created 0600). */
export function secretsKeyFor(opts: { db: string; secretsKey?: string }): HqSecretsKey {
  const file = opts.secretsKey ?? defaultSecretsKeyFile(opts.db);
  if (!file) throw new ChannelsUsage('--secrets-key FILE is required with a PostgreSQL database (the key is never stored in it)');
  return loadSecretsKey(file, { create: opts.secretsKey === undefined });
}

/** A secret read from a file (never from argv: visible in `ps` and shell history). */
function readSecret(file: string | undefined, flag: string): string | undefined {
  if (file === undefined) return undefined;
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ChannelsUsage(`${flag} ${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

/** The channel's values from the options (ids inline, secrets from files). */
function valuesFrom(channel: SecretChannel, o: ChannelsSetOptions): Record<string, string | undefined> {
  if (channel === 'wechat') {
    return { appId: o.appId, mchId: o.mchId, apiKey: readSecret(o.apiKeyFile, '--api-key-file')?.trim(), clientCertPem: readSecret(o.clientCert, '--client-cert'), clientKeyPem: readSecret(o.clientKey, '--client-key') };
  }
  if (channel === 'alipay') return { appId: o.appId, merchantPrivateKeyPem: readSecret(o.merchantKey, '--merchant-key'), gatewayPublicKeyPem: readSecret(o.gatewayKey, '--gateway-key') };
  return { merId: o.merId, signKeyPem: readSecret(o.signKey, '--sign-key'), signCertPem: readSecret(o.signCert, '--sign-cert') };
}

const fps = (r: ChannelSecretsRow) => Object.entries(r.fingerprints).map(([f, v]) => `${f}=${v}`).join(' ');
const ids = (r: ChannelSecretsRow) => Object.entries(r.ids).map(([f, v]) => `${f}=${v}`).join(' ');

function renderDeliveries(d: DeliveryOutcome[]): string {
  return d.map((x) => `  ${x.store}/${x.device}: ${x.status} (secrets v${x.version}${x.configVersion !== undefined ? `, config device v${x.configVersion}` : ''}${x.problems ? `: ${x.problems.join('; ')}` : ''})\n`).join('');
}

/** `hq channels set …`: stores one channel's values (encrypted at rest), audits, and delivers when given a broker and key. */
export async function runChannelsSet(opts: ChannelsSetOptions, io: Io): Promise<{ row: ChannelSecretsRow; deliveries: DeliveryOutcome[] | null }> {
  if (!SECRET_CHANNELS.includes(opts.channel as SecretChannel)) throw new ChannelsUsage(`--channel must be one of ${SECRET_CHANNELS.join(', ')}`);
  if ((opts.store === undefined) === (opts.chain !== true)) throw new ChannelsUsage('give either --store S or --chain');
  if ((opts.broker === undefined) !== (opts.key === undefined)) throw new ChannelsUsage('--broker and --key go together (delivering needs both)');
  const channel = opts.channel as SecretChannel;
  const values = valuesFrom(channel, opts);
  const secretsKey = secretsKeyFor(opts);
  const store = await IngestStore.open(opts.db);
  try {
    const audit = new SqlAuditLog(store.db, io.clock);
    const base = { store, clock: io.clock, secretsKey, audit, retainedWaitMs: io.retainedWaitMs };
    const req = { scope: opts.chain ? CHAIN : opts.store!, channel, values, user: 'cli' };
    const r =
      opts.broker && opts.key
        ? await withBroker(await brokerConnectOptions(opts), (client) => setChannelSecrets({ ...base, mqtt: client, hqKey: loadPrivateKey(opts.key!) }, req))
        : await setChannelSecrets({ ...base, mqtt: null, hqKey: null }, req);
    if (opts.json) io.out(`${JSON.stringify(r)}\n`);
    else {
      io.out(`${channel} at ${req.scope === CHAIN ? 'the chain' : `store ${req.scope}`}: version ${r.row.version}, ${ids(r.row)}, fingerprints ${fps(r.row)}\n`);
      io.out(r.deliveries ? renderDeliveries(r.deliveries) : '  not delivered (no --broker/--key): `hq channels deliver` or the console sends it\n');
    }
    return r;
  } catch (e) {
    if (isKioskError(e, 'BAD_DATA')) throw new ChannelsUsage(e.message);
    throw e;
  } finally {
    await store.close();
  }
}

/** `hq channels list`: every scope and channel with merchant ids, fingerprints and version, and each kiosk's delivery. */
export async function runChannelsList(opts: ChannelsOptions, io: Io): Promise<ChannelSecretsRow[]> {
  const store = await IngestStore.open(opts.db);
  try {
    const rows = await new ChannelSecretsRegistry(store.db).list();
    const deliveries = await store.db.read.all<{ store_id: string; device_id: string; version: number; status: string; config_version: number | null }>(
      'SELECT store_id, device_id, version, status, config_version FROM channel_deliveries ORDER BY store_id, device_id',
    );
    if (opts.json) io.out(`${JSON.stringify({ channels: rows, deliveries })}\n`);
    else if (rows.length === 0) io.out(`no channel secrets in ${redactUrl(opts.db)}\n`);
    else {
      for (const r of rows) io.out(`${r.scope === CHAIN ? 'chain' : `store ${r.scope}`}\t${r.channel}\tv${r.version}\t${ids(r)}\t${fps(r)}\tset by ${r.set_by} ${new Date(r.set_at).toISOString()}\n`);
      for (const d of deliveries) io.out(`${d.store_id}/${d.device_id}\tv${d.version}\t${d.status === 'waiting_key' ? 'waiting for its key' : `sent in config device v${d.config_version}`}\n`);
    }
    return rows;
  } finally {
    await store.close();
  }
}

/** `hq channels deliver`: seals and sends what each kiosk is due (kiosks whose key arrived since, rotations not sent). */
export async function runChannelsDeliver(opts: ChannelsOptions, io: Io): Promise<DeliveryOutcome[]> {
  if (!opts.broker || !opts.key) throw new ChannelsUsage('--broker and --key are required');
  const secretsKey = secretsKeyFor(opts);
  const store = await IngestStore.open(opts.db);
  try {
    const audit = new SqlAuditLog(store.db, io.clock);
    const r = await withBroker(await brokerConnectOptions(opts), (client) =>
      deliverChannelSecrets({ store, mqtt: client, hqKey: loadPrivateKey(opts.key!), clock: io.clock, secretsKey, audit, retainedWaitMs: io.retainedWaitMs }, { user: 'cli' }),
    );
    io.out(opts.json ? `${JSON.stringify(r)}\n` : renderDeliveries(r) || 'nothing to deliver\n');
    return r;
  } finally {
    await store.close();
  }
}

const io = (): Io => ({ out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t), clock: new SystemClock() });

async function run<T>(fn: () => Promise<T>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    process.stderr.write(`hq channels: ${(e as Error).message}\n`);
    process.exitCode = e instanceof ChannelsUsage ? 2 : 1;
  }
}

export function register(program: Command): void {
  const channels = program.command('channels').description('payment channel secrets: entered at HQ, encrypted at rest, sealed to each kiosk');
  const common = (c: Command) =>
    c.requiredOption('--db <path|url>', 'HQ database: SQLite file or postgres:// URL').option('--secrets-key <file>', 'HQ secrets key (default: hq-secrets.key beside the SQLite database, created 0600)').option('--json', 'print JSON');
  const set = common(channels.command('set').description('set or rotate one channel at the chain or one store (secrets from files, never argv)'))
    .requiredOption('--channel <alipay|wechat|unionpay>', 'the channel')
    .option('--store <S>', 'for one store')
    .option('--chain', 'for every store without its own')
    .option('--app-id <id>', 'alipay / wechat app id')
    .option('--mch-id <id>', 'wechat merchant id')
    .option('--api-key-file <file>', 'wechat API key')
    .option('--client-cert <file>', 'wechat client certificate PEM')
    .option('--client-key <file>', 'wechat client key PEM')
    .option('--merchant-key <file>', 'alipay merchant private key PEM')
    .option('--gateway-key <file>', 'alipay gateway public key PEM')
    .option('--mer-id <id>', 'unionpay merchant id')
    .option('--sign-key <file>', 'unionpay signing key PEM')
    .option('--sign-cert <file>', 'unionpay signing certificate PEM')
    .option('--key <hq.key>', 'HQ signing key: deliver at once (with --broker)');
  addBrokerOptions(set).action((o: ChannelsSetOptions) => run(() => runChannelsSet(o, io())));
  common(channels.command('list').description('scopes and channels: merchant ids, fingerprints, versions, deliveries')).action((o: ChannelsOptions) => run(() => runChannelsList(o, io())));
  const deliver = common(channels.command('deliver').description('seal and send what each kiosk is due')).option('--key <hq.key>', 'HQ signing key');
  addBrokerOptions(deliver).action((o: ChannelsOptions) => run(() => runChannelsDeliver(o, io())));
}
