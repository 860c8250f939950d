/**
 * Store-configurable barcode rules. Plain JSON data only (mirrored by the config zod schema); regexes are
 * strings. `validateBarcodeRules` reports what parseScan would otherwise silently ignore.
 */
import { patternProblem } from '../kernel/pattern-safety';

export interface CurrencyRule {
  /** ISO 4217 alphabetic code, e.g. "CNY". */
  code: string;
  /** ISO 4217 numeric code, e.g. "156" — compared with the currency of GS1 AI 393n. */
  numeric: string;
  /** Digits after the decimal point (CNY 2: prices are in fen). 0–4. */
  minorUnits: number;
}

export type InStoreValue = 'price' | 'weight';

/**
 * A variable-measure label layout for restricted-circulation GTIN-13s (EAN-13 prefix 20–29, or UPC-A
 * number system 2 / 4, i.e. GTIN-13 "02…" / "04…"; a 12-digit UPC-A is matched in its 13-digit form "0"+UPC-A).
 */
export interface InStorePattern {
  /** Leading digits that select this layout, e.g. "21"; must start with "2", "02" or "04". */
  prefix: string;
  /**
   * 13 characters describing each digit of the GTIN-13 form:
   *   P prefix (as many as prefix.length, first)   I item reference   V value digits
   *   X price/weight verifier digit (optional, only with 4 or 5 V digits)   C GTIN check digit (last)
   * e.g. "PPIIIIIVVVVVC" (5-digit item, 5-digit value) or "PPIIIIXVVVVC"-style layouts with a verifier.
   */
  layout: string;
  /** What the V digits mean: price in the store currency's minor units, or weight in grams. */
  value: InStoreValue;
}

export interface MemberCardPattern {
  /** Card type reported as `cardType`, e.g. "store-card". */
  name: string;
  /**
   * JavaScript regex source, matched against the whole payload (implicitly anchored: ^(?:pattern)$).
   * If it has a named group `id`, that group is the memberId; otherwise the whole payload is.
   */
  pattern: string;
  /** Also require a valid GS1 mod-10 check digit (for cards printed as EAN-13/EAN-8). */
  requireGtinCheckDigit?: boolean;
}

export interface PaymentCodePattern {
  /** Channel handed to the payment module, e.g. "alipay", "wechat_pay", "unionpay". */
  channel: string;
  /** JavaScript regex source, matched against the whole payload (implicitly anchored). */
  pattern: string;
}

export interface BarcodeRules {
  currency: CurrencyRule;
  /** Tried in order; the first whose prefix matches decides. */
  inStore: InStorePattern[];
  /** Tried in order, after payment codes. */
  memberCards: MemberCardPattern[];
  /** Tried in order, before member cards and before any GTIN interpretation. */
  paymentCodes: PaymentCodePattern[];
  /**
   * 8 digits without an AIM identifier are ambiguous (EAN-8 or UPC-E). The one whose check digit is
   * valid wins; when both are valid this decides. Scanners sending AIM identifiers avoid the question.
   */
  eightDigitPreference: 'ean8' | 'upce';
}

/**
 * Defaults for a mainland-China store:
 *  - currency CNY (156), 2 minor units (fen);
 *  - in-store labels: "21" + 5-digit item + 5-digit price in fen + check; "22" + 5-digit item + 5-digit
 *    weight in grams + check (no verifier digit — the common scale-label format);
 *  - member cards: "M" + 10 digits (Code 128 cards), or an EAN-13 "2990" + 8 digits + check digit
 *    (restricted-circulation range, so it can never be a trade item or an ISBN 978/979);
 *  - payment codes (shopper's wallet "付款码"): Alipay 16–24 digits starting 25–30 (18 today),
 *    WeChat Pay 18 digits starting 10–15, UnionPay QuickPass QR 19 digits starting 62.
 */
export const defaultBarcodeRules: BarcodeRules = {
  currency: { code: 'CNY', numeric: '156', minorUnits: 2 },
  inStore: [
    { prefix: '21', layout: 'PPIIIIIVVVVVC', value: 'price' },
    { prefix: '22', layout: 'PPIIIIIVVVVVC', value: 'weight' },
  ],
  memberCards: [
    { name: 'store-card', pattern: 'M\\d{10}' },
    { name: 'store-card-ean13', pattern: '2990\\d{9}', requireGtinCheckDigit: true },
  ],
  paymentCodes: [
    { channel: 'alipay', pattern: '(?:2[5-9]|30)\\d{14,22}' },
    { channel: 'wechat_pay', pattern: '1[0-5]\\d{16}' },
    { channel: 'unionpay', pattern: '62\\d{17}' },
  ],
  eightDigitPreference: 'ean8',
};

/**
 * Problems in `rules` as human-readable strings (empty = fine). parseScan never throws on bad rules: it
 * skips an invalid pattern, so config loading should call this and refuse to start on problems.
 */
export function validateBarcodeRules(rules: BarcodeRules): string[] {
  const problems: string[] = [];
  const c = rules.currency;
  if (!/^[A-Z]{3}$/.test(c.code)) problems.push(`currency.code "${c.code}" must be an ISO 4217 alphabetic code`);
  if (!/^[0-9]{3}$/.test(c.numeric)) problems.push(`currency.numeric "${c.numeric}" must be a 3-digit ISO 4217 numeric code`);
  if (!Number.isInteger(c.minorUnits) || c.minorUnits < 0 || c.minorUnits > 4) {
    problems.push(`currency.minorUnits ${c.minorUnits} must be an integer 0–4`);
  }
  rules.inStore.forEach((p, i) => {
    for (const msg of validateInStorePattern(p)) problems.push(`inStore[${i}]: ${msg}`);
    rules.inStore.slice(0, i).forEach((q, j) => {
      if (p.prefix.startsWith(q.prefix)) problems.push(`inStore[${i}]: unreachable, inStore[${j}] (prefix "${q.prefix}") matches first`);
    });
  });
  rules.memberCards.forEach((p, i) => {
    if (!p.name) problems.push(`memberCards[${i}]: name is empty`);
    const why = patternProblem(p.pattern);
    if (why) problems.push(`memberCards[${i}]: pattern ${JSON.stringify(p.pattern)} ${why}`);
  });
  rules.paymentCodes.forEach((p, i) => {
    if (!p.channel) problems.push(`paymentCodes[${i}]: channel is empty`);
    const why = patternProblem(p.pattern);
    if (why) problems.push(`paymentCodes[${i}]: pattern ${JSON.stringify(p.pattern)} ${why}`);
  });
  if (rules.eightDigitPreference !== 'ean8' && rules.eightDigitPreference !== 'upce') {
    problems.push(`eightDigitPreference must be "ean8" or "upce"`);
  }
  return problems;
}

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
