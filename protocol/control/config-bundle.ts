import type { RejectReason } from '../signed-envelope';

/**
 * The wire of HQ's signed config bundles, shared by HQ (`hq config push`, which signs them) and the kiosk (which
 * applies them): the levels a bundle addresses, the fields a bundle body may not set, and the `config/reported` payload.
 * The body itself is the config sections to set (validated by the kiosk against its config schema after merging)
 * plus an optional `trust: {add: [pem…], remove: [keyId…]}`.
 */

/** The three levels a config bundle can address; a more specific level wins. */
export type ConfigLevel = 'fleet' | 'store' | 'device';
export const CONFIG_LEVELS: readonly ConfigLevel[] = ['fleet', 'store', 'device'];

/** One level's entry in the `kiosk/v1/{store}/{device}/config/reported` payload: the last outcome at that level. */
export interface ConfigReport {
  v: 1;
  level: ConfigLevel;
  /** null when the envelope was refused before its signature was verified (its version is not to be believed). */
  version: number | null;
  status: 'applied' | 'pending' | 'rejected';
  reason?: RejectReason;
  detail?: string;
}

/** The `kiosk/v1/{store}/{device}/config/reported` payload (retained): every level's last outcome. */
export interface ConfigReported {
  v: 1;
  levels: ConfigReport[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The fields a bundle may not set: where the data lives and who this kiosk is come from provisioning only. */
export function forbiddenBundleField(body: Obj): string | null {
  if ('dataDir' in body) return 'dataDir: cannot be set by a config bundle';
  const device = body.device;
  if (isObj(device)) {
    if ('storeId' in device) return 'device.storeId: cannot be set by a config bundle';
    if ('deviceId' in device) return 'device.deviceId: cannot be set by a config bundle';
  }
  return null;
}
