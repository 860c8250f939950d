import { engineFixture, line, type Fixture } from '../../test/support/engine-fixture';
import { Checkout } from './checkout';
import { Connectivity, OfflineLimits } from './offline-limits';
import type { PaymentProvider } from './provider';

/** A card provider that approves and counts what reached it (the limits must stop payments before this point). */
function approvingCard(): PaymentProvider & { calls: number } {
  return {
    method: 'card',
    calls: 0,
    async pay(req) {
      this.calls++;
      return { outcome: 'approved', amount: req.amount, reference: { traceNumber: this.calls } };
    },
    async lookup() {
      return { outcome: 'unknown' };
    },
  };
}

describe('offline card limits', () => {
  let f: Fixture;
  let net: Connectivity;
  let card: ReturnType<typeof approvingCard>;
  let checkout: Checkout;
  beforeEach(async () => {
    f = await engineFixture();
    net = new Connectivity();
    card = approvingCard();
    const limits = new OfflineLimits(f.db, { maxAmount: 5000, maxCount: 2, maxTotal: 6000 }, net);
    checkout = new Checkout(f.engine, f.clock, { currency: 'CNY', timeoutMs: 10_000, admit: (m, a) => limits.check(m, a) }, [card]);
  });
  afterEach(() => f.close());

  async function sell(price: number) {
    let o = await f.engine.dispatch(null, { type: 'item_added', line: line('A', price) });
    o = await f.engine.dispatch(o.id, { type: 'checkout_started' });
    try {
      o = await checkout.pay(o.id, 'card');
      return { order: await f.engine.dispatch(o.id, { type: 'order_completed' }), error: null };
    } catch (e) {
      const order = await f.engine.get(o.id);
      await f.engine.dispatch(o.id, { type: 'order_cancelled', reason: 'test' });
      return { order, error: e as { code: string; details: { limit: string; needsAttendant: boolean; message: Record<string, string> } } };
    }
  }

  it('online: no limits apply', async () => {
    expect((await sell(9000)).error).toBeNull();
    expect((await sell(9000)).error).toBeNull();
    expect((await sell(9000)).error).toBeNull();
  });

  it('offline: per payment, count and total limits refuse before anything is sent or recorded, with a reason in both languages', async () => {
    net.hq = false;
    net.gateway = false;
    const big = await sell(5001);
    expect(big.error).toMatchObject({ code: 'OFFLINE_LIMIT', details: { limit: 'maxAmount', needsAttendant: true, message: { en: expect.any(String), 'zh-CN': expect.any(String) } } });
    expect(big.order.payments).toEqual([]); // no attempt committed
    expect(card.calls).toBe(0);
    expect((await sell(4000)).error).toBeNull();
    expect((await sell(2001)).error).toMatchObject({ details: { limit: 'maxTotal' } });
    expect((await sell(2000)).error).toBeNull();
    expect((await sell(100)).error).toMatchObject({ details: { limit: 'maxCount' } });
    expect(card.calls).toBe(2);
    // the terminal's end-of-day confirms them: the budget is free again
    await f.db.transaction((tx) => tx.run("UPDATE payment_attempts SET state = 'captured' WHERE state = 'approved'"));
    expect((await sell(100)).error).toBeNull();
  });

  it('one link up is enough: HQ or the gateway can vouch', async () => {
    net.hq = false;
    expect((await sell(9000)).error).toBeNull();
    net.hq = true;
    net.gateway = false;
    expect((await sell(9000)).error).toBeNull();
  });
});
