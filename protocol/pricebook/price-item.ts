import type { Minor } from '../../kernel/money';

/** Locale-keyed text, e.g. { 'zh-CN': '可口可乐 330ml', en: 'Coca-Cola 330 ml' }. */
export type LocalizedText = Record<string, string>;

/**
 * Prices for member customer types other than personal (protocol/members/customer-type.ts), in the same unit as
 * unitPrice (per unit, or per kilogram when soldByWeight). A type without an entry pays unitPrice.
 */
export interface TypePrices {
  business?: Minor;
  group?: Minor;
}

/** The customer types a price item can carry a price for (personal pays unitPrice). */
export const TYPE_PRICE_KEYS = ['business', 'group'] as const satisfies readonly (keyof TypePrices)[];

/** One row of the price book. */
export interface PriceItem {
  sku: string;
  /** GTINs / in-store item references that resolve to this item. */
  barcodes: string[];
  names: LocalizedText;
  /** Price per unit, or per kilogram when soldByWeight. Minor units. */
  unitPrice: Minor;
  taxClass: string;
  /** Minimum shopper age, or null. */
  ageLimit: number | null;
  soldByWeight: boolean;
  /** Customer-type prices; absent (never empty) when the item has none. */
  typePrices?: TypePrices;
}
