import type { MqttClient } from 'mqtt';
import { standingSubscription } from '../../hq-sync/standing-subscription';
import type { ChunkOutcome, PricebookReceiver, PricebookStatus } from './receiver';
import { manifestTopic, pricebookBase } from '../../../protocol/pricebook/topics';

export interface PricebookSubscription {
  /**
   * Stops routing messages to the receiver and unsubscribes — unless `keepSubscriptions`: a client with a persistent
   * session keeps them at the broker, so what HQ publishes while it is stopped is queued for it.
   */
  close(opts?: { keepSubscriptions?: boolean }): Promise<void>;
}

type Offer = { kind: 'manifest'; result: PricebookStatus } | { kind: 'chunk'; result: ChunkOutcome };

/**
 * Subscribes `client` (QoS 1) to the price-book topics of one device — its own level and the store's `_all`
 * level — and routes every message to `receiver`:
 *
 *   {base}/manifest → offerManifest      {base}/{version}/{index} → offerChunk
 *
 * Manifest topics are subscribed first, device level before `_all`, so retained manifests arrive before retained
 * chunks and a device-level manifest before the store's. Device level wins: once a device-level manifest has been
 * seen, `_all` manifests are ignored until the device-level one is cleared (an empty retained message).
 * Chunks are taken from either level; the manifest's hashes decide. mqtt.js resubscribes after a reconnect, so
 * the retained manifest and chunks come again and fill whatever `missing()` lacked; repeats are ignored.
 * `onOffer` sees each outcome (for logs); an error from the receiver (e.g. database closed) goes to `onError`.
 */
export async function subscribePricebook(
  client: MqttClient,
  topics: { store: string; device: string },
  receiver: PricebookReceiver,
  opts: { onOffer?: (o: Offer) => void; onError?: (e: unknown) => void } = {},
): Promise<PricebookSubscription> {
  const device = pricebookBase({ store: topics.store, device: topics.device });
  const all = pricebookBase({ store: topics.store });
  let deviceOverride = false;

  const route = (topic: string, payload: Buffer): Promise<Offer> | null => {
    const base = topic.startsWith(`${device}/`) ? device : topic.startsWith(`${all}/`) ? all : null;
    if (base === null) return null;
    const rest = topic.slice(base.length + 1).split('/');
    if (rest.length === 1 && rest[0] === 'manifest') {
      if (base === device) deviceOverride = payload.length > 0;
      if (payload.length === 0 || (base === all && deviceOverride)) return null;
      return receiver.offerManifest(payload).then((result) => ({ kind: 'manifest', result }));
    }
    if (rest.length === 2 && /^\d{1,7}$/.test(rest[1]) && payload.length > 0) {
      return receiver.offerChunk(rest[0], Number(rest[1]), payload).then((result) => ({ kind: 'chunk', result }));
    }
    return null;
  };
  const onMessage = (topic: string, payload: Buffer) => {
    route(topic, payload)?.then(
      (o) => opts.onOffer?.(o),
      (e: unknown) => opts.onError?.(e),
    );
  };
  const filters = [manifestTopic(device), manifestTopic(all), `${device}/+/+`, `${all}/+/+`];
  // subscribed on every (re)connect, so a kiosk that boots with the broker down picks the book up once it is back
  return standingSubscription(client, filters, onMessage, opts.onError);
}
