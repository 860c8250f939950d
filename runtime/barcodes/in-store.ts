/**
 * In-store variable-measure labels (scale labels): restricted-circulation GTIN-13s whose digits carry an
 * item reference and a price or weight, laid out per store configuration (InStorePattern).
 */
import { priceCheckDigit } from './check-digit';
import type { ScanError } from './result';
import type { InStorePattern } from './rules';

const GTIN_KEY_LENGTHS = [8, 12, 13, 14];

function count(s: string, ch: string): number {
  let n = 0;
  for (const c of s) if (c === ch) n++;
  return n;
}

/** Problems with one pattern (empty = usable). Invalid patterns are skipped by parseScan. */
export function validateInStorePattern(p: InStorePattern): string[] {
  const problems: string[] = [];
  const prefix = typeof p.prefix === 'string' ? p.prefix : '';
  const layout = typeof p.layout === 'string' ? p.layout : '';
  if (!/^(?:2|0[24])[0-9]*$/.test(prefix)) {
    problems.push(`prefix "${prefix}" must be digits starting with 2 (EAN-13 20–29) or 02/04 (UPC-A number system 2/4)`);
  }
  if (!/^[PIVXC]{13}$/.test(layout)) {
    problems.push(`layout "${layout}" must be 13 characters from P, I, V, X, C`);
    return problems;
  }
  const p0 = 'P'.repeat(prefix.length);
  if (prefix.length === 0 || !layout.startsWith(p0) || count(layout, 'P') !== prefix.length) {
    problems.push(`layout "${layout}" must start with exactly ${prefix.length} P (one per prefix digit) and have no other P`);
  }
  if (layout[12] !== 'C' || count(layout, 'C') !== 1) problems.push(`layout "${layout}" must end with the check digit C and have no other C`);
  const i = count(layout, 'I');
  const v = count(layout, 'V');
  const x = count(layout, 'X');
  if (i === 0) problems.push(`layout "${layout}" has no item-reference digits I`);
  if (v === 0) problems.push(`layout "${layout}" has no value digits V`);
  if (x > 1) problems.push(`layout "${layout}" has more than one verifier digit X`);
  if (x === 1 && v !== 4 && v !== 5) problems.push(`layout "${layout}": a verifier digit X needs exactly 4 or 5 V digits, not ${v}`);
  if (GTIN_KEY_LENGTHS.includes(prefix.length + i)) {
    problems.push(`layout "${layout}": prefix + item reference is ${prefix.length + i} digits, which would collide with GTIN lookup keys`);
  }
  if (p.value !== 'price' && p.value !== 'weight') problems.push(`value "${String(p.value)}" must be "price" or "weight"`);
  return problems;
}

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
