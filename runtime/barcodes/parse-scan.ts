/**
 * parseScan: one read from a scanner → what the kiosk should do with it. Pure and total.
 *
 * Order of interpretation:
 *  1. trim surrounding whitespace (incl. the CR/LF suffix); empty → EMPTY; strip an AIM prefix (`]E0` …).
 *  2. GS1 symbologies (]C1, ]e0, ]Q3/]Q4, ]d2/]d5, ]J1), or — without AIM — data starting with GS (FNC1)
 *     or with "(NN)" → GS1 element strings.
 *  3. EAN/UPC (]E*) → EAN-13 / UPC-A / UPC-E / EAN-8 (+ add-on), after member cards.
 *  4. Anything else: payment codes first (bearer credentials must never be read as something else), then
 *     member cards, then — without AIM — GS-separated GS1 data, GTIN-length digit strings (8/12/13/14,
 *     check digit enforced), 16+ digits starting 01/02 + valid GTIN as GS1; ITF 14 digits → GTIN-14;
 *     other symbologies carrying a *valid* GTIN → GTIN with a warning.
 *  5. Otherwise kind 'other' (or UNSUPPORTED for control characters in a 1D read).
 * GTIN-13s (EAN-13, UPC-A as "0"+12) matching an in-store pattern become kind 'in_store'.
 */
import { parseAimPrefix, type AimId } from './aim';
import { firstNonDigit, hasValidCheckDigit, isDigits } from '../../kernel/gs1-check-digit';
import { formatGs1Hri, GS, parseGs1 } from './gs1';
import { expandUpcE, normalizeLookupKey, readGtin, type GtinInfo, type GtinRead } from './gtin';
import { matchInStore } from './in-store';
import { maskCredential, matchMemberCard, matchPaymentCode } from './patterns';
import type { GtinFormat, Gs1Scan, ScanError, ScanFailure, ScanResult, SymbologyInfo } from './result';
import type { BarcodeRules } from '../../config/barcode-rules';

/** Longer input is refused outright (largest QR code: 7089 digits). */
export const MAX_SCAN_LENGTH = 8192;

interface Ctx {
  raw: string;
  /** Payload: trimmed, AIM prefix removed. */
  data: string;
  /** Raw index of data[0]. */
  offset: number;
  aim: AimId | null;
  rules: BarcodeRules;
  warnings: string[];
}

function sym(ctx: Ctx, inferredName: string): SymbologyInfo {
  return ctx.aim ? { aim: ctx.aim.aim, name: ctx.aim.name, inferred: false } : { aim: null, name: inferredName, inferred: true };
}

function fail(ctx: Ctx, error: ScanError, inferredName = 'unknown'): ScanFailure {
  return { ok: false, raw: ctx.raw, data: ctx.data, symbology: sym(ctx, inferredName), warnings: ctx.warnings, error };
}

