import type { StoredEntry } from './fold';
import { arr, int, obj, parsePayload, text } from './journal-payload';

/**
 * A lane's card (or wallet) refund whose outcome was lost, as HQ reads it from the order's journal entries it stores
 * (`sales_events`): nothing of its own is stored, so `hq orders rebuild` has nothing to redo and an entry that arrives
 * late (out of order) changes the answer as if it had come in order.
 * - `refund_in_doubt` (payload `{refundAttemptId, attemptId, method, amount, requestNo, attendantId, returnId?, reason}`,
 *   runtime/payments/refunds.ts markInDoubt) opens it: `in_doubt` since the entry's ts.
 * - `refund_doubt_settled` for that refund attempt (`{refundAttemptId, …, outcome: 'declined', by: 'system' |
 *   'attendant', attendantId?}`) settles it not refunded; one with no `refund_in_doubt` before it (the kiosk stopped
 *   while the refund ran and found it not done) is shown settled, with no "since".
 * - a later `refund_issued` with an allocation of that payment attempt and that amount settles it refunded (by the
 *   attendant when the event has `decidedBy`) — the refund_issued carries no refund attempt id, and the kiosk pairs
 *   them the same way (runtime/payments/attempts.ts: the oldest open refund attempt of that payment attempt and amount).
 */
export interface RefundDoubt {
  refundAttemptId: string;
  /** The payment attempt it pays back. */
  paymentAttemptId: string | null;
  method: string | null;
  amount: number | null;
  /** ts of its `refund_in_doubt` entry (null: settled with no entry saying it was in doubt). */
  since: number | null;
  /** The kiosk's reason it is in doubt (timeout, dropped line, the kiosk stopped). */
  reason: string | null;
  /** The attendant of the refund itself, and its return id when it was a return. */
  attendantId: string | null;
  returnId: string | null;
  state: 'in_doubt' | 'refunded' | 'not_refunded';
  /** ts of the entry that settled it. */
  settledAt: number | null;
  /** The attendant who decided it; null when the lane found the outcome itself (terminal lookup, channel). */
  decidedBy: string | null;
}

/** Most refund doubts kept per order (a malformed journal cannot make the page unbounded). */
const MAX_DOUBTS = 100;

/** The order's refunds in doubt and how each was settled, oldest first (see {@link RefundDoubt}). */
export function refundDoubts(entries: readonly StoredEntry[]): RefundDoubt[] {
  const out: RefundDoubt[] = [];
  const byId = new Map<string, RefundDoubt>();
  for (const e of [...entries].sort((a, b) => Number(a.seq) - Number(b.seq))) {
    if (e.type !== 'refund_in_doubt' && e.type !== 'refund_doubt_settled' && e.type !== 'refund_issued') continue;
    const p = parsePayload(e.payload);
    if (!p) continue;
    const ts = Number(e.ts);
    if (e.type === 'refund_issued') {
      const ev = obj(p.event) ?? {};
      for (const a of arr(ev.allocations, 100)) {
        const al = obj(a) ?? {};
        const open = out.find((d) => d.state === 'in_doubt' && d.paymentAttemptId !== null && d.paymentAttemptId === text(al.attemptId, 100) && d.amount === int(al.amount));
        if (!open) continue;
        open.state = 'refunded';
        open.settledAt = ts;
        open.decidedBy = text(ev.decidedBy, 100);
      }
      continue;
    }
    const id = text(p.refundAttemptId, 128);
    if (!id) continue;
    let d = byId.get(id);
    if (!d) {
      if (out.length >= MAX_DOUBTS) continue;
      d = {
        refundAttemptId: id,
        paymentAttemptId: text(p.attemptId, 100),
        method: text(p.method, 32),
        amount: int(p.amount),
        since: null,
        reason: null,
        attendantId: null,
        returnId: null,
        state: 'in_doubt',
        settledAt: null,
        decidedBy: null,
      };
      byId.set(id, d);
      out.push(d);
    }
    if (e.type === 'refund_in_doubt') {
      // the first entry saying so (a second one for the same attempt changes nothing)
      if (d.since === null && d.state === 'in_doubt') {
        d.since = ts;
        d.reason = text(p.reason);
        d.attendantId = text(p.attendantId, 100);
        d.returnId = text(p.returnId, 128);
      }
    } else if (d.state === 'in_doubt') {
      d.state = 'not_refunded';
      d.settledAt = ts;
      d.decidedBy = p.by === 'attendant' ? (text(p.attendantId, 100) ?? '?') : null;
    }
  }
  return out;
}
