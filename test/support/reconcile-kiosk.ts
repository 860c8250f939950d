import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SimulatedClock } from '../../kernel/clock';
import { KioskDb } from '../../kernel/sqlite/database';
import { channelOrderNo, channelRefundNo, type WalletChannel } from '../../protocol/payments/channel-numbers';
import { rowToEntry, type JournalRow } from '../../protocol/journal/row';
import type { EventMessage } from '../../protocol/sync/messages';
import { migrate } from '../../runtime/db/migrations';
import { appendJournal } from '../../runtime/journal/append';
import { OrderEngine } from '../../runtime/orders/engine';
import { priceCart } from '../../runtime/pricing/price-cart';
import { line, tempDir } from './engine-fixture';

/**
 * A real kiosk (engine, pricing, SQLite journal) on a simulated clock for the reconciliation tests: wallet sales
 * whose approvals carry the channel references the QR channels journal ({channel, outTradeNo, tradeNo}), refunds
 * with their allocations' references ({channel, outTradeNo, refundRequestNo}), card sales and terminal end-of-day
 * entries — journaled by the runtime's own engine and appendJournal, then ingested by HQ as published.
 */
export interface ReconcileKiosk {
  storeId: string;
  deviceId: string;
  clock: SimulatedClock;
  engine: OrderEngine;
  /** A wallet sale of `amount` fen; returns the attempt id and the merchant order number the channel got. */
  walletSale(channel: WalletChannel, amount: number): Promise<{ orderId: string; attemptId: string; orderNo: string }>;
  /** A card sale; `cardType` as the terminal names the card. */
  cardSale(amount: number, cardType: string): Promise<{ orderId: string; attemptId: string }>;
  /** A refund through the wallet channel of the sale; returns the channel's refund number. */
  walletRefund(channel: WalletChannel, sale: { orderId: string; attemptId: string }, amount: number): Promise<string>;
  /** A card refund (ZVT refund) or the whole payment's reversal (before the end-of-day), as the runtime journals them. */
  cardRefund(sale: { orderId: string; attemptId: string }, amount: number, via: 'refund' | 'reversal'): Promise<void>;
  endOfDay(payload: Record<string, unknown>): Promise<void>;
  events(): Promise<EventMessage[]>;
  close(): Promise<void>;
}

export async function reconcileKiosk(storeId: string, deviceId: string, start: number): Promise<ReconcileKiosk> {
  const dir = tempDir('hq-reconcile-');
  const db = await KioskDb.open(path.join(dir, 'kiosk.sqlite'));
  await migrate(db);
  const clock = new SimulatedClock(start);
  const engine = new OrderEngine({
    db,
    clock,
    deviceId,
    price: (lines, memberAttached) => priceCart(lines, { promotions: [], taxRates: { standard: 0.13 }, taxMode: 'inclusive', memberAttached, now: clock.now() }),
    points: (paid) => Math.floor(paid / 100),
  });
  let n = 0;
  const sale = async (amount: number, method: string, reference: (attemptId: string) => Record<string, string | number>) => {
    const order = await engine.dispatch(null, { type: 'item_added', line: line(`SKU${++n}`, amount) });
    await engine.dispatch(order.id, { type: 'checkout_started' });
    const attemptId = randomUUID(); // as the runtime numbers attempts: the channels get it (dashes stripped for WeChat, UnionPay)
    await engine.dispatch(order.id, { type: 'payment_started', attemptId, method, amount });
    clock.advance(1000);
    await engine.dispatch(order.id, { type: 'payment_approved', attemptId, amount, reference: reference(attemptId) });
    await engine.dispatch(order.id, { type: 'order_completed' });
    clock.advance(60_000);
    return { orderId: order.id, attemptId };
  };
  return {
    storeId,
    deviceId,
    clock,
    engine,
    async walletSale(channel, amount) {
      const s = await sale(amount, 'qr', (attemptId) => ({ channel, outTradeNo: channelOrderNo(channel, attemptId), tradeNo: `T${n}${channel}` }));
      return { ...s, orderNo: channelOrderNo(channel, s.attemptId) };
    },
    cardSale: (amount, cardType) => sale(amount, 'card', () => ({ cardType, traceNumber: 100 + n, maskedPan: '6805****1234' })),
    async walletRefund(channel, s, amount) {
      const order = await engine.get(s.orderId);
      const requestNo = `${s.attemptId}-refund-${order.refunds.length + 1}`;
      const refundNo = channelRefundNo(channel, requestNo);
      await engine.dispatch(s.orderId, {
        type: 'refund_issued',
        amount,
        attendantId: 'att-1',
        allocations: [{ attemptId: s.attemptId, method: 'qr', amount, via: 'refund', reference: { channel, outTradeNo: channelOrderNo(channel, s.attemptId), refundRequestNo: refundNo } }],
      });
      clock.advance(60_000);
      return refundNo;
    },
    async cardRefund(s, amount, via) {
      await engine.dispatch(s.orderId, { type: 'refund_issued', amount, attendantId: 'att-1', allocations: [{ attemptId: s.attemptId, method: 'card', amount, via }] });
      clock.advance(60_000);
    },
    async endOfDay(payload) {
      await db.transaction((tx) => appendJournal(tx, { deviceId, ts: clock.now(), orderId: null, type: 'terminal_end_of_day', payload }));
      clock.advance(60_000);
    },
    events: async () => (await db.read.all<JournalRow>('SELECT * FROM journal ORDER BY seq')).map((r) => ({ v: 1, storeId, ...rowToEntry(r) }) as EventMessage),
    close: async () => {
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
