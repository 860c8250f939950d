/** Hand-built orders for the document tests (not exported from anywhere else). */
import { newOrder, type Order, type OrderLine, type PaymentRecord, type RefundRecord } from '../../runtime/orders/order';
import type { OrderState } from '../../runtime/orders/states';
import { priceCart } from '../../runtime/pricing/price-cart';
import type { Promotion } from '../../runtime/pricing/types';
import type { ReceiptHeader } from '../../protocol/receipts/text-receipt';

export const HEADER: ReceiptHeader = {
  storeName: '鲜果超市 Fresh Mart',
  storeId: 'S001',
  deviceId: 'lane-3',
  currency: 'CNY',
  minorUnits: 2,
  locale: 'zh-CN',
  timeZone: 'UTC',
};

export const T0 = Date.parse('2026-11-21T09:30:15Z');

const COLA_PROMO: Promotion = {
  id: 'cola10',
  kind: 'percent_off',
  percent: 10,
  skus: ['COLA'],
  label: { 'zh-CN': '可乐九折', en: 'Cola 10% off' },
};

function orderLine(lineId: string, sku: string, zh: string, en: string, extra: Partial<OrderLine>): OrderLine {
  return {
    lineId,
    sku,
    names: { 'zh-CN': zh, en },
    barcode: sku,
    quantity: 1,
    weightGrams: null,
    unitPrice: 0,
    embeddedPrice: null,
    taxClass: 'standard',
    ageLimit: null,
    approved: true,
    ...extra,
  };
}

/**
 * The worked example (tax inclusive, standard 13 %, reduced 9 %):
 *   L1 可口可乐 2 × ¥3.50 = ¥7.00 (standard), 10 % off → −¥0.70
 *   L2 苹果 0.750 kg × ¥12.00/kg = ¥9.00 (reduced)
 *   L3 全麦面包 1 × ¥5.00 = ¥5.00 (reduced)
 * subtotal ¥21.00, savings ¥0.70, total ¥20.30.
 * Payments: card declined once, then card ¥20.30 approved; member M-88 earns 20 points.
 */
export function exampleOrder(overrides: Partial<Order> = {}): Order {
  const lines = [
    orderLine('L1', 'COLA', '可口可乐 330ml', 'Coca-Cola 330 ml', { quantity: 2, unitPrice: 350 }),
    orderLine('L2', 'APPLE', '苹果', 'Apples', { weightGrams: 750, unitPrice: 1200, taxClass: 'reduced' }),
    orderLine('L3', 'BREAD', '全麦面包', 'Wholemeal bread', { unitPrice: 500, taxClass: 'reduced' }),
  ];
  const priced = priceCart(lines, {
    promotions: [COLA_PROMO],
    taxRates: { standard: 0.13, reduced: 0.09 },
    taxMode: 'inclusive',
    memberAttached: true,
    now: T0,
  });
  const payments: PaymentRecord[] = [
    { attemptId: 'A1', method: 'card', amount: priced.total, status: 'declined', approvedAmount: 0, reason: 'insufficient funds' },
    {
      attemptId: 'A2',
      method: 'card',
      amount: priced.total,
      status: 'approved',
      approvedAmount: priced.total,
      // terminalId / receiptNumber / a stray full PAN must never reach a document
      reference: { maskedPan: '621700******1234', traceNumber: 42, authCode: 'A1B2C3', terminalId: '52900001', pan: '6217001234567891234' },
    },
  ];
  return {
    ...newOrder('ord-0001', T0),
    state: 'completed',
    updatedAt: T0 + 60_000,
    lines,
    priced,
    payments,
    paid: priced.total,
    receiptNo: 17,
    memberId: 'M-88',
    pointsEarned: 20,
    nextLineNo: 4,
    ...overrides,
  };
}

/** A simple paid order of one standard-rate item. */
export function simpleOrder(id: string, amount: number, state: OrderState, pay: Partial<PaymentRecord>[] = [], refunds: RefundRecord[] = []): Order {
  const lines = [orderLine('L1', 'X', '商品', 'Item', { unitPrice: amount })];
  const priced = priceCart(lines, { promotions: [], taxRates: { standard: 0.13 }, taxMode: 'inclusive', memberAttached: false, now: T0 });
  const payments: PaymentRecord[] = pay.map((p, i) => ({
    attemptId: `${id}-A${i + 1}`,
    method: 'cash',
    amount,
    status: 'approved',
    approvedAmount: p.status && p.status !== 'approved' ? 0 : amount,
    ...p,
  }));
  return {
    ...newOrder(id, T0),
    state,
    lines,
    priced,
    payments,
    paid: payments.reduce((s, p) => s + p.approvedAmount, 0),
    refunds,
    refunded: refunds.reduce((s, r) => s + r.amount, 0),
  };
}
