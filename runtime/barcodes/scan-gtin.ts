import { readGtin, type GtinInfo, type GtinRead } from './gtin';
import { matchInStore } from './in-store';
import type { GtinFormat, ScanResult } from './result';
import { fail, sym, type Ctx } from './scan-context';

/** EAN-8 or UPC-E for 8 digits without AIM: the one with a valid check digit; both → rules preference. */
export function readEightDigits(ctx: Ctx, digits: string): GtinRead {
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
export function gtinResult(ctx: Ctx, read: GtinRead, strict: true, addOn?: string): ScanResult;
export function gtinResult(ctx: Ctx, read: GtinRead, strict: false): ScanResult | null;
export function gtinResult(ctx: Ctx, read: GtinRead, strict: boolean, addOn?: string): ScanResult | null {
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

export const FORMAT_BY_LENGTH: Record<number, GtinFormat> = { 8: 'EAN-8', 12: 'UPC-A', 13: 'EAN-13', 14: 'GTIN-14' };
