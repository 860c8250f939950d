import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import mqtt, { type IConnackPacket, type MqttClient } from 'mqtt';
import { SystemClock, type Clock } from '../../kernel/clock';
import { applyProtocolFallback } from '../../kernel/mqtt-protocol-fallback';
import { applyReconnectBackoff } from '../../kernel/reconnect-backoff';
import { HqIngest, type IngestStats } from '../ingest/ingest';
import { IngestStore } from '../ingest/store';
import { addBrokerOptions, brokerConnectOptions, redactUrl, type BrokerCliOptions } from '../broker-auth';
import { HQ_RECONNECT } from '../mqtt-link';

export { redactUrl };

export interface IngestCommandOptions extends BrokerCliOptions {
  db: string;
  broker: string;
  shared?: string;
  /** Seconds between summary lines. Default 5. */
  every?: string;
  /** A stable MQTT client id: the broker keeps this worker's session (subscriptions, queued events) while it is away. */
  clientId?: string;
  /** `--worker NAME`: the client id `hq-ingest-NAME`. */
  worker?: string;
  /** Seconds the broker keeps the session after the worker went away (MQTT 5 session expiry). Default 86400 (1 day). */
  sessionExpiry?: string;
}

/** How long the broker keeps a named worker's session after it went away, by default: 1 day. */
export const DEFAULT_SESSION_EXPIRY_S = 86_400;

/** The worker's MQTT identity: a persistent session under a stable id (`--client-id` / `--worker`), or today's clean one. */
export interface IngestSession {
  clientId: string;
  persistent: boolean;
  /** MQTT 5 session expiry interval in seconds (persistent sessions only; 3.1.1 has none: the broker keeps it until it is reused or purged). */
  expiryS: number;
}

/** A usage error of `hq ingest`'s own options: the CLI exits 2 with this message (hq/cli.ts). */
export class IngestOptionsError extends Error {
  readonly exitCode = 2;
}

/** `--client-id` / `--worker` / `--session-expiry` → the session to connect with (a usage error for a bad combination or value). */
export function ingestSession(opts: Pick<IngestCommandOptions, 'clientId' | 'worker' | 'sessionExpiry'>): IngestSession {
  if (opts.clientId !== undefined && opts.worker !== undefined) throw new IngestOptionsError('give --client-id or --worker, not both');
  const id = opts.clientId ?? (opts.worker !== undefined ? `hq-ingest-${opts.worker}` : undefined);
  if (id === undefined) {
    if (opts.sessionExpiry !== undefined) throw new IngestOptionsError('--session-expiry needs --client-id or --worker (a session kept under a stable name)');
    // unique per call: several workers may run in one process (tests), started in the same millisecond
    return { clientId: `hq-ingest-${process.pid}-${randomBytes(4).toString('hex')}`, persistent: false, expiryS: 0 };
  }
  // printable ASCII, no spaces: it is typed on command lines and read in broker logs
  if (!/^[\x21-\x7e]{1,128}$/.test(id) || (opts.worker !== undefined && opts.worker === '')) {
    throw new IngestOptionsError(`bad ${opts.worker !== undefined ? `--worker "${opts.worker}"` : `--client-id "${id}"`}: 1–128 printable ASCII characters, no spaces`);
  }
  const expiryS = opts.sessionExpiry === undefined ? DEFAULT_SESSION_EXPIRY_S : Number(opts.sessionExpiry);
  if (!/^\d+$/.test(opts.sessionExpiry ?? '0') || !Number.isSafeInteger(expiryS) || expiryS > 0xffffffff) {
    throw new IngestOptionsError(`bad --session-expiry "${opts.sessionExpiry}": whole seconds, 0 to 4294967295 (never expires)`);
  }
  return { clientId: id, persistent: true, expiryS };
}

const summary = (s: IngestStats, devices: number) =>
  `ingest: stored ${s.stored}, duplicate ${s.duplicate}, rejected ${s.rejected}, quarantined ${s.quarantined}, malformed ${s.malformed}, ` +
  `resend requests ${s.resendRequests}, devices ${devices}`;

