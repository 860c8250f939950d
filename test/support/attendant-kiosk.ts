import { loadConfig } from '../../config/load';
import { bootKiosk, type Kiosk } from '../../device/kiosk';
import type { Order } from '../../runtime/orders/order';
import { hashPin } from '../../runtime/screen/pin';
import { waitFor } from './wait';

/**
 * A kiosk booted in this process with its simulated devices (the ZVT terminal simulator, the printer simulator …)
 * and its data in `dataDir`, the screen on a free port, one attendant `att-42` with `pin` (5 attempts, then locked
 * for a minute): resolved once the lane is in service (within `timeoutMs`).
 */
export async function bootAttendantKiosk(dataDir: string, pin: string, timeoutMs: number): Promise<Kiosk> {
  const hash = await hashPin(pin, { N: 1024, r: 8, p: 1 });
  const config = loadConfig({ env: {}, overrides: { dataDir, screen: { port: 0 }, attendant: { pins: [{ attendantId: 'att-42', hash }], maxPinAttempts: 5, lockoutMs: 60_000 } } });
  const k = await bootKiosk(config, { devices: true });
  try {
    await waitFor('lane in service', () => k.hardware!.supervisor.condition().inService, timeoutMs);
  } catch (e) {
    await k.close(); // the caller never gets it to close
    throw e;
  }
  return k;
}

/** A completed card sale of two plain items scanned at the lane and paid on the ZVT simulator. */
export async function completedCardSale(k: Kiosk): Promise<Order> {
  let o: Order | null = null;
  for (const item of await k.catalog.sample('plain', 2)) {
    const r = await k.lane.scan(item.barcodes[0]);
    if (!r.ok || r.action !== 'item_added') throw new Error(`scan ${item.sku}: ${JSON.stringify(r)}`);
    o = r.order;
  }
  o = await k.engine.dispatch(o!.id, { type: 'checkout_started' });
  o = await k.checkout.pay(o.id, 'card');
  expect(o.state).toBe('paid');
  return k.engine.dispatch(o.id, { type: 'order_completed' });
}
