/**
 * Issue 15, after-sales: HQ refunds a line at the channel FIRST, then the shopper returns the same line at the lane
 * (the auditor's double refund). The kiosk must know HQ's refund.
 *
 * The real kiosk (bootKiosk: engine, SQLite journal, simulated scanner) pays an order of two lines with WeChat Pay on
 * the independent simulator (HTTPS, mutual TLS for refunds); its HQ link publishes the journal over a real Mosquitto
 * to HQ's ingest (SQLite file). HQ refunds line 1 at the channel with the merchant secrets from its encrypted registry
 * (hq/refunds/hq-refund.ts), then sends the kiosk the signed `hq_refund` command over the broker
 * (hq/refunds/kiosk-notice.ts → hq/fleet/commands.ts); the kiosk's HQ link verifies and runs it once
 * (runtime/hq-control/commands.ts) and journals it on the order with no provider call
 * (runtime/payments/hq-refund-record.ts). Then: a lane return of line 1 is refused, an amount over what is left is
 * refused, line 2 is returned; the channel's ledger holds exactly one refund for line 1; the same refund sent again
 * (a new command, and the very same signed copy) journals nothing more; points are not taken back twice; the day's
 * bill reconciles clean at HQ (HQ's refund counted once).
 */
import { createPrivateKey } from 'node:crypto';
import mqtt from 'mqtt';
import { type Kiosk } from '../device/kiosk';
import { DEMO_PAYMENT_CODES } from '../device/commands/demo';
import type { ConsoleContext } from '../hq/console/types';
import { commandResultsService, sendCommand } from '../hq/fleet/commands';
import { IngestStore } from '../hq/ingest/store';
import { beijingDayOf } from '../hq/reconcile/beijing-time';
import { reconcileBill } from '../hq/reconcile/reconcile';
import { hqRefund, type HqRefundDeps } from '../hq/refunds/hq-refund';
import { hqRefundCommandArgs, kioskNotices, sendHqRefundNotices } from '../hq/refunds/kiosk-notice';
import { hqRefunds } from '../hq/refunds/refund-rows';
import { ledgerRows } from '../hq/members/registry';
import { SystemClock } from '../kernel/clock';
import { channelOrderNo } from '../protocol/payments/channel-numbers';
import { commandTopic } from '../protocol/control/topics';
import { WechatSimulator } from '../simulators/wechat/wechat-simulator';
import { Mosquitto } from './support/mosquitto';
import { waitFor } from './support/wait';
import { startWechatRefundWorld, type WechatRefundWorld } from './support/wechat-refund-world';

// the kiosk is given a broker, so the embedded Aedes HQ is never started (aedes v1 is an ES module jest cannot load)
jest.mock('../device/embedded-hq', () => ({
  startEmbeddedHq: () => Promise.reject(new Error('the embedded HQ is not used in these tests')),
}));
jest.setTimeout(180_000);

const API_KEY = 'hqthenlane0123456789abcdefghijkl';
const MCH = '1900000109';
const APP = 'wx8888888888888888';
const clock = new SystemClock();

