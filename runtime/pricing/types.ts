import type { Minor } from '../../kernel/money';
import type { CustomerType } from '../../protocol/members/customer-type';

export type { LocalizedText, PriceItem, TypePrices } from '../../protocol/pricebook/price-item';
import type { LocalizedText, TypePrices } from '../../protocol/pricebook/price-item';

interface PromotionBase {
  id: string;
  label: LocalizedText;
  /** SKUs the promotion applies to; for multi-buys any mix of these SKUs counts. */
  skus: string[];
  /** Only for orders with a member attached. */
  memberOnly?: boolean;
  /** Only for buyers of these customer types (non-empty); absent = every type. Checked besides memberOnly. */
  customerTypes?: CustomerType[];
  /** ISO timestamps; absent = always. */
  validFrom?: string;
  validTo?: string;
}

export type Promotion =
  /** percent off each eligible line (0 < percent ≤ 100, up to 2 decimals). */
  | (PromotionBase & { kind: 'percent_off'; percent: number })
  /** fixed amount off each unit (or each kg for weighed items). */
  | (PromotionBase & { kind: 'amount_off'; amount: Minor })
  /** "3 for 2": of every `buy` units the cheapest `buy - pay` are free. Counted items only. */
  | (PromotionBase & { kind: 'buy_x_pay_y'; buy: number; pay: number })
  /** "2 for ¥10": every `quantity` units cost `price` together. Counted items only. */
  | (PromotionBase & { kind: 'x_for_price'; quantity: number; price: Minor })
  /** member price per unit (implies memberOnly). */
  | (PromotionBase & { kind: 'member_price'; price: Minor })
  /**
   * Member points, never a price: lines of these SKUs earn `multiplier` × the member's earn rule (0 = no points;
   * integer 0..10). Pricing ignores it; runtime/members/loyalty.ts earnedPointsForLines reads it at completion.
   */
  | (PromotionBase & { kind: 'points'; multiplier: number });

/** The promotions that change prices (every kind but `points`). */
export type PricePromotion = Exclude<Promotion, { kind: 'points' }>;

export type TaxMode = 'inclusive' | 'exclusive';

/** A line as the order holds it, before pricing. */
export interface CartLine {
  lineId: string;
  sku: string;
  /** Counted units (1 for weighed lines). */
  quantity: number;
  /** Grams for weighed lines, else null. */
  weightGrams: number | null;
  /** Unit price (per unit or per kg) at scan time, minor units. */
  unitPrice: Minor;
  /** Price embedded in the barcode (in-store price labels) overrides unitPrice × quantity. */
  embeddedPrice?: Minor | null;
  taxClass: string;
  /**
   * The item's customer-type prices at scan time (same unit as unitPrice), so the price follows a member attached
   * later: a business / group buyer pays `typePrices[type] ?? unitPrice`. Not for price-embedded labels.
   */
  typePrices?: TypePrices;
}

export interface PricingContext {
  promotions: Promotion[];
  /** tax class id → rate (0.13 = 13 %). */
  taxRates: Record<string, number>;
  taxMode: TaxMode;
  memberAttached: boolean;
  /** The buyer's customer type (protocol/members/customer-type.ts): picks a line's type price. Absent = personal. */
  customerType?: CustomerType;
  /**
   * Amount off the order for redeemed member points (minor units), applied after promotions and capped at what is
   * left to pay. Absent = 0.
   */
  pointsDiscount?: Minor;
  /** Clock time (ms) for promotion validity windows. */
  now: number;
}

export interface PricedLine extends CartLine {
  /**
   * The price applied per unit (or per kg): the line's type price for the context's customer type when it has one,
   * else the CartLine's unitPrice. (The scan-time price and typePrices stay on the order's line.)
   */
  unitPrice: Minor;
  /** quantity × unitPrice (or weight × price per kg), rounded half-even. */
  gross: Minor;
  /** Sum of discounts allocated to this line. */
  discount: Minor;
  /** gross − discount. */
  net: Minor;
  taxRate: number;
  /** Tax contained in (inclusive) or added to (exclusive) net, rounded half-even per line. */
  tax: Minor;
}

/** The AppliedDiscount of redeemed member points (PricingContext.pointsDiscount): its promotionId and kind. */
export const POINTS_DISCOUNT_ID = 'points';

export interface AppliedDiscount {
  /** The promotion's id, or {@link POINTS_DISCOUNT_ID} for redeemed points. */
  promotionId: string;
  kind: PricePromotion['kind'] | typeof POINTS_DISCOUNT_ID;
  label: LocalizedText;
  amount: Minor;
  /** How the discount is split over lines (sums to amount). */
  allocations: { lineId: string; amount: Minor }[];
}

export interface TaxBreakdown {
  taxClass: string;
  rate: number;
  /** Net amounts of the lines in this class. */
  base: Minor;
  tax: Minor;
}

export interface PricedCart {
  lines: PricedLine[];
  discounts: AppliedDiscount[];
  taxes: TaxBreakdown[];
  subtotal: Minor;
  discountTotal: Minor;
  taxTotal: Minor;
  /** What the shopper pays: subtotal − discountTotal (+ taxTotal when exclusive). */
  total: Minor;
}
