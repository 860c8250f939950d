import { tryParseJson } from '../../kernel/json/bounded-json';
import type { Tx } from '../../kernel/sqlite/database';
import { readRecallsReported, type RecallsReported } from '../../protocol/recalls/recall-list';
import { isValidId, levelsUnderRoot, underRoot } from '../../protocol/topics';

/** `kiosk/v1/+/+/recalls/reported`. */
export const RECALLS_REPORTED_FILTER = underRoot('+', '+', 'recalls', 'reported');
/** A report bigger than this is not one (a real one is well under 1 KiB). */
export const MAX_REPORT_BYTES = 4096;

/** `kiosk/v1/{store}/{device}/recalls/reported` → its ids; null for anything else. */
export function parseRecallsReportedTopic(topic: string): { storeId: string; deviceId: string } | null {
  const p = levelsUnderRoot(topic);
  if (p?.length !== 4 || p[2] !== 'recalls' || p[3] !== 'reported' || !isValidId(p[0]) || !isValidId(p[1])) return null;
  return { storeId: p[0], deviceId: p[1] };
}

/**
 * Keeps a kiosk's `recalls/reported` (the last one wins; an empty payload or anything that is not a report is
 * ignored), read bounded and leniently and kept as re-serialised. Returns the store when something was recorded.
 */
export async function recordRecallsReported(tx: Pick<Tx, 'run'>, topic: string, payload: Buffer, now: number): Promise<string | null> {
  const where = parseRecallsReportedTopic(topic);
  if (!where || payload.length === 0 || payload.length > MAX_REPORT_BYTES) return null;
  const parsed = tryParseJson(payload.toString('utf8'), { maxBytes: MAX_REPORT_BYTES });
  const rep = parsed.ok ? readRecallsReported(parsed.value) : null;
  if (!rep) return null;
  await tx.run(
    'INSERT INTO recalls_reported (store_id, device_id, payload, received_at) VALUES (?, ?, ?, ?) ON CONFLICT (store_id, device_id) DO UPDATE SET payload = excluded.payload, received_at = excluded.received_at',
    [where.storeId, where.deviceId, JSON.stringify(rep), now],
  );
  return where.storeId;
}

/** Each kiosk's last recall report, by store and device. */
export async function recallsReports(db: Pick<Tx, 'all'>): Promise<{ store: string; device: string; report: RecallsReported | null; at: number }[]> {
  const rows = await db.all<{ store_id: string; device_id: string; payload: string; received_at: unknown }>('SELECT * FROM recalls_reported ORDER BY store_id, device_id');
  return rows.map((r) => {
    const parsed = tryParseJson(r.payload, { maxBytes: MAX_REPORT_BYTES * 2 });
    return { store: r.store_id, device: r.device_id, report: parsed.ok ? readRecallsReported(parsed.value) : null, at: Number(r.received_at) };
  });
}
