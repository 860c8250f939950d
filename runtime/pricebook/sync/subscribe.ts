import type { IPublishPacket, ISubscriptionMap, MqttClient } from 'mqtt';
import { standingSubscription } from '../../hq-sync/standing-subscription';
import type { ChunkOutcome, PricebookReceiver, PricebookStatus } from './receiver';
import { newestManifest, type ManifestCandidate, type ManifestLevel } from './newest-manifest';
import { manifestTopic, pricebookBase } from '../../../protocol/pricebook/topics';

export interface PricebookSubscription {
  /**
   * Stops routing messages to the receiver and unsubscribes — unless `keepSubscriptions`: a client with a persistent
   * session keeps them at the broker, so what HQ publishes while it is stopped is queued for it.
   */
  close(opts?: { keepSubscriptions?: boolean }): Promise<void>;
}

type Offer = { kind: 'manifest'; result: PricebookStatus } | { kind: 'chunk'; result: ChunkOutcome };

/** A manifest held for one level: the message as received and what choosing between the levels needs of it. */
interface Held extends ManifestCandidate {
  raw: Buffer;
}

/**
 * How long a retained manifest delivered on (re)subscribe waits for the other level's before the kiosk chooses
 * without it (the broker sends them one after the other, and the first chunk after both, so this is a backstop).
 */
export const SETTLE_MS = 500;

/**
 * Subscribes `client` (QoS 1) to the price-book topics of one device — its own level and the store's `_all`
 * level — and routes every message to `receiver`:
 *
 *   {base}/manifest → offerManifest      {base}/{version}/{index} → offerChunk
 *
 * **The manifest HQ published last wins** (newest-manifest.ts): the kiosk holds the retained manifest of each level
 * and offers the receiver the newer by HQ's signed `issuedAt` (then version, then device level) — so a store publish
 * after a batch push reaches the kiosk, a batch push after it overrides it again, and a cleared level (an empty
 * retained message) falls back to the other level's manifest at once. A manifest on the losing level is not offered.
 * On a (re)subscribe the broker delivers the retained manifests one level after the other: the choice waits until
 * both levels were heard, the first chunk arrives (manifest topics are subscribed first, so the retained manifests
 * come before any chunk), or {@link SETTLE_MS} — so an older manifest is not offered (and refused, and reported) just
 * because its level came first. A manifest that does not verify never hides one that does; it is offered (so the
 * refusal is reported) when it arrives live or when no verified one is held.
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
  const held: Record<ManifestLevel, Held | null> = { device: null, store: null };
  /** The manifest last handed to the receiver (a new message, even a repeat, is a new Held). */
  let offered: Held | null = null;
  /** Levels whose retained manifest arrived since the last (re)subscribe, and the backstop timer of the choice. */
  const heard = new Set<ManifestLevel>();
  let settle: NodeJS.Timeout | null = null;

  const deliver = (p: Promise<Offer>) =>
    p.then(
      (o) => opts.onOffer?.(o),
      (e: unknown) => opts.onError?.(e),
    );
  const offer = (raw: Buffer) => deliver(receiver.offerManifest(raw).then((result) => ({ kind: 'manifest' as const, result })));

  const chunkFilter = (level: ManifestLevel) => `${level === 'device' ? device : all}/+/+`;
  const stopSettling = () => {
    if (settle) clearTimeout(settle);
    settle = null;
  };
  /**
   * Offers the winner if it is not the manifest offered last. `chunksComing`: the winner's chunks are still on their
   * way (it is the message just received, or part of the retained burst being delivered); otherwise they went by
   * while the other level won (e.g. HQ just cleared that level) and the level's chunks are subscribed again — a
   * repeated SUBSCRIBE makes the broker send its retained messages again (MQTT 3.1.1 §3.8.4, MQTT 5 retain handling 0).
   */
  const choose = (chunksComing: (winner: Held) => boolean) => {
    const winner = newestManifest(held.device, held.store);
    if (!winner || winner === offered) return;
    offered = winner;
    offer(winner.raw);
    // `resubscribe`: mqtt.js would skip a filter it holds already, so no SUBSCRIBE would reach the broker
    if (!chunksComing(winner)) client.subscribe({ [chunkFilter(winner.level)]: { qos: 1 }, resubscribe: true } as ISubscriptionMap, (err) => err && opts.onError?.(err));
  };
  /** The retained burst of a (re)subscribe is in: a level that sent no manifest has none any more. */
  const settled = () => {
    stopSettling();
    for (const level of ['device', 'store'] as const) if (!heard.has(level)) held[level] = null;
    choose(() => true);
  };

  const onManifest = (level: ManifestLevel, payload: Buffer, retained: boolean) => {
    let h: Held | null = null;
    if (payload.length > 0) {
      const order = receiver.manifestOrder(payload);
      h = { level, raw: payload, verified: order !== null, issuedAt: order?.issuedAt ?? null, version: order?.version ?? null };
    }
    held[level] = h;
    if (!retained) {
      // published just now: a refusal of it is news for HQ even when a verified manifest keeps winning
      if (h && !h.verified && newestManifest(held.device, held.store) !== h) offer(h.raw);
      stopSettling();
      choose((winner) => winner === h);
      return;
    }
    heard.add(level);
    if (heard.size === 2) settled();
    else settle ??= setTimeout(settled, SETTLE_MS);
  };

  const onMessage = (topic: string, payload: Buffer, packet?: IPublishPacket) => {
    const base = topic.startsWith(`${device}/`) ? device : topic.startsWith(`${all}/`) ? all : null;
    if (base === null) return;
    const rest = topic.slice(base.length + 1).split('/');
    if (rest.length === 1 && rest[0] === 'manifest') {
      onManifest(base === device ? 'device' : 'store', payload, packet?.retain === true);
    } else if (rest.length === 2 && /^\d{1,7}$/.test(rest[1]) && payload.length > 0) {
      if (settle) settled(); // the retained manifests are in: the chosen one goes to the receiver before its chunks
      deliver(receiver.offerChunk(rest[0], Number(rest[1]), payload).then((result) => ({ kind: 'chunk' as const, result })));
    }
  };
  const onConnect = () => heard.clear();
  client.on('connect', onConnect);
  const filters = [manifestTopic(device), manifestTopic(all), `${device}/+/+`, `${all}/+/+`];
  // subscribed on every (re)connect, so a kiosk that boots with the broker down picks the book up once it is back
  // (mqtt.js hands every 'message' listener the packet too: its retain flag tells a subscribe's retained burst)
  const sub = standingSubscription(client, filters, onMessage, opts.onError);
  return {
    async close(closeOpts) {
      stopSettling();
      client.removeListener('connect', onConnect);
      await sub.close(closeOpts);
    },
  };
}
