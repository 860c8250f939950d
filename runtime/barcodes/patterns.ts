/**
 * Member cards and wallet payment codes, recognised by configured regexes (see BarcodeRules).
 * Patterns always match the whole payload: "62\d{17}" is compiled as /^(?:62\d{17})$/.
 * Only patterns `pattern-safety.ts` accepts are ever compiled (no catastrophic backtracking), and data longer
 * than MAX_PATTERN_INPUT is never matched against any.
 */
import { hasValidCheckDigit } from '../../kernel/gs1-check-digit';
import { MAX_PATTERN_INPUT, patternProblem } from '../../kernel/pattern-safety';
import type { MemberCardPattern, PaymentCodePattern } from '../../config/barcode-rules';

const cache = new Map<string, RegExp | null>();
const CACHE_LIMIT = 256;

/**
 * The anchored RegExp for a configured pattern, or null when the source is not a valid regex or not a safe one
 * (`patternProblem`: it could backtrack catastrophically). Never throws.
 */
export function compilePattern(source: string): RegExp | null {
  if (typeof source !== 'string') return null;
  const hit = cache.get(source);
  if (hit !== undefined) return hit;
  let re: RegExp | null = null;
  if (patternProblem(source) === null) {
    try {
      re = new RegExp(`^(?:${source})$`);
    } catch {
      re = null;
    }
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(source, re);
  return re;
}

/** Match of the whole of `data` (re-checked, so a source such as "a)|(b" cannot escape the anchors). */
function fullMatch(source: string, data: string): RegExpExecArray | null {
  if (data.length > MAX_PATTERN_INPUT) return null; // no card or wallet code is this long; bounds every match
  const m = compilePattern(source)?.exec(data);
  return m && m.index === 0 && m[0].length === data.length ? m : null;
}

export interface MemberCardMatch {
  cardType: string;
  memberId: string;
}

/** First member-card pattern that matches `data` (and its check digit, when required); else null. */
export function matchMemberCard(data: string, patterns: readonly MemberCardPattern[]): MemberCardMatch | null {
  for (const p of patterns) {
    const m = fullMatch(p.pattern, data);
    if (!m) continue;
    if (p.requireGtinCheckDigit === true && !hasValidCheckDigit(data)) continue;
    const id = m.groups?.id;
    return { cardType: p.name, memberId: typeof id === 'string' && id.length > 0 ? id : data };
  }
  return null;
}

/** Channel of the first payment-code pattern matching `data`, else null. */
export function matchPaymentCode(data: string, patterns: readonly PaymentCodePattern[]): string | null {
  for (const p of patterns) {
    if (fullMatch(p.pattern, data)) return p.channel;
  }
  return null;
}

/** First 4 and last 4 characters, the rest as "*" (all "*" when 8 characters or fewer). */
export function maskCredential(code: string): string {
  if (code.length <= 8) return '*'.repeat(code.length);
  return code.slice(0, 4) + '*'.repeat(code.length - 8) + code.slice(-4);
}
