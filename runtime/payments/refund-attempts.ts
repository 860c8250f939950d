import type { Minor } from '../../kernel/money';
import type { KioskDb, Tx } from '../../kernel/sqlite/database';
import type { AttemptContext, PaymentReference } from '../orders/events';
import type { RefundRequest } from './provider';

/**
 * requested → sent → refunded | declined | unknown; unknown (and sent, after a crash) → refunded | declined by the
 * provider's refund lookup, or — when the provider cannot tell — by the attendant (`Refunds.decide`). A row is written before the provider hears of the refund, so a refund whose outcome
 * was lost is never forgotten, and never sent again while it is in doubt.
 */
export type RefundAttemptState = 'requested' | 'sent' | 'refunded' | 'declined' | 'unknown';

/** What the refund journals once it is known to be done (refund_issued), kept with each of its parts. */
export interface RefundAttemptInput {
  attendantId: string;
  reason?: string;
  returnId?: string;
  lineIds?: string[];
  /** The whole refund request (all its parts). */
  total: Minor;
}

export interface RefundAttemptRow {
  id: string;
  orderId: string;
  paymentAttemptId: string;
  method: string;
  requestKey: string;
  returnId: string | null;
  requestNo: string;
  requestN: number;
  amount: Minor;
  state: RefundAttemptState;
  context: AttemptContext | null;
  request: RefundRequest;
  input: RefundAttemptInput;
  sentSeq: number | null;
  via: string | null;
  reference: PaymentReference | null;
  reason: string | null;
  createdAt: number;
  updatedAt: number;
  seq: number | null;
}

interface Row {
  id: string;
  order_id: string;
  payment_attempt_id: string;
  method: string;
  request_key: string;
  return_id: string | null;
  request_no: string;
  request_n: number;
  amount: number;
  state: RefundAttemptState;
  context: string | null;
  request: string;
  input: string;
  sent_seq: number | null;
  via: string | null;
  reference: string | null;
  reason: string | null;
  created_at: number;
  updated_at: number;
  seq: number | null;
}

const toRow = (r: Row): RefundAttemptRow => ({
  id: r.id,
  orderId: r.order_id,
  paymentAttemptId: r.payment_attempt_id,
  method: r.method,
  requestKey: r.request_key,
  returnId: r.return_id,
  requestNo: r.request_no,
  requestN: r.request_n,
  amount: r.amount,
  state: r.state,
  context: r.context ? (JSON.parse(r.context) as AttemptContext) : null,
  request: JSON.parse(r.request) as RefundRequest,
  input: JSON.parse(r.input) as RefundAttemptInput,
  sentSeq: r.sent_seq,
  via: r.via,
  reference: r.reference ? (JSON.parse(r.reference) as PaymentReference) : null,
  reason: r.reason,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  seq: r.seq,
});

/** States whose outcome is not settled: `sent` is one only when no refund of this process is running it. */
export const OPEN_STATES: readonly RefundAttemptState[] = ['requested', 'sent', 'unknown'];

/**
 * The refund request number for one refund request (a return id, or one plain refund) against one payment attempt:
 * `<attempt id>-refund-<n>`. The same request gets the same number on every retry (read back from its first
 * attempt); a new one gets n above every number the payment attempt used and above the order's journaled refunds
 * (the numbers kiosks sent before refund attempts were recorded were at most that count), so two requests never
 * share one. n stays within 3 digits (protocol/payments/channel-numbers.ts).
 */
export async function refundRequestNo(tx: Tx, requestKey: string, paymentAttemptId: string, journaledRefunds: number): Promise<{ requestNo: string; n: number }> {
  const same = await tx.get<{ request_no: string; request_n: number }>(
    'SELECT request_no, request_n FROM refund_attempts WHERE request_key = ? AND payment_attempt_id = ? ORDER BY created_at, rowid LIMIT 1',
    [requestKey, paymentAttemptId],
  );
  if (same) return { requestNo: same.request_no, n: same.request_n };
  const top = await tx.get<{ n: number | null }>('SELECT MAX(request_n) AS n FROM refund_attempts WHERE payment_attempt_id = ?', [paymentAttemptId]);
  const n = Math.max(top?.n ?? 0, journaledRefunds) + 1;
  return { requestNo: `${paymentAttemptId}-refund-${n}`, n };
}

