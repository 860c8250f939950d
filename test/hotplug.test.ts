/**
 * Hot-plug: each simulated device is unplugged and re-plugged during a sale (the pty vanishes under the real
 * driver). The sale continues or pauses with the right shopper message and lane light; nothing is printed or
 * charged twice.
 */
import * as fs from 'node:fs';
import { loadConfig } from '../config/load';
import { bootKiosk, type Kiosk } from '../device/kiosk';
import { scanOnSimulator } from './support/sim-scan';
import type { ScanOutcome } from '../runtime/lane/lane';
import { isKioskError } from '../kernel/errors';
import { tempDir } from './support/engine-fixture';
import { waitFor } from './support/wait';

describe('hot-plug during a sale (simulated devices, real drivers, real ptys)', () => {
  let dir: string;
  let k: Kiosk;
  let codes: string[];

  const hw = () => k.hardware!;
  const light = () => hw().sim.light!.state();
  const scan = (code: string): Promise<ScanOutcome> => scanOnSimulator(k, code);

  beforeAll(async () => {
    dir = tempDir('kiosk-hotplug-');
    k = await bootKiosk(loadConfig({ env: {}, overrides: { dataDir: dir } }), { devices: true });
    await waitFor('lane in service', () => hw().supervisor.condition().inService);
    const plain = await k.catalog.sample('plain', 5);
    codes = plain.map((i) => i.barcodes[0]).filter((b) => b.length === 13);
  }, 30_000);
  afterAll(async () => {
    await k.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('scanner: unplugged → out of service, red light, shopper told; replugged → scans flow again into the same order', async () => {
    const first = await scan(codes[0]);
    expect(first).toMatchObject({ ok: true, action: 'item_added' });
    const orderId = (first as { order: { id: string } }).order.id;
    await waitFor('green light', () => light()?.color === 'green');
    await hw().sim.scanner!.unplug();
    const down = await waitFor('out of service', () => (hw().supervisor.condition().inService ? null : hw().supervisor.condition()));
    expect(down.reasons.join()).toMatch(/scanner: offline/);
    expect(down.message?.en).toMatch(/out of service/);
    await waitFor('red light', () => light()?.color === 'red');
    await hw().sim.scanner!.replug();
    await waitFor('back in service', () => hw().supervisor.condition().inService, 15_000);
    await waitFor('green light again', () => light()?.color === 'green');
    const again = await scan(codes[1]);
    expect(again).toMatchObject({ ok: true, action: 'item_added' });
    expect((again as { order: { id: string } }).order.id).toBe(orderId);
  }, 40_000);

  it('display and light: unplugged, the sale goes on; replugged, they show the current state', async () => {
    const money = async () => {
      const o = (await k.engine.openOrder())!;
      return `TOTAL ¥${(o.priced.total / 100).toFixed(2)}`;
    };
    await hw().sim.display!.unplug();
    await hw().sim.light!.unplug();
    await waitFor('display and light offline', () => !hw().devices.display!.status().online && !hw().devices.light!.status().online);
    expect(hw().supervisor.condition().inService).toBe(true); // neither is required to sell
    expect(await scan(codes[2])).toMatchObject({ ok: true, action: 'item_added' });
    await hw().sim.display!.replug();
    await hw().sim.light!.replug();
    const want = await money();
    await waitFor(`display shows ${want}`, () => hw().sim.display!.lines()[1] === want, 15_000);
    await waitFor('light green again', () => light()?.color === 'green' && light()?.mode === 'steady', 15_000);
  }, 40_000);

  it('terminal unplugged mid-payment: outcome unknown, yellow light; replugged, resolved from the terminal — one charge at most', async () => {
    let o = (await k.engine.openOrder())!;
    o = await k.engine.dispatch(o.id, { type: 'checkout_started' });
    hw().sim.terminal!.timeout(); // the terminal asks for a card and then hears nothing
    const paying = k.checkout.pay(o.id, 'card');
    await waitFor('payment pending', async () => (await k.engine.get(o.id)).state === 'payment_pending');
    await hw().sim.terminal!.unplug();
    const after = await paying;
    expect(['payment_unknown', 'awaiting_payment']).toContain(after.state);
    if (after.state === 'payment_unknown') await waitFor('yellow blinking light', () => light()?.color === 'yellow' || light()?.color === 'red');
    await hw().sim.terminal!.replug();
    await waitFor('terminal back', () => hw().devices.terminal!.status().online, 15_000);
    const settled = await k.checkout.recover(o.id);
    const final = settled.state === 'payment_unknown' ? await k.checkout.decide(o.id, 'declined', 'att-1') : settled;
    expect(final.state).toBe('awaiting_payment');
    expect(final.paid).toBe(0);
    // and the shopper can pay again, once: while the terminal still finishes the interrupted transaction the
    // attempt is refused before anything is sent (declined "not ready", or OUT_OF_SERVICE while the lane says the
    // terminal is down), never left in doubt
    let paid = final;
    for (let i = 0; i < 40 && paid.state !== 'paid'; i++) {
      hw().sim.terminal!.approve();
      const before = paid;
      paid = await k.checkout.pay(o.id, 'card').catch((e: unknown) => {
        if (isKioskError(e, 'OUT_OF_SERVICE')) return before;
        throw e;
      });
      // on a loaded machine an answer can come late: then the outcome is settled from the terminal, never re-paid
      if (paid.state === 'payment_unknown') paid = await k.checkout.recover(o.id);
      expect(paid.state).not.toBe('payment_unknown');
      if (paid.state !== 'paid') await new Promise((r) => setTimeout(r, 250));
    }
    expect(paid.state).toBe('paid');
    expect(paid.payments.filter((p) => p.status === 'approved')).toHaveLength(1);
    // the terminal's own journal agrees: exactly one charge stands for this order's amount
    const charged = hw().sim.terminal!.transactions().filter((t) => t.amount === paid.priced.total && t.result === 'approved' && !t.reversed);
    expect(charged).toHaveLength(1);
    await k.engine.dispatch(o.id, { type: 'order_completed' });
  }, 60_000);

  it('printer unplugged while printing: no receipt twice; after replug the same job id prints once', async () => {
    const done = (await k.engine.list(1))[0];
    expect(done.state).toBe('completed');
    const before = hw().sim.printer!.receipts();
    await hw().sim.printer!.unplug();
    await expect(hw().printReceipt(done.id)).rejects.toMatchObject({ code: expect.stringMatching(/DEVICE_OFFLINE|TIMEOUT/) });
    await hw().sim.printer!.replug();
    await waitFor('printer back', () => hw().devices.printer!.status().online, 15_000);
    const first = await waitFor('print accepted', async () => hw().printReceipt(done.id).catch(() => null), 15_000, 250);
    expect(first.state).toBe('printed');
    const second = await hw().printReceipt(done.id);
    expect(second.duplicate).toBe(true);
    expect(hw().sim.printer!.receipts()).toBe(before + 1);
    // a reprint is explicit and prints again
    const reprint = await hw().printReceipt(done.id, 1);
    expect(reprint).toMatchObject({ state: 'printed', duplicate: false });
    expect(hw().sim.printer!.receipts()).toBe(before + 2);
    expect(hw().sim.printer!.last()!.text).toContain('REPRINT 1');
  }, 60_000);
});
