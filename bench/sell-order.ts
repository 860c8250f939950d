import type { OrderEngine } from '../runtime/orders/engine';
import type { NewLine } from '../runtime/orders/events';

/**
 * One complete card sale through the real engine, as a lane makes it: every line scanned, checkout, payment started
 * and approved, completed — 4 + lines transactions. `n` makes the attempt id unique.
 */
export async function sellCompleteCardOrder(engine: OrderEngine, lines: readonly NewLine[], n: number): Promise<void> {
  let o = await engine.dispatch(null, { type: 'item_added', line: lines[0] });
  for (const l of lines.slice(1)) o = await engine.dispatch(o.id, { type: 'item_added', line: l });
  o = await engine.dispatch(o.id, { type: 'checkout_started' });
  o = await engine.dispatch(o.id, { type: 'payment_started', attemptId: `a${n}`, method: 'card', amount: o.priced.total });
  o = await engine.dispatch(o.id, { type: 'payment_approved', attemptId: `a${n}`, amount: o.priced.total });
  await engine.dispatch(o.id, { type: 'order_completed' });
}
