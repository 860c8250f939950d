/**
 * The one definition of the MQTT topic tree: its root and the rules for the ids in it. Every topic of the kiosk ↔
 * HQ link is `kiosk/v1/…`: the sync topics below, the signed config and command topics (control/topics.ts) and the
 * price-book topics (pricebook/topics.ts) are all built with {@link underRoot} from ids checked by {@link isValidId}.
 *
 * Sync topics, all under `kiosk/v1/{store}/{device}/`:
 *
 * - `events`    device → HQ, QoS 1, not retained: one event message (sync/messages.ts) per journal entry.
 * - `ack`       HQ → device, QoS 1, retained: `{"v":1,"seq":N,"hash":H}`, the highest contiguous seq HQ has durably
 *               stored and the hash of that entry; the device acts on it only when H equals its own entry N.
 * - `resend`    HQ → device, QoS 1: `{"v":1,"fromSeq":N}`, HQ asks the device to re-send from seq N.
 * - `state`     device → HQ, QoS 1, retained: birth / last will / clean-shutdown presence.
 * - `telemetry` device → HQ, QoS 0: periodic backlog, uptime, disk and device health.
 *
 * Store and device ids must be non-empty and free of MQTT wildcard and level characters (`+ # /`), so a topic
 * always splits back into exactly the ids it was built from.
 */
export const TOPIC_ROOT = 'kiosk/v1';

/** `kiosk/v1/{levels…}`. The caller checks its ids first ({@link assertTopicId}). */
export const underRoot = (...levels: string[]): string => [TOPIC_ROOT, ...levels].join('/');

/** The levels of `topic` below `kiosk/v1/`, or null when it is not under the root. */
export function levelsUnderRoot(topic: string): string[] | null {
  const prefix = `${TOPIC_ROOT}/`;
  return topic.startsWith(prefix) ? topic.slice(prefix.length).split('/') : null;
}

export const TOPIC_LEAVES = ['events', 'ack', 'resend', 'state', 'telemetry'] as const;
export type TopicLeaf = (typeof TOPIC_LEAVES)[number];

export interface ParsedTopic {
  storeId: string;
  deviceId: string;
  leaf: TopicLeaf;
}

/** True for an id usable as one topic level: non-empty, no `+`, `#`, `/`, no NUL, and not starting with `$`. */
export function isValidId(id: string): boolean {
  return typeof id === 'string' && id.length > 0 && id.length <= 128 && !/[+#/]/.test(id) && !id.includes('\0') && !id.startsWith('$');
}

/** Throws TypeError unless `id` is {@link isValidId}; `kind` names it in the message (`store`, `device`, …). */
export function assertTopicId(kind: string, id: string): void {
  if (!isValidId(id)) throw new TypeError(`invalid ${kind} id for an MQTT topic: ${JSON.stringify(id)}`);
}

/** `kiosk/v1/{store}/{device}/{leaf}`; throws TypeError on an invalid id. */
export function deviceTopic(storeId: string, deviceId: string, leaf: TopicLeaf): string {
  assertTopicId('store', storeId);
  assertTopicId('device', deviceId);
  return underRoot(storeId, deviceId, leaf);
}

export const eventsTopic = (storeId: string, deviceId: string): string => deviceTopic(storeId, deviceId, 'events');
export const ackTopic = (storeId: string, deviceId: string): string => deviceTopic(storeId, deviceId, 'ack');
export const resendTopic = (storeId: string, deviceId: string): string => deviceTopic(storeId, deviceId, 'resend');
export const stateTopic = (storeId: string, deviceId: string): string => deviceTopic(storeId, deviceId, 'state');
export const telemetryTopic = (storeId: string, deviceId: string): string => deviceTopic(storeId, deviceId, 'telemetry');

/** Subscription filter for one leaf of every device of every store (`kiosk/v1/+/+/{leaf}`). */
export function fleetFilter(leaf: TopicLeaf): string {
  return underRoot('+', '+', leaf);
}

/** A shared-subscription filter (`$share/{group}/…`), so several subscribers split the messages between them. */
export function sharedFilter(group: string, filter: string): string {
  assertTopicId('share group', group);
  return `$share/${group}/${filter}`;
}

/** Splits a concrete topic back into ids and leaf; null for anything that is not exactly one of ours. */
export function parseTopic(topic: string): ParsedTopic | null {
  const parts = levelsUnderRoot(topic);
  if (parts?.length !== 3) return null;
  const [storeId, deviceId, leaf] = parts;
  if (!isValidId(storeId) || !isValidId(deviceId)) return null;
  if (!(TOPIC_LEAVES as readonly string[]).includes(leaf)) return null;
  return { storeId, deviceId, leaf: leaf as TopicLeaf };
}
