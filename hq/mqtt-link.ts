import mqtt from 'mqtt';

/** One short HQ connection to the broker: connect (10 s), do `body`, disconnect. */
export async function withBroker<T>(url: string, body: (client: mqtt.MqttClient) => Promise<T>): Promise<T> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 10_000, clientId: `hq-cli-${process.pid}-${Date.now() % 100000}` }, false);
  try {
    return await body(client);
  } finally {
    await client.endAsync();
  }
}
