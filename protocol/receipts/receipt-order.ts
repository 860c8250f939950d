import type { Minor } from '../../kernel/money';
import type { LocalizedText } from '../../protocol/pricebook/price-item';
import type { CustomerType } from '../members/customer-type';

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
  /** The member's customer type (absent in orders written before customer types: personal). */
  customerType?: CustomerType;
  /** Member points used on this order, and the minor units they took off the total (absent: 0). */
  pointsRedeemed?: number;
  pointsDiscount?: Minor;
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
