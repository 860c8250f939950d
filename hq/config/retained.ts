import type { MqttClient } from 'mqtt';
import { configTopic } from '../../protocol/control/topics';
import type { Scope } from '../../protocol/signed-envelope';
import { tryParseJson } from '../../kernel/json/bounded-json';
import { JSON_LIMITS } from '../../kernel/json/limits';

/** How long to wait for the broker's retained bundle after subscribing (none retained: nothing ever comes). */
export const RETAINED_WAIT_MS = 1500;

/** What the broker holds retained on a scope's config topic: the version a newly connecting kiosk receives. */
export interface RetainedBundle {
  version: number;
  expiresAt: string | null;
}

/** The claimed version of a retained config envelope for `scope`, or null when the payload is not one. */
export function retainedVersionOf(payload: Buffer, scope: Scope): RetainedBundle | null {
  const json = tryParseJson(payload.toString('utf8'), { maxBytes: JSON_LIMITS.envelope });
  if (!json.ok || json.value === null || typeof json.value !== 'object') return null;
  const env = json.value as { kind?: unknown; version?: unknown; expiresAt?: unknown; scope?: unknown };
  if (env.kind !== 'config' || !Number.isSafeInteger(env.version) || (env.version as number) < 1) return null;
  // a bundle for another scope on this topic is refused by every kiosk (wrong_scope): it does not hold a version here
  const s = env.scope as Partial<{ kind: string; store: string; device: string }> | undefined;
  if (!s || s.kind !== scope.kind || (scope.kind !== 'fleet' && s.store !== scope.store) || (scope.kind === 'device' && s.device !== scope.device)) return null;
  return { version: env.version as number, expiresAt: typeof env.expiresAt === 'string' ? env.expiresAt : null };
}

/**
 * Reads the retained bundle of `scope` from the broker: subscribes to its topic (the broker sends the retained
 * message at once), waits at most `waitMs`, unsubscribes. Null when nothing (or nothing usable) is retained.
 * Only the topic's own retained message counts, so a client that also carries other traffic (the console's) works.
 */
export async function readRetainedBundle(client: MqttClient, scope: Scope, waitMs = RETAINED_WAIT_MS): Promise<RetainedBundle | null> {
  const topic = configTopic(scope);
  let done: (v: RetainedBundle | null) => void = () => undefined;
  const result = new Promise<RetainedBundle | null>((resolve) => (done = resolve));
  const onMessage = (t: string, payload: Buffer, packet: { retain?: boolean }) => {
    if (t !== topic || !packet.retain) return;
    done(retainedVersionOf(payload, scope));
  };
  client.on('message', onMessage);
  const timer = setTimeout(() => done(null), waitMs);
  try {
    await client.subscribeAsync(topic, { qos: 1 });
    return await result;
  } finally {
    clearTimeout(timer);
    client.removeListener('message', onMessage);
    await client.unsubscribeAsync(topic).catch(() => undefined);
  }
}
