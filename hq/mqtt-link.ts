import mqtt from 'mqtt';
import type { BrokerConnection } from './broker-auth';

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
