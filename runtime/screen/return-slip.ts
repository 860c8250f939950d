import type { PrintJob, ReceiptBlock } from '../../drivers/contract/printer';
import { formatLocal } from '../../kernel/local-time';
import { formatMoney } from '../../kernel/money';
import { KioskError } from '../../kernel/errors';
import type { ReturnsPolicy } from '../../config/returns-policy';
import { methodLabel, type DocLocale } from '../../protocol/receipts/receipt-model';
import type { ReceiptHeader } from '../../protocol/receipts/text-receipt';
import type { Order } from '../orders/order';

const LABELS = {
  'zh-CN': { title: '退货单', receiptNo: '原小票号', date: '日期', reason: '退货原因', whole: '整单退货', refunded: '退款合计', pointsTakenBack: '扣回积分', approvedBy: '批准人', returnId: '退货单号' },
  en: { title: 'Return', receiptNo: 'Original receipt', date: 'Date', reason: 'Reason', whole: 'Whole order returned', refunded: 'Refunded', pointsTakenBack: 'Points taken back', approvedBy: 'Approved by', returnId: 'Return ID' },
} as const;

/** The print job id of a return's slip: printing the same return twice prints once. */
export const returnSlipJobId = (orderId: string, returnId: string) => `return:${orderId}:${returnId}`;

/**
 * The slip a return done at the lane prints (store's default language): the original receipt number, the lines
 * returned (or "whole order"), the reason's label from the policy, where the money went (method, amount — never a
 * card number), the total, the member points taken back (when any), who approved and the return id (barcode). Built
 * from the order's journaled refund, so a slip printed after a restart says the same.
 */
export function returnSlipJob(order: Order, returnId: string, h: ReceiptHeader, policy: ReturnsPolicy): PrintJob {
  const refund = order.refunds.find((r) => r.returnId === returnId);
  if (!refund) throw new KioskError('EVENT_NOT_ALLOWED', `order ${order.id} has no return ${returnId}`);
  const locale: DocLocale = h.locale === 'en' ? 'en' : 'zh-CN';
  const L = LABELS[locale];
  const money = (m: number) => formatMoney(m, h.currency, h.minorUnits);
  const name = (t: Record<string, string>) => t[locale] ?? t.en ?? Object.values(t)[0] ?? '?';
  const reason = policy.reasons.find((r) => r.id === refund.reason);
  const blocks: ReceiptBlock[] = [
    { kind: 'text', text: h.storeName, align: 'center', bold: true, size: 2 },
    { kind: 'text', text: L.title, align: 'center', bold: true },
    { kind: 'line', left: L.receiptNo, right: order.receiptNo !== null ? String(order.receiptNo).padStart(6, '0') : '-' },
    { kind: 'line', left: L.date, right: formatLocal(refund.at, h.timeZone) },
    { kind: 'rule' },
  ];
  if (refund.lineIds && refund.lineIds.length > 0) {
    for (const id of refund.lineIds) {
      const line = order.lines.find((l) => l.lineId === id);
      const net = order.priced.lines.find((l) => l.lineId === id)?.net ?? 0;
      blocks.push({ kind: 'line', left: line ? name(line.names) : id, right: `-${money(net)}` });
    }
  } else {
    blocks.push({ kind: 'text', text: L.whole });
  }
  blocks.push({ kind: 'line', left: L.reason, right: reason ? reason.label[locale] : (refund.reason ?? '-') }, { kind: 'rule' });
  for (const a of refund.allocations ?? []) blocks.push({ kind: 'line', left: methodLabel(a.method, locale, a.reference?.channel), right: `-${money(a.amount)}` });
  blocks.push(
    { kind: 'text', text: `${L.refunded} ${money(refund.amount)}`, bold: true, size: 2, align: 'right' },
    // the member points earned on the money returned (runtime/orders/reduce.ts)
    ...(refund.pointsTakenBack ? [{ kind: 'line' as const, left: L.pointsTakenBack, right: `-${refund.pointsTakenBack}` }] : []),
    { kind: 'line', left: L.approvedBy, right: refund.attendantId },
    { kind: 'line', left: L.returnId, right: returnId },
    { kind: 'feed', lines: 1 },
    { kind: 'barcode', data: returnId, symbology: 'code128' },
  );
  return { id: returnSlipJobId(order.id, returnId), blocks, cut: true };
}
