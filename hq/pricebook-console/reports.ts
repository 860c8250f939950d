import { tryParseJson } from '../../kernel/json/bounded-json';
import { readPricebookReported } from '../../protocol/pricebook/topics';
import type { Tx } from '../../kernel/sqlite/database';

/** Where one kiosk stands with a store's latest book, from its last retained `pricebook/reported` (fleet table). */
export interface KioskBookState {
  device: string;
  /** `waiting`: its last report is about another version (or there is none yet). */
  status: 'waiting' | 'downloading' | 'applied' | 'rejected';
  /** The version its last report names (for `waiting`, the one it reported last). */
  reportedVersion: string | null;
  received?: number;
  total?: number;
  items?: number;
  reason?: string;
  detail?: string;
  at: number | null;
}

/** The version a stored report says the kiosk runs (hq/fleet/reported.ts `inForce`), null when it does not say. */
function inForceOf(value: unknown): string | null {
  const v = value !== null && typeof value === 'object' ? (value as { inForce?: unknown }).inForce : undefined;
  return typeof v === 'string' ? v : null;
}

/**
 * Each kiosk of `store` (not retired) and its progress on `version`: chunks received of total while downloading,
 * the item count once applied (the kiosk's confirmation), the reason when it refused; `applied` too when its last
 * report is about another book but the book it runs is this one. What a kiosk sent is parsed
 * bounded and leniently (readPricebookReported: texts clipped), and escaped when rendered.
 */
export async function kioskBookStates(db: Tx, store: string, version: string | null): Promise<KioskBookState[]> {
  const rows = await db.all<{ device_id: string; pricebook_reported: string | null; pricebook_reported_at: number | string | null }>(
    'SELECT device_id, pricebook_reported, pricebook_reported_at FROM fleet WHERE store_id = ? AND retired_at IS NULL ORDER BY device_id',
    [store],
  );
  return rows.map((r) => {
    const parsed = r.pricebook_reported ? tryParseJson(r.pricebook_reported, { maxBytes: 16 * 1024 }) : null;
    const rep = parsed?.ok ? readPricebookReported(parsed.value) : null;
    const at = r.pricebook_reported_at === null ? null : Number(r.pricebook_reported_at);
    const unverifiedRefusal = rep !== null && rep.version === null && rep.status === 'rejected' && rep.claimedVersion === version;
    if (!rep || version === null || (rep.version !== version && !unverifiedRefusal)) {
      // its last report is about another book — e.g. a batch push at device level it refused as not newer — while
      // the book it runs (`inForce`, kept by HQ's fleet ingestion from its `applied` reports) is this one
      if (rep && version !== null && inForceOf(parsed?.ok ? parsed.value : null) === version) return { device: r.device_id, status: 'applied', reportedVersion: version, at };
      return { device: r.device_id, status: 'waiting', reportedVersion: rep?.version ?? rep?.claimedVersion ?? null, at };
    }
    return {
      device: r.device_id,
      status: rep.status,
      reportedVersion: version,
      ...(rep.received !== undefined ? { received: rep.received } : {}),
      ...(rep.total !== undefined ? { total: rep.total } : {}),
      ...(rep.items !== undefined ? { items: rep.items } : {}),
      ...(rep.reason !== undefined ? { reason: rep.reason } : {}),
      ...(rep.detail !== undefined ? { detail: rep.detail } : {}),
      at,
    };
  });
}
