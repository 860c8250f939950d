import * as path from 'node:path';
import { engineFixture, line, type Fixture } from '../../test/support/engine-fixture';
import { KioskDb } from '../../kernel/sqlite/database';
import { migrate, MIGRATIONS } from '../db/migrations';
import { OrderEngine } from '../orders/engine';
import { SimulatedClock } from '../../kernel/clock';
import { attemptsOf, LAST_TRACE_SQL, lastRecordedTraceNumber, unsettledAttempts } from './attempts';
import { runTerminalEndOfDay } from './terminal-eod';
import type { PaymentTerminal } from '../../drivers/contract';

describe('payment attempts table', () => {
  let f: Fixture;
  beforeEach(async () => (f = await engineFixture()));
  afterEach(() => f.close());

  it('each attempt is a row committed with the move to payment_pending, and follows every outcome', async () => {
    let o = await f.engine.dispatch(null, { type: 'item_added', line: line('A', 1000) });
    o = await f.engine.dispatch(o.id, { type: 'checkout_started' });
    o = await f.engine.dispatch(o.id, { type: 'payment_started', attemptId: 'a1', method: 'card', amount: 1000 });
    expect(await attemptsOf(f.db, o.id)).toMatchObject([{ id: 'a1', state: 'requested', amount: 1000, method: 'card' }]);
    expect((await unsettledAttempts(f.db)).map((a) => a.id)).toEqual(['a1']);
    o = await f.engine.dispatch(o.id, { type: 'payment_declined', attemptId: 'a1', reason: 'insufficient funds' });
    o = await f.engine.dispatch(o.id, { type: 'payment_started', attemptId: 'a2', method: 'qr', amount: 400 });
    o = await f.engine.dispatch(o.id, { type: 'payment_approved', attemptId: 'a2', amount: 400, reference: { tradeNo: 'T1' } });
    o = await f.engine.dispatch(o.id, { type: 'payment_started', attemptId: 'a3', method: 'card', amount: 600 });
    o = await f.engine.dispatch(o.id, { type: 'payment_timed_out', attemptId: 'a3' });
    expect((await unsettledAttempts(f.db)).map((a) => [a.id, a.state])).toEqual([['a3', 'unknown']]);
    o = await f.engine.dispatch(o.id, { type: 'payment_resolved', attemptId: 'a3', outcome: 'approved', by: 'system', reference: { traceNumber: 7 } });
    expect(o.state).toBe('paid');
    const rows = await attemptsOf(f.db, o.id);
    expect(rows.map((a) => [a.id, a.state, a.approvedAmount])).toEqual([
      ['a1', 'declined', 0],
      ['a2', 'approved', 400],
      ['a3', 'approved', 600],
    ]);
    expect(rows[0].reason).toBe('insufficient funds');
    expect(rows[2].reference).toEqual({ traceNumber: 7 });
    expect(await unsettledAttempts(f.db)).toEqual([]);
  });

  it('the recorded trace baseline is the latest terminal transaction: a reversal or refund after the payment counts (issue 10 point 2)', async () => {
    expect(await lastRecordedTraceNumber(f.db)).toBeNull();
    let o = await f.engine.dispatch(null, { type: 'item_added', line: line('A', 700) });
    o = await f.engine.dispatch(o.id, { type: 'checkout_started' });
    o = await f.engine.dispatch(o.id, { type: 'payment_started', attemptId: 'p1', method: 'card', amount: 700 });
    o = await f.engine.dispatch(o.id, { type: 'payment_approved', attemptId: 'p1', amount: 700, reference: { traceNumber: 41 } });
    o = await f.engine.dispatch(o.id, { type: 'order_completed' });
    expect(await lastRecordedTraceNumber(f.db)).toBe(41);
    o = await f.engine.dispatch(o.id, {
      type: 'refund_issued',
      amount: 700,
      attendantId: 'att',
      allocations: [{ attemptId: 'p1', method: 'card', amount: 700, via: 'reversal', reference: { traceNumber: 42, receiptNumber: 9 } }],
    });
    expect(o.state).toBe('refunded');
    expect(await lastRecordedTraceNumber(f.db)).toBe(42);
    // a later payment's trace is newer again
    let o2 = await f.engine.dispatch(null, { type: 'item_added', line: line('B', 300) });
    o2 = await f.engine.dispatch(o2.id, { type: 'checkout_started' });
    o2 = await f.engine.dispatch(o2.id, { type: 'payment_started', attemptId: 'p2', method: 'card', amount: 300 });
    await f.engine.dispatch(o2.id, { type: 'payment_approved', attemptId: 'p2', amount: 300, reference: { traceNumber: 43 } });
    expect(await lastRecordedTraceNumber(f.db)).toBe(43);
  });

  it("the terminal's end-of-day trace counts too, and the lookup walks the partial index, not the journal", async () => {
    let o = await f.engine.dispatch(null, { type: 'item_added', line: line('A', 700) });
    o = await f.engine.dispatch(o.id, { type: 'checkout_started' });
    o = await f.engine.dispatch(o.id, { type: 'payment_started', attemptId: 'p1', method: 'card', amount: 700 });
    await f.engine.dispatch(o.id, { type: 'payment_approved', attemptId: 'p1', amount: 700, reference: { traceNumber: 50 } });
    const terminal = { endOfDay: () => Promise.resolve({ approved: true, resultCode: 0, amount: 700, traceNumber: 51 }) } as unknown as PaymentTerminal;
    await runTerminalEndOfDay(f.db, terminal, { clock: new SimulatedClock(0), deviceId: 'lane-01' });
    expect(await lastRecordedTraceNumber(f.db)).toBe(51);
    const plan = await f.db.read.all<{ detail: string }>(`EXPLAIN QUERY PLAN ${LAST_TRACE_SQL}`);
    expect(plan.map((r) => r.detail).join(' | ')).toMatch(/SCAN journal USING (COVERING )?INDEX journal_terminal_trace/);
  });

  it('a refused payment event writes no attempt row', async () => {
    let o = await f.engine.dispatch(null, { type: 'item_added', line: line('A', 1000) });
    o = await f.engine.dispatch(o.id, { type: 'checkout_started' });
    await expect(f.engine.dispatch(o.id, { type: 'payment_started', attemptId: 'too-much', method: 'card', amount: 1001 })).rejects.toMatchObject({
      code: 'GUARD_REJECTED',
    });
    expect(await attemptsOf(f.db, o.id)).toEqual([]);
  });

  it('migration 3 backfills attempts from orders written before it', async () => {
    const file = path.join(f.dir, 'old.sqlite');
    const db = await KioskDb.open(file);
    await migrate(db, MIGRATIONS.filter((m) => m.version <= 2));
    // today's engine writes today's journal row (store_id came with migration 9): lend it the column for the old orders
    await db.exclusive((tx) => tx.exec('ALTER TABLE journal ADD COLUMN store_id TEXT'));
    const clock = new SimulatedClock();
    const engine = new OrderEngine({ db, clock, deviceId: 'old', price: f.engine['deps'].price, points: () => 0, effects: [] });
    let o = await engine.dispatch(null, { type: 'item_added', line: line('A', 500) });
    o = await engine.dispatch(o.id, { type: 'checkout_started' });
    o = await engine.dispatch(o.id, { type: 'payment_started', attemptId: 'old-1', method: 'card', amount: 500 });
    o = await engine.dispatch(o.id, { type: 'payment_timed_out', attemptId: 'old-1' });
    await db.exclusive((tx) => tx.exec('ALTER TABLE journal DROP COLUMN store_id'));
    await migrate(db);
    expect(await attemptsOf(db, o.id)).toMatchObject([{ id: 'old-1', state: 'unknown', amount: 500, method: 'card' }]);
    await db.close();
  });
});
