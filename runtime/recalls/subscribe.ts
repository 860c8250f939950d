import type { MqttClient } from 'mqtt';
import { standingSubscription, type StandingSubscription } from '../hq-sync/standing-subscription';
import { recallsReportedTopic, recallsTopic, type RecallsReported } from '../../protocol/recalls/recall-list';
import type { RecallsReceiver } from './receiver';

export type RecallsSubscription = StandingSubscription;

/**
 * Subscribes `client` (QoS 1) to the store's retained recall list and hands each message to `receiver`; every outcome
 * but a repeat is published retained (QoS 1) on `recalls/reported` and passed to `onReport` (the log). The
 * subscription is renewed on every (re)connect, so the retained list comes again after an outage.
 */
export function subscribeRecalls(
  client: MqttClient,
  me: { store: string; device: string },
  receiver: RecallsReceiver,
  opts: { onReport?: (r: RecallsReported) => void; onError?: (e: unknown) => void } = {},
): RecallsSubscription {
  const topic = recallsTopic(me.store);
  const reported = recallsReportedTopic(me.store, me.device);
  const onMessage = (t: string, payload: Buffer) => {
    if (t !== topic || payload.length === 0) return; // an empty retained message clears the topic: nothing to apply
    receiver.offer(payload).then(
      (r) => {
        if (!r) return;
        opts.onReport?.(r);
        client.publish(reported, JSON.stringify(r), { qos: 1, retain: true });
      },
      (e: unknown) => opts.onError?.(e),
    );
  };
  return standingSubscription(client, [topic], onMessage, opts.onError);
}
