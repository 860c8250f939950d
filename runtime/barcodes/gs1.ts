/**
 * GS1 element strings (GS1 General Specifications §3, §7.8): a concatenation of application identifier
 * (AI) + value pairs. Variable-length values end at a GS (0x1D, how scanners render FNC1) unless they are
 * last; values of "predefined length" AIs (first two digits 00–04, 11–20, 31–36, 41) need no separator.
 * Also parses the human-readable form "(01)09506000134352(17)261231(10)ABC".
 */
import { divRoundHalfEven } from '../../kernel/money';
import { firstNonDigit, gtinCheckDigit, hasValidCheckDigit } from '../../kernel/gs1-check-digit';
import type { Gs1Element, ScanError } from './result';
import type { CurrencyRule } from '../../config/barcode-rules';

/** Group separator: FNC1 as transmitted by scanners between variable-length elements. */
export const GS = '\x1D';

type Semantic = 'none' | 'mod10' | 'date' | 'kg' | 'lb' | 'price' | 'price-iso';

export interface AiDefinition {
  ai: string;
  /** GS1 data title. */
  title: string;
  /** N = digits only; X = GS1 AI encodable character set 82. */
  charset: 'N' | 'X';
  /** Value length bounds (equal for fixed-length AIs). 393n counts its 3 currency digits. */
  min: number;
  max: number;
  /** Predefined-length AI: no separator ever needed after it. */
  predefined: boolean;
  semantic: Semantic;
  /** Implied decimal places (the last AI digit n of 310n, 320n, 392n, 393n). */
  decimals?: number;
}

const PREDEFINED_PREFIXES = new Set([
  '00', '01', '02', '03', '04', '11', '12', '13', '14', '15', '16', '17', '18', '19', '20', '31', '32', '33', '34', '35', '36', '41',
]);

function def(ai: string, title: string, charset: 'N' | 'X', min: number, max: number, semantic: Semantic, decimals?: number): AiDefinition {
  const d: AiDefinition = { ai, title, charset, min, max, predefined: min === max && PREDEFINED_PREFIXES.has(ai.slice(0, 2)), semantic };
  if (decimals !== undefined) d.decimals = decimals;
  return d;
}

const DEFINITIONS: AiDefinition[] = [
  def('00', 'SSCC', 'N', 18, 18, 'mod10'),
  def('01', 'GTIN', 'N', 14, 14, 'mod10'),
  def('02', 'CONTENT', 'N', 14, 14, 'mod10'),
  def('10', 'BATCH/LOT', 'X', 1, 20, 'none'),
  def('11', 'PROD DATE', 'N', 6, 6, 'date'),
  def('13', 'PACK DATE', 'N', 6, 6, 'date'),
  def('15', 'BEST BEFORE or BEST BY', 'N', 6, 6, 'date'),
  def('16', 'SELL BY', 'N', 6, 6, 'date'),
  def('17', 'USE BY OR EXPIRY', 'N', 6, 6, 'date'),
  def('21', 'SERIAL', 'X', 1, 20, 'none'),
  def('30', 'VAR. COUNT', 'N', 1, 8, 'none'),
  def('37', 'COUNT', 'N', 1, 8, 'none'),
  ...[0, 1, 2, 3, 4, 5].map((n) => def(`310${n}`, 'NET WEIGHT (kg)', 'N', 6, 6, 'kg', n)),
  ...[0, 1, 2, 3, 4, 5].map((n) => def(`320${n}`, 'NET WEIGHT (lb)', 'N', 6, 6, 'lb', n)),
  ...[0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => def(`392${n}`, 'PRICE', 'N', 1, 15, 'price', n)),
  ...[0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => def(`393${n}`, 'PRICE', 'N', 4, 18, 'price-iso', n)),
  def('400', 'ORDER NUMBER', 'X', 1, 30, 'none'),
  def('8200', 'PRODUCT URL', 'X', 1, 70, 'none'),
];

