import type { MqttClient } from 'mqtt';
import type { Clock } from '../kernel/clock';
import type { KioskDb } from '../kernel/sqlite/database';
import type { TrustedKeys } from '../protocol/signed-envelope';
import { RecallsReceiver } from '../runtime/recalls/receiver';
import { subscribeRecalls, type RecallsSubscription } from '../runtime/recalls/subscribe';
import type { Logger } from './logger';

/**
 * The kiosk's part of HQ's recall list (protocol/recalls/recall-list.ts): subscribed on the HQ link's client, each
 * list verified and stored in one transaction (runtime/recalls/receiver.ts), the outcome retained on
 * `recalls/reported` and logged (a refused list is a warning: the lane keeps the list in force). Close it with
 * `{ keepSubscriptions: true }` so what HQ sends while the kiosk is stopped waits for it at the broker.
 */
export function startRecalls(
  client: MqttClient,
  deps: { db: KioskDb; trust: TrustedKeys; clock: Clock; store: string; device: string; log?: Logger },
): RecallsSubscription {
  const { db, trust, clock, store, device, log } = deps;
  const receiver = new RecallsReceiver({ db, trust, clock, identity: { store, device } });
  return subscribeRecalls(client, { store, device }, receiver, {
    onReport: (r) => (r.status === 'applied' ? log?.info({ recalls: r }, 'recall list') : log?.warn({ recalls: r }, 'recall list refused')),
    onError: (e) => log?.warn({ err: String(e) }, 'recall list message'),
  });
}
