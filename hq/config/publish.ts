import type { KeyObject } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import type { Clock } from '../../kernel/clock';
import { canonicalJson } from '../../kernel/canonical-json';
import { configTopic } from '../../protocol/control/topics';
import { describeScope, serializeEnvelope, type Envelope, type Scope } from '../../protocol/signed-envelope';
import type { AuditLog, LiveHub } from '../console/types';
import type { IngestStore } from '../ingest/store';
import { signConfigBundle } from '../signing';
import { ConfigRegistry, scopeKey, storeOf, type PublishKind } from './registry';
import { readRetainedBundle, RETAINED_WAIT_MS } from './retained';
import { bundleProblems } from './validate';

/** How long a bundle is valid for a kiosk to accept it (the renewer publishes the same body again before that). */
export const DEFAULT_EXPIRY_MS = 30 * 86_400_000;

/** What publishing needs: the console's context, or what `hq config push` assembled. */
export interface PublishDeps {
  /** The registry lives here; without it (`hq config push` without `--db`) only the broker's retained version counts. */
  store: IngestStore | null;
  mqtt: MqttClient | null;
  hqKey: KeyObject | null;
  clock: Clock;
  audit?: AuditLog | null;
  live?: LiveHub | null;
  /** How long to wait for the retained bundle (tests shorten it); default RETAINED_WAIT_MS. */
  retainedWaitMs?: number;
}

export interface PublishRequest {
  scope: Scope;
  /** The config sections (and an optional `trust`). */
  body: unknown;
  /** Omitted: one more than the highest known (registry and broker). */
  version?: number;
  /** Who publishes (a console user, `system` for renewals, the CLI's `cli`). */
  user: string;
  kind: PublishKind;
  rolledBackFrom?: number;
  expiresInMs?: number;
  ip?: string;
}

export type PublishRefusal =
  /** The body would be refused by a kiosk (`problems` says why, one line per problem). */
  | 'invalid'
  /** The version is not above the highest known for the scope. */
  | 'not_newer'
  /** No key or no broker. */
  | 'unavailable';

export type PublishResult =
  | { ok: true; envelope: Envelope; topic: string; version: number; body: string }
  | { ok: false; refusal: PublishRefusal; problems: string[] };

/** The highest version known for a scope: the registry's newest and the broker's retained one. */
export async function knownVersion(deps: Pick<PublishDeps, 'store' | 'mqtt' | 'retainedWaitMs'>, scope: Scope): Promise<{ registry: number; retained: number }> {
  const registry = deps.store ? ((await new ConfigRegistry(deps.store.db.read).latest(scope))?.version ?? 0) : 0;
  const retained = deps.mqtt ? ((await readRetainedBundle(deps.mqtt, scope, deps.retainedWaitMs ?? RETAINED_WAIT_MS))?.version ?? 0) : 0;
  return { registry, retained };
}

// one publish at a time per process: the version check and the record must not interleave with another publish
let chain: Promise<unknown> = Promise.resolve();

/**
 * Publishes a config bundle safely:
 * 1. validates the body as a kiosk would (hq/config/validate.ts, with the bodies in force at the less specific
 *    levels): a body with problems is refused — nothing signed, nothing published;
 * 2. the version must be strictly greater than every version known for the scope, in the registry AND retained on
 *    the broker (what a kiosk connecting later receives); omitted, it is the next one;
 * 3. signs it (Ed25519, `expiresInMs`, default 30 days), publishes it retained with QoS 1 on the scope's topic,
 *    records it in `config_versions`, audits `config.publish` and tells open pages (`config`).
 * Publishing comes before recording: a failed record leaves the broker ahead of the registry, which step 2 still sees.
 */
export function publishConfig(deps: PublishDeps, req: PublishRequest): Promise<PublishResult> {
  const next = chain.then(() => publishNow(deps, req));
  chain = next.catch(() => undefined);
  return next;
}

async function publishNow(deps: PublishDeps, req: PublishRequest): Promise<PublishResult> {
  if (!deps.hqKey || !deps.mqtt) {
    return { ok: false, refusal: 'unavailable', problems: [`cannot publish: ${!deps.hqKey ? 'no HQ signing key' : 'no broker'}`] };
  }
  const registry = deps.store ? new ConfigRegistry(deps.store.db.read) : null;
  const problems = bundleProblems(req.body, { before: registry ? await registry.layersUnder(req.scope) : [] });
  if (problems.length) return { ok: false, refusal: 'invalid', problems };

  const known = await knownVersion(deps, req.scope);
  const highest = Math.max(known.registry, known.retained);
  const version = req.version ?? highest + 1;
  if (!Number.isSafeInteger(version) || version < 1) return { ok: false, refusal: 'not_newer', problems: [`bad version ${version}: expected an integer ≥ 1`] };
  if (version <= highest) {
    const where = known.retained >= known.registry ? 'retained on the broker' : 'in the registry';
    return {
      ok: false,
      refusal: 'not_newer',
      problems: [`version ${version} is not newer than version ${highest} ${where} for ${describeScope(req.scope)}: kiosks would refuse it and a kiosk connecting later would receive it; use ${highest + 1} or more`],
    };
  }

  const body = JSON.parse(canonicalJson(req.body)) as Record<string, unknown>;
  const now = deps.clock.now();
  const envelope = signConfigBundle({ scope: req.scope, version, body, key: deps.hqKey, now, expiresInMs: req.expiresInMs ?? DEFAULT_EXPIRY_MS });
  const payload = serializeEnvelope(envelope);
  const topic = configTopic(req.scope);
  await deps.mqtt.publishAsync(topic, payload, { qos: 1, retain: true });
  const bodyText = canonicalJson(body);
  if (deps.store) {
    await deps.store.db.transaction((tx) =>
      ConfigRegistry.insert(tx, {
        scope: scopeKey(req.scope),
        version,
        body: bodyText,
        envelope: payload,
        published_by: req.user,
        published_at: now,
        expires_at: Date.parse(envelope.expiresAt),
        kind: req.kind,
        rolled_back_from: req.rolledBackFrom ?? null,
      }),
    );
  }
  await deps.audit?.record({
    actor: req.user,
    action: 'config.publish',
    target: scopeKey(req.scope),
    detail: { version, kind: req.kind, ...(req.rolledBackFrom !== undefined ? { rolledBackFrom: req.rolledBackFrom } : {}), expiresAt: envelope.expiresAt, keyId: envelope.keyId },
    ...(req.ip ? { ip: req.ip } : {}),
  });
  deps.live?.publish('config', storeOf(req.scope));
  return { ok: true, envelope, topic, version, body: bodyText };
}