/** The supported AIs, keyed by AI. */
export const GS1_AIS: ReadonlyMap<string, AiDefinition> = new Map(DEFINITIONS.map((d) => [d.ai, d]));

/** AI length by its first two digits, for naming *unknown* AIs in messages (GS1 GS Figure 3.2-1). */
function aiLengthGuess(first2: string): number {
  const n = Number(first2);
  if (n <= 22 || n === 30 || n === 37 || n >= 90) return 2;
  if ((n >= 23 && n <= 25) || (n >= 40 && n <= 42) || n === 71) return 3;
  return 4;
}

/** GS1 AI encodable character set 82. */
const CS82 = /^[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]$/;

function describeChar(c: string): string {
  const cp = c.codePointAt(0) ?? 0;
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  return cp < 0x20 || cp === 0x7f ? hex : `"${c}" (${hex})`;
}

/** YYMMDD → ISO date (century 20xx); DD 00 = month only → last day of that month. */
export function parseGs1Date(v: string): { iso: string; dayOmitted: boolean } | { problem: string } {
  const yy = Number(v.slice(0, 2));
  const mm = Number(v.slice(2, 4));
  const dd = Number(v.slice(4, 6));
  if (mm < 1 || mm > 12) return { problem: `month ${v.slice(2, 4)} is not 01–12` };
  const year = 2000 + yy;
  const daysInMonth = new Date(Date.UTC(year, mm, 0)).getUTCDate();
  if (dd > daysInMonth) return { problem: `day ${v.slice(4, 6)} does not exist in ${year}-${v.slice(2, 4)}` };
  const day = dd === 0 ? daysInMonth : dd;
  return { iso: `${year}-${v.slice(2, 4)}-${String(day).padStart(2, '0')}`, dayOmitted: dd === 0 };
}

/** "001250" with 3 decimals → "1.250"; leading zeros of the integer part dropped. */
function withDecimals(digits: string, n: number): string {
  if (n === 0) return BigInt(digits).toString();
  const padded = digits.padStart(n + 1, '0');
  return `${BigInt(padded.slice(0, -n)).toString()}.${padded.slice(-n)}`;
}

function toSafe(v: bigint): number | undefined {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : undefined;
}

/** Amount with `n` implied decimals → minor units with `minorUnits` decimals, half-even. */
function toMinor(amount: string, n: number, minorUnits: number): { minor?: number; rounded: boolean } {
  const v = BigInt(amount);
  if (n <= minorUnits) return { minor: toSafe(v * 10n ** BigInt(minorUnits - n)), rounded: false };
  const den = 10n ** BigInt(n - minorUnits);
  return { minor: toSafe(divRoundHalfEven(v, den)), rounded: v % den !== 0n };
}

type ValueCheck = { ok: true; element: Gs1Element } | { ok: false; error: ScanError };

function label(d: AiDefinition): string {
  return `AI ${d.ai} (${d.title})`;
}

