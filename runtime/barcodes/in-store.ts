/**
 * In-store variable-measure labels (scale labels): restricted-circulation GTIN-13s whose digits carry an
 * item reference and a price or weight, laid out per store configuration (InStorePattern).
 */
import { priceCheckDigit } from '../../kernel/gs1-check-digit';
import type { ScanError } from './result';
import { validateInStorePattern, type InStorePattern } from '../../config/barcode-rules';



export interface InStoreMatch {
  pattern: InStorePattern;
  itemRef: string;
  /** prefix + item-reference digits: the price-book key. */
  lookupKey: string;
  /** The V digits as an integer: minor units (price) or grams (weight). */
  amount: number;
  priceCheckDigit: 'verified' | 'none';
}

export type InStoreRead = { ok: true; match: InStoreMatch } | { ok: false; error: ScanError };

/**
 * Applies the first valid pattern whose prefix `gtin13` starts with. `gtin13` must already have a valid
 * GTIN check digit. `position` is the raw index of gtin13[0] (one less than the first scanned digit
 * when a 12-digit UPC-A was padded). Returns null when no pattern applies (an ordinary RCN).
 */
export function matchInStore(gtin13: string, patterns: readonly InStorePattern[], position: number): InStoreRead | null {
  for (const pattern of patterns) {
    if (!gtin13.startsWith(pattern.prefix) || validateInStorePattern(pattern).length > 0) continue;
    let itemRef = '';
    let value = '';
    let xAt = -1;
    for (let k = 0; k < 13; k++) {
      const role = pattern.layout[k];
      if (role === 'I') itemRef += gtin13[k];
      else if (role === 'V') value += gtin13[k];
      else if (role === 'X') xAt = k;
    }
    let check: 'verified' | 'none' = 'none';
    if (xAt >= 0) {
      const expected = priceCheckDigit(value);
      if (expected === null || expected !== Number(gtin13[xAt])) {
        return {
          ok: false,
          error: {
            code: 'BAD_CHECK_DIGIT',
            message:
              `in-store label ${gtin13} (pattern prefix ${pattern.prefix}): ${pattern.value} verifier digit is ${gtin13[xAt]} ` +
              `but ${pattern.value} ${value} requires ${expected} (misprinted label or wrong layout configured)`,
            position: position + xAt,
            expected: String(expected),
            found: gtin13[xAt],
          },
        };
      }
      check = 'verified';
    }
    return {
      ok: true,
      match: { pattern, itemRef, lookupKey: pattern.prefix + itemRef, amount: Number(value), priceCheckDigit: check },
    };
  }
  return null;
}
