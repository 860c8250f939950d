import type { OrderEngine } from '../orders/engine';
import type { Order } from '../orders/order';

/** A screen command that does not fit the current state (nothing changed). */
export class ScreenCommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScreenCommandError';
  }
}

/** Refuses the command with `why` unless `ok`. */
export function need(ok: boolean, why: string): asserts ok {
  if (!ok) throw new ScreenCommandError(why);
}

/** The engine's open order, or the command is refused. */
export async function openOrder(engine: OrderEngine): Promise<Order> {
  const o = await engine.openOrder();
  need(o !== null, 'no open order');
  return o;
}
