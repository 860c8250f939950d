import { canonicalJson } from '../../kernel/canonical-json';
import { isKioskError } from '../../kernel/errors';
import type { ChannelSecrets, SealedChannelSecrets } from '../../protocol/payments/channel-secrets';
import { channelSecretsAad, type SealedSection } from '../../protocol/sealed/channel-section';
import { seal } from '../../protocol/sealed/seal';
import type { Scope } from '../../protocol/signed-envelope';
import { publishConfig, type PublishDeps } from '../config/publish';
import { ConfigRegistry } from '../config/registry';
import { sealKeys } from './kiosk-keys';
import { ChannelSecretsRegistry } from './registry';
import type { HqSecretsKey } from './secrets-key';
import { writeBesideIngest } from '../ingest/pg-db';

/** One kiosk's outcome of a delivery run. */
export interface DeliveryOutcome {
  store: string;
  device: string;
  /** The channel-secrets version it is due. */
  version: number;
  /**
   * `sent`: sealed to its key and published in a signed device config bundle (`configVersion`); `unchanged`: it has
   * this version sealed to this key already; `waiting_key`: HQ knows no sealing key for it (nothing sent);
   * `failed`: publishing refused (`problems`).
   */
  status: 'sent' | 'unchanged' | 'waiting_key' | 'failed';
  configVersion?: number;
  keyFingerprint?: string;
  problems?: string[];
}

export interface DeliverDeps extends PublishDeps {
  secretsKey: HqSecretsKey;
}

interface Delivery {
  store_id: string;
  device_id: string;
  version: number;
  status: 'sent' | 'waiting_key';
  config_version: number | null;
  key_fingerprint: string | null;
}

/**
 * Delivers the payment channels' secrets to every kiosk of `stores` (all known kiosks when omitted) — the values in
 * force and each channel's previous ones ({@link sealChannelSection}) — each sealed to
 * THAT kiosk's own X25519 key (protocol/sealed) with AAD = store/device/version, inside a signed device-scoped config
 * bundle (hq/config/publish.ts: validated, versioned, retained, recorded, audited as `config.publish`). The bundle
 * body is the device's body in force with the `sealed` section replaced, so a device's own config stays as it was.
 *
 * Rules: a kiosk with no known sealing key is recorded `waiting_key` and sent nothing (never anything in clear);
 * a kiosk that has the due version sealed to its current key is left alone; a new key (re-provisioned kiosk) gets
 * the secrets sealed again. The known kiosks are the fleet's (not retired) and those with a sealing key.
 */
export async function deliverChannelSecrets(deps: DeliverDeps, opts: { stores?: readonly string[]; user: string }): Promise<DeliveryOutcome[]> {
  if (!deps.store) throw new Error('delivering channel secrets needs the HQ database');
  const db = deps.store.db;
  const registry = new ChannelSecretsRegistry(db);
  const keys = await sealKeys(db.read);
  const fleet = await db.read.all<{ store_id: string; device_id: string }>('SELECT store_id, device_id FROM fleet WHERE retired_at IS NULL');
  const kiosks = new Map<string, { store: string; device: string }>();
  for (const k of [...fleet, ...keys]) kiosks.set(`${k.store_id}/${k.device_id}`, { store: k.store_id, device: k.device_id });
  const deliveries = await db.read.all<Delivery>('SELECT store_id, device_id, version, status, config_version, key_fingerprint FROM channel_deliveries');
  const out: DeliveryOutcome[] = [];
  const due = new Map<string, Awaited<ReturnType<ChannelSecretsRegistry['effectiveFor']>>>();
  for (const { store, device } of [...kiosks.values()].sort((a, b) => `${a.store}/${a.device}`.localeCompare(`${b.store}/${b.device}`))) {
    if (opts.stores && !opts.stores.includes(store)) continue;
    if (!due.has(store)) due.set(store, await registry.effectiveFor(deps.secretsKey, store));
    const effective = due.get(store);
    if (!effective) continue;
    const key = keys.find((k) => k.store_id === store && k.device_id === device);
    const last = deliveries.find((d) => d.store_id === store && d.device_id === device);
    if (!key) {
      await record(deps, { store_id: store, device_id: device, version: effective.version, status: 'waiting_key', config_version: null, key_fingerprint: null });
      out.push({ store, device, version: effective.version, status: 'waiting_key' });
      continue;
    }
    if (last && last.status === 'sent' && Number(last.version) === effective.version && last.key_fingerprint === key.fingerprint) {
      out.push({ store, device, version: effective.version, status: 'unchanged', configVersion: Number(last.config_version), keyFingerprint: key.fingerprint });
      continue;
    }
    let section: SealedSection;
    try {
      section = sealChannelSection(key.public_key, store, device, effective);
    } catch (e) {
      if (!isKioskError(e)) throw e;
      out.push({ store, device, version: effective.version, status: 'failed', keyFingerprint: key.fingerprint, problems: [e.message] });
      continue;
    }
    const scope: Scope = { kind: 'device', store, device };
    const current = await new ConfigRegistry(db.read).latest(scope);
    const { sealed: _old, ...body } = current ? (JSON.parse(current.body) as Record<string, unknown>) : {};
    const r = await publishConfig(deps, { scope, body: { ...body, sealed: section }, user: opts.user, kind: 'publish' });
    if (!r.ok) {
      out.push({ store, device, version: effective.version, status: 'failed', keyFingerprint: key.fingerprint, problems: r.problems });
      continue;
    }
    await record(deps, { store_id: store, device_id: device, version: effective.version, status: 'sent', config_version: r.version, key_fingerprint: key.fingerprint });
    out.push({ store, device, version: effective.version, status: 'sent', configVersion: r.version, keyFingerprint: key.fingerprint });
  }
  return out;
}

/**
 * One kiosk's `sealed` section: the values in force and the previous ones (`previous`, when HQ has them) in ONE box
 * sealed to that kiosk's key, AAD = store/device/version (nothing of it in clear).
 */
export function sealChannelSection(
  publicKeyPem: string,
  store: string,
  device: string,
  effective: { version: number; secrets: ChannelSecrets; previous?: ChannelSecrets },
): SealedSection {
  const payload: SealedChannelSecrets = effective.previous ? { ...effective.secrets, previous: effective.previous } : { ...effective.secrets };
  return { v: 1, version: effective.version, box: seal(publicKeyPem, canonicalJson(payload), channelSecretsAad(store, device, effective.version)) };
}

async function record(deps: DeliverDeps, d: Delivery): Promise<void> {
  await writeBesideIngest(deps.store!.db, (tx) =>
    tx.run(
      `INSERT INTO channel_deliveries (store_id, device_id, version, status, config_version, key_fingerprint, at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (store_id, device_id) DO UPDATE SET version = excluded.version, status = excluded.status, config_version = excluded.config_version,
         key_fingerprint = excluded.key_fingerprint, at = excluded.at`,
      [d.store_id, d.device_id, d.version, d.status, d.config_version, d.key_fingerprint, deps.clock.now()],
    ),
  );
}
