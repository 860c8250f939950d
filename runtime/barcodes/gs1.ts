/**
 * GS1 element strings (GS1 General Specifications §3, §7.8): a concatenation of application identifier
 * (AI) + value pairs. Variable-length values end at a GS (0x1D, how scanners render FNC1) unless they are
 * last; values of "predefined length" AIs (first two digits 00–04, 11–20, 31–36, 41) need no separator.
 * Also parses the human-readable form "(01)09506000134352(17)261231(10)ABC".
 */
import { divRoundHalfEven } from '../../kernel/money';
import { firstNonDigit } from '../../kernel/gs1-check-digit';
import type { Gs1Element, ScanError } from './result';
import type { CurrencyRule } from '../../config/barcode-rules';
import { AI_TABLE, aiLengthByPrefix, lookupAiAt, valueLengthBounds, type AiComponent, type AiEntry } from './ai-table';
import { runLinter } from './gs1-linters';

/** Group separator: FNC1 as transmitted by scanners between variable-length elements. */
export const GS = '\x1D';

/** What the kiosk reads out of a value besides checking it. */
type Semantic = 'none' | 'date' | 'kg' | 'lb' | 'price' | 'price-iso' | 'decimal' | 'decimal-iso';

export interface AiDefinition {
  ai: string;
  /** GS1 data title (from the syntax dictionary). */
  title: string;
  /** 'N' when every component is digits only; otherwise 'X' (see `components` for the exact character sets). */
  charset: 'N' | 'X';
  /** Value length bounds over all components (optional components count 0 towards `min`). */
  min: number;
  max: number;
  /** Predefined-length AI (flag "*"): no separator ever needed after it. */
  predefined: boolean;
  /** Allowed as a GS1 Digital Link query attribute (flag "?"). */
  dlAttribute: boolean;
  /** GS1 Digital Link primary key: allowed qualifier sequences; null when not a key. */
  dlpkey: string[][] | null;
  components: AiComponent[];
  semantic: Semantic;
  /** Implied decimal places (the last AI digit n of 31nn–36nn, 390n–393n, 395n). */
  decimals?: number;
}

/** Most element strings a kiosk accepts in one scan (the GS1 syntax engine's MAX_AIS). */
export const MAX_ELEMENTS = 64;

function semanticOf(e: AiEntry): { semantic: Semantic; decimals?: number } {
  const { ai, components: c } = e;
  const n = Number(ai[3]);
  if (/^31[0-9]{2}$|^3[2-6][0-9]{2}$/.test(ai)) return { semantic: ai.startsWith('310') ? 'kg' : ai.startsWith('320') ? 'lb' : 'decimal', decimals: n };
  if (/^39[0-35][0-9]$/.test(ai)) {
    if (ai.startsWith('392')) return { semantic: 'price', decimals: n };
    if (ai.startsWith('393')) return { semantic: 'price-iso', decimals: n };
    return { semantic: ai.startsWith('391') ? 'decimal-iso' : 'decimal', decimals: n };
  }
  if (c.length === 1 && c[0].charset === 'N' && c[0].min === 6 && c[0].max === 6 && c[0].linters.some((l) => l === 'yymmd0' || l === 'yymmdd')) {
    return { semantic: 'date' };
  }
  return { semantic: 'none' };
}

function definition(e: AiEntry): AiDefinition {
  const { min, max } = valueLengthBounds(e);
  const d: AiDefinition = {
    ai: e.ai,
    title: e.title,
    charset: e.components.every((c) => c.charset === 'N') ? 'N' : 'X',
    min,
    max,
    predefined: e.predefined && min === max,
    dlAttribute: e.dlAttribute,
    dlpkey: e.dlpkey,
    components: e.components,
    ...semanticOf(e),
  };
  return d;
}

