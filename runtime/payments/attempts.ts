import type { KioskDb } from '../db/database';
import type { TransitionEffect } from '../orders/effects';

export type AttemptState = 'requested' | 'approved' | 'declined' | 'unknown';

export interface AttemptRow {
  id: string;
  orderId: string;
  method: string;
  amount: number;
  state: AttemptState;
  approvedAmount: number;
  reference: Record<string, string | number> | null;
  reason: string | null;
  createdAt: number;
  updatedAt: number;
  /** Journal seq of the transition that last changed it. */
  seq: number;
}

/**
 * Payment attempts as rows of their own, kept in step with the order transitions in the same transaction: the
 * attempt id (the idempotency key a provider sees) is committed with the order's move to `payment_pending`,
 * before anything is sent.
 */
export const trackPaymentAttempts: TransitionEffect = async (tx, { after, event, entry, now }) => {
  switch (event.type) {
    case 'payment_started':
      await tx.run(
        `INSERT INTO payment_attempts (id, order_id, method, amount, state, approved_amount, created_at, updated_at, seq)
         VALUES (?, ?, ?, ?, 'requested', 0, ?, ?, ?)`,
        [event.attemptId, after.id, event.method, event.amount, now, now, entry.seq],
      );
      return;
    case 'payment_approved':
    case 'payment_declined':
    case 'payment_timed_out':
    case 'payment_resolved': {
      const p = after.payments.find((x) => x.attemptId === event.attemptId);
      if (!p) return;
      const state: AttemptState = p.status === 'pending' ? 'requested' : p.status;
      await tx.run(
        `UPDATE payment_attempts SET state = ?, approved_amount = ?, reference = ?, reason = ?, updated_at = ?, seq = ? WHERE id = ?`,
        [state, p.approvedAmount, p.reference ? JSON.stringify(p.reference) : null, p.reason ?? null, now, entry.seq, p.attemptId],
      );
      return;
    }
    default:
      return;
  }
};

interface Row {
  id: string;
  order_id: string;
  method: string;
  amount: number;
  state: AttemptState;
  approved_amount: number;
  reference: string | null;
  reason: string | null;
  created_at: number;
  updated_at: number;
  seq: number;
}

const toAttempt = (r: Row): AttemptRow => ({
  id: r.id,
  orderId: r.order_id,
  method: r.method,
  amount: r.amount,
  state: r.state,
  approvedAmount: r.approved_amount,
  reference: r.reference ? (JSON.parse(r.reference) as Record<string, string | number>) : null,
  reason: r.reason,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  seq: r.seq,
});

export async function attemptsOf(db: KioskDb, orderId: string): Promise<AttemptRow[]> {
  return (await db.read.all<Row>('SELECT * FROM payment_attempts WHERE order_id = ? ORDER BY created_at, seq', [orderId])).map(toAttempt);
}

/** Attempts whose outcome is not settled yet: what recovery works through after a restart. */
export async function unsettledAttempts(db: KioskDb): Promise<AttemptRow[]> {
  return (await db.read.all<Row>("SELECT * FROM payment_attempts WHERE state IN ('requested', 'unknown') ORDER BY seq")).map(toAttempt);
}
