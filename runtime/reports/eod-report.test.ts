import { eodModel, formatPercent } from './eod-report';
import { exampleOrder, simpleOrder, T0 } from '../../test/support/test-orders';

/*
 * The day:
 *   ord-0001  completed   ¥20.30 card (1 declined attempt + 1 approved), tax reduced 115 / standard 72
 *   o2        completed   ¥10.00 cash
 *   o3        refunded    ¥5.00 card, refunded ¥5.00
 *   o4        part. ref.  ¥8.00 card, refunded ¥3.00
 *   o5        cancelled   card attempt declined
 *   o6        cancelled   no payment
 *   o7        completed   ¥2.00 card: 1 attempt unknown → resolved approved on a second attempt
 */
function day() {
  return [
    exampleOrder(),
    simpleOrder('o2', 1000, 'completed', [{}]),
    simpleOrder('o3', 500, 'refunded', [{ method: 'card' }], [{ amount: 500, attendantId: 'att1', at: T0 }]),
    simpleOrder('o4', 800, 'partially_refunded', [{ method: 'card' }], [{ amount: 300, attendantId: 'att1', at: T0 }]),
    simpleOrder('o5', 900, 'cancelled', [{ method: 'card', status: 'declined' }]),
    simpleOrder('o6', 400, 'cancelled'),
    simpleOrder('o7', 200, 'completed', [{ method: 'card', status: 'unknown' }, { method: 'card' }]),
  ];
}

describe('eodModel', () => {
  const opts = { date: '2026-11-21', storeId: 'S001', deviceId: 'lane-3' };

  it('sums sales, refunds, cancellations, methods and tax classes', () => {
    const m = eodModel(day(), opts);
    expect(m.sales).toEqual({ count: 5, amount: 2030 + 1000 + 500 + 800 + 200 });
    expect(m.refunds).toEqual({ count: 2, amount: 800 });
    expect(m.net).toBe(4530 - 800);
    expect(m.cancelledCount).toBe(2);
    expect(m.openCount).toBe(0);
    expect(m.byMethod).toEqual([
      { method: 'card', label: '银行卡', count: 4, amount: 2030 + 500 + 800 + 200 },
      { method: 'cash', label: '现金', count: 1, amount: 1000 },
    ]);
    // standard: 630 + 1000 + 500 + 800 + 200 = 3130 base; tax 72 + 115 + 58 + 92 + 23
    expect(m.byTaxClass).toEqual([
      { taxClass: 'reduced', rate: 0.09, base: 1400, tax: 115 },
      { taxClass: 'standard', rate: 0.13, base: 3130, tax: 72 + 115 + 58 + 92 + 23 },
    ]);
    // by method and by tax class both add up to the sales total
    expect(m.byMethod.reduce((s, x) => s + x.amount, 0)).toBe(m.sales.amount);
    expect(m.byTaxClass.reduce((s, x) => s + x.base, 0)).toBe(m.sales.amount);
  });

  it('computes the payment success rate over all attempts', () => {
    const m = eodModel(day(), opts);
    // attempts: 2 + 1 + 1 + 1 + 1 + 0 + 2 = 8; approved 5; declined 2; unknown 1
    expect(m.payments).toEqual({ attempts: 8, approved: 5, declined: 2, unknown: 1, pending: 0, successRate: 5 / 8 });
    expect(formatPercent(m.payments.successRate)).toBe('62.5%');
    expect(eodModel([], opts).payments.successRate).toBeNull();
  });

  it('reconciles local card totals against the terminal', () => {
    const none = eodModel(day(), opts);
    expect(none.card).toEqual({ local: { count: 4, amount: 3530 }, terminal: null, difference: null, matches: null });
    const same = eodModel(day(), { ...opts, terminalTotals: { count: 4, amount: 3530 } });
    expect(same.card.difference).toEqual({ count: 0, amount: 0 });
    expect(same.card.matches).toBe(true);
    const off = eodModel(day(), { ...opts, terminalTotals: { count: 5, amount: 3730 } });
    expect(off.card.difference).toEqual({ count: 1, amount: 200 });
    expect(off.card.matches).toBe(false);
  });

  it('counts still-open orders separately and not as sales', () => {
    const m = eodModel([simpleOrder('p', 100, 'payment_unknown', [{ method: 'card', status: 'unknown' }])], { ...opts, locale: 'en' });
    expect(m).toMatchObject({ sales: { count: 0, amount: 0 }, openCount: 1, cancelledCount: 0 });
    expect(m.payments.successRate).toBe(0);
  });
});
