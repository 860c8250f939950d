import type { MqttClient } from 'mqtt';
import { parseResend } from '../../protocol/sync/messages';
import type { OutboxPublisher } from './outbox-publisher';
import { resendTopic } from '../../protocol/topics';

/**
 * Kiosk side of the default channel: subscribes the publisher's client to its `resend` topic (again after every
 * reconnect) and calls `publisher.resendFrom(fromSeq)`. Malformed requests go to `onError`. Returns a function that
 * stops listening. It leaves the subscription at the broker: in the kiosk's persistent session a request HQ makes
 * while the kiosk is stopped is queued for it (unsubscribing on a clean stop made the broker drop those).
 */
export function subscribeResend(
  client: MqttClient,
  publisher: Pick<OutboxPublisher, 'resendFrom'>,
  storeId: string,
  deviceId: string,
  onError: (e: Error) => void = () => undefined,
): () => void {
  const topic = resendTopic(storeId, deviceId);
  const subscribe = () => client.subscribe(topic, { qos: 1 }, (err) => err && onError(err));
  const onMessage = (t: string, payload: Buffer) => {
    if (t !== topic) return;
    try {
      publisher.resendFrom(parseResend(payload).fromSeq);
    } catch (e) {
      onError(e as Error);
    }
  };
  client.on('connect', subscribe);
  client.on('message', onMessage);
  subscribe();
  return () => {
    client.off('connect', subscribe);
    client.off('message', onMessage);
  };
}