/** Character, check-digit, date and unit checks of one value; `vStart` is its raw index. */
function checkValue(d: AiDefinition, value: string, aiPos: number, vStart: number, currency: CurrencyRule, warnings: string[]): ValueCheck {
  const fail = (error: Omit<ScanError, 'ai'>): ValueCheck => ({ ok: false, error: { ...error, ai: d.ai } });
  if (d.charset === 'N') {
    const bad = firstNonDigit(value);
    if (bad >= 0) {
      return fail({ code: 'NOT_NUMERIC', message: `${label(d)} must be digits only; found ${describeChar(value[bad])} at position ${vStart + bad}`, position: vStart + bad });
    }
  } else {
    for (let i = 0; i < value.length; i++) {
      if (!CS82.test(value[i])) {
        return fail({
          code: 'MALFORMED_GS1',
          message: `${label(d)} contains ${describeChar(value[i])} at position ${vStart + i}, which GS1 data may not contain`,
          position: vStart + i,
        });
      }
    }
  }
  const el: Gs1Element = { ai: d.ai, title: d.title, value, position: aiPos };
  const n = d.decimals ?? 0;
  switch (d.semantic) {
    case 'mod10':
      if (!hasValidCheckDigit(value)) {
        const expected = String(gtinCheckDigit(value.slice(0, -1)));
        const found = value[value.length - 1];
        return fail({
          code: 'BAD_CHECK_DIGIT',
          message: `${label(d)} ${value} has check digit ${found} but its other digits require ${expected}`,
          position: vStart + value.length - 1,
          expected,
          found,
        });
      }
      break;
    case 'date': {
      const r = parseGs1Date(value);
      if ('problem' in r) return fail({ code: 'BAD_DATE', message: `${label(d)} ${value} is not a valid YYMMDD date: ${r.problem}`, position: vStart });
      el.date = r.iso;
      if (r.dayOmitted) el.dayOmitted = true;
      break;
    }
    case 'kg': {
      el.decimal = withDecimals(value, n);
      const v = BigInt(value);
      el.grams = Number(n <= 3 ? v * 10n ** BigInt(3 - n) : divRoundHalfEven(v, 10n ** BigInt(n - 3)));
      break;
    }
    case 'lb':
      el.decimal = withDecimals(value, n);
      el.grams = Number(divRoundHalfEven(BigInt(value) * 45359237n, 10n ** BigInt(n) * 100000n));
      break;
    case 'price':
    case 'price-iso': {
      const amount = d.semantic === 'price' ? value : value.slice(3);
      el.decimal = withDecimals(amount, n);
      if (d.semantic === 'price-iso') el.currency = value.slice(0, 3);
      if (d.semantic === 'price' || el.currency === currency.numeric) {
        const r = toMinor(amount, n, currency.minorUnits);
        if (r.minor === undefined) warnings.push(`${label(d)} ${el.decimal} is too large to be a price; ignored`);
        else el.minor = r.minor;
        if (r.rounded) warnings.push(`${label(d)} ${el.decimal} has more decimals than ${currency.code}; rounded half-even to ${r.minor} minor units`);
      } else {
        warnings.push(`${label(d)} is in currency ${el.currency}, not the store currency ${currency.code} (${currency.numeric}); not converted`);
      }
      break;
    }
    case 'none':
      break;
  }
  return { ok: true, element: el };
}

/**
 * A variable-length value that ends with what looks like a predefined-length AI and a valid value
 * ("ABC17261231") probably swallowed that element because the scanner/printer omitted the GS.
 */
function missingSeparatorHint(d: AiDefinition, value: string, currency: CurrencyRule): string | null {
  for (const other of DEFINITIONS) {
    if (!other.predefined) continue;
    const tailLen = other.ai.length + other.max;
    if (value.length - tailLen < d.min) continue;
    const tail = value.slice(-tailLen);
    if (!tail.startsWith(other.ai)) continue;
    if (!checkValue(other, tail.slice(other.ai.length), 0, 0, currency, []).ok) continue;
    return `${label(d)} value "${value}" ends with "${tail}", which looks like ${label(other)}; if so, a GS separator is missing after AI ${d.ai}`;
  }
  return null;
}

export type Gs1Parse = { ok: true; elements: Gs1Element[]; warnings: string[] } | { ok: false; error: ScanError; warnings: string[] };

type Piece = { ok: true; d: AiDefinition; value: string; aiPos: number; vStart: number } | { ok: false; error: ScanError };

function unknownAi(ai: string, position: number): ScanError {
  return {
    code: 'UNKNOWN_AI',
    message: `unknown or unsupported application identifier (AI) ${ai} at position ${position}`,
    position,
    ai,
  };
}

