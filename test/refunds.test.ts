/**
 * Refunds by the attendant through the methods the order was paid with, against the simulated terminal (real ZVT
 * driver on a pty) and the QR gateway simulator — each simulator's own journal/ledger confirms the money moved
 * back exactly once — and the terminal's end-of-day totals in the Z report.
 */
import * as fs from 'node:fs';
import { loadConfig } from '../config/load';
import { bootKiosk, type Kiosk } from '../device/kiosk';
import { eodModel } from '../runtime/reports/eod-report';
import type { Order } from '../runtime/orders/order';
import { attemptsOf } from '../runtime/payments/attempts';
import { runTerminalEndOfDay, terminalTotalsIn } from '../runtime/payments/terminal-eod';
import { businessDayBounds } from '../kernel/local-time';
import { tempDir } from './support/engine-fixture';
import { waitFor } from './support/wait';

describe('refunds and the terminal end-of-day', () => {
  let dir: string;
  let k: Kiosk;
  let codes: string[];
  const sim = () => k.hardware!.sim.terminal!;

  beforeAll(async () => {
    dir = tempDir('kiosk-refunds-');
    k = await bootKiosk(loadConfig({ env: {}, overrides: { dataDir: dir } }), { devices: true });
    await waitFor('lane in service', () => k.hardware!.supervisor.condition().inService);
    codes = (await k.catalog.sample('plain', 6)).map((i) => i.barcodes[0]);
  }, 30_000);
  afterAll(async () => {
    await k.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function sale(items: string[], method: 'card' | 'qr'): Promise<Order> {
    let o: Order | null = null;
    for (const c of items) {
      const r = await k.lane.scan(c);
      if (!r.ok || r.action !== 'item_added') throw new Error(`scan ${c}: ${JSON.stringify(r)}`);
      o = r.order;
    }
    o = await k.engine.dispatch(o!.id, { type: 'checkout_started' });
    if (method === 'qr') {
      const paying = k.checkout.pay(o.id, 'qr');
      await waitFor('kiosk waits for the payment code', () => k.hardware!.paymentCodes.waiting);
      k.hardware!.paymentCodes.offer({ channel: 'alipay', code: '281234567890123456' });
      o = await paying;
    } else {
      o = await k.checkout.pay(o.id, 'card');
    }
    expect(o.state).toBe('paid');
    return k.engine.dispatch(o.id, { type: 'order_completed' });
  }

  it('a whole card payment the terminal has not settled is reversed: no money moves, the attempt is reversed', async () => {
    const o = await sale([codes[0]], 'card');
    const trace = Number(o.payments[0].reference!.traceNumber);
    const r = await k.refunds.refund(o.id, { attendantId: 'att-7' });
    expect(r.state).toBe('refunded');
    expect(r.refunds[0].allocations).toEqual([expect.objectContaining({ method: 'card', amount: o.paid, via: 'reversal' })]);
    expect(sim().transactions().find((e) => e.traceNumber === trace)).toMatchObject({ kind: 'payment', reversed: true });
    expect((await attemptsOf(k.db, o.id))[0]).toMatchObject({ state: 'reversed', refundedAmount: o.paid });
    await expect(k.refunds.refund(o.id, { attendantId: 'att-7' })).rejects.toMatchObject({ code: 'EVENT_NOT_ALLOWED' });
  });

  it('partial card refund by line, then the rest: two terminal refunds, each of its amount', async () => {
    const o = await sale([codes[1], codes[2]], 'card');
    const line = o.priced.lines[0];
    const before = sim().transactions().length;
    const partial = await k.refunds.refund(o.id, { attendantId: 'att-7', lineIds: [line.lineId] });
    expect(partial).toMatchObject({ state: 'partially_refunded', refunded: line.net });
    await expect(k.refunds.refund(o.id, { attendantId: 'att-7', lineIds: [line.lineId] })).rejects.toThrow(/refunded before/);
    const rest = await k.refunds.refund(o.id, { attendantId: 'att-7' });
    expect(rest).toMatchObject({ state: 'refunded', refunded: o.paid });
    const refunds = sim().transactions().slice(before).filter((e) => e.kind === 'refund' && e.result === 'approved');
    expect(refunds.map((e) => e.amount)).toEqual([line.net, o.paid - line.net]);
    expect((await attemptsOf(k.db, o.id))[0]).toMatchObject({ state: 'refunded', refundedAmount: o.paid });
    // the refunds are journaled with the attendant id
    const j = await k.db.read.all<{ payload: string }>("SELECT payload FROM journal WHERE order_id = ? AND type = 'refund_issued'", [o.id]);
    expect(j.map((x) => (JSON.parse(x.payload) as { event: { attendantId: string } }).event.attendantId)).toEqual(['att-7', 'att-7']);
  });

  it('QR refund through the gateway: partial, then the rest; the gateway ledger agrees and never refunds twice', async () => {
    const o = await sale([codes[3], codes[4]], 'qr');
    const attemptId = o.payments[0].attemptId;
    const part = o.priced.lines[0].net;
    await k.refunds.refund(o.id, { attendantId: 'att-9', amount: part });
    expect(k.hardware!.wallets!.sims.alipay!.trade(attemptId)?.refundedAmount).toBe(part);
    const done = await k.refunds.refund(o.id, { attendantId: 'att-9' });
    expect(done.state).toBe('refunded');
    expect(k.hardware!.wallets!.sims.alipay!.trade(attemptId)?.refundedAmount).toBe(o.paid);
    await expect(k.refunds.refund(o.id, { attendantId: 'att-9', amount: 1 })).rejects.toMatchObject({ code: 'EVENT_NOT_ALLOWED' });
  });

  it('end-of-day settles card payments (captured, refunds no longer reverse) and its totals match the Z report', async () => {
    const o = await sale([codes[5]], 'card');
    const eod = await runTerminalEndOfDay(k.db, k.hardware!.devices.terminal!, { clock: k.clock, deviceId: k.config.device.deviceId });
    expect(eod.captured).toBe(1);
    expect((await attemptsOf(k.db, o.id))[0].state).toBe('captured');
    const date = new Date(k.clock.now()).toISOString().slice(0, 10);
    const terminal = await terminalTotalsIn(k.db, businessDayBounds(date, 'UTC'));
    const orders = (await k.engine.list(50)).filter((x) => x.payments.some((p) => p.method === 'card'));
    const model = eodModel(orders, { date, storeId: 's', deviceId: 'd', terminalTotals: { amount: terminal!.amount } });
    expect(model.card.terminal!.amount).toBe(eod.amount);
    expect(model.card.matches).toBe(true); // payments − reversals − refunds, on both sides

    // after settlement a whole refund cannot be a reversal any more: it is a refund
    const r = await k.refunds.refund(o.id, { attendantId: 'att-7' });
    expect(r.refunds[0].allocations![0].via).toBe('refund');
    expect((await attemptsOf(k.db, o.id))[0].state).toBe('refunded');
  });
});
