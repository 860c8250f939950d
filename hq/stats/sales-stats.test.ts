import type { StoreScope } from '../console/types';
import { IngestStore } from '../ingest/store';
import { closeConsoleBackends, INGEST_TARGETS } from '../../test/support/console-fixture';
import { salesStats as stats } from './sales-stats';
import { parseStatsFilter, type StatsFilter } from './stats-filter';
import { insertLine, insertOrder, insertPayment, insertRefund, seedSalesFixture } from '../../test/support/stats-fixture';

/** Every breakdown against hand-computed figures, on a SQLite file and on a real PostgreSQL server. */

afterAll(closeConsoleBackends, 60_000);

const ALL: StoreScope = { all: true };
const filter = (from: string, to: string, timezone: string, extra: Partial<StatsFilter> = {}): StatsFilter => ({ from, to, timezone, scope: ALL, ...extra });

// every case against both readers: the order projections themselves and the rollups the projector keeps
const CASES = INGEST_TARGETS.flatMap(([name, fresh]) => (['raw', 'rollups'] as const).map((source) => [name, source, fresh] as const));

describe.each(CASES)('sales statistics on %s from %s', (_name, source, fresh) => {
  let store: IngestStore;
  const salesStats = (db: IngestStore['db'], f: StatsFilter, lang: 'en' | 'zh-CN') => stats(db, f, lang, source);
  beforeEach(async () => {
    store = await IngestStore.open(await fresh());
  });
  afterEach(async () => {
    await store.close();
  });

  it('computes every breakdown of the Shanghai fixture (training, cancelled, out-of-range orders and a training refund left out)', async () => {
    await seedSalesFixture(store);
    const s = await salesStats(store.db, filter('2026-11-20', '2026-11-21', 'Asia/Shanghai'), 'en');
    expect(s.totals).toEqual({ orders: 3, gross: 3730, tax: 396, items: 6, refundCount: 1, refundAmount: 500, net: 3230, averageAmount: 1243 });
    expect(s.byDay).toEqual([
      { date: '2026-11-20', orders: 2, gross: 3030, tax: 315, refundCount: 0, refundAmount: 0, net: 3030 },
      // o3 completed 2026-11-20 16:30Z is 00:30 on the 21st in Shanghai; the refund too is a local-21st one
      { date: '2026-11-21', orders: 1, gross: 700, tax: 81, refundCount: 1, refundAmount: 500, net: 200 },
    ]);
    const hours = Object.fromEntries(s.byHour.filter((h) => h.orders > 0).map((h) => [h.hour, [h.orders, h.gross]]));
    expect(hours).toEqual({ 0: [1, 700], 9: [1, 1000], 23: [1, 2030] });
    expect(s.byHour).toHaveLength(24);
    expect(s.byStore).toEqual([
      { storeId: 'S1', orders: 2, gross: 3030, tax: 315, refundCount: 1, refundAmount: 500, net: 2530 },
      { storeId: 'S2', orders: 1, gross: 700, tax: 81, refundCount: 0, refundAmount: 0, net: 700 },
    ]);
    expect(s.byLane).toEqual([
      { storeId: 'S1', deviceId: 'L1', orders: 1, gross: 1000, tax: 115 },
      { storeId: 'S1', deviceId: 'L2', orders: 1, gross: 2030, tax: 200 },
      { storeId: 'S2', deviceId: 'L1', orders: 1, gross: 700, tax: 81 },
    ]);
    expect(s.byMethod).toEqual([
      { method: 'alipay', payments: 1, amount: 2030 },
      { method: 'card', payments: 1, amount: 1000 },
      { method: 'wechat', payments: 1, amount: 700 },
    ]);
    expect(s.byTaxClass).toEqual([
      { taxClass: 'reduced', lines: 2, quantity: 2, sales: 1530, tax: 142 },
      { taxClass: 'standard', lines: 3, quantity: 4, sales: 2200, tax: 254 },
    ]);
    expect(s.topByQuantity.map((i) => [i.item, i.name, i.quantity, i.amount])).toEqual([
      ['COLA', 'Coca-Cola', 3, 1500],
      ['APPLE', 'Apples', 1, 900],
      ['TEA', '<b>"Tea"</b><script>x()</script>', 1, 700],
      ['BREAD', 'Bread', 1, 630],
    ]);
    expect(s.topByAmount.map((i) => i.item)).toEqual(['COLA', 'APPLE', 'TEA', 'BREAD']);
  });

  it('names top items in the user language, falling back to the other one', async () => {
    await seedSalesFixture(store);
    const s = await salesStats(store.db, filter('2026-11-20', '2026-11-21', 'Asia/Shanghai'), 'zh-CN');
    expect(s.topByQuantity.map((i) => i.name)).toEqual(['可口可乐', '苹果', '<b>"Tea"</b><script>x()</script>', '全麦面包']);
  });

  it('shows a store manager only their stores, in every breakdown', async () => {
    await seedSalesFixture(store);
    const s = await salesStats(store.db, filter('2026-11-20', '2026-11-21', 'Asia/Shanghai', { scope: { all: false, stores: ['S2'] } }), 'en');
    expect(s.totals).toMatchObject({ orders: 1, gross: 700, tax: 81, refundCount: 0, refundAmount: 0, net: 700 });
    expect(s.byDay.map((d) => d.orders)).toEqual([0, 1]);
    expect(s.byDay.map((d) => d.refundAmount)).toEqual([0, 0]);
    expect(s.byHour.filter((h) => h.orders > 0).map((h) => h.hour)).toEqual([0]);
    expect(s.byStore.map((x) => x.storeId)).toEqual(['S2']);
    expect(s.byLane.map((x) => x.storeId)).toEqual(['S2']);
    expect(s.byMethod).toEqual([{ method: 'wechat', payments: 1, amount: 700 }]);
    expect(s.byTaxClass).toEqual([{ taxClass: 'standard', lines: 1, quantity: 1, sales: 700, tax: 81 }]);
    expect(s.topByQuantity.map((i) => i.item)).toEqual(['TEA']);
    expect(s.topByAmount.map((i) => i.item)).toEqual(['TEA']);
    // a store outside the scope, asked for explicitly: nothing at all
    const other = await salesStats(store.db, filter('2026-11-20', '2026-11-21', 'Asia/Shanghai', { scope: { all: false, stores: ['S2'] }, storeId: 'S1' }), 'en');
    expect(other.totals.orders).toBe(0);
    expect(other.byStore).toEqual([]);
    // an empty scope sees nothing
    const none = await salesStats(store.db, filter('2026-11-20', '2026-11-21', 'Asia/Shanghai', { scope: { all: false, stores: [] } }), 'en');
    expect(none.totals).toMatchObject({ orders: 0, gross: 0, refundCount: 0 });
  });

  it('filters to one store', async () => {
    await seedSalesFixture(store);
    const s = await salesStats(store.db, filter('2026-11-20', '2026-11-21', 'Asia/Shanghai', { storeId: 'S1' }), 'en');
    expect(s.totals).toMatchObject({ orders: 2, gross: 3030, refundAmount: 500, net: 2530 });
    expect(s.byLane.map((l) => `${l.storeId}/${l.deviceId}`)).toEqual(['S1/L1', 'S1/L2']);
  });

  it('counts a 23-hour day (Europe/Berlin, clocks forward) by local day and local hour', async () => {
    const at = (iso: string, id: string) => insertOrder(store, { storeId: 'S1', deviceId: 'L1', orderId: id, completedAt: Date.parse(iso), total: 100, tax: 10, items: 1 });
    await at('2026-03-28T22:59:00Z', 'd5'); // 23:59 CET on the 28th
    await at('2026-03-28T23:30:00Z', 'd1'); // 00:30 CET on the 29th
    await at('2026-03-29T01:30:00Z', 'd2'); // 03:30 CEST (02:00–03:00 does not exist)
    await at('2026-03-29T21:59:00Z', 'd3'); // 23:59 CEST on the 29th
    await at('2026-03-29T22:00:00Z', 'd4'); // 00:00 CEST on the 30th
    const s = await salesStats(store.db, filter('2026-03-28', '2026-03-30', 'Europe/Berlin'), 'en');
    expect(s.byDay.map((d) => [d.date, d.orders])).toEqual([
      ['2026-03-28', 1],
      ['2026-03-29', 3],
      ['2026-03-30', 1],
    ]);
    expect(Object.fromEntries(s.byHour.filter((h) => h.orders > 0).map((h) => [h.hour, h.orders]))).toEqual({ 0: 2, 3: 1, 23: 2 });
    // one day only: the 29th's bounds are 23 hours apart and hold exactly its three orders
    const day = await salesStats(store.db, filter('2026-03-29', '2026-03-29', 'Europe/Berlin'), 'en');
    expect(day.totals.orders).toBe(3);
  });

  it('counts a 25-hour day (Europe/Berlin, clocks back): both 02:30s fall in hour 2 of the 25th', async () => {
    const at = (iso: string, id: string) => insertOrder(store, { storeId: 'S1', deviceId: 'L1', orderId: id, completedAt: Date.parse(iso), total: 100, tax: 10, items: 1 });
    await at('2026-10-25T00:30:00Z', 'a'); // 02:30 CEST
    await at('2026-10-25T01:30:00Z', 'b'); // 02:30 CET (the repeated hour)
    await at('2026-10-25T22:30:00Z', 'c'); // 23:30 CET on the 25th
    await at('2026-10-25T23:00:00Z', 'd'); // 00:00 CET on the 26th
    const s = await salesStats(store.db, filter('2026-10-25', '2026-10-26', 'Europe/Berlin'), 'en');
    expect(s.byDay.map((d) => [d.date, d.orders])).toEqual([
      ['2026-10-25', 3],
      ['2026-10-26', 1],
    ]);
    expect(Object.fromEntries(s.byHour.filter((h) => h.orders > 0).map((h) => [h.hour, h.orders]))).toEqual({ 0: 1, 2: 2, 23: 1 });
  });

  it('keeps money integral on big sums (no float rounding through SUM)', async () => {
    const big = 2 ** 40 + 1; // far above a 32-bit integer, exact in a double
    await insertOrder(store, { storeId: 'S1', deviceId: 'L1', orderId: 'b1', completedAt: Date.parse('2026-11-20T02:00:00Z'), total: big, tax: 1, items: 1 });
    await insertOrder(store, { storeId: 'S1', deviceId: 'L1', orderId: 'b2', completedAt: Date.parse('2026-11-20T03:00:00Z'), total: big, tax: 1, items: 1 });
    await insertLine(store, { storeId: 'S1', deviceId: 'L1', orderId: 'b1', lineId: '1', sku: 'X', net: big, tax: 1, completedAt: Date.parse('2026-11-20T02:00:00Z') });
    await insertPayment(store, { storeId: 'S1', deviceId: 'L1', orderId: 'b1', attemptId: 'p', channel: 'card', status: 'approved', amount: big, startedAt: Date.parse('2026-11-20T02:00:00Z') });
    await insertRefund(store, { storeId: 'S1', deviceId: 'L1', orderId: 'b1', seq: 9, amount: big, ts: Date.parse('2026-11-20T04:00:00Z') });
    const s = await salesStats(store.db, filter('2026-11-20', '2026-11-20', 'Asia/Shanghai'), 'en');
    expect(s.totals.gross).toBe(2 * big);
    expect(s.totals.net).toBe(big);
    expect(s.byTaxClass[0].sales).toBe(big);
    expect(s.byMethod[0].amount).toBe(big);
    for (const v of [s.totals.gross, s.totals.tax, s.byDay[0].gross, s.byStore[0].refundAmount]) expect(Number.isSafeInteger(v)).toBe(true);
  });
});

