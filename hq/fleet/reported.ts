import { boundedJsonParse } from '../../kernel/json/bounded-json';
import { JSON_LIMITS } from '../../kernel/json/limits';

/**
 * What a kiosk reports on its retained `config/reported` and `pricebook/reported` topics, read leniently (older and
 * newer kiosks send different shapes; nothing a kiosk sends can throw out of here) and merged with what HQ knew, so
 * the version IN FORCE survives a later refusal:
 *
 * - config: per level (`fleet` / `store` / `device`) the last offer's outcome (`version`, `status`, `reason`,
 *   `detail`) and `inForce`, the version that level runs. A kiosk that says so (`inForce`, `versionInForce` or
 *   `applied`: a number or `{version}`) is believed; otherwise an `applied` outcome puts its version in force, and a
 *   refused or pending one keeps the version HQ knew before. HQ stores this merged form (the kiosk's fields plus
 *   `inForce`), so an HQ restart keeps it too.
 * - price book: `{v:1, version, status: 'applied'|'rejected'|'downloading', reason?, ts, items?}` plus `inForce`,
 *   the last applied version.
 */

export const CONFIG_LEVEL_NAMES = ['fleet', 'store', 'device'] as const;
export type ConfigLevelName = (typeof CONFIG_LEVEL_NAMES)[number];

export interface LevelReport {
  level: ConfigLevelName;
  /** The last offer's version (null: refused before its signature was verified). */
  version: number | null;
  status: string;
  reason?: string;
  detail?: string;
  /** The version this level runs (null: none). */
  inForce: number | null;
}

export interface ConfigReportedView {
  v: 1;
  levels: LevelReport[];
}

export interface PricebookReportedView {
  v: 1;
  version: string | number | null;
  status: string;
  reason?: string;
  ts?: number;
  items?: number;
  /** The last version the kiosk said it applied. */
  inForce: string | number | null;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
/** Text from a kiosk, cut so a table cell stays a table cell. */
const text = (v: unknown, max = 300): string | undefined => (typeof v === 'string' && v !== '' ? v.slice(0, max) : undefined);
const version = (v: unknown): number | null => (typeof v === 'number' && Number.isSafeInteger(v) ? v : null);
const versionish = (v: unknown): string | number | null =>
  typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v !== '' ? v.slice(0, 100) : null;

function parse(payload: Buffer | string): unknown {
  try {
    return boundedJsonParse(payload, { maxBytes: JSON_LIMITS.syncMessage });
  } catch {
    return undefined;
  }
}

/** An explicit in-force version in a level report, `undefined` when the kiosk does not say. */
function explicitInForce(o: Obj): number | null | undefined {
  for (const k of ['inForce', 'versionInForce', 'applied']) {
    if (!(k in o)) continue;
    const v = o[k];
    if (v === null) return null;
    if (isObj(v)) return version(v.version);
    if (typeof v === 'number') return version(v);
  }
  return undefined;
}

/**
 * A `config/reported` payload merged onto what HQ knew (`prev`); null when it is not a report at all. Levels the
 * new payload leaves out keep their previous entry.
 */
export function mergeConfigReported(prev: ConfigReportedView | undefined, payload: Buffer | string): ConfigReportedView | null {
  const o = parse(payload);
  if (!isObj(o) || !Array.isArray(o.levels)) return null;
  const byLevel = new Map<ConfigLevelName, LevelReport>(prev?.levels.map((l) => [l.level, l]) ?? []);
  for (const raw of o.levels.slice(0, 10)) {
    if (!isObj(raw) || !(CONFIG_LEVEL_NAMES as readonly unknown[]).includes(raw.level)) continue;
    const level = raw.level as ConfigLevelName;
    const status = text(raw.status, 40) ?? 'unknown';
    const v = version(raw.version);
    const said = explicitInForce(raw);
    const before = byLevel.get(level)?.inForce ?? null;
    const inForce = said !== undefined ? said : status === 'applied' ? v : before;
    byLevel.set(level, { level, version: v, status, ...(text(raw.reason) ? { reason: text(raw.reason) } : {}), ...(text(raw.detail) ? { detail: text(raw.detail) } : {}), inForce });
  }
  return { v: 1, levels: CONFIG_LEVEL_NAMES.flatMap((l) => (byLevel.has(l) ? [byLevel.get(l)!] : [])) };
}

/** The stored (merged) form read back; null for anything else. */
export function readConfigReported(stored: string | null | undefined): ConfigReportedView | null {
  return stored ? mergeConfigReported(undefined, stored) : null;
}

/** `fleet:1,device:2`: the levels in force, as the kiosk's birth writes its configVersion; null when none. */
export function configInForceLabel(view: ConfigReportedView | null | undefined): string | null {
  const parts = (view?.levels ?? []).filter((l) => l.inForce !== null).map((l) => `${l.level}:${l.inForce}`);
  return parts.length ? parts.join(',') : null;
}

/** The levels whose last offer the kiosk refused (most specific last). */
export function configRefusals(view: ConfigReportedView | null | undefined): LevelReport[] {
  return (view?.levels ?? []).filter((l) => l.status === 'rejected');
}

/** A `pricebook/reported` payload merged onto what HQ knew; null when it is not one. */
export function mergePricebookReported(prev: PricebookReportedView | undefined, payload: Buffer | string): PricebookReportedView | null {
  const o = parse(payload);
  if (!isObj(o) || typeof o.status !== 'string') return null;
  const status = o.status.slice(0, 40);
  const v = versionish(o.version);
  const said = 'inForce' in o ? versionish(o.inForce) : undefined;
  const inForce = said !== undefined ? said : status === 'applied' ? v : (prev?.inForce ?? null);
  return {
    v: 1,
    version: v,
    status,
    ...(text(o.reason) ? { reason: text(o.reason) } : {}),
    ...(typeof o.ts === 'number' && Number.isFinite(o.ts) ? { ts: o.ts } : {}),
    ...(typeof o.items === 'number' && Number.isSafeInteger(o.items) ? { items: o.items } : {}),
    inForce,
  };
}

export function readPricebookReported(stored: string | null | undefined): PricebookReportedView | null {
  return stored ? mergePricebookReported(undefined, stored) : null;
}
