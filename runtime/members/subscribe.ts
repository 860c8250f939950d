import type { MqttClient } from 'mqtt';
import type { StandingSubscription } from '../hq-sync/standing-subscription';
import { subscribeSignedList } from '../hq-sync/signed-list-subscription';
import { membersReportedTopic, membersTopic, type MembersReported } from '../../protocol/members/member-snapshot';
import type { MembersReceiver } from './snapshot-receiver';

export type MembersSubscription = StandingSubscription;

/** The store's retained member snapshot (runtime/hq-sync/signed-list-subscription.ts), reported on `members/reported`. */
export function subscribeMembers(
  client: MqttClient,
  me: { store: string; device: string },
  receiver: MembersReceiver,
  opts: { onReport?: (r: MembersReported) => void; onError?: (e: unknown) => void } = {},
): MembersSubscription {
  return subscribeSignedList(client, { topic: membersTopic(me.store), reportedTopic: membersReportedTopic(me.store, me.device) }, receiver, opts);
}
