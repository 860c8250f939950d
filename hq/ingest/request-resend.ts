import type { MqttClient } from 'mqtt';
import { encodeResend } from '../../protocol/sync/messages';
import { resendTopic } from '../../protocol/topics';

/** HQ side of a resend request: what HqIngest calls when a device's events have a hole. */
export type RequestResend = (storeId: string, deviceId: string, fromSeq: number) => void;

/**
 * The default, unsigned resend channel: HQ publishes `{"v":1,"fromSeq":N}` (QoS 1) on `kiosk/v1/{store}/{device}/resend`.
 * Swap it for a signed command channel by passing another RequestResend to HqIngest and not calling
 * `subscribeResend` (runtime/hq-sync/resend-subscription.ts) on the kiosk.
 */
export function mqttRequestResend(client: MqttClient): RequestResend {
  return (storeId, deviceId, fromSeq) => {
    client.publish(resendTopic(storeId, deviceId), encodeResend(fromSeq), { qos: 1 });
  };
}
