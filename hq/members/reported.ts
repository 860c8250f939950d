import { tryParseJson } from '../../kernel/json/bounded-json';
import type { Tx } from '../../kernel/sqlite/database';
import { readMembersReported, type MembersReported } from '../../protocol/members/member-snapshot';
import { isValidId, levelsUnderRoot, underRoot } from '../../protocol/topics';

/** `kiosk/v1/+/+/members/reported`. */
export const MEMBERS_REPORTED_FILTER = underRoot('+', '+', 'members', 'reported');
/** A report bigger than this is not one (a real one is well under 1 KiB). */
export const MAX_REPORT_BYTES = 4096;

/** `kiosk/v1/{store}/{device}/members/reported` → its ids; null for anything else. */
export function parseReportedTopic(topic: string): { storeId: string; deviceId: string } | null {
  const p = levelsUnderRoot(topic);
  if (p?.length !== 4 || p[2] !== 'members' || p[3] !== 'reported' || !isValidId(p[0]) || !isValidId(p[1])) return null;
  return { storeId: p[0], deviceId: p[1] };
}

/**
 * Keeps a kiosk's `members/reported` (the last one wins; a retained empty payload or anything that is not a report is
 * ignored). The payload is read bounded and leniently (readMembersReported clips its texts) and kept as re-serialised.
 * Returns the store when something was recorded.
 */
export async function recordMembersReported(tx: Pick<Tx, 'run'>, topic: string, payload: Buffer, now: number): Promise<string | null> {
  const where = parseReportedTopic(topic);
  if (!where || payload.length === 0 || payload.length > MAX_REPORT_BYTES) return null;
  const parsed = tryParseJson(payload.toString('utf8'), { maxBytes: MAX_REPORT_BYTES });
  const rep = parsed.ok ? readMembersReported(parsed.value) : null;
  if (!rep) return null;
  await tx.run(
    'INSERT INTO members_reported (store_id, device_id, payload, received_at) VALUES (?, ?, ?, ?) ON CONFLICT (store_id, device_id) DO UPDATE SET payload = excluded.payload, received_at = excluded.received_at',
    [where.storeId, where.deviceId, JSON.stringify(rep), now],
  );
  return where.storeId;
}

/** One kiosk of a store and the member snapshot it last reported. */
export interface KioskMembersState {
  device: string;
  report: MembersReported | null;
  at: number | null;
}

/** Each kiosk of `store` (the fleet's, not retired, and any that reported) with its last report. */
export async function kioskMembersStates(db: Pick<Tx, 'all'>, store: string): Promise<KioskMembersState[]> {
  const rows = await db.all<{ device_id: string; payload: string | null; received_at: unknown }>(
    `SELECT k.device_id, r.payload, r.received_at FROM
       (SELECT device_id FROM fleet WHERE store_id = ?1 AND retired_at IS NULL UNION SELECT device_id FROM members_reported WHERE store_id = ?1) k
       LEFT JOIN members_reported r ON r.store_id = ?1 AND r.device_id = k.device_id
     ORDER BY k.device_id`,
    [store],
  );
  return rows.map((r) => {
    const parsed = r.payload ? tryParseJson(r.payload, { maxBytes: MAX_REPORT_BYTES * 2 }) : null;
    return { device: r.device_id, report: parsed?.ok ? readMembersReported(parsed.value) : null, at: r.received_at === null ? null : Number(r.received_at) };
  });
}