describe('an HQ channel refund reaches the kiosk: the lane cannot refund the same line again', () => {
  const store = `S${process.pid}q`;
  const device = `K${process.pid}q`;
  let w: WechatRefundWorld;
  let broker: Mosquitto;
  let sim: WechatSimulator;
  let k: Kiosk;
  let hq: IngestStore;
  let hqClient: mqtt.MqttClient;
  let results: { stop(): Promise<void> };
  let deps: HqRefundDeps;
  let ctx: ConsoleContext;

  beforeAll(async () => {
    w = await startWechatRefundWorld({ prefix: 'hq-refund-then-lane-', store, device, apiKey: API_KEY, mchId: MCH, appId: APP, clock, tag: 'then-lane' });
    ({ broker, sim, k, hq, deps } = w);
    // a console context with the broker and HQ's signing key (what `hq serve --broker --key` has)
    hqClient = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: `hq-console-${process.pid}-then-lane` });
    ctx = {
      store: hq,
      clock,
      audit: w.audit,
      live: { publish: () => undefined },
      alerts: { sync: async () => undefined },
      settings: { timezone: 'UTC', offlineAlertMs: 5 * 60_000, paymentAlert: { declineRate: 0.3, unknownRate: 0.1, minAttempts: 10 } },
      mqtt: hqClient,
      hqKey: createPrivateKey(w.hqKeys.privatePem),
      ingest: null,
    };
    results = commandResultsService({ sweepMs: 1_000 })(ctx);
  });

  afterAll(async () => {
    await results?.stop();
    await hqClient?.endAsync(true);
    await w?.close();
  });

  /** Waits until HQ has ingested the kiosk's whole journal. */
  async function synced(): Promise<void> {
    const last = (await k.db.read.get<{ m: number }>('SELECT MAX(seq) AS m FROM journal'))!.m;
    await waitFor('HQ to ingest the journal', async () => (await hq.db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM sales_events WHERE store_id = ? AND device_id = ?', [store, device]))!.n >= last, 60_000, 100);
  }

  const hqEntries = async (orderId: string) =>
    (await k.db.read.all<{ seq: number }>("SELECT seq FROM journal WHERE order_id = ? AND type = 'hq_refund_recorded' ORDER BY seq", [orderId])).map((r) => r.seq);

  it('HQ refunds line 1 at the channel → the kiosk journals it → the lane cannot pay line 1 again; one refund for it at the channel; sent twice, journaled once', async () => {
    // a member buys two lines, paid with the shopper's WeChat payment code at the scanner
    const items = await k.catalog.sample('plain', 2);
    let id = '';
    for (const it of items) {
      const r = await k.lane.scan(it.barcodes[0]);
      if (!r.ok || r.action !== 'item_added') throw new Error(`scan: ${JSON.stringify(r)}`);
      id = r.order.id;
    }
    await k.engine.dispatch(id, { type: 'member_attached', memberId: 'M88' });
    await k.engine.dispatch(id, { type: 'checkout_started' });
    const paying = k.checkout.pay(id, 'qr');
    await waitFor('the kiosk to ask for the payment code', () => k.hardware!.paymentCodes.waiting);
    await k.hardware!.sim.scanner!.scan(DEMO_PAYMENT_CODES.wechat);
    expect((await paying).state).toBe('paid');
    const sale = await k.engine.dispatch(id, { type: 'order_completed' });
    const attempt = sale.payments.find((a) => a.status === 'approved')!;
    const [l1, l2] = sale.priced.lines;
    expect(l1.net + l2.net).toBe(sale.paid);
    expect(l1.net).toBeGreaterThan(0);
    await synced();
    const ids = [store, device, id] as const;

    // HQ refunds line 1 at the channel (before anything at the lane)
    const r1 = await hqRefund(deps, { store, device, order: id, amount: l1.net, lineIds: [l1.lineId], reason: 'defective', refundId: 'desk-L1', user: 'alice' });
    expect(r1).toMatchObject({ state: 'refunded', amount: l1.net });
    const trade = () => sim.trade(channelOrderNo('wechat', attempt.attemptId))!;
    expect(trade().refunds.map((r) => [r.outRefundNo, r.fee])).toEqual([[r1.refundNo, l1.net]]);
    // HQ itself refuses the same line again (its own refund counts), before anything reaches the channel
    await expect(hqRefund(deps, { store, device, order: id, amount: 1, lineIds: [l1.lineId], reason: 'defective', refundId: 'desk-L1b', user: 'alice' })).rejects.toMatchObject({
      code: 'GUARD_REJECTED',
      details: { rule: 'lines' },
    });
    // before the notice: HQ knows the kiosk does not have it
    expect((await kioskNotices(hq.db.read, await hqRefunds(hq.db.read, ids), clock.now())).get('desk-L1')).toEqual({ state: 'not_sent' });

    // HQ tells the kiosk: one signed `hq_refund` command over the broker
    const sent = await sendHqRefundNotices(ctx, 'alice', ids);
    expect(sent).toEqual([expect.objectContaining({ refundId: 'desk-L1', outcome: expect.objectContaining({ ok: true }) })]);
    // nothing more is due while it is on its way
    expect(await sendHqRefundNotices(ctx, 'alice', ids)).toEqual([]);
    await waitFor('the kiosk to record HQ refund desk-L1', async () => (await k.engine.get(id)).refunds.some((r) => r.hqRefundId === 'desk-L1'), 30_000, 100);
    const recorded = await k.engine.get(id);
    expect(recorded).toMatchObject({ state: 'partially_refunded', refunded: l1.net });
    expect(recorded.refunds.find((r) => r.hqRefundId === 'desk-L1')).toMatchObject({ amount: l1.net, lineIds: [l1.lineId], attendantId: 'hq:alice' });
    expect((await hqEntries(id)).length).toBe(1);
    // the kiosk's answer is recorded at HQ, and the journal entry ingested: "recorded"
    await waitFor('the command result at HQ', async () => (await hq.db.read.get<{ status: string }>("SELECT status FROM commands WHERE name = 'hq_refund' AND store_id = ?", [store]))?.status === 'ok', 30_000, 100);
    await synced();
    expect((await kioskNotices(hq.db.read, await hqRefunds(hq.db.read, ids), clock.now())).get('desk-L1')).toEqual({ state: 'recorded' });
    // no provider call at the kiosk: still exactly one refund at the channel
    expect(trade().refunds).toHaveLength(1);

    // the lane: line 1 again is refused, nothing sent to the channel
    await expect(k.returns.run(id, { returnId: 'lane-L1', reason: 'defective', attendantId: 'att-1', by: 'lane', lineIds: [l1.lineId] })).rejects.toMatchObject({ code: 'GUARD_REJECTED' });
    // more than what is left (paid − HQ's refund) is refused too
    await expect(k.returns.run(id, { returnId: 'lane-over', reason: 'defective', attendantId: 'att-1', by: 'lane', amount: l2.net + 1 })).rejects.toMatchObject({ code: 'GUARD_REJECTED' });
    expect(trade().refunds).toHaveLength(1);
    // line 2 is returned at the lane (the kiosk's own refund number): everything is now paid back, once
    const lane = await k.returns.run(id, { returnId: 'lane-L2', reason: 'defective', attendantId: 'att-1', by: 'lane', lineIds: [l2.lineId] });
    expect(lane.refund).toMatchObject({ amount: l2.net });
    expect(lane.state).toBe('refunded');
    expect(trade().refunds.map((r) => r.fee).sort((a, b) => a - b)).toEqual([l1.net, l2.net].sort((a, b) => a - b));
    expect(trade().refunds.filter((r) => r.outRefundNo === r1.refundNo)).toHaveLength(1);
    // the payment attempt's refunded amount counted HQ's part (the lane refunded only what was left of it)
    expect((await k.db.read.get<{ refunded_amount: number; state: string }>('SELECT refunded_amount, state FROM payment_attempts WHERE id = ?', [attempt.attemptId]))).toEqual({ refunded_amount: sale.paid, state: 'refunded' });

    // the same refund again: a NEW command (new id) → answered, nothing journaled; the very same signed copy → already executed
    const hqRow = (await hqRefunds(hq.db.read, ids))[0];
    const again = await sendCommand(ctx, 'alice', store, device, 'hq_refund', hqRefundCommandArgs(hqRow));
    expect(again.ok).toBe(true);
    const againId = (again as { id: string }).id;
    await waitFor('the second command answered', async () => (await hq.db.read.get<{ status: string }>('SELECT status FROM commands WHERE id = ?', [againId]))?.status !== 'sent', 30_000, 100);
    const row = await hq.db.read.get<{ status: string; result: string }>('SELECT status, result FROM commands WHERE id = ?', [againId]);
    expect(row!.status).toBe('ok');
    expect(JSON.parse(row!.result).result).toMatchObject({ recorded: false, refundId: 'desk-L1', amount: l1.net });
    const firstRaw = await new Promise<Buffer>((resolve) => {
      // the copy the broker would deliver again: captured off the wire from a fresh send, then offered twice
      const spy = mqtt.connect(broker.url, { protocolVersion: 5, clientId: `spy-${process.pid}` });
      spy.on('connect', () => {
        spy.subscribe(commandTopic(store, device), { qos: 1 }, () => {
          void sendCommand(ctx, 'alice', store, device, 'hq_refund', hqRefundCommandArgs(hqRow));
        });
      });
      spy.on('message', (_t, payload) => {
        spy.end(true);
        resolve(payload);
      });
    });
    // the link runs each command once: the same payload again is refused as already executed
    await waitFor('the third command answered', async () => (await hq.db.read.get<{ n: number }>("SELECT COUNT(*) AS n FROM commands WHERE name = 'hq_refund' AND status = 'sent'"))!.n === 0, 30_000, 100);
    hqClient.publish(commandTopic(store, device), firstRaw, { qos: 1 });
    await waitFor('the duplicate refused', async () => {
      const rows = await hq.db.read.all<{ result: string | null }>("SELECT result FROM commands WHERE name = 'hq_refund'");
      return rows.some((r) => (r.result ?? '').includes('already_executed'));
    }, 30_000, 100);
    expect((await hqEntries(id)).length).toBe(1);
    expect((await k.engine.get(id)).refunds.filter((r) => r.hqRefundId === 'desk-L1')).toHaveLength(1);

    // member points: HQ's refund took back its share in HQ's ledger once; the kiosk took back none for it
    const hqSeq = (await hqEntries(id))[0];
    expect(await k.db.read.get('SELECT seq FROM member_points_local WHERE seq = ?', [hqSeq])).toBeUndefined();
    await synced();
    const reverses = (await ledgerRows(hq.db.read, 'M88')).filter((e) => e.kind === 'reverse' && e.orderId === id);
    expect(reverses.filter((e) => e.source === 'hq' && e.reason === 'desk-L1').length).toBeLessThanOrEqual(1);
    expect(reverses.filter((e) => e.source !== 'hq').length).toBeLessThanOrEqual(1); // the lane's return of line 2 only
    // together exactly what the order earned: had the kiosk taken HQ's share back again, it would be more
    expect(sale.pointsEarned).toBeGreaterThan(0);
    const taken = reverses.reduce((n, e) => n + Math.abs(e.points), 0);
    expect(taken).toBe(sale.pointsEarned);

    // HQ: the kiosk's record is not a second refund — HQ's limit and the day's bill count it once
    await expect(hqRefund(deps, { store, device, order: id, amount: 1, reason: 'defective', refundId: 'desk-more', user: 'alice' })).rejects.toMatchObject({ code: 'GUARD_REJECTED', details: { rule: 'amount', remaining: 0 } });
    const day = beijingDayOf(clock.now());
    const r = await reconcileBill(hq.db, { channel: 'wechat', day, bill: Buffer.from(sim.bill(day)!, 'utf8'), bps: 60 }, { by: 'test', now: clock.now() });
    expect(r.items).toEqual([]);
    expect(r.totals.journal).toEqual({ payments: 1, refunds: 2, paymentAmount: sale.paid, refundAmount: sale.paid });
  });
});
