import type { MqttClient } from 'mqtt';
import type { Clock, TimerHandle } from '../../kernel/clock';
import { INGEST_STATE_TOPIC, parseIngestState } from '../../protocol/sync/ingest-state';
import type { OutboxPublisher } from './outbox-publisher';

export interface IngestStateSubscriptionOptions {
  clock: Clock;
  /** A birth is acted on after a random 0..spreadMs delay; births in that window are one re-publish. Default 2000. */
  spreadMs?: number;
  /** In [0, 1). Default Math.random. */
  random?: () => number;
}

/** Birth ids remembered (acted on or skipped); the oldest is forgotten first. */
const MAX_SEEN = 64;

/**
 * Kiosk side of HQ ingest's birth (protocol/sync/ingest-state.ts): subscribes the client to `kiosk/v1/_hq/ingest`
 * (again on every reconnect) and, on a birth whose id it has not acted on, asks the publisher to re-publish what HQ has
 * not acked (`republishUnacked`, which also resets the ack-timeout backoff) after a random 0..`spreadMs` delay — so a
 * fleet does not answer a restarted ingest all in the same instant, and K workers announcing within that window cost
 * one re-publish. The retained birth the broker hands over right after this kiosk's own connect (within `spreadMs`)
 * is only remembered: the publisher re-publishes un-acked rows on every connect already, and that re-publish reached
 * the ingest that birth announces — the broker takes one connection's packets in order, and the subscription to the
 * birth is in place before the connection's first publish (mqtt.js sends a lost session's SUBSCRIBEs, queued ones
 * included, before anything else; a kept session keeps it: test/ingest-birth.test.ts reads Mosquitto's log for it).
 * The `subscribe` on every connect below is for clients that do not re-subscribe by themselves; mqtt.js skips a topic
 * it is subscribed to already. Malformed births are ignored.
 * Stops listening when the returned function is called or the client ends; the subscription stays at the broker.
 */
export function subscribeIngestState(
  client: MqttClient,
  publisher: Pick<OutboxPublisher, 'republishUnacked'>,
  opts: IngestStateSubscriptionOptions,
  onError: (e: Error) => void = () => undefined,
): () => void {
  const { clock } = opts;
  const spreadMs = Math.max(0, opts.spreadMs ?? 2000);
  const random = opts.random ?? Math.random;
  const seen = new Set<string>();
  let connectedAt = client.connected ? clock.now() : -Infinity;
  let timer: TimerHandle | null = null;

  const subscribe = () => client.subscribe(INGEST_STATE_TOPIC, { qos: 1 }, (err) => err && onError(err));
  const onConnect = () => {
    connectedAt = clock.now();
    subscribe();
  };
  const onMessage = (topic: string, payload: Buffer, packet?: { retain?: boolean }) => {
    if (topic !== INGEST_STATE_TOPIC) return;
    const birth = parseIngestState(payload);
    if (!birth?.online || seen.has(birth.id)) return;
    seen.add(birth.id);
    if (seen.size > MAX_SEEN) seen.delete(seen.values().next().value as string);
    if (packet?.retain === true && clock.now() - connectedAt <= spreadMs) return; // the publisher's own on-connect re-publish covers it
    if (timer) return; // one re-publish for every birth in the window
    timer = clock.setTimeout(
      () => {
        timer = null;
        try {
          publisher.republishUnacked();
        } catch (e) {
          onError(e as Error);
        }
      },
      Math.floor(random() * spreadMs),
    );
  };
  const stop = () => {
    client.off('connect', onConnect);
    client.off('message', onMessage);
    client.off('end', stop);
    if (timer) clock.clearTimeout(timer);
    timer = null;
  };
  client.on('connect', onConnect);
  client.on('message', onMessage);
  client.on('end', stop);
  subscribe();
  return stop;
}
