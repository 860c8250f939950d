/**
 * parseScan: one read from a scanner → what the kiosk should do with it. Pure and total.
 *
 * Order of interpretation:
 *  1. trim surrounding whitespace (incl. the CR/LF suffix); empty → EMPTY; strip an AIM prefix (`]E0` …).
 *  2. GS1 symbologies (]C1, ]e0, ]Q3/]Q4, ]d2/]d5, ]J1), or — without AIM — data starting with GS (FNC1)
 *     or with "(NN)" → GS1 element strings.
 *  3. EAN/UPC (]E*) → EAN-13 / UPC-A / UPC-E / EAN-8 (+ add-on), after member cards; the AIM length rules apply
 *     (]E0 13 digits, ]E4 8, ]E3 15 or 18, ]E1 2, ]E2 5).
 *  4. Anything else: payment codes first (bearer credentials must never be read as something else), then
 *     member cards, then — without AIM or in plain QR / Data Matrix / DotCode — a GS1 Digital Link URI
 *     (digital-link.ts) → kind 'gs1' with `digitalLink`, then — without AIM — GS-separated GS1 data, GTIN-length digit strings (8/12/13/14,
 *     check digit enforced), 16+ digits starting 01/02 + valid GTIN as GS1; ITF 14 digits → GTIN-14;
 *     other symbologies carrying a *valid* GTIN → GTIN with a warning.
 *  5. Otherwise kind 'other' (or UNSUPPORTED for control characters in a 1D read).
 * GTIN-13s (EAN-13, UPC-A as "0"+12) matching an in-store pattern become kind 'in_store'.
 *
 * Step 2 is scan-gs1.ts, step 3 scan-ean-upc.ts, steps 4–5 scan-non-gs1.ts (Digital Link: scan-digital-link.ts); GTIN and in-store results are built in
 * scan-gtin.ts, and scan-context.ts holds the scan being read and the result helpers they share.
 */
import { parseAimPrefix } from './aim';
import { GS } from './gs1';
import type { ScanResult } from './result';
import { fail, type Ctx } from './scan-context';
import { eanPath } from './scan-ean-upc';
import { gs1Result } from './scan-gs1';
import { nonGs1Path } from './scan-non-gs1';
import type { BarcodeRules } from '../../config/barcode-rules';

/** Longer input is refused outright (largest QR code: 7089 digits). */
export const MAX_SCAN_LENGTH = 8192;

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
