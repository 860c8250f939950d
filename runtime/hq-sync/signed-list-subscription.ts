import type { MqttClient } from 'mqtt';
import { standingSubscription, type StandingSubscription } from './standing-subscription';

/** Takes a retained signed list's raw message; resolves with the report to send, or null for a repeat. */
export interface SignedListReceiver<R> {
  offer(payload: Buffer): Promise<R | null>;
}

/**
 * Subscribes `client` (QoS 1) to `topic`, a store's retained signed list (member snapshot, recall list …), and hands
 * each message to `receiver`; every outcome but a repeat is published retained (QoS 1) on `reportedTopic` and passed
 * to `onReport` (the log). The subscription is renewed on every (re)connect, so the retained list comes again after
 * an outage. An empty retained message clears the topic: nothing to apply.
 */
export function subscribeSignedList<R>(
  client: MqttClient,
  topics: { topic: string; reportedTopic: string },
  receiver: SignedListReceiver<R>,
  opts: { onReport?: (r: R) => void; onError?: (e: unknown) => void } = {},
): StandingSubscription {
  const onMessage = (t: string, payload: Buffer) => {
    if (t !== topics.topic || payload.length === 0) return;
    receiver.offer(payload).then(
      (r) => {
        if (r === null) return;
        opts.onReport?.(r);
        client.publish(topics.reportedTopic, JSON.stringify(r), { qos: 1, retain: true });
      },
      (e: unknown) => opts.onError?.(e),
    );
  };
  return standingSubscription(client, [topics.topic], onMessage, opts.onError);
}
