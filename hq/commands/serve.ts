import { randomInt } from 'node:crypto';
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { Command } from 'commander';
import mqtt, { type MqttClient } from 'mqtt';
import { SystemClock, type Clock, type TimerHandle } from '../../kernel/clock';
import { applyReconnectBackoff } from '../../kernel/reconnect-backoff';
import { SqlAuditLog } from '../audit/audit-log';
import { addBrokerOptions, brokerConnectOptions, redactUrl, type BrokerCliOptions } from '../broker-auth';
import { buildConsole } from '../console/server';
import { FEATURE_SERVICES } from '../console/services';
import { LiveHubImpl } from '../console/live';
import type { ConsoleContext, ConsoleService } from '../console/types';
import { purgeSessions } from '../console/sessions';
import { addUser, countUsers } from '../console/users';
import { SqlAlerts } from '../fleet/alerts';
import { HqIngest } from '../ingest/ingest';
import { IngestStore } from '../ingest/store';
import { HQ_RECONNECT } from '../mqtt-link';
import { loadPrivateKey, parseDuration } from '../signing';
import { defaultSecretsKeyFile, loadSecretsKey } from '../channels/secrets-key';
import { loadChannelEndpoints } from '../refunds/refunders';

export interface ServeOptions extends BrokerCliOptions {
  db: string;
  host: string;
  port: string;
  key?: string;
  timezone: string;
  /** `--no-ingest` sets this false. */
  ingest: boolean;
  secureCookies?: boolean;
  /** `--offline-alert`: a kiosk offline longer than this raises an alert (a duration: 90s, 5m). */
  offlineAlert: string;
  /** `--secrets-key FILE`: HQ's key for the payment channels' secrets at rest (default: beside the SQLite file). */
  secretsKey?: string;
  /** `--channel-endpoints FILE`: the wallet channels' API endpoints for refunds HQ makes itself (hq/refunds/refunders.ts). */
  channelEndpoints?: string;
}

/** Deletes ended sessions (idle or past their absolute limit) at start and every hour. */
const sessionPurger: ConsoleService = (ctx) => {
  let timer: TimerHandle | null = null;
  let stopped = false;
  const run = (): void => {
    void purgeSessions(ctx.store.db, ctx.clock.now())
      .catch(() => undefined)
      .finally(() => {
        if (!stopped) timer = ctx.clock.setTimeout(run, 3_600_000);
      });
  };
  run();
  return {
    stop: async () => {
      stopped = true;
      if (timer) ctx.clock.clearTimeout(timer);
    },
  };
};

export const DEFAULT_DB = path.join('hq-data', 'hq.sqlite');
const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

/** A random password of `n` letters and digits (no look-alikes), from the CSPRNG. */
export function randomPassword(n = 16): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHABET[randomInt(ALPHABET.length)];
  return s;
}

function validZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * `hq serve`: the HQ console on the ingest store, until `signal` aborts. With `--broker` one MQTT client (reconnecting;
 * the console keeps working and shows a banner while the broker is unreachable) feeds an in-process HqIngest (unless
 * `--no-ingest`) whose events tell open pages to refresh. On an empty users table an `admin` is created with a
 * random password printed once. Returns when closed.
 */
