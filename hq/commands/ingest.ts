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
}

const summary = (s: IngestStats, devices: number) =>
  `ingest: stored ${s.stored}, duplicate ${s.duplicate}, rejected ${s.rejected}, quarantined ${s.quarantined}, malformed ${s.malformed}, ` +
  `resend requests ${s.resendRequests}, devices ${devices}`;

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
 */
export async function runIngest(opts: IngestCommandOptions, io: { out: (t: string) => void; clock: Clock; signal: AbortSignal }): Promise<IngestStats> {
  const everyMs = Number(opts.every ?? '5') * 1000;
  if (!(everyMs > 0)) throw new Error(`bad --every "${opts.every}"`);
  const broker = await brokerConnectOptions(opts);
  const store = await IngestStore.open(opts.db);
  const client = mqtt.connect(broker.url, {
    ...broker.options,
    ...(opts.shared ? { protocolVersion: 5 } : {}),
    reconnectPeriod: HQ_RECONNECT.baseMs,
    connectTimeout: 10_000,
    clientId: `hq-ingest-${process.pid}-${Date.now() % 100000}`,
  });
  applyReconnectBackoff(client, HQ_RECONNECT);
  let refusal: Error | null = null;
  applyProtocolFallback(client, ({ cause, error }) => {
    refusal = error ?? null;
    io.out(`ingest: ${cause}: using MQTT 3.1.1\n`);
  });
  client.on('error', (e) => e !== refusal && io.out(`ingest: mqtt: ${e.message}\n`));
  let shared = opts.shared;
  if (shared) {
    const connack = await firstConnack(client, io.signal);
    const v311 = client.options.protocolVersion !== 5;
    if (connack && (v311 || connack.properties?.sharedSubscriptionAvailable === false)) {
      io.out(
        `ingest: WARNING the broker ${v311 ? 'speaks only MQTT 3.1.1' : 'has no shared subscriptions'}: --shared ${shared} cannot split the load; ` +
          'subscribing to every event instead (each ingest worker on this broker takes every event: still stored once, no split)\n',
      );
      shared = undefined;
    }
  }
  const ingest = new HqIngest({ store, client, clock: io.clock, shared });
  ingest.on('error', (e) => io.out(`ingest: ${e.message}\n`));
  ingest.on('accepted', (e, r) => {
    if (r.status === 'rejected') io.out(`ingest: rejected ${e.storeId}/${e.deviceId} seq ${e.seq}: ${r.reason}\n`);
  });
  ingest.on('alert', (a) => io.out(`ingest: ALERT ${a.message}\n`));
  await ingest.start();
  io.out(`ingest: ${redactUrl(opts.db)} <- ${redactUrl(opts.broker)}${shared ? ` (shared group ${shared})` : ''}\n`);
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
    .action(async (opts: IngestCommandOptions) => {
      const ac = new AbortController();
      const stop = () => ac.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      await runIngest(opts, { out: (t) => process.stdout.write(t), clock: new SystemClock(), signal: ac.signal });
    });
}
