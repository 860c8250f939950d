/**
 * Check digits used by GS1 identifiers (General Specifications §7.9).
 *
 * Pure functions; no input from a scanner reaches them unchecked (parseScan validates first).
 */

/** ASCII digits only, at least one. (`\d` without the `u` flag is exactly [0-9], but be explicit.) */
export function isDigits(s: string): boolean {
  return s.length > 0 && /^[0-9]+$/.test(s);
}

/** Index of the first character that is not an ASCII digit, or -1. */
export function firstNonDigit(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return i;
  }
  return -1;
}

/**
 * GS1 mod-10 check digit of `digitsWithoutCheck` (any length ≥ 1): weights 3, 1, 3, … starting with the
 * digit immediately left of the check digit; result = (10 − sum mod 10) mod 10.
 * Used for GTIN-8/12/13/14, SSCC (AI 00) and UPC-A expansions of UPC-E.
 *
 * @throws RangeError when the argument is not a non-empty string of ASCII digits (a caller bug).
 */
export function gtinCheckDigit(digitsWithoutCheck: string): number {
  if (typeof digitsWithoutCheck !== 'string' || !isDigits(digitsWithoutCheck)) {
    throw new RangeError(`gtinCheckDigit expects ASCII digits, got ${JSON.stringify(digitsWithoutCheck)}`);
  }
  let sum = 0;
  let weight = 3;
  for (let i = digitsWithoutCheck.length - 1; i >= 0; i--) {
    sum += (digitsWithoutCheck.charCodeAt(i) - 48) * weight;
    weight = 4 - weight;
  }
  return (10 - (sum % 10)) % 10;
}

/** True when the last digit is the GS1 mod-10 check digit of the others (any length ≥ 2). Never throws. */
export function hasValidCheckDigit(digitsWithCheck: string): boolean {
  if (typeof digitsWithCheck !== 'string' || digitsWithCheck.length < 2 || !isDigits(digitsWithCheck)) return false;
  return gtinCheckDigit(digitsWithCheck.slice(0, -1)) === digitsWithCheck.charCodeAt(digitsWithCheck.length - 1) - 48;
}

/** The GTIN lengths: GTIN-8 (EAN-8), GTIN-12 (UPC-A), GTIN-13 (EAN-13), GTIN-14. */
export const GTIN_LENGTHS: readonly number[] = [8, 12, 13, 14];

/**
 * A GTIN-8, -12, -13 or -14 with a correct check digit. Never throws.
 * An 8-digit UPC-E is *not* a GTIN (it is a zero-suppressed GTIN-12): expand it with `expandUpcE` first.
 */
export function isValidGtin(code: string): boolean {
  return typeof code === 'string' && GTIN_LENGTHS.includes(code.length) && hasValidCheckDigit(code);
}

// Price / weight verifier digit (GS1 General Specifications §7.9.2–7.9.4). Each table gives the
// "weighted product" of a digit 0–9 for one weighting factor:
//   2-: units digit of 2d minus its tens digit (mod 10)   3 : units digit of 3d
//   5+: units digit of 5d plus its tens digit (mod 10)     5-: units digit of 5d minus its tens digit (mod 10)
const TWO_MINUS = [0, 2, 4, 6, 8, 9, 1, 3, 5, 7];
const THREE = [0, 3, 6, 9, 2, 5, 8, 1, 4, 7];
const FIVE_PLUS = [0, 5, 1, 6, 2, 7, 3, 8, 4, 9];
const FIVE_MINUS = [0, 5, 9, 4, 8, 3, 7, 2, 6, 1];

/**
 * Price (or weight) verifier digit of a 4- or 5-digit field, as printed in position "X" of in-store
 * variable-measure labels. Returns null for any other input.
 *  - 4 digits: weights 2-, 2-, 3, 5-; check = units digit of (sum × 3).        e.g. 2875 → 9
 *  - 5 digits: weights 5+, 2-, 5-, 5+, 2-; check = the digit whose 5- product
 *    equals (10 − sum mod 10) mod 10.                                            e.g. 14685 → 6
 */
export function priceCheckDigit(field: string): number | null {
  if (typeof field !== 'string' || !isDigits(field)) return null;
  const d = Array.from(field, (c) => c.charCodeAt(0) - 48);
  if (d.length === 4) {
    const sum = TWO_MINUS[d[0]] + TWO_MINUS[d[1]] + THREE[d[2]] + FIVE_MINUS[d[3]];
    return (sum * 3) % 10;
  }
  if (d.length === 5) {
    const sum = FIVE_PLUS[d[0]] + TWO_MINUS[d[1]] + FIVE_MINUS[d[2]] + FIVE_PLUS[d[3]] + TWO_MINUS[d[4]];
    return FIVE_MINUS.indexOf((10 - (sum % 10)) % 10);
  }
  return null;
}
