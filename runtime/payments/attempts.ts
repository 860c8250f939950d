import type { KioskDb } from '../../kernel/sqlite/database';
import type { TransitionEffect } from '../orders/effects';
import type { AttemptContext } from '../orders/events';

/**
 * requested → sent → approved | declined | unknown; unknown → approved | declined (recovery or attendant);
 * approved → captured (the terminal's end-of-day settled it) | reversed (cancelled before settlement) |
 * partially_refunded | refunded.
 */
export type AttemptState = 'requested' | 'sent' | 'approved' | 'declined' | 'unknown' | 'reversed' | 'captured' | 'partially_refunded' | 'refunded';

export interface AttemptRow {
  id: string;
  orderId: string;
  method: string;
  amount: number;
  state: AttemptState;
  approvedAmount: number;
  refundedAmount: number;
  reference: Record<string, string | number> | null;
  /** What the provider recorded just before sending (see AttemptContext). */
  context: AttemptContext | null;
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
    case 'payment_sent':
      await tx.run(`UPDATE payment_attempts SET state = 'sent', context = ?, updated_at = ?, seq = ? WHERE id = ?`, [
        event.context ? JSON.stringify(event.context) : null,
        now,
        entry.seq,
        event.attemptId,
      ]);
      return;
    case 'payment_approved':
    case 'payment_declined':
    case 'payment_timed_out':
    case 'payment_resolved': {
      const p = after.payments.find((x) => x.attemptId === event.attemptId);
      if (!p) return;
      const state: AttemptState = p.status === 'pending' ? (p.sent ? 'sent' : 'requested') : p.status;
      await tx.run(
        `UPDATE payment_attempts SET state = ?, approved_amount = ?, reference = ?, reason = ?, updated_at = ?, seq = ? WHERE id = ?`,
        [state, p.approvedAmount, p.reference ? JSON.stringify(p.reference) : null, p.reason ?? null, now, entry.seq, p.attemptId],
      );
      return;
    }
    case 'refund_issued':
      for (const a of event.allocations ?? []) {
        await tx.run(
          `UPDATE payment_attempts SET refunded_amount = refunded_amount + ?,
             state = CASE WHEN ? = 'reversal' THEN 'reversed'
                          WHEN refunded_amount + ? >= approved_amount THEN 'refunded' ELSE 'partially_refunded' END,
             updated_at = ?, seq = ? WHERE id = ?`,
          [a.amount, a.via, a.amount, now, entry.seq, a.attemptId],
        );
        // the refund attempt this part paid back (runtime/payments/refund-attempts.ts): at most one of a payment
        // attempt is open at a time (Refunds settles an order's open ones before anything new is sent)
        await tx.run(
          `UPDATE refund_attempts SET state = 'refunded', via = ?, reference = ?, updated_at = ?, seq = ?
           WHERE id = (SELECT id FROM refund_attempts WHERE payment_attempt_id = ? AND amount = ? AND state IN ('sent', 'unknown') ORDER BY created_at, rowid LIMIT 1)`,
          [a.via, a.reference ? JSON.stringify(a.reference) : null, now, entry.seq, a.attemptId, a.amount],
        );
      }
      return;
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
  refunded_amount: number;
  reference: string | null;
  context: string | null;
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
  refundedAmount: r.refunded_amount,
  reference: r.reference ? (JSON.parse(r.reference) as Record<string, string | number>) : null,
  context: r.context ? (JSON.parse(r.context) as AttemptContext) : null,
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
  return (await db.read.all<Row>("SELECT * FROM payment_attempts WHERE state IN ('requested', 'sent', 'unknown') ORDER BY seq")).map(toAttempt);
}

/**
 * The trace number of the most recent terminal transaction the kiosk has on record, or null: the latest of a card
 * payment's (approved / resolved), a card refund's or reversal's (refund_issued allocations) and the terminal's
 * end-of-day, in journal order. A card attempt records it before sending, so recovery can tell whether the terminal
 * ran anything since — a reversal or refund run after the last payment must count, or the terminal's record of it
 * would look like a newer transaction.
 */
export async function lastRecordedTraceNumber(db: KioskDb): Promise<number | null> {
  const row = await db.read.get<{ trace: number }>(LAST_TRACE_SQL);
  return row?.trace ?? null;
}

/**
 * Newest first over the partial index journal_terminal_trace (migration 8): the walk stops at the first entry with
 * a card trace number, so the cost does not grow with the journal (three full scans took ~190 ms at 500 000
 * entries). The type list must stay word for word the index's, or SQLite cannot use it.
 */
export const LAST_TRACE_SQL = `SELECT CAST(trace AS INTEGER) AS trace FROM (
       SELECT seq, CASE type
         WHEN 'terminal_end_of_day' THEN json_extract(payload, '$.traceNumber')
         WHEN 'refund_issued' THEN (
           SELECT json_extract(a.value, '$.reference.traceNumber') FROM json_each(payload, '$.event.allocations') a
           WHERE json_extract(a.value, '$.method') = 'card' AND json_extract(a.value, '$.reference.traceNumber') IS NOT NULL
           ORDER BY a.key DESC LIMIT 1)
         ELSE json_extract(payload, '$.event.reference.traceNumber') END AS trace
       FROM journal
       WHERE type IN ('payment_approved', 'payment_resolved', 'payment_declined', 'refund_issued', 'terminal_end_of_day')
       ORDER BY seq DESC)
     WHERE trace IS NOT NULL LIMIT 1`;
