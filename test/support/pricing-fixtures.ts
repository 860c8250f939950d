/** Builders shared by the pricing tests (not exported from index.ts). */
import type { CartLine, PricingContext, Promotion } from '../../runtime/pricing/types';

export function counted(lineId: string, sku: string, quantity: number, unitPrice: number, taxClass = 'std'): CartLine {
  return { lineId, sku, quantity, weightGrams: null, unitPrice, taxClass };
}

export function weighed(lineId: string, sku: string, grams: number, pricePerKg: number, taxClass = 'std'): CartLine {
  return { lineId, sku, quantity: 1, weightGrams: grams, unitPrice: pricePerKg, taxClass };
}

export function labelled(lineId: string, sku: string, embeddedPrice: number, unitPrice = 0, taxClass = 'std'): CartLine {
  return { lineId, sku, quantity: 1, weightGrams: null, unitPrice, embeddedPrice, taxClass };
}

type Distribute<T> = T extends unknown ? Omit<T, 'label'> & { label?: T extends { label: infer L } ? L : never } : never;

/** A promotion with a default label. */
export function promo(p: Distribute<Promotion>): Promotion {
  return { label: { en: p.id }, ...p } as Promotion;
}

export const NOW = Date.parse('2025-06-15T12:00:00Z');

export function context(overrides: Partial<PricingContext> = {}): PricingContext {
  return {
    promotions: [],
    taxRates: { std: 0.13, food: 0.09, zero: 0 },
    taxMode: 'inclusive',
    memberAttached: false,
    now: NOW,
    ...overrides,
  };
}

/** All permutations of a small array, in lexicographic index order. */
export function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [items.slice()];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}
