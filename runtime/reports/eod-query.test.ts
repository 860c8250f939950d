import { appendJournal } from '../journal/append';
import { engineFixture, line, type Fixture } from '../../test/support/engine-fixture';
import { businessDayOf, endOfDayReport } from './eod-query';

const UTC = { timeZone: 'UTC', dayStartHour: 0 };

describe('endOfDayReport', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await engineFixture();
  });
  afterEach(() => f.close());

  it('covers the orders created on that day and the terminal totals journaled that day, nothing of the next day', async () => {
    const day = businessDayOf(f.clock.now(), UTC);
    const a = await f.engine.dispatch(null, { type: 'item_added', line: line('A', 500) });
    await f.engine.dispatch(a.id, { type: 'order_cancelled', reason: 'shopper left' });
    await f.db.transaction((tx) => appendJournal(tx, { deviceId: 'lane-test', ts: f.clock.now(), orderId: null, type: 'terminal_end_of_day', payload: { amount: 1234 } }));
    f.clock.advance(86_400_000);
    const next = businessDayOf(f.clock.now(), UTC);
    await f.engine.dispatch(null, { type: 'item_added', line: line('B', 700) });

    const r = await endOfDayReport(f.db, day, { storeId: 's1', deviceId: 'd1', currency: 'CNY', minorUnits: 2, ...UTC });
    expect(r.orders).toBe(1);
    expect(r.model).toMatchObject({ date: day, storeId: 's1', deviceId: 'd1', openCount: 0, cancelledCount: 1, card: { terminal: { amount: 1234 } } });
    const n = await endOfDayReport(f.db, next, { storeId: 's1', deviceId: 'd1', ...UTC });
    expect(n.orders).toBe(1);
    expect(n.model).toMatchObject({ date: next, openCount: 1, cancelledCount: 0, card: { terminal: null } });
  });
});
