import mqtt from 'mqtt';
import type { BackoffPolicy } from '../kernel/reconnect-backoff';
import type { BrokerConnection } from './broker-auth';

/**
 * How HQ's long-lived connections (`hq ingest`, `hq serve`, `hq watch`) reconnect: full-jitter capped exponential
 * backoff (kernel/reconnect-backoff.ts `applyReconnectBackoff`), the wait before the n-th attempt since the last CONNACK
 * random(0, min(30 s, 0.5 s · 2^n)).
 */
export const HQ_RECONNECT: BackoffPolicy = { baseMs: 500, capMs: 30_000 };

/**
 * One short HQ connection to the broker: connect (10 s), do `body`, disconnect. `broker` is a URL, or what
 * brokerConnectOptions (hq/broker-auth.ts) made of `--broker/--username/--password-file/--password-stdin`.
 */
export async function withBroker<T>(broker: string | BrokerConnection, body: (client: mqtt.MqttClient) => Promise<T>): Promise<T> {
  const { url, options } = typeof broker === 'string' ? { url: broker, options: {} } : broker;
  const client = await mqtt.connectAsync(url, { ...options, reconnectPeriod: 0, connectTimeout: 10_000, clientId: `hq-cli-${process.pid}-${Date.now() % 100000}` }, false);
  try {
    return await body(client);
  } finally {
    await client.endAsync();
  }
}
