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

/**
 * One level's entry in the `kiosk/v1/{store}/{device}/config/reported` payload.
 *
 * `version`/`status`/`reason`/`detail` are the LAST OFFER's outcome at that level (as since v1 of this payload).
 * `inForce` (added; absent from older kiosks) is the version applied and in force at that level, kept when a later
 * offer is refused: after device v2 was applied and an older v1 arrives, the device level reads
 * `{version: 1, status: 'rejected', reason: 'not_newer', detail, inForce: 2}`. `pending` is the version accepted and
 * waiting to be applied between orders, when there is one. A reader of the older shape takes `inForce` as
 * `status === 'applied' ? version : unknown`.
 */
export interface ConfigReport {
  v: 1;
  level: ConfigLevel;
  /** The last offer's version; null when it was refused before its signature was verified (not to be believed). */
  version: number | null;
  /** The last offer's outcome. */
  status: 'applied' | 'pending' | 'rejected';
  reason?: RejectReason;
  detail?: string;
  /** The version in force at this level (applied); null when nothing was ever applied at this level. */
  inForce?: number | null;
  /** The version accepted and waiting to be applied (between orders), if any. */
  pending?: number;
}

/**
 * The `kiosk/v1/{store}/{device}/config/reported` payload (retained): every level's last outcome and version in force,
 * fleet → store → device.
 */
export interface ConfigReported {
  v: 1;
  levels: ConfigReport[];
}

/** The config version string HQ shows and the birth `state` carries: `fleet:3,device:2` — the versions IN FORCE. */
export function configVersionInForce(levels: readonly ConfigReport[]): string | null {
  const parts = levels.flatMap((r) => {
    const v = r.inForce !== undefined ? r.inForce : r.status === 'applied' ? r.version : null;
    return v === null ? [] : [`${r.level}:${v}`];
  });
  return parts.join(',') || null;
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
