import type { Kiosk } from '../../device/kiosk';
import type { ScanData } from '../../drivers/contract';
import type { ScanOutcome } from '../../runtime/lane/lane';
import type { Order } from '../../runtime/orders/order';

/** Scans `code` on the kiosk's simulated scanner (bytes through its pty) and resolves with what the lane made of it. */
export async function scanOnSimulator(k: Kiosk, code: string): Promise<ScanOutcome> {
  const hw = k.hardware!;
  const feed = hw.scanFeed!;
  const got = new Promise<ScanOutcome>((resolve) => {
    const on = (o: ScanOutcome, d: ScanData) => {
      if (d.raw === code) {
        feed.off('outcome', on);
        resolve(o);
      }
    };
    feed.on('outcome', on);
  });
  await hw.sim.scanner!.scan(code);
  return got;
}

/** A paid cash sale of one item scanned on the simulator (the kiosk's cash provider must confirm): the order, paid. */
export async function paidCashSale(k: Kiosk, code: string): Promise<Order> {
  const first = await scanOnSimulator(k, code);
  expect(first).toMatchObject({ ok: true, action: 'item_added' });
  let o = (first as { order: Order }).order;
  o = await k.engine.dispatch(o.id, { type: 'checkout_started' });
  o = await k.checkout.pay(o.id, 'cash');
  expect(o.state).toBe('paid');
  return o;
}
