/**
 * What the shopper's screen needs from a payment, on a kiosk with simulated devices: the terminal's prompts relayed,
 * abort on shopper cancel (nothing charged, checked on the terminal's journal), and merchant-presented QR (the kiosk
 * shows a dynamic QR from the gateway and completes when the shopper pays in their app).
 */
import * as fs from 'node:fs';
import { loadConfig } from '../config/load';
import { bootKiosk, type Kiosk, type PaymentEvents } from '../device/kiosk';
import type { Order } from '../runtime/orders/order';
import { tempDir } from './support/engine-fixture';
import { waitFor } from './support/wait';

describe('payment flows for the screen', () => {
  let dir: string;
  let k: Kiosk;
  let codes: string[];
  beforeAll(async () => {
    dir = tempDir('kiosk-payflows-');
    k = await bootKiosk(loadConfig({ env: {}, overrides: { dataDir: dir } }), { devices: true });
    await waitFor('lane in service', () => k.hardware!.supervisor.condition().inService);
    codes = (await k.catalog.sample('plain', 3)).map((i) => i.barcodes[0]);
  }, 30_000);
  afterAll(async () => {
    await k.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function cart(code: string): Promise<Order> {
    const r = await k.lane.scan(code);
    if (!r.ok || r.action !== 'item_added') throw new Error(JSON.stringify(r));
    return k.engine.dispatch(r.order.id, { type: 'checkout_started' });
  }

  it('relays the terminal prompts, and a shopper cancel aborts the card payment: declined, nothing charged', async () => {
    const prompts: PaymentEvents['prompt'][0][] = [];
    k.payments.on('prompt', (p) => prompts.push(p));
    const o = await cart(codes[0]);
    k.hardware!.sim.terminal!.timeout(); // the terminal asks for a card that never comes
    const paying = k.checkout.pay(o.id, 'card');
    // the terminal's 04 FF "insert card" reaches the kiosk's payment events as a prompt code (mapped in the ZVT driver)
    await waitFor('terminal prompting', () => prompts.some((p) => p.method === 'card' && p.code === 'insert_card'));
    expect(k.checkout.abort(o.id)).toBe(true);
    const after = await paying;
    expect(after.state).toBe('awaiting_payment');
    expect(after.payments[0]).toMatchObject({ status: 'declined' });
    const charged = k.hardware!.sim.terminal!.transactions().filter((t) => t.result === 'approved' && t.amount === o.priced.total);
    expect(charged).toEqual([]);
    expect(k.checkout.abort(o.id)).toBe(false); // nothing running any more
    await k.engine.dispatch(o.id, { type: 'order_cancelled', reason: 'shopper left' });
  }, 60_000);

  it('merchant-presented QR: the kiosk shows the gateway’s dynamic QR, the shopper pays in the app, the order is paid', async () => {
    const shown: PaymentEvents['qr'][0][] = [];
    k.payments.on('qr', (q) => shown.push(q));
    const o = await cart(codes[1]);
    expect(k.checkout.methods()).toEqual(expect.arrayContaining(['card', 'qr', 'qr_merchant']));
    const paying = k.checkout.pay(o.id, 'qr_merchant');
    const qr = await waitFor('QR on screen', () => shown.find((q) => q.orderId === o.id));
    expect(await k.hardware!.wallets!.sims.alipay!.payQr(qr.qrCode)).toBe(true); // the shopper scans it with the app and pays
    const paid = await paying;
    expect(paid.state).toBe('paid');
    expect(shown).toEqual([expect.objectContaining({ orderId: o.id, qrCode: expect.stringMatching(/\S{8,}/) })]);
    const trade = k.hardware!.wallets!.sims.alipay!.trade(paid.payments[0].attemptId);
    expect(trade).toMatchObject({ kind: 'precreate', status: 'TRADE_SUCCESS', totalAmount: paid.priced.total });
    await k.engine.dispatch(o.id, { type: 'order_completed' });
  }, 60_000);
});