describe('statistics filter', () => {
  const now = Date.parse('2026-11-21T16:30:00Z'); // 00:30 on the 22nd in Shanghai
  it('defaults to the last 7 local days and checks dates, order, length and scope', () => {
    expect(parseStatsFilter({}, ALL, 'Asia/Shanghai', now)).toMatchObject({ ok: true, filter: { from: '2026-11-16', to: '2026-11-22' } });
    expect(parseStatsFilter({}, ALL, 'UTC', now)).toMatchObject({ ok: true, filter: { from: '2026-11-15', to: '2026-11-21' } });
    expect(parseStatsFilter({ from: '2026-02-30' }, ALL, 'UTC', now)).toMatchObject({ ok: false, status: 400 });
    expect(parseStatsFilter({ from: "2026-01-01' OR 1=1 --" }, ALL, 'UTC', now)).toMatchObject({ ok: false, status: 400 });
    expect(parseStatsFilter({ from: '2026-11-22', to: '2026-11-21' }, ALL, 'UTC', now)).toMatchObject({ ok: false, status: 400 });
    expect(parseStatsFilter({ from: '2024-01-01', to: '2026-11-21' }, ALL, 'UTC', now)).toMatchObject({ ok: false, status: 400 });
    expect(parseStatsFilter({ store: 'S1' }, { all: false, stores: ['S2'] }, 'UTC', now)).toMatchObject({ ok: false, status: 404 });
    expect(parseStatsFilter({ store: 'S2' }, { all: false, stores: ['S2'] }, 'UTC', now)).toMatchObject({ ok: true, filter: { storeId: 'S2' } });
  });
});