/** Splits GS-separated (FNC1) data into AI/value pieces. `offset` = raw index of data[0]. */
function splitFnc1(data: string, offset: number, warnings: string[]): Piece[] {
  const pieces: Piece[] = [];
  let pos = data.startsWith(GS) ? 1 : 0; // FNC1 in first position, sent as GS by some scanners
  while (pos < data.length) {
    const at = offset + pos;
    if (data[pos] === GS) {
      pieces.push({ ok: false, error: { code: 'MALFORMED_GS1', message: `empty element: two GS separators in a row at position ${at}`, position: at } });
      return pieces;
    }
    const two = data.slice(pos, pos + 2);
    if (two.length < 2 || firstNonDigit(two) >= 0) {
      const bad = firstNonDigit(two);
      const what = bad < 0 ? `only the digit "${two}" before the end` : `${describeChar(two[bad])} at position ${at + bad}`;
      pieces.push({
        ok: false,
        error: { code: 'MALFORMED_GS1', message: `expected an application identifier (2–4 digits) at position ${at}, found ${what}`, position: at + Math.max(bad, 0) },
      });
      return pieces;
    }
    let d: AiDefinition | undefined;
    for (const len of [2, 3, 4]) {
      d = GS1_AIS.get(data.slice(pos, pos + len));
      if (d) break;
    }
    if (!d) {
      const guess = data.slice(pos, pos + aiLengthGuess(two));
      const nd = firstNonDigit(guess);
      const ai = nd < 0 ? guess : guess.slice(0, Math.max(2, nd));
      pieces.push({ ok: false, error: unknownAi(ai, at) });
      return pieces;
    }
    const vStart = pos + d.ai.length;
    if (d.min === d.max) {
      const value = data.slice(vStart, vStart + d.max);
      const gsAt = value.indexOf(GS);
      if (gsAt >= 0 || value.length < d.max) {
        const got = gsAt >= 0 ? gsAt : value.length;
        pieces.push({
          ok: false,
          error: {
            code: 'BAD_LENGTH',
            message: `${label(d)} needs exactly ${d.max} characters, got ${got} (data ${gsAt >= 0 ? 'interrupted by a GS' : 'ends'} at position ${offset + vStart + got})`,
            position: offset + vStart + got,
            ai: d.ai,
          },
        });
        return pieces;
      }
      pieces.push({ ok: true, d, value, aiPos: at, vStart: offset + vStart });
      pos = vStart + d.max;
      if (data[pos] === GS) pos++; // tolerated after a fixed-length element
      else if (!d.predefined && pos < data.length) {
        pieces.push({ ok: false, error: { code: 'MALFORMED_GS1', message: `${label(d)} must be followed by a GS separator at position ${offset + pos}`, position: offset + pos, ai: d.ai } });
        return pieces;
      }
    } else {
      const gsAt = data.indexOf(GS, vStart);
      const end = gsAt < 0 ? data.length : gsAt;
      const value = data.slice(vStart, end);
      if (value.length < d.min || value.length > d.max) {
        const tooLong = value.length > d.max;
        pieces.push({
          ok: false,
          error: {
            code: 'BAD_LENGTH',
            message: tooLong
              ? `${label(d)} value is ${value.length} characters, at most ${d.max} allowed — a GS separator is probably missing after it (position ${offset + vStart + d.max})`
              : `${label(d)} value is ${value.length} characters, at least ${d.min} required`,
            position: offset + vStart + (tooLong ? d.max : value.length),
            ai: d.ai,
          },
        });
        return pieces;
      }
      pieces.push({ ok: true, d, value, aiPos: at, vStart: offset + vStart });
      pos = gsAt < 0 ? end : end + 1;
    }
    if (pos === data.length && data.endsWith(GS) && data.length > 1) warnings.push('GS1 data ends with a GS separator (ignored)');
  }
  return pieces;
}

const HRI_AI = /\(([0-9]{2,4})\)/g;

