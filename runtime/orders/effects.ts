import type { Tx } from '../../kernel/sqlite/database';
import type { JournalEntry } from '../../protocol/journal/entry';
import type { OrderEvent } from './events';
import type { Order } from './order';

/**
 * Rows other tables keep in step with an order transition, written inside the transition's own transaction (so
 * they commit or vanish with it). Effects must not read outside `tx` or call out of process.
 */
export type TransitionEffect = (tx: Tx, t: { before: Order; after: Order; event: OrderEvent; entry: JournalEntry; now: number }) => Promise<void>;

/** Loyalty: a completed order credits the member's points. */
export const creditMemberPoints: TransitionEffect = async (tx, { after, event, now }) => {
  if (event.type !== 'order_completed' || !after.memberId || after.pointsEarned <= 0) return;
  await tx.run(
    `INSERT INTO members (id, points, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET points = points + excluded.points, updated_at = excluded.updated_at`,
    [after.memberId, after.pointsEarned, now],
  );
};