export async function insertRefundAttempt(
  tx: Tx,
  r: { id: string; orderId: string; method: string; requestKey: string; returnId: string | null; requestNo: string; n: number; request: RefundRequest; input: RefundAttemptInput; now: number },
): Promise<void> {
  await tx.run(
    `INSERT INTO refund_attempts (id, order_id, payment_attempt_id, method, request_key, return_id, request_no, request_n, amount, state, request, input, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'requested', ?, ?, ?, ?)`,
    [r.id, r.orderId, r.request.attemptId, r.method, r.requestKey, r.returnId, r.requestNo, r.n, r.request.amount, JSON.stringify(r.request), JSON.stringify(r.input), r.now, r.now],
  );
}

/** Marks it sent with what the provider recorded, and the journal head now (see {@link laterTraffic}). */
export async function markRefundSent(db: KioskDb, id: string, context: AttemptContext | null, now: number): Promise<void> {
  await db.transaction(async (tx) => {
    const head = await tx.get<{ seq: number | null }>('SELECT MAX(seq) AS seq FROM journal');
    await tx.run(`UPDATE refund_attempts SET state = 'sent', context = ?, sent_seq = ?, updated_at = ? WHERE id = ?`, [
      context ? JSON.stringify(context) : null,
      head?.seq ?? 0,
      now,
      id,
    ]);
  });
}

/** Declined / unknown (refunded is set by the refund_issued transition itself: trackPaymentAttempts). */
export async function setRefundState(tx: Tx, id: string, state: 'declined' | 'unknown', reason: string, now: number): Promise<void> {
  await tx.run('UPDATE refund_attempts SET state = ?, reason = ?, updated_at = ? WHERE id = ?', [state, reason, now, id]);
}

export async function refundAttemptsOf(db: KioskDb, orderId: string): Promise<RefundAttemptRow[]> {
  return (await db.read.all<Row>('SELECT * FROM refund_attempts WHERE order_id = ? ORDER BY created_at, rowid', [orderId])).map(toRow);
}

/** Refund attempts not settled (requested, sent, unknown), oldest first; of one order, one method, or all. */
export async function openRefundAttempts(db: KioskDb, where: { orderId?: string; method?: string } = {}): Promise<RefundAttemptRow[]> {
  const cond = ["state IN ('requested', 'sent', 'unknown')"];
  const params: string[] = [];
  if (where.orderId !== undefined) {
    cond.push('order_id = ?');
    params.push(where.orderId);
  }
  if (where.method !== undefined) {
    cond.push('method = ?');
    params.push(where.method);
  }
  return (await db.read.all<Row>(`SELECT * FROM refund_attempts WHERE ${cond.join(' AND ')} ORDER BY created_at, rowid`, params)).map(toRow);
}

export async function refundAttempt(db: KioskDb, id: string): Promise<RefundAttemptRow | null> {
  const row = await db.read.get<Row>('SELECT * FROM refund_attempts WHERE id = ?', [id]);
  return row ? toRow(row) : null;
}

/** The refunds in doubt (sent by a process that stopped, or unknown), oldest first: what the attendant may decide. */
export async function refundsInDoubtList(db: KioskDb): Promise<RefundAttemptRow[]> {
  return (await db.read.all<Row>("SELECT * FROM refund_attempts WHERE state IN ('sent', 'unknown') ORDER BY created_at, rowid")).map(toRow);
}

/** Refunds whose outcome is unknown (the provider did not answer, or the kiosk stopped while it ran). */
export async function refundsInDoubt(db: KioskDb): Promise<number> {
  const row = await db.read.get<{ n: number }>("SELECT COUNT(*) AS n FROM refund_attempts WHERE state IN ('sent', 'unknown')");
  return row?.n ?? 0;
}

/**
 * Did the kiosk send the terminal anything after this card refund was sent: a card payment (`payment_sent` of a
 * card attempt), another card refund, or an end-of-day? Then the terminal's last transaction may be that one, and
 * a refund lookup cannot take it for the refund.
 */
export async function laterTraffic(db: KioskDb, r: RefundAttemptRow): Promise<boolean> {
  const after = r.sentSeq ?? 0;
  const row = await db.read.get<{ n: number }>(
    `SELECT
       EXISTS (SELECT 1 FROM journal j JOIN payment_attempts p ON p.id = json_extract(j.payload, '$.event.attemptId')
               WHERE j.seq > ? AND j.type = 'payment_sent' AND p.method = ?)
    OR EXISTS (SELECT 1 FROM journal WHERE seq > ? AND type = 'terminal_end_of_day')
    OR EXISTS (SELECT 1 FROM refund_attempts WHERE method = ? AND id <> ? AND state <> 'requested'
               AND (sent_seq > ? OR (sent_seq = ? AND rowid > (SELECT rowid FROM refund_attempts WHERE id = ?)))) AS n`,
    [after, r.method, after, r.method, r.id, after, after, r.id],
  );
  return (row?.n ?? 0) !== 0;
}
