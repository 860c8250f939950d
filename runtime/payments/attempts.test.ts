import * as path from 'node:path';
import { engineFixture, line, type Fixture } from '../../test/helpers/engine-fixture';
import { KioskDb } from '../db/database';
import { migrate, MIGRATIONS } from '../db/migrations';
import { OrderEngine } from '../orders/engine';
import { SimulatedClock } from '../clock';
import { attemptsOf, unsettledAttempts } from './attempts';

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
    const clock = new SimulatedClock();
    const engine = new OrderEngine({ db, clock, deviceId: 'old', price: f.engine['deps'].price, points: () => 0, effects: [] });
    let o = await engine.dispatch(null, { type: 'item_added', line: line('A', 500) });
    o = await engine.dispatch(o.id, { type: 'checkout_started' });
    o = await engine.dispatch(o.id, { type: 'payment_started', attemptId: 'old-1', method: 'card', amount: 500 });
    o = await engine.dispatch(o.id, { type: 'payment_timed_out', attemptId: 'old-1' });
    await migrate(db);
    expect(await attemptsOf(db, o.id)).toMatchObject([{ id: 'old-1', state: 'unknown', amount: 500, method: 'card' }]);
    await db.close();
  });
});