function describeControl(c: string): string {
  const names: Record<string, string> = { '\r': 'CR', '\n': 'LF', '\t': 'TAB', '\x1D': 'GS', '\x1B': 'ESC', '\x02': 'STX', '\x03': 'ETX', '\x00': 'NUL' };
  const hex = `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  return names[c] ? `${names[c]} (${hex})` : hex;
}

// ---------------------------------------------------------------- GS1

function gs1Result(ctx: Ctx, form: 'fnc1' | 'hri', inferredName: string): ScanResult {
  const r = parseGs1(ctx.data, ctx.offset, form, ctx.rules.currency);
  ctx.warnings.push(...r.warnings);
  if (!r.ok) return fail(ctx, r.error, inferredName);
  const els = r.elements;
  const out: Gs1Scan = {
    ok: true,
    kind: 'gs1',
    raw: ctx.raw,
    data: ctx.data,
    symbology: sym(ctx, inferredName),
    warnings: ctx.warnings,
    ais: els,
    hri: formatGs1Hri(els),
  };
  const find = (ai: string) => els.find((e) => e.ai === ai);
  const gtin = find('01')?.value;
  if (gtin !== undefined) {
    out.gtin = gtin;
    out.gtin14 = gtin;
    out.lookupKey = normalizeLookupKey(gtin);
  }
  const grams = els.find((e) => e.grams !== undefined)?.grams;
  if (grams !== undefined) out.weightGrams = grams;
  const minor = els.find((e) => e.minor !== undefined)?.minor;
  if (minor !== undefined) out.embeddedPrice = minor;
  const expiry = find('17')?.date;
  if (expiry !== undefined) out.expiryDate = expiry;
  const bestBefore = find('15')?.date;
  if (bestBefore !== undefined) out.bestBeforeDate = bestBefore;
  const batch = find('10')?.value;
  if (batch !== undefined) out.batch = batch;
  const serial = find('21')?.value;
  if (serial !== undefined) out.serial = serial;
  return out;
}

// ---------------------------------------------------------------- GTIN

/** EAN-8 or UPC-E for 8 digits without AIM: the one with a valid check digit; both → rules preference. */
function readEightDigits(ctx: Ctx, digits: string): GtinRead {
  const ean8 = readGtin(digits, 'EAN-8', ctx.offset);
  const upce = digits[0] === '0' || digits[0] === '1' ? readGtin(digits, 'UPC-E', ctx.offset) : null;
  const preferUpce = ctx.rules.eightDigitPreference === 'upce';
  if (ean8.ok && upce?.ok) {
    const chosen = preferUpce ? upce : ean8;
    ctx.warnings.push(
      `8 digits ${digits} are valid both as EAN-8 and as UPC-E; read as ${preferUpce ? 'UPC-E' : 'EAN-8'} per eightDigitPreference ` +
        `(enable AIM symbology identifiers on the scanner to remove the ambiguity)`,
    );
    return chosen;
  }
  if (ean8.ok) return ean8;
  if (upce?.ok) return upce;
  if (!upce) return ean8;
  const [first, second] = preferUpce ? [upce, ean8] : [ean8, upce];
  return {
    ok: false,
    error: { ...first.error, message: `${first.error.message}; read as ${preferUpce ? 'EAN-8' : 'UPC-E'} it would need check digit ${second.error.expected}` },
  };
}

/**
 * Result for a GTIN read (check digit already verified or not). `strict` false = the symbology does not
 * normally carry GTINs: any failure returns null so the caller falls back to kind 'other'.
 */
function gtinResult(ctx: Ctx, read: GtinRead, strict: true, addOn?: string): ScanResult;
function gtinResult(ctx: Ctx, read: GtinRead, strict: false): ScanResult | null;
function gtinResult(ctx: Ctx, read: GtinRead, strict: boolean, addOn?: string): ScanResult | null {
  if (!read.ok) return strict ? fail(ctx, read.error, inferredGtinName(ctx.data)) : null;
  const info: GtinInfo = read.info;
  const symbology = sym(ctx, info.format);
  if (info.format === 'EAN-13' || info.format === 'UPC-A') {
    const gtin13 = info.gtin14.slice(1);
    const m = matchInStore(gtin13, ctx.rules.inStore, ctx.offset - (info.format === 'UPC-A' ? 1 : 0));
    if (m && !m.ok) return strict ? fail(ctx, m.error, info.format) : null;
    if (m && m.ok) {
      const { match } = m;
      return {
        ok: true,
        kind: 'in_store',
        raw: ctx.raw,
        data: ctx.data,
        symbology,
        warnings: ctx.warnings,
        format: info.format,
        gtin: info.gtin,
        gtin14: info.gtin14,
        lookupKey: match.lookupKey,
        itemRef: match.itemRef,
        patternPrefix: match.pattern.prefix,
        value: match.pattern.value,
        ...(match.pattern.value === 'price' ? { embeddedPrice: match.amount } : { weightGrams: match.amount }),
        priceCheckDigit: match.priceCheckDigit,
        ...(addOn !== undefined ? { addOn } : {}),
      };
    }
  }
  return {
    ok: true,
    kind: 'gtin',
    raw: ctx.raw,
    data: ctx.data,
    symbology,
    warnings: ctx.warnings,
    format: info.format,
    gtin: info.gtin,
    gtin14: info.gtin14,
    lookupKey: info.lookupKey,
    ...(info.upcA !== undefined ? { upcA: info.upcA } : {}),
    ...(addOn !== undefined ? { addOn } : {}),
    restrictedCirculation: info.restrictedCirculation,
  };
}

function inferredGtinName(digits: string): string {
  const byLength: Record<number, string> = { 8: 'EAN-8/UPC-E', 12: 'UPC-A', 13: 'EAN-13', 14: 'GTIN-14' };
  return byLength[digits.length] ?? 'unknown';
}

const FORMAT_BY_LENGTH: Record<number, GtinFormat> = { 8: 'EAN-8', 12: 'UPC-A', 13: 'EAN-13', 14: 'GTIN-14' };

// ---------------------------------------------------------------- EAN/UPC (]E*)

/** UPC-E sent as 6 or 7 digits (number system and/or check digit suppressed by scanner settings). */
function shortUpcE(ctx: Ctx, digits: string): GtinRead {
  const upcA = expandUpcE(digits);
  if (upcA === null) {
    return { ok: false, error: { code: 'UNSUPPORTED', message: `UPC-E ${digits} has number system ${digits[0]}; only 0 and 1 exist`, position: ctx.offset } };
  }
  const full = (digits.length === 6 ? '0' + digits : digits) + upcA[11];
  ctx.warnings.push(
    `UPC-E received as ${digits.length} digits (number system${digits.length === 6 ? ' and' : ''} check digit not transmitted); ` +
      `check digit computed, not verified — configure the scanner to transmit them`,
  );
  // Positions refer to the scanned digits; the synthetic check digit cannot be wrong.
  return readGtin(full, 'UPC-E', ctx.offset - (digits.length === 6 ? 1 : 0));
}

function eanMain(ctx: Ctx, digits: string, modifier: string, addOn?: string): ScanResult {
  const n = digits.length;
  let read: GtinRead;
  if (modifier === '4') {
    if (n !== 8) return fail(ctx, { code: 'BAD_LENGTH', message: `EAN-8 must carry 8 digits, got ${n}`, position: ctx.offset });
    read = readGtin(digits, 'EAN-8', ctx.offset);
  } else if (n === 13) read = readGtin(digits, 'EAN-13', ctx.offset);
  else if (n === 12) read = readGtin(digits, 'UPC-A', ctx.offset);
  else if (n === 8) read = modifier === '3' ? readEightDigits(ctx, digits) : readGtin(digits, 'UPC-E', ctx.offset);
  else if ((n === 6 || n === 7) && modifier === '0') read = shortUpcE(ctx, digits);
  else {
    return fail(ctx, {
      code: 'BAD_LENGTH',
      message: `EAN-13/UPC-A/UPC-E data must be 13, 12 or 8 digits (6 or 7 for UPC-E without check digit), got ${n}`,
      position: ctx.offset,
    });
  }
  return gtinResult(ctx, read, true, addOn);
}

/** ]E3 main + add-on lengths by total length. */
const COMBINED: Record<number, [number, number]> = { 15: [13, 2], 18: [13, 5], 14: [12, 2], 17: [12, 5], 10: [8, 2], 13: [8, 5] };

function eanPath(ctx: Ctx, aim: AimId): ScanResult {
  const { data } = ctx;
  const bad = firstNonDigit(data);
  if (bad >= 0) {
    return fail(ctx, {
      code: 'NOT_NUMERIC',
      message: `${aim.name} data must be digits only; found ${describeControlOrChar(data[bad])} at position ${ctx.offset + bad}`,
      position: ctx.offset + bad,
    });
  }
  switch (aim.modifier) {
    case '1':
    case '2': {
      const want = aim.modifier === '1' ? 2 : 5;
      if (data.length !== want) return fail(ctx, { code: 'BAD_LENGTH', message: `${aim.name} must be ${want} digits, got ${data.length}`, position: ctx.offset });
      return {
        ok: true,
        kind: 'other',
        raw: ctx.raw,
        data,
        symbology: sym(ctx, aim.name),
        warnings: ctx.warnings,
        note: `${aim.name} "${data}" received on its own; items are identified by the main EAN/UPC symbol (configure the scanner to transmit add-ons with it as ]E3, or to ignore them)`,
      };
    }
    case '0':
    case '4': {
      const member = matchMemberCard(data, ctx.rules.memberCards);
      if (member) return memberResult(ctx, member.cardType, member.memberId);
      return eanMain(ctx, data, aim.modifier);
    }
    case '3': {
      const split = COMBINED[data.length];
      if (!split) {
        return fail(ctx, {
          code: 'BAD_LENGTH',
          message: `EAN/UPC with add-on must be 10, 13, 14, 15, 17 or 18 digits (main symbol + 2 or 5), got ${data.length}`,
          position: ctx.offset,
        });
      }
      return eanMain(ctx, data.slice(0, split[0]), '3', data.slice(split[0]));
    }
    default:
      return fail(ctx, { code: 'UNSUPPORTED', message: `EAN/UPC AIM modifier "${aim.modifier}" (${aim.aim}) is not defined`, position: ctx.offset - 1 });
  }
}

function describeControlOrChar(c: string): string {
  const code = c.charCodeAt(0);
  return code < 0x20 || code === 0x7f ? describeControl(c) : `"${c}"`;
}

// ---------------------------------------------------------------- member / payment / other

/** Index of the first C0 control character or DEL, or -1. */
function firstControl(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return i;
  }
  return -1;
}

function memberResult(ctx: Ctx, cardType: string, memberId: string): ScanResult {
  return { ok: true, kind: 'member_card', raw: ctx.raw, data: ctx.data, symbology: sym(ctx, 'unknown'), warnings: ctx.warnings, memberId, cardType };
}

function otherResult(ctx: Ctx): ScanResult {
  const { data, aim } = ctx;
  const ctrl = firstControl(data);
  if (ctrl >= 0) {
    const c = data[ctrl];
    const what = describeControl(c);
    const at = ctx.offset + ctrl;
    if (aim?.twoD) {
      ctx.warnings.push(`contains control character ${what} at position ${at}`);
    } else {
      const why =
        c === '\r' || c === '\n'
          ? 'two reads may have been merged, or the scanner suffix is misconfigured'
          : c === GS
            ? `a GS (FNC1) separator, but ${aim ? `the symbology ${aim.name} is not a GS1 one` : 'the data is not valid GS1'}`
            : "check the scanner's prefix/suffix and interface settings";
      return fail(ctx, { code: 'UNSUPPORTED', message: `unexpected control character ${what} at position ${at}: ${why}`, position: at });
    }
  }
  let note: string;
  if (!aim && isDigits(data)) {
    note = `${data.length} digits: not a GTIN length (8, 12, 13, 14) and no payment-code or member-card pattern matches`;
  } else {
    note = `${aim ? aim.name : 'unidentified'} data not recognised as a product, member card or payment code`;
    if (aim?.family === 'code128' && /^0[0-2][0-9]/.test(data) && parseGs1(data, ctx.offset, 'fnc1', ctx.rules.currency).ok) {
      note += `; it parses as GS1 element strings but the symbol has no FNC1 (${aim.aim}), so it is not a valid GS1-128 label`;
    }
  }
  return { ok: true, kind: 'other', raw: ctx.raw, data, symbology: sym(ctx, 'unknown'), warnings: ctx.warnings, note };
}

function nonGs1Path(ctx: Ctx): ScanResult {
  const { data, aim, rules } = ctx;
  const channel = matchPaymentCode(data, rules.paymentCodes);
  if (channel !== null) {
    const masked = maskCredential(data);
    return {
      ok: true,
      kind: 'payment_code',
      raw: (aim?.aim ?? '') + masked,
      data: masked,
      symbology: sym(ctx, 'unknown'),
      warnings: ctx.warnings,
      paymentChannel: channel,
      paymentCode: data,
      masked,
    };
  }
  const member = matchMemberCard(data, rules.memberCards);
  if (member) return memberResult(ctx, member.cardType, member.memberId);

  const digits = isDigits(data);
  if (aim) {
    if (aim.family === 'itf' && digits && data.length === 14) return gtinResult(ctx, readGtin(data, 'GTIN-14', ctx.offset), true);
    const format = digits ? FORMAT_BY_LENGTH[data.length] : undefined;
    if (format) {
      const soft = gtinResult(ctx, readGtin(data, format, ctx.offset), false);
      if (soft) {
        soft.warnings.push(`GTIN carried in ${aim.name} rather than EAN/UPC, ITF-14 or GS1 — accepted because its check digit is valid`);
        return soft;
      }
    }
    return otherResult(ctx);
  }
  if (data.includes(GS)) return gs1Result(ctx, 'fnc1', 'GS1 element string');
  if (digits) {
    if (data.length === 8) return gtinResult(ctx, readEightDigits(ctx, data), true);
    const format = FORMAT_BY_LENGTH[data.length];
    if (format) return gtinResult(ctx, readGtin(data, format, ctx.offset), true);
    if (data.length >= 16 && /^0[12]/.test(data) && hasValidCheckDigit(data.slice(2, 16))) {
      return gs1Result(ctx, 'fnc1', 'GS1 element string');
    }
  }
  return otherResult(ctx);
}

// ---------------------------------------------------------------- entry point

/** Converts full-width ASCII (U+FF01–U+FF5E, typed by a keyboard-wedge scanner with a CJK IME on) to ASCII. */
function fromFullWidth(s: string): string {
  return s.replace(/[\uFF01-\uFF5E]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));
}

/** parseScan without the safety net; exported for fuzz tests, use parseScan. */
export function parseScanUnguarded(raw: string, rules: BarcodeRules): ScanResult {
  if (typeof raw !== 'string') {
    return { ok: false, raw: String(raw), data: '', symbology: null, warnings: [], error: { code: 'EMPTY', message: `no scan data (got ${typeof raw}, not a string)` } };
  }
  const start = raw.length - raw.trimStart().length;
  const payload = raw.trim();
  if (payload.length === 0) {
    const message =
      raw.length === 0
        ? 'empty scan: the scanner sent nothing'
        : 'the scan contains only whitespace / line endings: a misread, or the scanner sends an extra suffix';
    return { ok: false, raw, data: '', symbology: null, warnings: [], error: { code: 'EMPTY', message } };
  }
  const ctx: Ctx = { raw, data: payload, offset: start, aim: null, rules, warnings: [] };
  if (payload.length > MAX_SCAN_LENGTH) {
    return fail(ctx, { code: 'UNSUPPORTED', message: `scan is ${payload.length} characters, longer than any barcode the kiosk reads (max ${MAX_SCAN_LENGTH})` });
  }
  const aim = parseAimPrefix(payload);
  if (aim) {
    ctx.aim = aim;
    ctx.data = payload.slice(3);
    ctx.offset += 3;
    if (ctx.data.length === 0) return fail(ctx, { code: 'EMPTY', message: `AIM identifier ${aim.aim} (${aim.name}) but no data after it`, position: start });
  }
  if (/[\uFF01-\uFF5E]/.test(ctx.data)) {
    ctx.data = fromFullWidth(ctx.data);
    ctx.warnings.push('full-width characters converted to ASCII (keyboard-wedge scanner with a CJK input method switched on?)');
  }
  if (aim?.gs1) return gs1Result(ctx, 'fnc1', aim.name);
  if (aim?.family === 'ean-upc') return eanPath(ctx, aim);
  if (!aim) {
    if (ctx.data.startsWith(GS)) return gs1Result(ctx, 'fnc1', 'GS1 element string');
    if (/^\([0-9]{2,4}\)/.test(ctx.data)) return gs1Result(ctx, 'hri', 'GS1 element string (human-readable)');
  }
  return nonGs1Path(ctx);
}

/**
 * Interprets one scanner read. Never throws: an unexpected internal error is returned as an
 * UNSUPPORTED failure (and is a bug — the fuzz tests exercise parseScanUnguarded directly).
 */
export function parseScan(raw: string, rules: BarcodeRules): ScanResult {
  try {
    return parseScanUnguarded(raw, rules);
  } catch (e) {
    const text = typeof raw === 'string' ? raw : String(raw);
    return {
      ok: false,
      raw: text,
      data: text,
      symbology: null,
      warnings: [],
      error: { code: 'UNSUPPORTED', message: `internal barcode parser error (a bug, please report with this scan): ${e instanceof Error ? e.message : String(e)}` },
    };
  }
}
