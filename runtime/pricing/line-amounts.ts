import { KioskError } from '../../kernel/errors';
import { type Minor, mulDiv } from '../../kernel/money';
import type { CartLine } from './types';

/**
 * How a line is priced, which also decides which promotions can reach it:
 * - `counted`: quantity × unitPrice; `quantity` separate units, every promotion kind applies per unit.
 * - `weighed`: unitPrice per kg × grams; one indivisible unit (percent_off, amount_off per kg, member_price per kg).
 * - `labelled`: price-embedded label, gross = embeddedPrice; one indivisible unit (percent_off, amount_off only —
 *   a label carries no per-unit price that multi-buys or member prices could work on).
 */
export type LineKind = 'counted' | 'weighed' | 'labelled';

export function lineKind(line: CartLine): LineKind {
  if (line.embeddedPrice !== undefined && line.embeddedPrice !== null) return 'labelled';
  return line.weightGrams !== null ? 'weighed' : 'counted';
}

/** round_half_even(pricePerKg × grams / 1000). */
export function weighedAmount(pricePerKg: Minor, grams: number): Minor {
  return mulDiv(pricePerKg, grams, 1000);
}

function checkedMinor(value: Minor, lineId: string, what: string): Minor {
  if (!Number.isSafeInteger(value)) {
    throw new KioskError('PRICEBOOK_INVALID', `line "${lineId}": ${what} overflows the safe integer range`, { lineId });
  }
  return value;
}

/**
 * Gross amount of a (validated) line before promotions, in minor units:
 * embeddedPrice when present, else weight × price per kg rounded half-even, else quantity × unitPrice.
 */
export function lineGross(line: CartLine): Minor {
  switch (lineKind(line)) {
    case 'labelled':
      return line.embeddedPrice as Minor;
    case 'weighed':
      return checkedMinor(weighedAmount(line.unitPrice, line.weightGrams as number), line.lineId, 'weight × price');
    case 'counted':
      return checkedMinor(line.quantity * line.unitPrice, line.lineId, 'quantity × unitPrice');
  }
}
