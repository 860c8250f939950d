import type { PrintJob } from '../../drivers/contract';
import { receiptBlocks } from './receipt-blocks';
import { receiptModel, type DocLocale } from '../../protocol/receipts/receipt-model';
import type { Order } from '../orders/order';
import type { ReceiptHeader } from '../../protocol/receipts/text-receipt';

/** The job id of an order's receipt: printing it twice prints once. A reprint is explicit: `reprint:<id>:<n>`. */
export const receiptJobId = (orderId: string, reprint = 0) => (reprint > 0 ? `reprint:${orderId}:${reprint}` : `receipt:${orderId}`);

/**
 * The printed receipt: blocks from the same receipt model as the e-receipt PDF (runtime/documents), in the
 * store's default language, with the QR and barcode of the receipt number.
 */
export function receiptJob(order: Order, h: ReceiptHeader, opts: { reprint?: number } = {}): PrintJob {
  const locale: DocLocale = h.locale === 'en' ? 'en' : 'zh-CN';
  return { id: receiptJobId(order.id, opts.reprint ?? 0), blocks: receiptBlocks(receiptModel(order, h, locale), { reprint: opts.reprint }), cut: true };
}