/** Every AI of the GS1 General Specifications (GS1 Barcode Syntax Dictionary), keyed by AI. */
export const GS1_AIS: ReadonlyMap<string, AiDefinition> = new Map([...AI_TABLE.values()].map((e) => [e.ai, definition(e)]));

/** AI + value lengths of the predefined-length AIs (for spotting a swallowed element). */
const PREDEFINED_TAIL_LENGTHS: readonly number[] = [...new Set([...GS1_AIS.values()].filter((d) => d.predefined).map((d) => d.ai.length + d.max))].sort((a, b) => a - b);

function lookupAt(s: string, pos: number): AiDefinition | undefined {
  const e = lookupAiAt(s, pos);
  return e ? GS1_AIS.get(e.ai) : undefined;
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

/** GS1 AI encodable character set 39 / base64url (character set 64). */
const CS39 = /^[#\-/0-9A-Z]$/;
const CS64 = /^[A-Za-z0-9_-]$/;

const COMPONENT_KIND: Record<AiComponent['charset'], string> = {
  N: 'digits only',
  X: 'GS1 character set 82',
  Y: 'GS1 character set 39 (digits, capitals, # - /)',
  Z: 'base64url characters',
};

/** Splits a value into its components (dictionary specification); `end` = exclusive end of each. */
function splitComponents(d: AiDefinition, value: string): { parts: string[] } | { problem: string; at: number } {
  const parts: string[] = [];
  let pos = 0;
  for (const c of d.components) {
    const left = value.length - pos;
    if (left === 0 && c.optional) break;
    if (c.min === c.max) {
      if (left < c.max) return { problem: `value is ${value.length} characters; component ${parts.length + 1} needs ${c.max} more, only ${left} left`, at: value.length };
      parts.push(value.slice(pos, pos + c.max));
      pos += c.max;
    } else {
      const take = Math.min(left, c.max);
      if (take < c.min) return { problem: `value is ${value.length} characters, at least ${d.min} required`, at: value.length };
      parts.push(value.slice(pos, pos + take));
      pos += take;
    }
  }
  if (pos < value.length) return { problem: `value is ${value.length} characters, at most ${pos} fit its format`, at: pos };
  return { parts };
}

function charsetProblem(c: AiComponent, v: string): number {
  for (let i = 0; i < v.length; i++) {
    const ch = v[i];
    const okChar = c.charset === 'N' ? ch >= '0' && ch <= '9' : c.charset === 'X' ? CS82.test(ch) : c.charset === 'Y' ? CS39.test(ch) : CS64.test(ch) || ch === '=';
    if (!okChar) return i;
  }
  if (c.charset === 'Z') {
    const pads = v.length - v.replace(/=+$/, '').length;
    const firstPad = v.indexOf('=');
    if (firstPad >= 0 && firstPad < v.length - pads) return firstPad;
    if (pads > 2 || (pads > 0 && v.length % 3 !== 0)) return v.length - pads;
  }
  return -1;
}

/** Component, character-set, linter (check digit, date, code list …) and unit checks of one value; `vStart` is its raw index. */
function checkValue(d: AiDefinition, value: string, aiPos: number, vStart: number, currency: CurrencyRule, warnings: string[]): ValueCheck {
  const fail = (error: Omit<ScanError, 'ai'>): ValueCheck => ({ ok: false, error: { ...error, ai: d.ai } });
  const split = splitComponents(d, value);
  if ('problem' in split) return fail({ code: 'BAD_LENGTH', message: `${label(d)} ${split.problem}`, position: vStart + split.at });
  let at = 0;
  for (let k = 0; k < split.parts.length; k++) {
    const c = d.components[k];
    const v = split.parts[k];
    const badAt = charsetProblem(c, v);
    if (badAt >= 0) {
      const p = vStart + at + badAt;
      const found = value[at + badAt] === undefined ? 'bad base64url padding' : describeChar(value[at + badAt]);
      if (c.charset === 'N') return fail({ code: 'NOT_NUMERIC', message: `${label(d)} must be digits only; found ${found} at position ${p}`, position: p });
      return fail({ code: 'MALFORMED_GS1', message: `${label(d)} contains ${found} at position ${p}, outside ${COMPONENT_KIND[c.charset]}`, position: p });
    }
    for (const name of c.linters) {
      const f = runLinter(name, v);
      if (!f) continue;
      const code = f.kind === 'check' ? 'BAD_CHECK_DIGIT' : f.kind === 'date' ? 'BAD_DATE' : 'MALFORMED_GS1';
      const what = d.components.length > 1 ? `${label(d)} ${value} (component ${k + 1} "${v}")` : `${label(d)} ${value}`;
      const error: Omit<ScanError, 'ai'> = { code, message: `${what}: ${f.message}`, position: vStart + at + f.offset };
      if (f.expected !== undefined) error.expected = f.expected;
      if (f.found !== undefined) error.found = f.found;
      return fail(error);
    }
    at += v.length;
  }
  const el: Gs1Element = { ai: d.ai, title: d.title, value, position: aiPos };
  const n = d.decimals ?? 0;
  switch (d.semantic) {
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
    case 'decimal':
      el.decimal = withDecimals(value, n);
      break;
    case 'decimal-iso':
      el.currency = value.slice(0, 3);
      el.decimal = withDecimals(value.slice(3), n);
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
  for (const tailLen of PREDEFINED_TAIL_LENGTHS) {
    if (value.length - tailLen < d.min) continue;
    const tail = value.slice(-tailLen);
    const other = lookupAt(tail, 0);
    if (!other?.predefined || other.ai.length + other.max !== tailLen) continue;
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

function unknownAiAt(data: string, pos: number, at: number): ScanError {
  const guess = data.slice(pos, pos + aiLengthByPrefix(data.slice(pos, pos + 2)));
  const nd = firstNonDigit(guess);
  return unknownAi(nd < 0 ? guess : guess.slice(0, Math.max(2, nd)), at);
}

/** Splits GS-separated (FNC1) data into AI/value pieces. `offset` = raw index of data[0]. */
function splitFnc1(data: string, offset: number, warnings: string[]): Piece[] {
  const pieces: Piece[] = [];
  let pos = data.startsWith(GS) ? 1 : 0; // FNC1 in first position, sent as GS by some scanners
  while (pos < data.length) {
    const at = offset + pos;
    if (pieces.length >= MAX_ELEMENTS) {
      pieces.push({ ok: false, error: { code: 'MALFORMED_GS1', message: `more than ${MAX_ELEMENTS} GS1 elements in one scan (position ${at})`, position: at } });
      return pieces;
    }
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
    const d = lookupAt(data, pos);
    if (!d) {
      pieces.push({ ok: false, error: unknownAiAt(data, pos, at) });
      return pieces;
    }
    const vStart = pos + d.ai.length;
    if (d.predefined) {
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
      if (data[pos] === GS) pos++; // tolerated after a predefined-length element
    } else {
      // FNC1 required after it (unless last): the value runs to the next GS
      const gsAt = data.indexOf(GS, vStart);
      const end = gsAt < 0 ? data.length : gsAt;
      const value = data.slice(vStart, end);
      if (value.length < Math.max(d.min, 1) || value.length > d.max) {
        const tooLong = value.length > d.max;
        const want = d.min === d.max ? `exactly ${d.max}` : tooLong ? `at most ${d.max}` : `at least ${Math.max(d.min, 1)}`;
        pieces.push({
          ok: false,
          error: {
            code: 'BAD_LENGTH',
            message: tooLong
              ? `${label(d)} value is ${value.length} characters, ${want} allowed — a GS separator is probably missing after it (position ${offset + vStart + d.max})`
              : `${label(d)} value is ${value.length} characters, ${want} required`,
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

/** "(NN)" … "(NNNN)" at `i`, not escaped by a preceding backslash. */
function hriAiAt(data: string, i: number): string | null {
  if (data[i] !== '(' || (i > 0 && data[i - 1] === '\\')) return null;
  const m = /^\(([0-9]{2,4})\)/.exec(data.slice(i, i + 6));
  return m ? m[1] : null;
}

/**
 * Splits "(AI)value(AI)value…" into pieces. A value runs to the next unescaped "(digits)" or the end; "\(" in a
 * value stands for "(" (GS1 syntax engine convention).
 */
function splitHri(data: string, offset: number): Piece[] {
  const pieces: Piece[] = [];
  let pos = 0;
  while (pos < data.length) {
    if (pieces.length >= MAX_ELEMENTS) {
      pieces.push({ ok: false, error: { code: 'MALFORMED_GS1', message: `more than ${MAX_ELEMENTS} GS1 elements in one scan (position ${offset + pos})`, position: offset + pos } });
      return pieces;
    }
    const ai = hriAiAt(data, pos);
    if (ai === null) {
      pieces.push({
        ok: false,
        error: { code: 'MALFORMED_GS1', message: `expected "(AI)" at position ${offset + pos}, found ${describeChar(data[pos])}`, position: offset + pos },
      });
      return pieces;
    }
    const vStart = pos + ai.length + 2;
    let end = vStart;
    while (end < data.length && hriAiAt(data, end) === null) end++;
    const value = data.slice(vStart, end).replace(/\\\(/g, '(');
    const d = GS1_AIS.get(ai);
    if (!d) {
      pieces.push({ ok: false, error: unknownAi(ai, offset + pos + 1) });
      return pieces;
    }
    if (value.length < Math.max(d.min, 1) || value.length > d.max) {
      const want = d.min === d.max ? `exactly ${d.max}` : value.length > d.max ? `at most ${d.max}` : `at least ${Math.max(d.min, 1)}`;
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

/** Checks the pieces' values and duplicates; shared by element strings and Digital Link. */
function checkPieces(pieces: readonly Piece[], currency: CurrencyRule, warnings: string[], hints: boolean): Gs1Parse {
  const elements: Gs1Element[] = [];
  for (const p of pieces) {
    if (!p.ok) return { ok: false, error: p.error, warnings };
    const r = checkValue(p.d, p.value, p.aiPos, p.vStart, currency, warnings);
    if (!r.ok) return { ok: false, error: r.error, warnings };
    if (hints && !p.d.predefined) {
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
  return checkPieces(pieces, currency, warnings, form === 'fnc1');
}

/** An AI/value pair from another syntax (GS1 Digital Link), with the raw positions of its AI and value. */
export interface Gs1Pair {
  ai: string;
  value: string;
  aiPos: number;
  vStart: number;
}

/** Validates AI/value pairs with the same rules as element strings (unknown AI, lengths, linters, duplicates). */
export function checkGs1Pairs(pairs: readonly Gs1Pair[], currency: CurrencyRule): Gs1Parse {
  const warnings: string[] = [];
  const pieces: Piece[] = [];
  for (const p of pairs) {
    const d = GS1_AIS.get(p.ai);
    if (!d) {
      pieces.push({ ok: false, error: unknownAi(p.ai, p.aiPos) });
      break;
    }
    if (p.value.length > d.max || p.value.length < Math.max(d.min, 1)) {
      const want = d.min === d.max ? `exactly ${d.max}` : p.value.length > d.max ? `at most ${d.max}` : `at least ${Math.max(d.min, 1)}`;
      pieces.push({ ok: false, error: { code: 'BAD_LENGTH', message: `${label(d)} value "${p.value}" is ${p.value.length} characters, ${want} required`, position: p.vStart, ai: p.ai } });
      break;
    }
    pieces.push({ ok: true, d, value: p.value, aiPos: p.aiPos, vStart: p.vStart });
  }
  return checkPieces(pieces, currency, warnings, false);
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
