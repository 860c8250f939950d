import type { Minor } from '../../kernel/money';

/** Locale-keyed text, e.g. { 'zh-CN': '可口可乐 330ml', en: 'Coca-Cola 330 ml' }. */
export type LocalizedText = Record<string, string>;

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
}
