import { SimulatedClock } from '../../kernel/clock';
import { waitFor } from '../../test/support/sync-fixtures';
import { translator } from '../console/i18n';
import type { ConsoleContext, ConsoleRequest, ConsoleUser, LiveTopic } from '../console/types';
import { renderAlertText } from '../fleet/alert-text';
import { SqlAlerts } from '../fleet/alerts';
import { IngestStore } from '../ingest/store';
import { closeConsoleBackends, INGEST_TARGETS } from '../../test/support/console-fixture';
import { MESSAGES } from './messages';
import { CHECK_EVERY_MS, paymentAlertService } from './payment-alerts';
import { DAY_MS, formatRate, HOUR_MS, overThreshold, paymentOutcomes } from './payment-monitor';
import { ROUTES } from './routes';
import { insertOrder, insertPayment, insertRefund, type PaymentRow } from '../../test/support/stats-fixture';

/** The live payment monitor and its alerts, on a SQLite file and on a real PostgreSQL server. */

afterAll(closeConsoleBackends, 60_000);

const NOW = Date.parse('2026-11-22T04:00:00Z');
const MIN = 60_000;
const LIMITS = { declineRate: 0.3, unknownRate: 0.1, minAttempts: 5 };

let attempt = 0;
async function pay(store: IngestStore, storeId: string, channel: string, status: PaymentRow['status'], ago: number, extra: Partial<PaymentRow> = {}): Promise<void> {
  const id = `p${++attempt}`;
  await insertPayment(store, { storeId, deviceId: 'L1', orderId: `o-${id}`, attemptId: id, channel, status, amount: 1000, startedAt: NOW - ago, ...extra });
}

/**
 * Last hour: S1 card 4 approved + 3 declined (42.9 %: over 30 %), 1 pending, 1 cancelled, a ¥5.00 card refund;
 * S1 alipay 5 approved + 1 unknown (16.7 %: over 10 %), a refund without channel on an alipay-paid order;
 * S2 card 1 approved + 1 declined (50 %, but 2 attempts < 5); S1 wechat 10 training declines (never counted).
 * Two hours ago: S1 card 2 declined (the 24-hour window only).
 */
async function seed(store: IngestStore): Promise<void> {
  for (let i = 0; i < 4; i++) await pay(store, 'S1', 'card', 'approved', (10 + i) * MIN);
  for (let i = 0; i < 3; i++) await pay(store, 'S1', 'card', 'declined', (20 + i) * MIN);
  await pay(store, 'S1', 'card', 'pending', MIN);
  await pay(store, 'S1', 'card', 'cancelled', 2 * MIN);
  await insertRefund(store, { storeId: 'S1', deviceId: 'L1', orderId: 'x', seq: 1, amount: 500, ts: NOW - 5 * MIN, channel: 'card' });
  for (let i = 0; i < 5; i++) await pay(store, 'S1', 'alipay', 'approved', (30 + i) * MIN);
  await pay(store, 'S1', 'alipay', 'unknown', 40 * MIN);
  await insertOrder(store, { storeId: 'S1', deviceId: 'L1', orderId: 'ali', completedAt: NOW - 50 * MIN, total: 800, tax: 0, items: 1, methods: 'alipay' });
  await insertRefund(store, { storeId: 'S1', deviceId: 'L1', orderId: 'ali', seq: 2, amount: 800, ts: NOW - 6 * MIN, channel: null });
  await pay(store, 'S2', 'card', 'approved', 15 * MIN);
  await pay(store, 'S2', 'card', 'declined', 16 * MIN);
  for (let i = 0; i < 10; i++) await pay(store, 'S1', 'wechat', 'declined', (5 + i) * MIN, { training: true });
  await insertRefund(store, { storeId: 'S1', deviceId: 'L1', orderId: 'y', seq: 3, amount: 9999, ts: NOW - 5 * MIN, channel: 'wechat', training: true });
  for (let i = 0; i < 2; i++) await pay(store, 'S1', 'card', 'declined', 2 * HOUR_MS + i * MIN);
}

const row = (o: { channel: string; storeId?: string; attempts: number; approved: number; declined: number; unknown: number; pending: number; cancelled: number; refunds: number; refundAmount: number }) => o;

