import type { Tx } from '../../kernel/sqlite/database';
import { kioskKey, MEMBER_ID_RE } from '../../protocol/members/member-snapshot';
import { pointsToTakeBack } from '../../protocol/members/points-taken-back';
import { int, obj, parsePayload } from '../orders/journal-payload';
import { nextHqSeq, type LedgerRow } from './registry';

type Db = Pick<Tx, 'get' | 'all' | 'run'>;

/** A channel refund HQ made itself (hq/refunds/hq-refund.ts), now known to be refunded. */
export interface HqRefundTaken {
  store: string;
  device: string;
  order: string;
  /** The HQ refund id (kept as the entry's reason: one entry per HQ refund). */
  hqRefundId: string;
  /** Fen refunded by this HQ refund. */
  amount: number;
  /** Fen of the order's other HQ refunds already refunded (before this one). */
  hqRefundedBefore: number;
  /** The console user or `cli`. */
  actor: string;
  now: number;
}

const sum = async (db: Db, sql: string, params: unknown[]): Promise<number> => Number((await db.get<{ n: unknown }>(sql, params))?.n ?? 0);

/**
 * The points an HQ channel refund takes back (inside the transaction that records it refunded): an `hq` `reverse`
 * entry, origin `refund`, of the order's member. HQ's refunds are a series of their own, beside the kiosk's (which the
 * kiosk journals with each `refund_issued`, protocol/members/points-taken-back.ts): HQ's take
 * `floor(E·H1/P) − floor(E·H0/P)` over HQ's own refunded amounts H, so the two series together take at most
 * `floor(E·K/P) + floor(E·H/P) ≤ floor(E·(K+H)/P) ≤ E` (E earned, P paid, K the kiosk's refunds). When everything
 * HQ knows refunded (the kiosk's journaled refunds + HQ's) reaches P, it takes what is left of E after every reverse
 * entry of the order in the ledger — a full refund takes back exactly E. Never more than that either way.
 * Returns the entry, or null: no member, no points, a training order, nothing to take, or this refund already
 * took its points (a second call for it adds nothing).
 */
export async function takeBackHqRefundPoints(tx: Db, r: HqRefundTaken): Promise<LedgerRow | null> {
  const ids = [r.store, r.device, r.order];
  const completed = await tx.get<{ payload: string }>(
    "SELECT payload FROM sales_events WHERE store_id = ? AND device_id = ? AND order_id = ? AND type = 'order_completed' ORDER BY seq DESC LIMIT 1",
    ids,
  );
  const p = completed ? parsePayload(completed.payload) : null;
  const order = obj(p?.order);
  if (!p || !order || p.training === true || order.training === true) return null;
  const member = order.memberId;
  const earned = int(order.pointsEarned);
  const paid = int(order.paid);
  if (typeof member !== 'string' || !MEMBER_ID_RE.test(member) || earned === null || earned <= 0 || paid === null || paid <= 0) return null;
  const had = await tx.get("SELECT seq FROM member_points WHERE source = 'hq' AND kind = 'reverse' AND order_id = ? AND reason = ?", [r.order, r.hqRefundId]);
  if (had) return null;
  const taken = await sum(
    tx,
    "SELECT COALESCE(SUM(points), 0) AS n FROM member_points WHERE member_id = ? AND order_id = ? AND kind = 'reverse' AND source IN (?, 'hq')",
    [member, r.order, kioskKey(r.store, r.device)],
  );
  const kioskRefunded = await sum(tx, 'SELECT COALESCE(SUM(amount), 0) AS n FROM refunds WHERE store_id = ? AND device_id = ? AND order_id = ? AND seq > 0', ids);
  const h0 = r.hqRefundedBefore;
  const h1 = h0 + r.amount;
  const left = earned - taken;
  const take = Math.min(kioskRefunded + h1 >= paid ? left : pointsToTakeBack(earned, paid, h0, h1), left);
  if (take <= 0) return null;
  const seq = await nextHqSeq(tx);
  const row: LedgerRow = { memberId: member, source: 'hq', seq, kind: 'reverse', ts: r.now, points: take, orderId: r.order, origin: 'refund', actor: r.actor, reason: r.hqRefundId };
  await tx.run('INSERT INTO member_points (member_id, source, seq, kind, ts, points, order_id, origin, actor, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', [
    member,
    'hq',
    seq,
    'reverse',
    r.now,
    take,
    r.order,
    'refund',
    r.actor,
    r.hqRefundId,
  ]);
  return row;
}
