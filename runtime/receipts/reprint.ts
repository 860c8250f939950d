import type { Clock } from '../../kernel/clock';
import type { KioskDb } from '../../kernel/sqlite/database';
import { KioskError } from '../../kernel/errors';
import { appendJournal } from '../journal/append';
import type { OrderEngine } from '../orders/engine';

/**
 * Reprints a completed order's receipt for an attendant: journals `receipt_reprinted` (order, attendant, reprint
 * number n = 1, 2, … per order) first, then prints it marked "REPRINT n" as its own print job (`reprint:<id>:<n>`),
 * so a reprint is never mistaken for the original and a crash between the two never reuses a number.
 */
export async function reprintReceipt(
  db: KioskDb,
  engine: OrderEngine,
  req: { orderId: string; attendantId: string },
  opts: { clock: Clock; deviceId: string; print: (orderId: string, reprint: number) => Promise<{ state: string }> },
): Promise<{ reprint: number; state: string }> {
  const order = await engine.get(req.orderId);
  // a training order has no fiscal number but its own (trainingNo): its reprint says TRAINING like the original
  if (order.receiptNo === null && order.trainingNo === undefined) throw new KioskError('EVENT_NOT_ALLOWED', `order ${req.orderId} has no receipt (state ${order.state})`, { state: order.state });
  const reprint = await db.transaction(async (tx) => {
    const row = await tx.get<{ n: number }>("SELECT COUNT(*) AS n FROM journal WHERE type = 'receipt_reprinted' AND order_id = ?", [req.orderId]);
    const n = (row?.n ?? 0) + 1;
    await appendJournal(tx, {
      deviceId: opts.deviceId,
      ts: opts.clock.now(),
      orderId: req.orderId,
      type: 'receipt_reprinted',
      payload: { attendantId: req.attendantId, reprint: n, receiptNo: order.receiptNo, ...(order.training ? { training: true, trainingNo: order.trainingNo } : {}) },
    });
    return n;
  });
  const r = await opts.print(req.orderId, reprint);
  return { reprint, state: r.state };
}
