import type { Command } from 'commander';
import mqtt from 'mqtt';
import { SystemClock, type Clock } from '../../kernel/clock';
import { fleetFilter } from '../../protocol/topics';
import { FleetView, renderFleet, type FleetRow } from '../ingest/fleet';

export interface WatchOptions {
  broker: string;
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
 * `hq watch --broker URL [--once] [--json]`: the live fleet table from every kiosk's retained `state`, its
 * `telemetry` and the times of its `events`. With `--once`, prints one snapshot after `settleMs` and returns its
 * rows; otherwise redraws every `refreshMs` until `signal` aborts.
 */
export async function watchFleet(
  opts: WatchOptions,
  io: { out: (t: string) => void; clock: Clock; signal?: AbortSignal },
): Promise<FleetRow[]> {
  const client = await mqtt.connectAsync(opts.broker, {
    username: opts.username,
    password: opts.password,
    reconnectPeriod: opts.once ? 0 : 1000,
    connectTimeout: 10_000,
    clientId: `hq-watch-${process.pid}-${Date.now() % 100000}`,
  });
  const view = new FleetView();
  client.on('message', (topic, payload) => view.apply(topic, payload, io.clock.now()));
  const print = (rows: FleetRow[], clear: boolean) =>
    io.out(opts.json ? `${JSON.stringify(rows)}\n` : `${clear ? '\x1b[2J\x1b[H' : ''}${renderFleet(rows)}`);
  try {
    await client.subscribeAsync([fleetFilter('state'), fleetFilter('telemetry'), fleetFilter('events')], { qos: 1 });
    const wait = (ms: number) =>
      new Promise<void>((resolve) => {
        const t = io.clock.setTimeout(resolve, ms);
        io.signal?.addEventListener('abort', () => {
          io.clock.clearTimeout(t);
          resolve();
        });
      });
    await wait(opts.settleMs ?? 1000);
    let rows = view.rows(io.clock.now());
    if (opts.once) {
      print(rows, false);
      return rows;
    }
    while (!io.signal?.aborted) {
      rows = view.rows(io.clock.now());
      print(rows, !opts.json);
      await wait(opts.refreshMs ?? 2000);
    }
    return rows;
  } finally {
    await client.endAsync(true);
  }
}

export function register(program: Command): void {
  program
    .command('watch')
    .description('live fleet table: online, software/config/price-book versions, backlog, last event, health')
    .requiredOption('--broker <url>', 'MQTT broker URL')
    .option('--once', 'print one snapshot after ~1 s and exit')
    .option('--json', 'print rows as JSON')
    .option('--username <user>', 'MQTT username')
    .option('--password <password>', 'MQTT password')
    .action(async (opts: WatchOptions) => {
      const ac = new AbortController();
      process.once('SIGINT', () => ac.abort());
      process.once('SIGTERM', () => ac.abort());
      await watchFleet(opts, { out: (t) => process.stdout.write(t), clock: new SystemClock(), signal: ac.signal });
    });
}