export async function runServe(opts: ServeOptions, io: { out: (t: string) => void; err: (t: string) => void; clock: Clock; signal: AbortSignal }): Promise<void> {
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`bad --port "${opts.port}"`);
  if (!validZone(opts.timezone)) throw new Error(`unknown --timezone "${opts.timezone}"`);
  const hqKey = opts.key ? loadPrivateKey(opts.key) : null;
  const isUrl = /^postgres(ql)?:\/\//.test(opts.db);
  if (!isUrl) fs.mkdirSync(path.dirname(path.resolve(opts.db)), { recursive: true });
  // the payment channels' secrets at rest (hq/channels): `--secrets-key`, or created 0600 beside the SQLite file
  const secretsKeyFile = opts.secretsKey ?? defaultSecretsKeyFile(opts.db);
  const secretsKey = secretsKeyFile ? loadSecretsKey(secretsKeyFile, { create: opts.secretsKey === undefined }) : null;
  const channelEndpoints = opts.channelEndpoints ? loadChannelEndpoints(opts.channelEndpoints) : null;
  const store = await IngestStore.open(opts.db);
  const { clock } = io;

  let client: MqttClient | null = null;
  let connected = false;
  if (opts.broker) {
    const b = await brokerConnectOptions(opts);
    client = mqtt.connect(b.url, { ...b.options, reconnectPeriod: HQ_RECONNECT.baseMs, reconnectOnConnackError: true, connectTimeout: 10_000, clientId: `hq-serve-${process.pid}-${Date.now() % 100000}` });
    applyReconnectBackoff(client, HQ_RECONNECT);
    let lastError = '';
    client.on('connect', () => {
      connected = true;
      lastError = '';
      io.out(`hq serve: broker ${b.label} connected\n`);
    });
    client.on('close', () => {
      if (connected) io.err(`hq serve: broker ${b.label} disconnected (retrying)\n`);
      connected = false;
    });
    client.on('error', (e) => {
      if (e.message !== lastError) io.err(`hq serve: broker ${b.label}: ${e.message}\n`);
      lastError = e.message;
    });
  }

  const live = new LiveHubImpl(clock);
  const audit = new SqlAuditLog(store.db, clock, live);
  const ingest = client && opts.ingest !== false ? new HqIngest({ store, client, clock }) : null;
  if (ingest) {
    ingest.on('error', (e) => io.err(`hq serve: ingest: ${e.message}\n`));
    ingest.on('fleet', ({ storeId }) => live.publish('fleet', storeId));
    ingest.on('accepted', (e) => {
      live.publish('orders', e.storeId);
      live.publish('payments', e.storeId);
      live.publish('stats', e.storeId);
    });
    ingest.on('alert', (a) => live.publish('alerts', a.storeId));
  }

  const ctx: ConsoleContext = {
    store,
    clock,
    audit,
    live,
    alerts: new SqlAlerts(store.db),
    settings: { timezone: opts.timezone, offlineAlertMs: parseDuration(opts.offlineAlert), paymentAlert: { declineRate: 0.3, unknownRate: 0.1, minAttempts: 10 } },
    mqtt: client,
    hqKey,
    ingest,
    secretsKey,
    channelEndpoints,
  };

  if ((await countUsers(store.db)) === 0) {
    const password = randomPassword(16);
    await addUser(store.db, { username: 'admin', password, role: 'admin', stores: [] }, clock.now());
    await audit.record({ actor: 'system', action: 'user.add', target: 'admin', detail: { role: 'admin', initial: true } });
    io.out(`hq serve: created user admin (role admin) with password: ${password}\n`);
    io.out('hq serve: this password is shown only once — sign in and change it at /account\n');
  }

  const app = await buildConsole(ctx, { secureCookies: opts.secureCookies === true, brokerDown: () => client !== null && !connected });
  await app.listen({ host: opts.host, port });
  if (ingest) await ingest.start();
  const services = [...FEATURE_SERVICES, sessionPurger].map((s) => s(ctx));
  const addr = app.server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  io.out(`hq serve: store ${redactUrl(opts.db)}${client ? `, broker ${redactUrl(opts.broker ?? '')}${ingest ? ' (ingest on)' : ' (ingest off)'}` : ', no broker'}\n`);
  io.out(`hq console: http://${host}:${addr.port}/\n`);

  await new Promise<void>((resolve) => {
    if (io.signal.aborted) return resolve();
    io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  io.out('hq serve: stopping\n');
  for (const s of services) await s.stop().catch((e: Error) => io.err(`hq serve: stopping a service: ${e.message}\n`));
  await app.close();
  if (ingest) await ingest.stop();
  if (client) await client.endAsync().catch(() => undefined);
  await store.close();
}

export function register(program: Command): void {
  const cmd = program
    .command('serve')
    .description('the HQ console (web back office) on the ingest store, with live fleet/payment updates; until SIGINT/SIGTERM')
    .option('--db <path|url>', 'ingest SQLite file (created if missing), or a postgres:// URL', DEFAULT_DB)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0: any free one, printed)', '8080')
    .option('--key <file>', "HQ's signing key (hq keygen): enables commands and config publishing from the console")
    .option('--timezone <zone>', 'the chain’s time zone for days and hours (IANA)', Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC')
    .option('--offline-alert <duration>', 'raise an alert when a kiosk is offline longer than this (90s, 5m, 1h)', '5m')
    .option('--no-ingest', 'do not run the ingest in-process (another `hq ingest` does)')
    .option('--secrets-key <file>', "HQ's key for payment channel secrets at rest (default: hq-secrets.key beside the SQLite database, created 0600; required for them with PostgreSQL)")
    .option('--channel-endpoints <file>', 'JSON of the wallet channels\' API endpoints for refunds HQ makes itself, e.g. {"wechat": {"url": …, "caPath"?: …}}')
    .option('--secure-cookies', 'mark cookies Secure (the console is served over HTTPS, e.g. behind a TLS proxy)');
  addBrokerOptions(cmd, { required: false });
  cmd.action(async (opts: ServeOptions) => {
    const ac = new AbortController();
    const stop = () => ac.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    await runServe(opts, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t), clock: new SystemClock(), signal: ac.signal });
  });
}
