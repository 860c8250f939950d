import type { StoreScope } from '../console/types';
import { scopeWhere } from '../console/scope-sql';
import type { IngestDb } from '../ingest/pg-db';

/**
 * Kiosk tags at HQ (schema v13, `kiosk_tags`): free words an operator puts on kiosks ("entrance", "pilot") so a batch
 * can select "every kiosk tagged T in stores S…". Selection always stays inside the user's store scope and leaves
 * retired kiosks out.
 */

/** A tag: 1-32 characters of lower-case letters, digits, `-` and `_`, starting with a letter or digit. */
export const TAG_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/;
/** At most this many tags on one kiosk (a bound on what one form can grow). */
export const MAX_TAGS_PER_KIOSK = 20;

export function isValidTag(tag: string): boolean {
  return TAG_PATTERN.test(tag);
}

export type TagOutcome = 'added' | 'exists' | 'removed' | 'absent' | 'invalid' | 'too_many';

/** Puts `tag` on a kiosk; 'invalid' for a malformed tag, 'too_many' past {@link MAX_TAGS_PER_KIOSK}. */
export async function addTag(db: IngestDb, storeId: string, deviceId: string, tag: string, by: string, now: number): Promise<TagOutcome> {
  if (!isValidTag(tag)) return 'invalid';
  return db.transaction(async (tx) => {
    const have = await tx.all<{ tag: string }>('SELECT tag FROM kiosk_tags WHERE store_id = ? AND device_id = ?', [storeId, deviceId]);
    if (have.some((r) => r.tag === tag)) return 'exists';
    if (have.length >= MAX_TAGS_PER_KIOSK) return 'too_many';
    await tx.run('INSERT INTO kiosk_tags (store_id, device_id, tag, tagged_by, tagged_at) VALUES (?, ?, ?, ?, ?)', [storeId, deviceId, tag, by, now]);
    return 'added';
  });
}

/** Takes `tag` off a kiosk. */
export async function removeTag(db: IngestDb, storeId: string, deviceId: string, tag: string): Promise<TagOutcome> {
  if (!isValidTag(tag)) return 'invalid';
  const r = await db.transaction((tx) => tx.run('DELETE FROM kiosk_tags WHERE store_id = ? AND device_id = ? AND tag = ?', [storeId, deviceId, tag]));
  return r.changes > 0 ? 'removed' : 'absent';
}

const key = (s: string, d: string) => `${s}/${d}`;

/** The tags of the kiosks in scope, keyed `store/device`, each list sorted. */
export async function tagsInScope(db: IngestDb, scope: StoreScope): Promise<Map<string, string[]>> {
  const w = scopeWhere(scope, 'store_id');
  const rows = await db.read.all<{ store_id: string; device_id: string; tag: string }>(
    `SELECT store_id, device_id, tag FROM kiosk_tags WHERE ${w.sql} ORDER BY store_id, device_id, tag`,
    w.params,
  );
  const out = new Map<string, string[]>();
  for (const r of rows) {
    const k = key(r.store_id, r.device_id);
    const list = out.get(k) ?? [];
    list.push(r.tag);
    out.set(k, list);
  }
  return out;
}

/** Every tag used on a kiosk in scope (for the filter's list). */
export async function tagNamesInScope(db: IngestDb, scope: StoreScope): Promise<string[]> {
  const w = scopeWhere(scope, 'store_id');
  const rows = await db.read.all<{ tag: string }>(`SELECT DISTINCT tag FROM kiosk_tags WHERE ${w.sql} ORDER BY tag`, w.params);
  return rows.map((r) => r.tag);
}

export interface KioskSelection {
  /** Only these stores (empty or absent: every store in scope). */
  stores?: readonly string[];
  /** Only kiosks carrying this tag. */
  tag?: string;
}

/**
 * The kiosks a batch targets: known to HQ's fleet, not retired, inside `scope`, in one of `sel.stores` (when given)
 * and tagged `sel.tag` (when given). Sorted by store then device. A store outside the scope selects nothing.
 */
export async function selectKiosks(db: IngestDb, scope: StoreScope, sel: KioskSelection): Promise<{ storeId: string; deviceId: string }[]> {
  const w = scopeWhere(scope, 'f.store_id');
  const cond = [w.sql, 'f.retired_at IS NULL'];
  const params: (string | number)[] = [...w.params];
  const stores = [...new Set(sel.stores ?? [])];
  if (stores.length > 0) {
    cond.push(`f.store_id IN (${stores.map(() => '?').join(', ')})`);
    params.push(...stores);
  }
  if (sel.tag !== undefined) {
    if (!isValidTag(sel.tag)) return [];
    cond.push('EXISTS (SELECT 1 FROM kiosk_tags t WHERE t.store_id = f.store_id AND t.device_id = f.device_id AND t.tag = ?)');
    params.push(sel.tag);
  }
  const rows = await db.read.all<{ store_id: string; device_id: string }>(
    `SELECT f.store_id, f.device_id FROM fleet f WHERE ${cond.join(' AND ')} ORDER BY f.store_id, f.device_id`,
    params,
  );
  return rows.map((r) => ({ storeId: r.store_id, deviceId: r.device_id }));
}
