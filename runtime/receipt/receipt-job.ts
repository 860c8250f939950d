import type { PrintJob, ReceiptBlock } from '../../drivers/contract';
import { formatMoney } from '../money';
import type { Order } from '../orders/order';
import type { ReceiptHeader } from './text-receipt';

/** The job id of an order's receipt: printing it twice prints once. A reprint is explicit: `reprint:<id>:<n>`. */
export const receiptJobId = (orderId: string, reprint = 0) => (reprint > 0 ? `reprint:${orderId}:${reprint}` : `receipt:${orderId}`);

/** The receipt as printer blocks: header, lines, discounts, tax, total, payments, QR and barcode of the receipt number. */
export function receiptJob(order: Order, h: ReceiptHeader, opts: { reprint?: number } = {}): PrintJob {
  const m = (v: number) => formatMoney(v, h.currency, h.minorUnits);
  const name = (names: Record<string, string>) => names[h.locale] ?? names.en ?? Object.values(names)[0] ?? '?';
  const no = String(order.receiptNo ?? 0).padStart(6, '0');
  const blocks: ReceiptBlock[] = [
    { kind: 'text', text: h.storeName, align: 'center', bold: true, size: 2 },
    { kind: 'text', text: `${h.storeId} / ${h.deviceId}`, align: 'center' },
    { kind: 'text', text: `No. ${no}  ${new Date(order.updatedAt).toISOString().slice(0, 19).replace('T', ' ')}` },
  ];
  if (opts.reprint) blocks.push({ kind: 'text', text: `*** REPRINT ${opts.reprint} ***`, align: 'center', bold: true });
  blocks.push({ kind: 'rule' });
  for (const l of order.priced.lines) {
    const src = order.lines.find((x) => x.lineId === l.lineId);
    blocks.push({ kind: 'line', left: src ? name(src.names) : l.sku, right: m(l.gross) });
    if (l.weightGrams !== null) blocks.push({ kind: 'text', text: `  ${(l.weightGrams / 1000).toFixed(3)} kg x ${m(l.unitPrice)}/kg` });
    else if (l.quantity > 1) blocks.push({ kind: 'text', text: `  ${l.quantity} x ${m(l.unitPrice)}` });
  }
  for (const d of order.priced.discounts) blocks.push({ kind: 'line', left: `  ${name(d.label)}`, right: m(-d.amount) });
  blocks.push({ kind: 'rule' }, { kind: 'line', left: 'Subtotal', right: m(order.priced.subtotal) });
  if (order.priced.discountTotal) blocks.push({ kind: 'line', left: 'Savings', right: m(-order.priced.discountTotal) });
  for (const t of order.priced.taxes) blocks.push({ kind: 'line', left: `Tax ${t.taxClass} ${(t.rate * 100).toFixed(0)}%`, right: m(t.tax) });
  blocks.push({ kind: 'text', text: `TOTAL ${m(order.priced.total)}`, bold: true, size: 2, align: 'right' });
  for (const p of order.payments.filter((x) => x.status === 'approved')) {
    const ref = p.reference ?? {};
    const masked = typeof ref.maskedPan === 'string' ? ` ${ref.maskedPan}` : '';
    blocks.push({ kind: 'line', left: `Paid ${p.method}${masked}`, right: m(p.approvedAmount) });
    if (ref.traceNumber !== undefined) blocks.push({ kind: 'text', text: `  trace ${ref.traceNumber}  auth ${ref.authCode ?? '-'}` });
  }
  if (order.memberId) blocks.push({ kind: 'text', text: `Member ${order.memberId}: +${order.pointsEarned} points` });
  blocks.push(
    { kind: 'feed', lines: 1 },
    { kind: 'qr', data: `kiosk:${h.storeId}:${h.deviceId}:${no}:${order.id}` },
    { kind: 'barcode', data: `R${no}`, symbology: 'code128' },
  );
  return { id: receiptJobId(order.id, opts.reprint ?? 0), blocks, cut: true };
}
