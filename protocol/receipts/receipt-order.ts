import type { Minor } from '../../kernel/money';
import type { LocalizedText } from '../../protocol/pricebook/price-item';

/**
 * What a receipt needs of an order: the kiosk's `Order` (runtime/orders/order.ts) has this shape, and so has the
 * `order` snapshot an `order_completed` journal entry carries — which is how HQ renders the receipt as printed.
 */
export interface ReceiptOrder {
  id: string;
  updatedAt: number;
  training?: boolean;
  trainingNo?: number;
  receiptNo: number | null;
  memberId: string | null;
  pointsEarned: number;
  lines: readonly { lineId: string; names: LocalizedText }[];
  priced: {
    lines: readonly { lineId: string; sku: string; quantity: number; weightGrams: number | null; unitPrice: Minor; gross: Minor }[];
    discounts: readonly { label: LocalizedText; amount: Minor }[];
    taxes: readonly { taxClass: string; rate: number; base: Minor; tax: Minor }[];
    subtotal: Minor;
    discountTotal: Minor;
    taxTotal: Minor;
    total: Minor;
  };
  payments: readonly { method: string; status: string; approvedAmount: Minor; reference?: Record<string, string | number> }[];
}
