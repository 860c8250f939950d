import type { MqttClient } from 'mqtt';
import { standingSubscription, type StandingSubscription } from '../hq-sync/standing-subscription';
import { membersReportedTopic, membersTopic, type MembersReported } from '../../protocol/members/member-snapshot';
import type { MembersReceiver } from './snapshot-receiver';

export type MembersSubscription = StandingSubscription;

/**
 * Subscribes `client` (QoS 1) to the store's retained member snapshot and hands each message to `receiver`; every
 * outcome but a repeat is published retained (QoS 1) on `members/reported` and passed to `onReport` (the log). The
 * subscription is renewed on every (re)connect, so the retained snapshot comes again after an outage.
 */
export function subscribeMembers(
  client: MqttClient,
  me: { store: string; device: string },
  receiver: MembersReceiver,
  opts: { onReport?: (r: MembersReported) => void; onError?: (e: unknown) => void } = {},
): MembersSubscription {
  const topic = membersTopic(me.store);
  const reported = membersReportedTopic(me.store, me.device);
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
