import { formatMoney } from '../money';
import type { Order } from '../orders/order';

export interface ReceiptHeader {
  storeName: string;
  storeId: string;
  deviceId: string;
  currency: string;
  minorUnits: number;
  locale: string;
}

const pad = (left: string, right: string, width: number) => {
  const w = (s: string) => [...s].reduce((n, ch) => n + (/[\u2E80-\uFFFF]/.test(ch) ? 2 : 1), 0);
  const gap = Math.max(1, width - w(left) - w(right));
  return left + ' '.repeat(gap) + right;
};

/** A plain-text receipt (monospace, CJK counted double width), as the demo prints it and printers will render it. */
export function textReceipt(order: Order, h: ReceiptHeader, width = 42): string {
  const m = (v: number) => formatMoney(v, h.currency, h.minorUnits);
  const name = (names: Record<string, string>) => names[h.locale] ?? names.en ?? Object.values(names)[0] ?? '?';
  const out: string[] = [];
  out.push(h.storeName, `${h.storeId} / ${h.deviceId}`, `Receipt #${order.receiptNo ?? '-'}   ${new Date(order.updatedAt).toISOString()}`, '-'.repeat(width));
  for (const l of order.priced.lines) {
    const src = order.lines.find((x) => x.lineId === l.lineId);
    out.push(pad(src ? name(src.names) : l.sku, m(l.gross), width));
    if (l.weightGrams !== null) out.push(`  ${(l.weightGrams / 1000).toFixed(3)} kg × ${m(l.unitPrice)}/kg`);
    else if (l.quantity > 1) out.push(`  ${l.quantity} × ${m(l.unitPrice)}`);
  }
  for (const d of order.priced.discounts) out.push(pad(`  ${name(d.label)}`, m(-d.amount), width));
  out.push('-'.repeat(width), pad('Subtotal', m(order.priced.subtotal), width));
  if (order.priced.discountTotal) out.push(pad('Savings', m(-order.priced.discountTotal), width));
  for (const t of order.priced.taxes) out.push(pad(`  Tax ${t.taxClass} ${(t.rate * 100).toFixed(2)}%`, m(t.tax), width));
  out.push(pad('TOTAL', m(order.priced.total), width));
  for (const p of order.payments.filter((x) => x.status === 'approved')) out.push(pad(`Paid ${p.method}`, m(p.approvedAmount), width));
  if (order.memberId) out.push(`Member ${order.memberId}: +${order.pointsEarned} points`);
  return out.join('\n');
}
