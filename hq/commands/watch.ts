import type { Command } from 'commander';
import mqtt from 'mqtt';
import { SystemClock, type Clock } from '../../kernel/clock';
import { fleetFilter } from '../../protocol/topics';
import { applyReconnectBackoff } from '../../kernel/reconnect-backoff';
import { addBrokerOptions, brokerConnectOptions, type BrokerCliOptions } from '../broker-auth';
import { HQ_RECONNECT } from '../mqtt-link';
import { FLEET_FILTERS, FleetView, renderFleet, type FleetRow } from '../ingest/fleet';
import { IngestStore } from '../ingest/store';

export interface WatchOptions {
  /** The broker (live state); optional when `db` is given. */
  broker?: string;
  /** HQ's ingest store (a SQLite path or a postgres:// URL): last event, last seen and retirement as HQ recorded them. */
  db?: string;
  once?: boolean;
  json?: boolean;
  username?: string;
  password?: string;
  /** Milliseconds to collect retained state before the `--once` snapshot. Default 1000. */
  settleMs?: number;
  /** Milliseconds between redraws when live. Default 2000. */
  refreshMs?: number;
}

/**
 * `hq watch [--broker URL] [--db PATH|URL] [--once] [--json]`: the fleet table from every kiosk's retained `state`,
 * `config/reported` and `pricebook/reported`, its `telemetry` and the times of its `events` — and, with `--db`, what
 * HQ's ingest store recorded (the fleet as HQ last knew it, last event, last seen, retired kiosks left out). With
 * `--once`, prints one snapshot after `settleMs` and returns its rows; otherwise redraws every `refreshMs` until
 * `signal` aborts. `--json` prints JSON only (one document per snapshot, one line each).
 */
export async function watchFleet(
  opts: WatchOptions,
  io: { out: (t: string) => void; clock: Clock; signal?: AbortSignal },
): Promise<FleetRow[]> {
  if (!opts.broker && !opts.db) throw new Error('hq watch needs --broker URL, --db PATH|URL, or both');
  const view = new FleetView();
  const store = opts.db ? await IngestStore.open(opts.db) : null;
  let client: mqtt.MqttClient | null = null;
  const fromStore = async () => {
    if (!store) return;
    for (const r of await store.fleetTable()) view.mergeStored(r);
    for (const d of await store.devices()) if (d.last_event_ts !== null) view.noteEvent(d.store_id, d.device_id, Number(d.last_event_ts));
  };
  const print = (rows: FleetRow[], clear: boolean) =>
    io.out(opts.json ? `${JSON.stringify(rows)}\n` : `${clear ? '\x1b[2J\x1b[H' : ''}${renderFleet(rows)}`);
  try {
    await fromStore();
    if (opts.broker) {
      client = await mqtt.connectAsync(opts.broker, {
        username: opts.username,
        password: opts.password,
        reconnectPeriod: opts.once ? 0 : HQ_RECONNECT.baseMs,
        connectTimeout: 10_000,
        clientId: `hq-watch-${process.pid}-${Date.now() % 100000}`,
      });
      if (!opts.once) applyReconnectBackoff(client, HQ_RECONNECT);
      client.on('message', (topic, payload, packet) => view.apply(topic, payload, io.clock.now(), packet.retain));
      await client.subscribeAsync([...FLEET_FILTERS, fleetFilter('events')], { qos: 1 });
    }
    const wait = (ms: number) =>
      new Promise<void>((resolve) => {
        const t = io.clock.setTimeout(resolve, ms);
        io.signal?.addEventListener('abort', () => {
          io.clock.clearTimeout(t);
          resolve();
        });
      });
    if (client) await wait(opts.settleMs ?? 1000);
    await fromStore();
    let rows = view.rows(io.clock.now());
    if (opts.once) {
      print(rows, false);
      return rows;
    }
    while (!io.signal?.aborted) {
      await fromStore();
      rows = view.rows(io.clock.now());
      print(rows, !opts.json);
      await wait(opts.refreshMs ?? 2000);
    }
    return rows;
  } finally {
    await client?.endAsync(true);
    await store?.close();
  }
}

export function register(program: Command): void {
  const cmd = program
    .command('watch')
    .description('fleet table: online/offline since, software/config/price-book versions in force, backlog, last event, last seen, health')
    .option('--db <path|url>', "HQ's ingest store (SQLite file or postgres:// URL): last event, last seen, retired kiosks")
    .option('--once', 'print one snapshot after ~1 s and exit')
    .option('--json', 'print rows as JSON only');
  addBrokerOptions(cmd, { required: false }).action(async (opts: WatchOptions & BrokerCliOptions) => {
    const ac = new AbortController();
    process.once('SIGINT', () => ac.abort());
    process.once('SIGTERM', () => ac.abort());
    const b = opts.broker ? await brokerConnectOptions(opts) : null;
    await watchFleet(
      { db: opts.db, once: opts.once, json: opts.json, broker: b?.url, username: b?.options.username, password: b?.options.password },
      { out: (t) => process.stdout.write(t), clock: new SystemClock(), signal: ac.signal },
    );
  });
}
