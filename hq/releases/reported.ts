import type { Tx } from '../../kernel/sqlite/database';
import { tryParseJson } from '../../kernel/json/bounded-json';
import { releaseReportedSchema, type ReleaseReported } from '../../protocol/releases/release-offer';
import { isValidId, levelsUnderRoot, underRoot } from '../../protocol/topics';

/** `kiosk/v1/+/+/release/reported`. */
export const RELEASE_REPORTED_FILTER = underRoot('+', '+', 'release', 'reported');
/** A report bigger than this is not one (a real one is well under 1 KiB). */
export const MAX_REPORT_BYTES = 4096;

/** `kiosk/v1/{store}/{device}/release/reported` → its ids; null for anything else. */
export function parseReleaseReportedTopic(topic: string): { storeId: string; deviceId: string } | null {
  const p = levelsUnderRoot(topic);
  if (p?.length !== 4 || p[2] !== 'release' || p[3] !== 'reported' || !isValidId(p[0]) || !isValidId(p[1])) return null;
  return { storeId: p[0], deviceId: p[1] };
}

/** A report's payload, read bounded and strictly (protocol/releases/release-offer.ts); null when it is not one. */
export function readReleaseReported(payload: Buffer): ReleaseReported | null {
  if (payload.length === 0 || payload.length > MAX_REPORT_BYTES) return null;
  const parsed = tryParseJson(payload.toString('utf8'), { maxBytes: MAX_REPORT_BYTES });
  if (!parsed.ok) return null;
  const r = releaseReportedSchema.safeParse(parsed.value);
  return r.success ? r.data : null;
}

/**
 * Records a kiosk's `release/reported` on its row of the rollout it names (the latest step wins; a report older than
 * the recorded one — by the kiosk's `ts` — is ignored, so a retained report seen again after a restart changes
 * nothing). A report for a rollout that does not target the kiosk is ignored. Returns the rollout id when recorded.
 */
export async function recordReleaseReported(tx: Pick<Tx, 'run' | 'get'>, topic: string, payload: Buffer, now: number): Promise<string | null> {
  const where = parseReleaseReportedTopic(topic);
  const rep = where ? readReleaseReported(payload) : null;
  if (!where || !rep) return null;
  const r = await tx.run(
    `UPDATE rollout_kiosks SET step = ?, step_ts = ?, running = ?, reason = ?, detail = ?, received = ?, total = ?, reported_at = ?
     WHERE rollout_id = ? AND store_id = ? AND device_id = ? AND (step_ts IS NULL OR step_ts < ? OR (step_ts = ? AND step <> ?))`,
    [rep.step, rep.ts, rep.running, rep.reason ?? null, rep.detail ?? null, rep.received ?? null, rep.total ?? null, now, rep.rollout, where.storeId, where.deviceId, rep.ts, rep.ts, rep.step],
  );
  return r.changes > 0 ? rep.rollout : null;
}
