import { composeConfig } from '../../config/bundle-validation';
import { defaultConfig } from '../../config/defaults';
import { clip } from '../../kernel/json/bounded-format';
import { tryParseJson } from '../../kernel/json/bounded-json';
import { JSON_LIMITS } from '../../kernel/json/limits';
import type { Tx } from '../../kernel/sqlite/database';
import { ConfigRegistry } from '../config/registry';
import type { Promotion } from './reader';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

export interface StorePromotions {
  /** The promotions in force for the store: fleet ← store bodies HQ published, merged over the kiosk defaults as a kiosk merges them (empty when none sets them). */
  promotions: Promotion[];
  /** The store-scope config body in force (every section a promotions publish keeps), or null when none was published. */
  storeBody: Obj | null;
  /** Its version. */
  storeVersion: number | null;
}

/** What HQ published for a store (hq/config registry), as a kiosk of that store composes it (config/bundle-validation.ts). */
export async function storePromotions(db: Tx, store: string): Promise<StorePromotions> {
  const registry = new ConfigRegistry(db);
  const fleet = await registry.latest({ kind: 'fleet' });
  const own = await registry.latest({ kind: 'store', store });
  const bodies = [fleet, own].filter((r) => r !== undefined).map((r) => JSON.parse(r.body) as Obj);
  const composed = composeConfig(defaultConfig(), bodies);
  return {
    // no published body sets promotions: the kiosks run their local config's, which HQ does not know (shown as none)
    promotions: composed.ok && bodies.some((b) => b.promotions !== undefined) ? composed.config.promotions : [],
    storeBody: own ? (JSON.parse(own.body) as Obj) : null,
    storeVersion: own?.version ?? null,
  };
}

/** A kiosk's last report about its store-level config (fleet.config_reported: parsed bounded, texts clipped). */
export interface KioskStoreConfig {
  device: string;
  version: number | null;
  /** `applied`, `pending`, `rejected` (as the kiosk says), or `none` when it reported no store level. */
  status: string;
  reason: string | null;
  at: number | null;
}

export async function kioskStoreConfig(db: Tx, store: string): Promise<KioskStoreConfig[]> {
  const rows = await db.all<{ device_id: string; config_reported: string | null; config_reported_at: number | null }>(
    'SELECT device_id, config_reported, config_reported_at FROM fleet WHERE store_id = ? AND retired_at IS NULL ORDER BY device_id',
    [store],
  );
  return rows.map((r) => {
    const parsed = r.config_reported === null ? null : tryParseJson(r.config_reported, { maxBytes: JSON_LIMITS.envelope });
    const levels = parsed?.ok && isObj(parsed.value) && Array.isArray(parsed.value.levels) ? parsed.value.levels.slice(0, 3) : [];
    const level = levels.find((l): l is Obj => isObj(l) && l.level === 'store');
    if (!level) return { device: r.device_id, version: null, status: 'none', reason: null, at: r.config_reported_at === null ? null : Number(r.config_reported_at) };
    const reason = typeof level.reason === 'string' ? clip(level.reason, 40) + (typeof level.detail === 'string' ? `: ${clip(level.detail, 400)}` : '') : null;
    return {
      device: r.device_id,
      version: typeof level.version === 'number' && Number.isSafeInteger(level.version) ? level.version : null,
      status: typeof level.status === 'string' ? clip(level.status, 16) : '?',
      reason,
      at: r.config_reported_at === null ? null : Number(r.config_reported_at),
    };
  });
}
