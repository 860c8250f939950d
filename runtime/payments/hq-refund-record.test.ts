/** HQ's channel refunds recorded on the kiosk's orders (real engine, real SQLite file; no provider is involved). */
import { engineFixture, line, type Fixture } from '../../test/support/engine-fixture';
import { Refunds } from './refunds';
import { HqRefundRecorder, type HqRefundNotice } from './hq-refund-record';
import type { Order } from '../orders/order';

let f: Fixture;
let refunds: Refunds;
let rec: HqRefundRecorder;
beforeEach(async () => {
  f = await engineFixture();
  // a cash provider only: the lane's refunds of these orders go back as cash
  refunds = new Refunds(f.engine, f.db, [{ method: 'cash', refund: async () => ({ outcome: 'refunded', via: 'cash' }) } as never], { clock: f.clock, deviceId: 'lane-test' });
  rec = new HqRefundRecorder(f.engine, refunds);
});
afterEach(() => f.close());

/** An order of lines at these prices, paid with one attempt `a1` (member M1: earns points), completed. */
async function sale(prices: number[]): Promise<Order> {
  let o = await f.engine.dispatch(null, { type: 'item_added', line: line('A', prices[0]) });
  for (const [i, p] of prices.slice(1).entries()) o = await f.engine.dispatch(o.id, { type: 'item_added', line: line(`X${i}`, p) });
  o = await f.engine.dispatch(o.id, { type: 'member_attached', memberId: 'M1' });
  o = await f.engine.dispatch(o.id, { type: 'checkout_started' });
  o = await f.engine.dispatch(o.id, { type: 'payment_started', attemptId: 'a1', method: 'cash', amount: o.priced.total });
  o = await f.engine.dispatch(o.id, { type: 'payment_approved', attemptId: 'a1', amount: o.priced.total });
  return f.engine.dispatch(o.id, { type: 'order_completed' });
}

const notice = (o: Order, over: Partial<HqRefundNotice> = {}): HqRefundNotice => ({
  orderId: o.id,
  refundId: 'desk-1',
  amount: 300,
  channel: 'wechat',
  attemptId: 'a1',
  channelRefundNo: 'HQ0123456789abcdef0123456789abcd',
  reason: 'defective',
  requestedBy: 'alice',
  ...over,
});

const journal = async (id: string) => (await f.db.read.all<{ type: string }>('SELECT type FROM journal WHERE order_id = ? ORDER BY seq', [id])).map((r) => r.type);

describe('HqRefundRecorder', () => {
  it('journals the refund once (no points taken), marks its lines, and the lane refunds only what is left', async () => {
    const o = await sale([300, 500]);
    expect(o.pointsEarned).toBe(8);
    const r = await rec.record(notice(o, { lineIds: ['L1'] }));
    expect(r).toMatchObject({ recorded: true, amount: 300, order: { state: 'partially_refunded', paid: 800, refunded: 300 } });
    const after = await f.engine.get(o.id);
    expect(after.refunds).toEqual([expect.objectContaining({ amount: 300, hqRefundId: 'desk-1', lineIds: ['L1'], attendantId: 'hq:alice' })]);
    expect(after.refunds[0].pointsTakenBack).toBeUndefined();
    expect(await f.db.read.all("SELECT seq FROM member_points_local WHERE earned < 0")).toEqual([]);
    expect(await f.db.read.get('SELECT refunded_amount, state FROM payment_attempts WHERE id = ?', ['a1'])).toEqual({ refunded_amount: 300, state: 'partially_refunded' });

    // the same refund again (another command, a restart): nothing new
    expect(await rec.record(notice(o, { lineIds: ['L1'] }))).toMatchObject({ recorded: false, order: { refunded: 300 } });
    expect((await journal(o.id)).filter((t) => t === 'hq_refund_recorded')).toHaveLength(1);
    // the same id with another amount is not the same refund
    await expect(rec.record(notice(o, { amount: 200 }))).rejects.toMatchObject({ code: 'GUARD_REJECTED', details: { rule: 'refund_id' } });

    // the lane: line 1 refused; more than is left refused; the rest refunded
    await expect(refunds.refund(o.id, { attendantId: 'att', lineIds: ['L1'] })).rejects.toThrow(/L1 was refunded before/);
    await expect(refunds.refund(o.id, { attendantId: 'att', amount: 501 })).rejects.toThrow(/refund must be 1\.\.500/);
    const done = await refunds.refund(o.id, { attendantId: 'att', lineIds: ['L2'] });
    expect(done).toMatchObject({ state: 'refunded', refunded: 800 });
    // the lane's refund took back its share of the points only: 8 − floor(8·300/800) = 5 (HQ's ledger took the other 3)
    expect(done.refunds.at(-1)!.pointsTakenBack).toBe(5);
  });

  it('an HQ refund beyond what the kiosk has left is refused with the reason; a line the lane refunded too is recorded and named', async () => {
    const o = await sale([300, 500]);
    await refunds.refund(o.id, { attendantId: 'att', lineIds: ['L1'] });
    // HQ refunded line 1 at the same moment (the race): the money went back twice; recorded, and said so
    const r = await rec.record(notice(o, { lineIds: ['L1', 'L9'] }));
    expect(r).toMatchObject({ recorded: true, alsoRefundedAtLane: ['L1'], unknownLines: ['L9'], order: { refunded: 600 } });
    await expect(rec.record(notice(o, { refundId: 'desk-2', amount: 201 }))).rejects.toMatchObject({ code: 'GUARD_REJECTED', details: { rule: 'amount', remaining: 200 } });
    await expect(rec.record(notice(o, { refundId: 'desk-3', attemptId: 'nope', amount: 1 }))).rejects.toMatchObject({ code: 'GUARD_REJECTED', details: { rule: 'attempt' } });
    expect((await journal(o.id)).filter((t) => t === 'hq_refund_recorded')).toHaveLength(1);
  });

  it('two copies at once record it once', async () => {
    const o = await sale([300, 500]);
    const both = await Promise.all([rec.record(notice(o)), new HqRefundRecorder(f.engine).record(notice(o))]);
    expect(both.map((b) => b.recorded).sort()).toEqual([false, true]);
    expect((await f.engine.get(o.id)).refunded).toBe(300);
  });
});