/** Splits "(AI)value(AI)value…" into pieces. A value runs to the next "(digits)" or the end. */
function splitHri(data: string, offset: number): Piece[] {
  const pieces: Piece[] = [];
  let pos = 0;
  while (pos < data.length) {
    HRI_AI.lastIndex = pos;
    const m = HRI_AI.exec(data);
    if (!m || m.index !== pos) {
      pieces.push({
        ok: false,
        error: { code: 'MALFORMED_GS1', message: `expected "(AI)" at position ${offset + pos}, found ${describeChar(data[pos])}`, position: offset + pos },
      });
      return pieces;
    }
    const ai = m[1];
    const vStart = pos + m[0].length;
    HRI_AI.lastIndex = vStart;
    const next = HRI_AI.exec(data);
    const end = next ? next.index : data.length;
    const value = data.slice(vStart, end);
    const d = GS1_AIS.get(ai);
    if (!d) {
      pieces.push({ ok: false, error: unknownAi(ai, offset + pos + 1) });
      return pieces;
    }
    if (value.length < d.min || value.length > d.max) {
      const want = d.min === d.max ? `exactly ${d.max}` : value.length > d.max ? `at most ${d.max}` : `at least ${d.min}`;
      pieces.push({
        ok: false,
        error: { code: 'BAD_LENGTH', message: `${label(d)} value "${value}" is ${value.length} characters, ${want} required`, position: offset + vStart, ai },
      });
      return pieces;
    }
    pieces.push({ ok: true, d, value, aiPos: offset + pos + 1, vStart: offset + vStart });
    pos = end;
  }
  return pieces;
}

/**
 * Parses GS1 element strings. `form` 'fnc1': GS-separated (an optional leading GS = FNC1 is skipped);
 * 'hri': parenthesised human-readable form. `offset` is the raw index of data[0] (for positions).
 */
export function parseGs1(data: string, offset: number, form: 'fnc1' | 'hri', currency: CurrencyRule): Gs1Parse {
  const warnings: string[] = [];
  if (data.length === 0 || data === GS) {
    return { ok: false, error: { code: 'EMPTY', message: 'GS1 symbol carries no data', position: offset }, warnings };
  }
  const pieces = form === 'hri' ? splitHri(data, offset) : splitFnc1(data, offset, warnings);
  const elements: Gs1Element[] = [];
  for (const p of pieces) {
    if (!p.ok) return { ok: false, error: p.error, warnings };
    const r = checkValue(p.d, p.value, p.aiPos, p.vStart, currency, warnings);
    if (!r.ok) return { ok: false, error: r.error, warnings };
    if (form === 'fnc1' && p.d.min !== p.d.max) {
      const hint = missingSeparatorHint(p.d, p.value, currency);
      if (hint) warnings.push(hint);
    }
    const earlier = elements.find((e) => e.ai === p.d.ai);
    if (earlier && earlier.value !== p.value) {
      return {
        ok: false,
        error: {
          code: 'MALFORMED_GS1',
          message: `AI ${p.d.ai} appears twice with different values ("${earlier.value}" at position ${earlier.position}, "${p.value}" at position ${p.aiPos})`,
          position: p.aiPos,
          ai: p.d.ai,
        },
        warnings,
      };
    }
    if (earlier) warnings.push(`AI ${p.d.ai} appears twice (same value)`);
    else elements.push(r.element);
  }
  return { ok: true, elements, warnings };
}

/** GS-separated element string (no leading FNC1), separators only where GS1 requires them. */
export function encodeGs1(elements: readonly { ai: string; value: string }[]): string {
  return elements
    .map((e, i) => {
      const needsGs = i < elements.length - 1 && !(GS1_AIS.get(e.ai)?.predefined ?? false);
      return e.ai + e.value + (needsGs ? GS : '');
    })
    .join('');
}

/** Human-readable interpretation: "(01)09506000134352(17)261231". */
export function formatGs1Hri(elements: readonly { ai: string; value: string }[]): string {
  return elements.map((e) => `(${e.ai})${e.value}`).join('');
}
