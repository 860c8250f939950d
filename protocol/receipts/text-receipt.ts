import { receiptModel, receiptRows } from './receipt-model';
import type { ReceiptOrder } from './receipt-order';

export interface ReceiptHeader {
  storeName: string;
  storeId: string;
  deviceId: string;
  currency: string;
  minorUnits: number;
  locale: string;
  /** The store's IANA time zone: the receipt prints the store's local wall time. */
  timeZone: string;
}

/** Display width: CJK characters take two columns on a receipt and in a terminal. */
const width = (s: string) => [...s].reduce((n, ch) => n + (/[\u2E80-\uFFFF]/.test(ch) ? 2 : 1), 0);

/**
 * A plain-text receipt (monospace, CJK counted double width) — the same receipt model as the printed receipt and
 * the PDF, for terminals and logs.
 */
export function textReceipt(order: ReceiptOrder, h: ReceiptHeader, columns = 42): string {
  const model = receiptModel(order, h, h.locale === 'en' ? 'en' : 'zh-CN');
  return receiptRows(model)
    .map((r) => {
      switch (r.kind) {
        case 'rule':
          return '-'.repeat(columns);
        case 'pair':
          return r.left + ' '.repeat(Math.max(1, columns - width(r.left) - width(r.right))) + r.right;
        case 'title':
        case 'center':
          return ' '.repeat(Math.max(0, Math.floor((columns - width(r.text)) / 2))) + r.text;
        case 'text':
          return r.text;
      }
    })
    .join('\n');
}
