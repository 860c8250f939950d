import type { AimId } from './aim';
import { parseDigitalLink } from './digital-link';
import { checkGs1Pairs } from './gs1';
import type { ScanResult, SymbologyInfo } from './result';
import { fail, type Ctx } from './scan-context';
import { buildGs1Scan } from './scan-gs1';

/** Symbologies a GS1 Digital Link URI may arrive in: none announced, or plain (non-GS1-mode) QR / Data Matrix / DotCode. */
export function mayCarryDigitalLink(aim: AimId | null): boolean {
  return aim === null || (!aim.gs1 && (aim.family === 'qr' || aim.family === 'datamatrix' || aim.family === 'dotcode'));
}

/**
 * A GS1 Digital Link URI → kind 'gs1' (same fields as element strings, plus `digitalLink`); a failure when it is a
 * Digital Link that breaks the rules; null when the data is not a Digital Link (the caller goes on, e.g. to 'other').
 */
export function digitalLinkResult(ctx: Ctx): ScanResult | null {
  const dl = parseDigitalLink(ctx.data, ctx.offset);
  if (dl.kind === 'not-dl') return null;
  const symbology: SymbologyInfo = ctx.aim
    ? { aim: ctx.aim.aim, name: `GS1 Digital Link (${ctx.aim.name})`, inferred: false }
    : { aim: null, name: 'GS1 Digital Link', inferred: true };
  ctx.warnings.push(...dl.warnings);
  if (dl.kind === 'error') return { ...fail(ctx, dl.error), symbology };
  const r = checkGs1Pairs(dl.pairs, ctx.rules.currency);
  ctx.warnings.push(...r.warnings);
  if (!r.ok) return { ...fail(ctx, r.error), symbology };
  return { ...buildGs1Scan(ctx, r.elements, symbology), digitalLink: dl.info };
}
