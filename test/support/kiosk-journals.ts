import * as fs from 'node:fs';
import * as path from 'node:path';
import { SimulatedClock } from '../../kernel/clock';
import { KioskDb } from '../../kernel/sqlite/database';
import { rowToEntry, type JournalRow } from '../../protocol/journal/row';
import type { EventMessage } from '../../protocol/sync/messages';
import { migrate } from '../../runtime/db/migrations';
import { OrderEngine } from '../../runtime/orders/engine';
import type { Order } from '../../runtime/orders/order';
import { priceCart } from '../../runtime/pricing/price-cart';
import { line, tempDir } from './engine-fixture';

/** A real kiosk (engine, pricing, SQLite journal) on a simulated clock, for HQ tests that ingest real journals. */
export interface JournalKiosk {
  storeId: string;
  deviceId: string;
  clock: SimulatedClock;
  engine: OrderEngine;
  /** The kiosk's journal so far, as the events it publishes to HQ. */
  events(): Promise<EventMessage[]>;
  close(): Promise<void>;
}

export async function journalKiosk(storeId: string, deviceId: string, start = Date.UTC(2026, 0, 1, 9, 0, 0)): Promise<JournalKiosk> {
  const dir = tempDir('hq-journal-');
  const db = await KioskDb.open(path.join(dir, 'kiosk.sqlite'));
  await migrate(db);
  const clock = new SimulatedClock(start);
  const engine = new OrderEngine({
    db,
    clock,
    deviceId,
    price: (lines, memberAttached) =>
      priceCart(lines, { promotions: [], taxRates: { standard: 0.13, reduced: 0.09 }, taxMode: 'inclusive', memberAttached, now: clock.now() }),
    points: (paid) => Math.floor(paid / 100),
  });
  return {
    storeId,
    deviceId,
    clock,
    engine,
    events: async () =>
      (await db.read.all<JournalRow>('SELECT * FROM journal ORDER BY seq')).map((r) => ({ v: 1, storeId, ...rowToEntry(r) }) as EventMessage),
    close: async () => {
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface SaleOptions {
  items: { sku: string; price: number; qty?: number; name?: string; taxClass?: string }[];
  member?: string;
  method?: string;
  reference?: Record<string, string | number>;
  /** Attempts declined before the approved one. */
  declines?: number;
  /** The approval is lost (timed out) and settled later by an attendant. */
  timeout?: boolean;
}

/** One sale through the real engine: items, checkout, payment (declines, timeout), completion. */
export async function sell(k: JournalKiosk, o: SaleOptions): Promise<Order> {
  let order: Order | null = null;
  for (const it of o.items) {
    const names = it.name !== undefined ? { 'zh-CN': it.name, en: it.name } : undefined;
    for (let i = 0; i < (it.qty ?? 1); i++) {
      order = await k.engine.dispatch(order?.id ?? null, {
        type: 'item_added',
        line: line(it.sku, it.price, { ...(names ? { names } : {}), taxClass: it.taxClass ?? 'standard' }),
      });
    }
  }
  if (!order) throw new Error('a sale needs items');
  const id = order.id;
  if (o.member) order = await k.engine.dispatch(id, { type: 'member_attached', memberId: o.member });
  order = await k.engine.dispatch(id, { type: 'checkout_started' });
  const method = o.method ?? 'card';
  for (let d = 0; d < (o.declines ?? 0); d++) {
    const attemptId = `${id}-d${d}`;
    await k.engine.dispatch(id, { type: 'payment_started', attemptId, method, amount: order.priced.total });
    order = await k.engine.dispatch(id, { type: 'payment_declined', attemptId, reason: 'insufficient funds' });
  }
  const attemptId = `${id}-a`;
  await k.engine.dispatch(id, { type: 'payment_started', attemptId, method, amount: order.priced.total });
  if (o.timeout) {
    await k.engine.dispatch(id, { type: 'payment_timed_out', attemptId });
    await k.engine.dispatch(id, {
      type: 'payment_resolved',
      attemptId,
      outcome: 'approved',
      amount: order.priced.total,
      by: 'attendant',
      attendantId: 'att-1',
      ...(o.reference ? { reference: o.reference } : {}),
    });
  } else {
    await k.engine.dispatch(id, { type: 'payment_approved', attemptId, amount: order.priced.total, ...(o.reference ? { reference: o.reference } : {}) });
  }
  return k.engine.dispatch(id, { type: 'order_completed' });
}
