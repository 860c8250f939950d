import type { Tx } from '../../kernel/sqlite/database';
import type { JournalEntry } from '../../protocol/journal/entry';
import { recordOwnPoints } from '../members/member-store';
import type { OrderEvent } from './events';
import type { Order } from './order';

/**
 * Rows other tables keep in step with an order transition, written inside the transition's own transaction (so
 * they commit or vanish with it). Effects must not read outside `tx` or call out of process.
 */
export type TransitionEffect = (tx: Tx, t: { before: Order; after: Order; event: OrderEvent; entry: JournalEntry; now: number }) => Promise<void>;

/**
 * Loyalty: a completed order credits the member's points earned and debits the points it used — in the member's
 * running total (`members`) and as the kiosk's own ledger entry keyed by the `order_completed` journal seq
 * (`member_points_local`: the balance estimate counts it until HQ's snapshot says it has). A refund of a member's
 * order takes back the points its RefundRecord says (`pointsTakenBack` > 0) the same way, keyed by the
 * `refund_issued` seq (earned = −taken: HQ's `reverse` entry of that seq). Training orders never.
 */
export const creditMemberPoints: TransitionEffect = async (tx, { after, event, entry, now }) => {
  if (!after.memberId || after.training) return;
  let earned: number;
  let redeemed = 0;
  if (event.type === 'order_completed') {
    earned = after.pointsEarned;
    redeemed = after.pointsRedeemed ?? 0;
  } else if (event.type === 'refund_issued') {
    earned = -(after.refunds.at(-1)?.pointsTakenBack ?? 0);
  } else return;
  if (earned === 0 && redeemed <= 0) return;
  await tx.run(
    `INSERT INTO members (id, points, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET points = points + excluded.points, updated_at = excluded.updated_at`,
    [after.memberId, earned - redeemed, now],
  );
  await recordOwnPoints(tx, { seq: entry.seq, memberId: after.memberId, orderId: after.id, earned, redeemed, ts: entry.ts });
};
