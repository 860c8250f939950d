import type { MqttClient } from 'mqtt';
import type { StandingSubscription } from '../hq-sync/standing-subscription';
import { subscribeSignedList } from '../hq-sync/signed-list-subscription';
import { recallsReportedTopic, recallsTopic, type RecallsReported } from '../../protocol/recalls/recall-list';
import type { RecallsReceiver } from './receiver';

export type RecallsSubscription = StandingSubscription;

/** The store's retained recall list (runtime/hq-sync/signed-list-subscription.ts), reported on `recalls/reported`. */
export function subscribeRecalls(
  client: MqttClient,
  me: { store: string; device: string },
  receiver: RecallsReceiver,
  opts: { onReport?: (r: RecallsReported) => void; onError?: (e: unknown) => void } = {},
): RecallsSubscription {
  return subscribeSignedList(client, { topic: recallsTopic(me.store), reportedTopic: recallsReportedTopic(me.store, me.device) }, receiver, opts);
}