/** Resolves on the first SUBACK `client` receives (HqIngest's subscription after the first CONNACK), or when `signal` aborts. */
function firstSuback(client: MqttClient, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const onPacket = (p: { cmd: string }) => {
      if (p.cmd !== 'suback') return;
      client.off('packetreceive', onPacket);
      signal.removeEventListener('abort', onAbort);
      resolve();
    };
    const onAbort = () => {
      client.off('packetreceive', onPacket);
      resolve();
    };
    client.on('packetreceive', onPacket);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The first CONNACK of `client`, or null when `signal` aborts first. */
function firstConnack(client: MqttClient, signal: AbortSignal): Promise<IConnackPacket | null> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(null);
    const onConnect = (p: IConnackPacket) => {
      signal.removeEventListener('abort', onAbort);
      resolve(p);
    };
    const onAbort = () => {
      client.off('connect', onConnect);
      resolve(null);
    };
    client.once('connect', onConnect);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * `hq ingest --db PATH --broker URL [--shared GROUP] [--username U --password-file F | --password-stdin]`: runs HqIngest until `signal`
 * aborts (SIGINT/SIGTERM from the CLI). Prints one summary line every `--every` seconds when the counters moved,
 * and a final one. Several instances with the same `--shared` group on one db file split the load.
 *
 * With `--shared` it connects in MQTT 5 to learn whether the broker has shared subscriptions (CONNACK
 * `sharedSubscriptionAvailable`). A broker that speaks only 3.1.1 (it refuses MQTT 5: Aedes, older brokers) or says it has
 * none gets a plain subscription and a warning: every worker then takes every event — still stored once (the store is
 * idempotent on store, device, seq) but the load is not split. A `$share/` filter there would get nothing at all.
 *
 * With `--client-id ID` (or `--worker NAME`: `hq-ingest-NAME`) it connects under that id with a persistent session
 * (clean start off; MQTT 5 with `sessionExpiryInterval` `--session-expiry`, default 1 day; on a 3.1.1-only broker clean
 * session off): while the worker is down the broker keeps its subscriptions and queues the QoS 1 events meant for it,
 * and they arrive right after the next CONNACK. So HqIngest's `message` listener is attached before the first CONNECT
 * (`manualConnect`): mqtt.js PUBACKs a message that no listener takes, and it would be gone. Whether the events go to
 * `$share/GROUP` is decided on that CONNACK, in a `connect` listener that runs before HqIngest's subscribe. Without an
 * id: a clean session under a random id, as before (events published while no worker is connected are re-sent by the
 * kiosks after their ack timeout). Mosquitto 2.0.11 keeps such a session across its restart but not its `$share`
 * subscription (HqIngest subscribes again on every CONNACK): README, *Named ingest workers keep their session*.
 */
export async function runIngest(opts: IngestCommandOptions, io: { out: (t: string) => void; clock: Clock; signal: AbortSignal }): Promise<IngestStats> {
  const everyMs = Number(opts.every ?? '5') * 1000;
  if (!(everyMs > 0)) throw new Error(`bad --every "${opts.every}"`);
  const session = ingestSession(opts);
  const broker = await brokerConnectOptions(opts);
  const store = await IngestStore.open(opts.db);
  // MQTT 5 to learn about shared subscriptions (--shared) and to set the session's expiry (a stable id)
  const mqtt5 = Boolean(opts.shared) || session.persistent;
  const client = mqtt.connect(broker.url, {
    ...broker.options,
    ...(mqtt5 ? { protocolVersion: 5 } : {}),
    ...(session.persistent ? { clean: false, properties: { sessionExpiryInterval: session.expiryS } } : {}),
    reconnectPeriod: HQ_RECONNECT.baseMs,
    reconnectOnConnackError: true, // a refusal (e.g. not authorized until the broker's password file is fixed) is retried
    connectTimeout: 10_000,
    clientId: session.clientId,
    // connected below, once HqIngest listens: a resumed session's queued events come right after the CONNACK
    manualConnect: true,
  });
  applyReconnectBackoff(client, HQ_RECONNECT);
  let refusal: Error | null = null;
  applyProtocolFallback(client, ({ cause, error }) => {
    refusal = error ?? null;
    io.out(`ingest: ${cause}: using MQTT 3.1.1\n`);
  });
  client.on('error', (e) => e !== refusal && io.out(`ingest: mqtt: ${e.message}\n`));
  let shared = opts.shared;
  // decided on the first CONNACK, before HqIngest's own `connect` listener subscribes (registered first, runs first)
  client.once('connect', (connack: IConnackPacket) => {
    const v311 = client.options.protocolVersion !== 5;
    if (shared && (v311 || connack.properties?.sharedSubscriptionAvailable === false)) {
      io.out(
        `ingest: WARNING the broker ${v311 ? 'speaks only MQTT 3.1.1' : 'has no shared subscriptions'}: --shared ${shared} cannot split the load; ` +
          'subscribing to every event instead (each ingest worker on this broker takes every event: still stored once, no split)\n',
      );
      shared = undefined;
    }
  });
  const ingest = new HqIngest({ store, client, clock: io.clock, shared: () => shared });
  ingest.on('error', (e) => io.out(`ingest: ${e.message}\n`));
  ingest.on('accepted', (e, r) => {
    if (r.status === 'rejected') io.out(`ingest: rejected ${e.storeId}/${e.deviceId} seq ${e.seq}: ${r.reason}\n`);
  });
  ingest.on('alert', (a) => io.out(`ingest: ALERT ${a.message}\n`));
  // its `message` listener is attached by start() before anything is awaited, so before the first CONNECT
  const started = ingest.start();
  // as before: with --shared (and with a session) the start line says the worker is connected and subscribed
  const waitConnected = Boolean(opts.shared) || session.persistent;
  const subscribed = waitConnected ? firstSuback(client, io.signal) : null;
  const connected = waitConnected ? firstConnack(client, io.signal) : null;
  client.connect();
  await started;
  const connack = await connected;
  await subscribed;
  const sessionNote = !session.persistent
    ? ''
    : ` (client id ${session.clientId}, session kept ${session.expiryS} s${connack?.sessionPresent ? ', resumed' : ''})`;
  io.out(`ingest: ${redactUrl(opts.db)} <- ${redactUrl(opts.broker)}${shared ? ` (shared group ${shared})` : ''}${sessionNote}\n`);
  let last = '';
  const tick = async () => {
    const line = summary(ingest.stats, (await store.devices()).length);
    if (line !== last) io.out(`${line}\n`);
    last = line;
  };
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) return resolve();
    let timer = io.clock.setTimeout(function again() {
      void tick().finally(() => {
        if (!io.signal.aborted) timer = io.clock.setTimeout(again, everyMs);
      });
    }, everyMs);
    io.signal.addEventListener('abort', () => {
      io.clock.clearTimeout(timer);
      resolve();
    });
  });
  await ingest.stop();
  await client.endAsync();
  io.out(`${summary(ingest.stats, (await store.devices()).length)}\n`);
  await store.close();
  return ingest.stats;
}

export function register(program: Command): void {
  const cmd = program
    .command('ingest')
    .description('store every kiosk journal event exactly once (acks, gap detection, resend requests) until SIGINT/SIGTERM')
    .requiredOption('--db <path|url>', 'ingest SQLite file (created if missing), or a postgres:// URL');
  addBrokerOptions(cmd)
    .option('--shared <group>', 'join a $share group so several ingest processes split the load')
    .option('--every <s>', 'seconds between summary lines', '5')
    .option('--client-id <id>', 'stable MQTT client id with a persistent session: the broker queues the events meant for this worker while it is down')
    .option('--worker <name>', 'the same, with client id hq-ingest-NAME')
    .option('--session-expiry <s>', `seconds the broker keeps that session after the worker went away (MQTT 5; default ${DEFAULT_SESSION_EXPIRY_S})`)
    .action(async (opts: IngestCommandOptions) => {
      const ac = new AbortController();
      const stop = () => ac.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      await runIngest(opts, { out: (t) => process.stdout.write(t), clock: new SystemClock(), signal: ac.signal });
    });
}
