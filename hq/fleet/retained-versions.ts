import type { MqttClient } from 'mqtt';
import { configTopic } from '../../protocol/control/topics';
import type { Scope } from '../../protocol/signed-envelope';
import { retainedVersionOf, RETAINED_WAIT_MS } from '../config/retained';

/**
 * The versions retained on the broker for many config scopes at once: one SUBSCRIBE for every topic, one wait of
 * at most `waitMs` for all of them (a topic with nothing retained never answers, so a batch waits that long once —
 * not once per kiosk, as reading them one by one with readRetainedBundle would), one UNSUBSCRIBE. Keyed by topic;
 * 0 where nothing (usable) is retained.
 */
export async function retainedConfigVersions(client: MqttClient, scopes: readonly Scope[], waitMs = RETAINED_WAIT_MS): Promise<Map<string, number>> {
  const byTopic = new Map(scopes.map((s) => [configTopic(s), s] as const));
  const out = new Map<string, number>([...byTopic.keys()].map((t) => [t, 0]));
  if (byTopic.size === 0) return out;
  const answered = new Set<string>();
  let done: () => void = () => undefined;
  const all = new Promise<void>((resolve) => (done = resolve));
  const onMessage = (topic: string, payload: Buffer, packet: { retain?: boolean }) => {
    const scope = byTopic.get(topic);
    if (!scope || !packet.retain) return;
    out.set(topic, retainedVersionOf(payload, scope)?.version ?? 0);
    answered.add(topic);
    if (answered.size === byTopic.size) done();
  };
  client.on('message', onMessage);
  const timer = setTimeout(done, waitMs);
  try {
    await client.subscribeAsync([...byTopic.keys()], { qos: 1 });
    await all;
    return out;
  } finally {
    clearTimeout(timer);
    client.removeListener('message', onMessage);
    await client.unsubscribeAsync([...byTopic.keys()]).catch(() => undefined);
  }
}
