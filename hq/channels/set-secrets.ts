import type { SecretChannel } from '../../protocol/payments/channel-secrets';
import type { AuditLog, LiveHub } from '../console/types';
import { deliverChannelSecrets, type DeliverDeps, type DeliveryOutcome } from './deliver';
import { CHAIN, ChannelSecretsRegistry, type ChannelSecretsRow } from './registry';

/**
 * Sets (or rotates) one channel's values at one scope — the one path of the console's /channels form and
 * `hq channels set` — then delivers to the kiosks in scope when HQ can sign and publish (else they get them at the
 * next delivery: `hq channels deliver`, the console service). Audited `channels.set` with the channel, the scope, the
 * version, the merchant ids and the fingerprints — never a value.
 */
export async function setChannelSecrets(
  deps: Omit<DeliverDeps, 'audit' | 'live'> & { audit: AuditLog | null; live?: LiveHub | null },
  req: { scope: string; channel: SecretChannel; values: unknown; user: string; ip?: string },
): Promise<{ row: ChannelSecretsRow; deliveries: DeliveryOutcome[] | null }> {
  if (!deps.store) throw new Error('channel secrets need the HQ database');
  const row = await new ChannelSecretsRegistry(deps.store.db).set(deps.secretsKey, { ...req, now: deps.clock.now() });
  await deps.audit?.record({
    actor: req.user,
    action: 'channels.set',
    target: `${req.channel}@${req.scope === CHAIN ? 'chain' : `store:${req.scope}`}`,
    detail: { channel: req.channel, scope: req.scope, version: row.version, ids: row.ids, fingerprints: row.fingerprints },
    ...(req.ip ? { ip: req.ip } : {}),
  });
  const deliveries =
    deps.hqKey && deps.mqtt ? await deliverChannelSecrets({ ...deps, audit: deps.audit, live: deps.live ?? null }, { user: req.user, ...(req.scope === CHAIN ? {} : { stores: [req.scope] }) }) : null;
  deps.live?.publish('config', req.scope === CHAIN ? undefined : req.scope);
  return { row, deliveries };
}
