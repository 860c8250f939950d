import { journalKiosk, sell, type JournalKiosk } from '../../test/support/kiosk-journals';
import { IngestStore } from '../ingest/store';
import { closeConsoleBackends, INGEST_TARGETS } from '../../test/support/console-fixture';
import { HOUR_MS, paymentOutcomes } from './payment-monitor';
import { salesStats } from './sales-stats';

/**
 * End to end: real sales through the kiosk's order engine, its journal ingested by HQ (acceptBatch, which projects
 * the orders in the same transaction), then the statistics and the payment monitor over those projections.
 */

afterAll(closeConsoleBackends, 60_000);

describe.each(INGEST_TARGETS)('statistics from ingested kiosk journals on %s', (_name, fresh) => {
  let store: IngestStore;
  let kiosk: JournalKiosk;
  beforeEach(async () => {
    store = await IngestStore.open(await fresh());
    // 2026-01-01 17:00 in Shanghai
    kiosk = await journalKiosk('S9', 'lane-1', Date.UTC(2026, 0, 1, 9, 0, 0));
  });
  afterEach(async () => {
    await kiosk.close();
    await store.close();
  });

  it('counts real sales, a refund and no training sale, by every breakdown and in the payment monitor', async () => {
    const a = await sell(kiosk, {
      items: [
        { sku: 'COLA', price: 350, qty: 2, name: '可口可乐' },
        { sku: 'APPLE', price: 1200, name: '苹果', taxClass: 'reduced' },
      ],
      method: 'card',
      declines: 1,
    });
    kiosk.clock.advance(60 * 60_000); // 18:00 local
    const b = await sell(kiosk, { items: [{ sku: 'TEA', price: 500, name: '绿茶' }], method: 'alipay' });
    kiosk.engine.setTraining(true);
    await sell(kiosk, { items: [{ sku: 'COLA', price: 99_900, qty: 3, name: '可口可乐' }], method: 'card' });
    kiosk.engine.setTraining(false);
    kiosk.clock.advance(5 * 60_000);
    await kiosk.engine.dispatch(b.id, { type: 'refund_issued', amount: 200, attendantId: 'att-1' });

    const outcome = await store.acceptBatch(await kiosk.events(), kiosk.clock.now());
    expect(outcome.results.every((r) => r.status === 'stored')).toBe(true);

    const s = await salesStats(store.db, { from: '2026-01-01', to: '2026-01-01', timezone: 'Asia/Shanghai', scope: { all: true } }, 'zh-CN');
    const gross = a.priced.total + b.priced.total;
    expect(a.priced.total).toBe(1900);
    expect(s.totals).toEqual({
      orders: 2,
      gross,
      tax: a.priced.taxTotal + b.priced.taxTotal,
      items: 4,
      refundCount: 1,
      refundAmount: 200,
      net: gross - 200,
      averageAmount: Math.round(gross / 2),
    });
    expect(Object.fromEntries(s.byHour.filter((h) => h.orders > 0).map((h) => [h.hour, h.gross]))).toEqual({ 17: 1900, 18: 500 });
    expect(s.byLane).toEqual([{ storeId: 'S9', deviceId: 'lane-1', orders: 2, gross, tax: a.priced.taxTotal + b.priced.taxTotal }]);
    expect(s.byMethod).toEqual([
      { method: 'card', payments: 1, amount: 1900 },
      { method: 'alipay', payments: 1, amount: 500 },
    ]);
    expect(s.byTaxClass.map((x) => [x.taxClass, x.quantity, x.sales])).toEqual([
      ['reduced', 1, 1200],
      ['standard', 3, 1200],
    ]);
    expect(s.topByQuantity[0]).toMatchObject({ item: 'COLA', name: '可口可乐', quantity: 2, amount: 700 });

    const monitor = await paymentOutcomes(store.db.read, { now: kiosk.clock.now(), windowMs: 2 * HOUR_MS, scope: { all: true } });
    expect(monitor.map((m) => [m.channel, m.attempts, m.approved, m.declined, m.unknown, m.refunds, m.refundAmount])).toEqual([
      ['card', 2, 1, 1, 0, 0, 0],
      ['alipay', 1, 1, 0, 0, 1, 200],
    ]);
  });
});
