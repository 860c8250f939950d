import type { LocalizedText } from '../../protocol/pricebook/price-item';
import type { ReceiptOrder } from '../../protocol/receipts/receipt-order';
import { isCustomerType } from '../../protocol/members/customer-type';
import { arr, int, num, obj, text, type Json } from './journal-payload';
import { safeReference } from './reference';

const MAX = 1000;

function localized(v: Json | undefined): LocalizedText | null {
  const o = obj(v);
  if (!o) return null;
  const out: Record<string, string> = {};
  for (const [k, s] of Object.entries(o).slice(0, 10)) {
    const t = text(s);
    if (t !== null) out[k] = t;
  }
  return Object.keys(out).length ? (out as LocalizedText) : null;
}

/**
 * The `order` snapshot of an `order_completed` entry, checked field by field, as the receipt model reads it (the
 * kiosk printed its receipt from the same object). Null when it is not an order snapshot.
 */
export function receiptOrderOf(snapshot: unknown): ReceiptOrder | null {
  const o = obj(snapshot);
  const priced = obj(o?.priced);
  const id = text(o?.id, 100);
  const updatedAt = int(o?.updatedAt);
  if (!o || !priced || !id || updatedAt === null) return null;
  const lines: ReceiptOrder['lines'][number][] = [];
  for (const l of arr(o.lines, MAX)) {
    const lo = obj(l);
    const lineId = text(lo?.lineId, 40);
    const names = localized(lo?.names);
    if (lineId && names) lines.push({ lineId, names });
  }
  const pricedLines: ReceiptOrder['priced']['lines'][number][] = [];
  for (const l of arr(priced.lines, MAX)) {
    const lo = obj(l);
    const lineId = text(lo?.lineId, 40);
    if (!lo || !lineId) continue;
    pricedLines.push({
      lineId,
      sku: text(lo.sku, 64) ?? '?',
      quantity: int(lo.quantity) ?? 0,
      weightGrams: int(lo.weightGrams),
      unitPrice: int(lo.unitPrice) ?? 0,
      gross: int(lo.gross) ?? 0,
    });
  }
  const discounts = arr(priced.discounts, MAX).flatMap((d) => {
    const dobj = obj(d);
    const label = localized(dobj?.label);
    const amount = int(dobj?.amount);
    return label && amount !== null ? [{ label, amount }] : [];
  });
  const taxes = arr(priced.taxes, 50).flatMap((t) => {
    const to = obj(t);
    const taxClass = text(to?.taxClass, 40);
    const rate = num(to?.rate);
    return taxClass && rate !== null ? [{ taxClass, rate, base: int(to?.base) ?? 0, tax: int(to?.tax) ?? 0 }] : [];
  });
  const payments = arr(o.payments, 100).flatMap((p) => {
    const po = obj(p);
    const method = text(po?.method, 32);
    const status = text(po?.status, 20);
    if (!method || !status) return [];
    const reference = safeReference(po?.reference);
    return [{ method, status, approvedAmount: int(po?.approvedAmount) ?? 0, ...(reference ? { reference } : {}) }];
  });
  const training = o.training === true;
  return {
    id,
    updatedAt,
    ...(training ? { training: true, trainingNo: int(o.trainingNo) ?? 0 } : {}),
    receiptNo: int(o.receiptNo),
    memberId: text(o.memberId, 100),
    pointsEarned: int(o.pointsEarned) ?? 0,
    ...(isCustomerType(o.customerType) ? { customerType: o.customerType } : {}),
    pointsRedeemed: Math.max(0, int(o.pointsRedeemed) ?? 0),
    pointsDiscount: Math.max(0, int(o.pointsDiscount) ?? 0),
    lines,
    priced: {
      lines: pricedLines,
      discounts,
      taxes,
      subtotal: int(priced.subtotal) ?? 0,
      discountTotal: int(priced.discountTotal) ?? 0,
      taxTotal: int(priced.taxTotal) ?? 0,
      total: int(priced.total) ?? 0,
    },
    payments,
  };
}
