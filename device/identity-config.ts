import type { KioskConfig } from '../config/schema';
import { KioskError } from '../kernel/errors';
import { readIdentity } from '../runtime/trust/identity';

/** A config id the provisioned identity replaced: the config said `config`, the kiosk is `identity`. */
export interface IdentityOverride {
  field: 'device.storeId' | 'device.deviceId';
  config: string;
  identity: string;
}

/**
 * THE identity of this kiosk: the store and device ids `kiosk provision` wrote to `<dataDir>/identity.json` win over
 * whatever the config file or KIOSK_* variables say — for the ready line, receipts, reports, the journal, the
 * outbox and the MQTT topics alike. The one merge point: `configFrom` (every CLI command) and `bootKiosk` both call
 * it; it is idempotent. Unprovisioned: the config's ids. An unreadable identity throws KioskError IDENTITY_INVALID
 * (`unreadable: 'keep-config'`: the config's ids, for CLI commands).
 */
export function withIdentity(config: KioskConfig, opts: { unreadable?: 'throw' | 'keep-config' } = {}): { config: KioskConfig; overrides: IdentityOverride[] } {
  let identity: ReturnType<typeof readIdentity>;
  try {
    identity = readIdentity(config.dataDir);
  } catch (e) {
    // a command that only reads or repairs the data dir (backup, factory-reset, support-bundle…) still runs;
    // booting the kiosk does not (bootKiosk keeps the default, `throw`)
    if (opts.unreadable === 'keep-config' && e instanceof KioskError && e.code === 'IDENTITY_INVALID') return { config, overrides: [] };
    throw e;
  }
  if (!identity) return { config, overrides: [] };
  const overrides: IdentityOverride[] = [];
  if (config.device.storeId !== identity.store) overrides.push({ field: 'device.storeId', config: config.device.storeId, identity: identity.store });
  if (config.device.deviceId !== identity.device) overrides.push({ field: 'device.deviceId', config: config.device.deviceId, identity: identity.device });
  if (!overrides.length) return { config, overrides };
  return { config: { ...config, device: { ...config.device, storeId: identity.store, deviceId: identity.device } }, overrides };
}

/** The one info line `kiosk start` logs when the identity replaced config ids; null when they agree. */
export function identityNotice(overrides: readonly IdentityOverride[]): string | null {
  if (!overrides.length) return null;
  return `provisioned identity wins over the config: ${overrides.map((o) => `${o.field} ${o.config} -> ${o.identity}`).join(', ')}`;
}