function context(store: IngestStore, clock: SimulatedClock, published: LiveTopic[] = []): ConsoleContext {
  return {
    store,
    clock,
    audit: { record: async () => undefined },
    live: { publish: (t) => void published.push(t) },
    alerts: new SqlAlerts(store.db),
    settings: { timezone: 'Asia/Shanghai', offlineAlertMs: 600_000, paymentAlert: LIMITS },
    mqtt: null,
    hqKey: null,
    ingest: null,
  };
}

function request(user: ConsoleUser): ConsoleRequest {
  return {
    user,
    scope: user.role === 'store_manager' ? { all: false, stores: user.stores } : { all: true },
    lang: 'en',
    t: translator('en', MESSAGES),
    params: {},
    query: {},
    body: {},
    csrfToken: 'token',
    ip: '127.0.0.1',
  };
}

describe.each(INGEST_TARGETS)('payment monitor on %s', (_name, fresh) => {
  let store: IngestStore;
  beforeEach(async () => {
    store = await IngestStore.open(await fresh());
  });
  afterEach(async () => {
    await store.close();
  });

  it('counts outcomes and refunds per channel for the last hour and the last 24 hours, training excluded', async () => {
    await seed(store);
    const hour = await paymentOutcomes(store.db.read, { now: NOW, windowMs: HOUR_MS, scope: { all: true } });
    expect(hour).toEqual([
      row({ channel: 'card', attempts: 9, approved: 5, declined: 4, unknown: 0, pending: 1, cancelled: 1, refunds: 1, refundAmount: 500 }),
      row({ channel: 'alipay', attempts: 6, approved: 5, declined: 0, unknown: 1, pending: 0, cancelled: 0, refunds: 1, refundAmount: 800 }),
    ]);
    const day = await paymentOutcomes(store.db.read, { now: NOW, windowMs: DAY_MS, scope: { all: true } });
    expect(day.find((r) => r.channel === 'card')).toMatchObject({ attempts: 11, declined: 6 });
    const byStore = await paymentOutcomes(store.db.read, { now: NOW, windowMs: HOUR_MS, scope: { all: true }, byStore: true });
    expect(byStore.map((r) => [r.storeId, r.channel, r.attempts, r.declined, r.unknown])).toEqual([
      ['S1', 'card', 7, 3, 0],
      ['S1', 'alipay', 6, 0, 1],
      ['S2', 'card', 2, 1, 0],
    ]);
    expect(byStore.map((r) => overThreshold(r, LIMITS))).toEqual([
      { decline: true, unknown: false },
      { decline: false, unknown: true },
      { decline: false, unknown: false }, // 50 % of 2 attempts: too few to mean anything
    ]);
    expect(formatRate(3, 7)).toBe('42.9 %');
  });

  it("shows a store manager only their store's payments", async () => {
    await seed(store);
    const hour = await paymentOutcomes(store.db.read, { now: NOW, windowMs: HOUR_MS, scope: { all: false, stores: ['S2'] } });
    expect(hour).toEqual([row({ channel: 'card', attempts: 2, approved: 1, declined: 1, unknown: 0, pending: 0, cancelled: 0, refunds: 0, refundAmount: 0 })]);
    const page = await ROUTES.find((r) => r.path === '/payments')!.handler(request({ username: 'mia', role: 'store_manager', stores: ['S2'] }), context(store, new SimulatedClock(NOW)));
    if (!('page' in page)) throw new Error('not a page');
    expect(page.page.body.text).not.toContain('S1');
    expect(page.page.body.text).not.toContain('Alipay');
  });

  it('renders both windows with rates, highlights rows over a threshold and escapes channel names', async () => {
    await seed(store);
    await pay(store, 'S2', '<img src=x onerror=alert(1)>', 'approved', MIN);
    const reply = await ROUTES.find((r) => r.path === '/payments')!.handler(request({ username: 'ada', role: 'admin', stores: [] }), context(store, new SimulatedClock(NOW)));
    if (!('page' in reply)) throw new Error('not a page');
    expect(reply.page.live).toEqual(['payments']);
    const body = reply.page.body.text;
    expect(body).toContain('Last hour');
    expect(body).toContain('Last 24 hours');
    expect(body).toContain('4 <span class="muted">(44.4 %)</span>'); // card declines, all stores, last hour
    expect(body).toContain('6 <span class="muted">(54.5 %)</span>'); // card declines, last 24 h
    expect(body).not.toContain('<img src=x');
    expect(body).toContain('&lt;img src=x onerror=alert(1)&gt;');
    const hot = [...body.matchAll(/<tr class="over" data-channel="([^"]*)"><td>([^<]*)<\/td>/g)].map((m) => `${m[1]}@${m[2]}`);
    // all stores: card 44.4 % declines and alipay 16.7 % unknown (hour), the same two in the day; per store: S1 card and S1 alipay
    expect(hot).toEqual(['card@Card', 'alipay@Alipay', 'card@Card', 'alipay@Alipay', 'card@S1', 'alipay@S1']);
    const chart = JSON.parse(/<script type="application\/json" id="payments-chart-hour">([^<]*)<\/script>/.exec(body)![1]) as { series: { data: number[] }[] };
    expect(chart.series.map((s) => s.data[0])).toEqual([5, 4, 0]); // card: approved, declined, unknown
  });

  it('raises an alert per store and channel over a threshold, and clears it when the rate is back under', async () => {
    await seed(store);
    const clock = new SimulatedClock(NOW);
    const published: LiveTopic[] = [];
    const ctx = context(store, clock, published);
    const alerts = ctx.alerts as SqlAlerts;
    const service = paymentAlertService(ctx);
    /** One minute on: the next check runs (at its own time on the clock) and tells the browsers. */
    const tick = async () => {
      const before = published.length;
      clock.advance(CHECK_EVERY_MS);
      await waitFor(() => published.length > before, 10_000, 'the next check');
    };
    try {
      await waitFor(() => published.length === 1, 10_000, 'the first check');
      const open = await alerts.open({ all: true });
      expect(open.map((a) => [a.source, a.key, a.kind, a.severity, a.storeId]).sort()).toEqual([
        ['payments', 'decline:S1:card', 'payment_decline_rate', 'warning', 'S1'],
        ['payments', 'unknown:S1:alipay', 'payment_unknown_rate', 'critical', 'S1'],
      ]);
      expect(open.find((a) => a.kind === 'payment_decline_rate')!.message).toContain('42.9 %');
      // the same words for the console, in its languages (channels by their names)
      const words = (lang: 'en' | 'zh-CN') => open.map((a) => renderAlertText(a.text!, { t: translator(lang), lang, timeZone: 'Asia/Shanghai' })).sort();
      expect(words('zh-CN')).toEqual(['支付宝：最近 1 小时 6 笔支付中状态未知比率 16.7 %（阈值 10 %）', '银行卡：最近 1 小时 7 笔支付中拒绝率 42.9 %（阈值 30 %）']);
      expect(words('en')).toEqual([
        'Alipay: 16.7 % of 6 payments in doubt (unknown) in the last hour (threshold 10 %)',
        'Card: 42.9 % of 7 payments declined in the last hour (threshold 30 %)',
      ]);
      // a store manager of S2 sees neither
      expect(await alerts.open({ all: false, stores: ['S2'] })).toEqual([]);

      // five approved card payments bring S1's card decline rate to 3 of 12 (25 %): cleared at the next check
      for (let i = 0; i < 5; i++) await pay(store, 'S1', 'card', 'approved', -30_000);
      await tick();
      expect((await alerts.open({ all: true })).map((a) => a.key)).toEqual(['unknown:S1:alipay']);

      // the unknown alipay attempt (40 min old at the start) leaves the last hour after 20 minutes: then cleared
      for (let m = 2; m <= 20; m++) {
        await tick();
        expect((await alerts.open({ all: true })).map((a) => a.key)).toEqual(['unknown:S1:alipay']);
      }
      await tick();
      expect(await alerts.open({ all: true })).toEqual([]);
      const history = await alerts.recent({ all: true }, 10);
      expect(history.map((a) => a.key).sort()).toEqual(['decline:S1:card', 'unknown:S1:alipay']);
      expect(history.every((a) => a.clearedAt !== null)).toBe(true);
      expect(history.find((a) => a.key === 'unknown:S1:alipay')!.clearedAt).toBe(NOW + 21 * MIN);
      expect(published).toEqual(Array(22).fill('payments'));
    } finally {
      await service.stop();
    }
    // stopped: no more checks
    const after = published.length;
    clock.advance(10 * MIN);
    await new Promise((r) => setTimeout(r, 50));
    expect(published.length).toBe(after);
  });
});
