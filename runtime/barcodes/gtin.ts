/**
 * GTINs as carried by EAN/UPC (and ITF-14): UPC-E expansion, check-digit verification and the
 * normalised price-book key.
 */
import { gtinCheckDigit, isDigits } from '../../kernel/gs1-check-digit';
import type { GtinFormat, ScanError } from './result';

/**
 * Expands a UPC-E to its 12-digit UPC-A (GS1 General Specifications §5.2.2.4.2). Accepts
 *  - 8 digits: number system (0 or 1) + 6 data digits + check digit — the check digit is carried over
 *    unverified, so `isValidGtin(expandUpcE(x))` tells whether the UPC-E was valid;
 *  - 7 digits: number system + 6 data digits (check digit computed);
 *  - 6 digits: data digits only, number system 0 (check digit computed).
 * With data digits d1…d6, by the last one d6:
 *   0–2 → NS d1 d2 d6 0000 d3 d4 d5     3 → NS d1 d2 d3 00000 d4 d5
 *   4   → NS d1 d2 d3 d4 00000 d5       5–9 → NS d1 d2 d3 d4 d5 0000 d6
 * Returns null for anything else (wrong length, non-digits, number system other than 0/1).
 */
export function expandUpcE(code: string): string | null {
  if (typeof code !== 'string' || !isDigits(code)) return null;
  let ns: string;
  let d: string;
  let check: string | null;
  if (code.length === 8) [ns, d, check] = [code[0], code.slice(1, 7), code[7]];
  else if (code.length === 7) [ns, d, check] = [code[0], code.slice(1), null];
  else if (code.length === 6) [ns, d, check] = ['0', code, null];
  else return null;
  if (ns !== '0' && ns !== '1') return null;
  const last = d[5];
  let body: string;
  if (last === '0' || last === '1' || last === '2') body = `${ns}${d.slice(0, 2)}${last}0000${d.slice(2, 5)}`;
  else if (last === '3') body = `${ns}${d.slice(0, 3)}00000${d.slice(3, 5)}`;
  else if (last === '4') body = `${ns}${d.slice(0, 4)}00000${d[4]}`;
  else body = `${ns}${d.slice(0, 5)}0000${last}`;
  return body + (check ?? String(gtinCheckDigit(body)));
}

/**
 * THE price-book key for a GTIN. Rule: left-pad the GTIN (8, 12, 13 or 14 digits) to 14 digits, then
 *  - if it starts with six zeros it is a GTIN-8 → the last 8 digits (EAN-8 "96385074");
 *  - else if it starts with one zero it is a GTIN-12/13 → the last 13 digits (EAN-13 as is; UPC-A
 *    "036000291452" → "0036000291452"; AI 01 "09506000134352" → "9506000134352");
 *  - else it is a GTIN-14 with indicator 1–9 → all 14 digits.
 * UPC-E must be expanded to UPC-A first. Any other string (e.g. an in-store key "2112345") is returned
 * unchanged, so the price-book importer can pass every barcode through this one function.
 */
export function normalizeLookupKey(code: string): string {
  if (typeof code !== 'string' || !isDigits(code) || ![8, 12, 13, 14].includes(code.length)) return code;
  const g14 = code.padStart(14, '0');
  if (g14.startsWith('000000')) return g14.slice(6);
  if (g14.startsWith('0')) return g14.slice(1);
  return g14;
}

/** GS1 restricted-circulation ranges: GTIN-13 2…, UPC-A number system 2 or 4 (GTIN-13 02…/04…), EAN-8 0…/2…. */
export function isRestrictedCirculation(gtin14: string): boolean {
  if (gtin14.startsWith('000000')) return gtin14[6] === '0' || gtin14[6] === '2';
  if (!gtin14.startsWith('0')) return false;
  return gtin14[1] === '2' || gtin14.startsWith('002') || gtin14.startsWith('004');
}

export interface GtinInfo {
  format: GtinFormat;
  gtin: string;
  gtin14: string;
  lookupKey: string;
  upcA?: string;
  restrictedCirculation: boolean;
}

export type GtinRead = { ok: true; info: GtinInfo } | { ok: false; error: ScanError };

const EXPECTED_LENGTH: Record<GtinFormat, number> = { 'EAN-13': 13, 'EAN-8': 8, 'UPC-A': 12, 'UPC-E': 8, 'GTIN-14': 14 };

function checkDigitError(format: GtinFormat, code: string, expected: number, position: number, extra = ''): ScanError {
  const found = code[code.length - 1];
  return {
    code: 'BAD_CHECK_DIGIT',
    message:
      `${format} ${code}${extra} has check digit ${found} but its other digits require ${expected} ` +
      `(misread, damaged label, or mistyped code)`,
    position: position + code.length - 1,
    expected: String(expected),
    found,
  };
}

/**
 * Interprets `digits` as a GTIN of the given format and verifies its check digit.
 * `position` is where `digits` starts in the raw input (for error positions).
 */
export function readGtin(digits: string, format: GtinFormat, position: number): GtinRead {
  const len = EXPECTED_LENGTH[format];
  if (!isDigits(digits) || digits.length !== len) {
    return { ok: false, error: { code: 'BAD_LENGTH', message: `${format} needs ${len} digits, got "${digits}"`, position } };
  }
  if (format === 'UPC-E') {
    const upcA = expandUpcE(digits);
    if (upcA === null) {
      return {
        ok: false,
        error: {
          code: 'UNSUPPORTED',
          message: `UPC-E ${digits} has number system ${digits[0]}; only 0 and 1 exist`,
          position,
        },
      };
    }
    const expected = gtinCheckDigit(upcA.slice(0, 11));
    if (expected !== Number(digits[7])) {
      return { ok: false, error: checkDigitError('UPC-E', digits, expected, position, ` (as UPC-A ${upcA})`) };
    }
    const gtin14 = upcA.padStart(14, '0');
    return {
      ok: true,
      info: { format, gtin: digits, gtin14, lookupKey: normalizeLookupKey(upcA), upcA, restrictedCirculation: isRestrictedCirculation(gtin14) },
    };
  }
  const expected = gtinCheckDigit(digits.slice(0, -1));
  if (expected !== Number(digits[len - 1])) return { ok: false, error: checkDigitError(format, digits, expected, position) };
  const gtin14 = digits.padStart(14, '0');
  return {
    ok: true,
    info: { format, gtin: digits, gtin14, lookupKey: normalizeLookupKey(digits), restrictedCirculation: isRestrictedCirculation(gtin14) },
  };
}
