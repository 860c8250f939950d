import { formatGs1Hri, parseGs1 } from './gs1';
import { normalizeLookupKey } from './gtin';
import type { Gs1Element, Gs1Scan, ScanResult, SymbologyInfo } from './result';
import { fail, sym, type Ctx } from './scan-context';

/** GS1 element strings (FNC1-separated or human-readable "(01)…") → kind 'gs1', with the common AIs lifted out. */
export function gs1Result(ctx: Ctx, form: 'fnc1' | 'hri', inferredName: string): ScanResult {
  const r = parseGs1(ctx.data, ctx.offset, form, ctx.rules.currency);
  ctx.warnings.push(...r.warnings);
  if (!r.ok) return fail(ctx, r.error, inferredName);
  return buildGs1Scan(ctx, r.elements, sym(ctx, inferredName));
}

/** Kind 'gs1' from checked elements, with the common AIs lifted out (shared with GS1 Digital Link). */
export function buildGs1Scan(ctx: Ctx, els: Gs1Element[], symbology: SymbologyInfo): Gs1Scan {
  const out: Gs1Scan = {
    ok: true,
    kind: 'gs1',
    raw: ctx.raw,
    data: ctx.data,
    symbology,
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
  const sellBy = find('16')?.date;
  if (sellBy !== undefined) out.sellByDate = sellBy;
  const batch = find('10')?.value;
  if (batch !== undefined) out.batch = batch;
  const serial = find('21')?.value;
  if (serial !== undefined) out.serial = serial;
  return out;
}
