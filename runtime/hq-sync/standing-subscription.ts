import type { MqttClient } from 'mqtt';

export interface StandingSubscription {
  /** Stops routing; unsubscribes unless `keepSubscriptions` (a persistent session keeps them at the broker). */
  close(opts?: { keepSubscriptions?: boolean }): Promise<void>;
}

/**
 * Subscribes `client` (QoS 1) to `filters` now if connected and again on every (re)connect — so a kiosk that booted
 * with the broker down, or lost it, gets the retained messages once it is back — and routes its messages to
 * `onMessage` until closed.
 */
export function standingSubscription(
  client: MqttClient,
  filters: readonly string[],
  onMessage: (topic: string, payload: Buffer) => void,
  onError?: (e: unknown) => void,
): StandingSubscription {
  client.on('message', onMessage);
  const subscribe = () => {
    client.subscribe(Object.fromEntries(filters.map((f) => [f, { qos: 1 as const }])), (err) => err && onError?.(err));
  };
  client.on('connect', subscribe);
  if (client.connected) subscribe();
  return {
    async close(closeOpts = {}) {
      client.removeListener('message', onMessage);
      client.removeListener('connect', subscribe);
      if (client.connected && !closeOpts.keepSubscriptions) await client.unsubscribeAsync([...filters]);
    },
  };
}
