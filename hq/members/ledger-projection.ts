import type { Tx } from '../../kernel/sqlite/database';
import { kioskKey, MEMBER_ID_RE } from '../../protocol/members/member-snapshot';
import type { IngestDb } from '../ingest/pg-db';
import { int, obj, parsePayload } from '../orders/journal-payload';

type Dialect = IngestDb['dialect'];

/** What the projection reads of a stored journal entry (an EventMessage acceptBatch newly stored). */
export interface LedgerSourceEntry {
  storeId: string;
  deviceId: string;
  seq: number;
  ts: number;
  orderId: string | null;
  type: string;
  payload: string;
}

/** One ledger row: `[member_id, source, seq, kind, ts, points, order_id]`. */
export type KioskPointsRow = [string, string, number, 'earn' | 'redeem' | 'reverse', number, number, string | null];

/** Points of one order beyond this are not a real order's: the entry projects nothing (a kiosk's bytes never crash HQ). */
const MAX_ORDER_POINTS = 1e9;

const points = (v: unknown): number | null => {
  const n = int(v);
  return n !== null && n > 0 && n <= MAX_ORDER_POINTS ? n : null;
};

/**
 * The points ledger entries of one journal entry (members contract), of a non-training order with a member id:
 * - `order_completed`: earns its `pointsEarned` (> 0) and redeems its `pointsRedeemed` (> 0);
 * - `refund_issued`: a `reverse` of the points that refund took back (the order's last refund's `pointsTakenBack`,
 *   > 0; runtime/orders/reduce.ts, protocol/members/points-taken-back.ts);
 * source `"<store>/<device>"`, seq and ts of that entry. Anything else, or anything malformed, gives nothing.
 */
export function pointsRowsOf(e: LedgerSourceEntry): KioskPointsRow[] {
  if (e.type !== 'order_completed' && e.type !== 'refund_issued') return [];
  const p = parsePayload(e.payload);
  const order = obj(p?.order);
  if (!p || !order) return [];
  if (p.training === true || order.training === true) return [];
  const member = order.memberId;
  if (typeof member !== 'string' || !MEMBER_ID_RE.test(member)) return [];
  const source = kioskKey(e.storeId, e.deviceId);
  const orderId = e.orderId;
  const out: KioskPointsRow[] = [];
  if (e.type === 'refund_issued') {
    const refunds = order.refunds;
    const last = Array.isArray(refunds) ? obj(refunds.at(-1)) : null;
    const taken = points(last?.pointsTakenBack);
    if (taken !== null) out.push([member, source, e.seq, 'reverse', e.ts, taken, orderId]);
    return out;
  }
  const earned = points(order.pointsEarned);
  if (earned !== null) out.push([member, source, e.seq, 'earn', e.ts, earned, orderId]);
  const redeemed = points(order.pointsRedeemed);
  if (redeemed !== null) out.push([member, source, e.seq, 'redeem', e.ts, redeemed, orderId]);
  return out;
}

/**
 * Adds the ledger entries of the journal entries acceptBatch newly stored (inside its transaction): one statement,
 * the rows as one JSON array; a row already there (a resend, a re-ingest) is left as it is.
 */
export async function projectPoints(tx: Tx, dialect: Dialect, events: readonly LedgerSourceEntry[]): Promise<number> {
  const rows = events.flatMap(pointsRowsOf);
  if (rows.length === 0) return 0;
  const sql =
    dialect === 'sqlite'
      ? `INSERT INTO member_points (member_id, source, seq, kind, ts, points, order_id, origin)
         SELECT r.value ->> 0, r.value ->> 1, r.value ->> 2, r.value ->> 3, r.value ->> 4, r.value ->> 5, r.value ->> 6, 'kiosk'
         FROM json_each(?) r WHERE true ON CONFLICT (source, seq, kind, member_id) DO NOTHING`
      : `INSERT INTO member_points (member_id, source, seq, kind, ts, points, order_id, origin)
         SELECT r ->> 0, r ->> 1, (r ->> 2)::bigint, r ->> 3, (r ->> 4)::bigint, (r ->> 5)::bigint, r ->> 6, 'kiosk'
         FROM json_array_elements(?::json) r ON CONFLICT (source, seq, kind, member_id) DO NOTHING`;
  await tx.run(sql, [JSON.stringify(rows)]);
  return rows.length;
}

/** Entries that left the journal for quarantine (a conflicting chain) leave the ledger too. */
export async function removeEvictedPoints(tx: Tx, dialect: Dialect, storeId: string, deviceId: string, seqs: readonly number[]): Promise<void> {
  if (seqs.length === 0) return;
  await tx.run(
    dialect === 'sqlite'
      ? 'DELETE FROM member_points WHERE source = ? AND seq IN (SELECT value FROM json_each(?))'
      : 'DELETE FROM member_points WHERE source = ? AND seq IN (SELECT x::bigint FROM json_array_elements_text(?::json) x)',
    [kioskKey(storeId, deviceId), JSON.stringify(seqs)],
  );
}
