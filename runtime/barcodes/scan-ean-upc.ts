import type { AimId } from './aim';
import { firstNonDigit } from '../../kernel/gs1-check-digit';
import { readGtin, type GtinRead } from './gtin';
import { matchMemberCard } from './patterns';
import type { ScanResult } from './result';
import { describeControlOrChar, fail, memberResult, sym, type Ctx } from './scan-context';
import { gtinResult } from './scan-gtin';

/**
 * Data lengths under the EAN/UPC AIM identifiers (ISO/IEC 15424, GS1 General Specifications §5.1.3 "symbology
 * identifiers"; the GS1 syntax engine's scandata.c enforces the same): ]E0 EAN-13, UPC-A and UPC-E are all transmitted
 * as 13 digits (UPC-A as "0" + 12, UPC-E expanded to its UPC-A first); ]E4 EAN-8 as 8; ]E3 main symbol + add-on as
 * 13 + 2 or 13 + 5; ]E1 / ]E2 a lone 2- / 5-digit add-on.
 */
export const EAN_AIM_LENGTHS: Readonly<Record<string, readonly number[]>> = { '0': [13], '1': [2], '2': [5], '3': [15, 18], '4': [8] };

function lengthError(ctx: Ctx, aim: AimId, n: number): ScanResult {
  const want = EAN_AIM_LENGTHS[aim.modifier].join(' or ');
  const hint =
    aim.modifier === '0'
      ? n === 12 || n === 8 || n === 6 || n === 7
        ? ` (got ${n}: UPC-A must be sent as "0" + 12 digits and UPC-E expanded to 13 — check the scanner's UPC transmit settings)`
        : ` (got ${n})`
      : aim.modifier === '3'
        ? ` (main symbol 13 + add-on 2 or 5; got ${n})`
        : ` (got ${n})`;
  return fail(ctx, { code: 'BAD_LENGTH', message: `${aim.name} (${aim.aim}) always carries ${want} digits${hint}`, position: ctx.offset });
}

function eanMain(ctx: Ctx, digits: string, modifier: string, addOn?: string): ScanResult {
  const read: GtinRead = modifier === '4' ? readGtin(digits, 'EAN-8', ctx.offset) : readGtin(digits, 'EAN-13', ctx.offset);
  return gtinResult(ctx, read, true, addOn);
}

/** EAN/UPC symbologies (AIM ]E0–]E4): member cards first, then the GTIN with its add-on, if any. */
export function eanPath(ctx: Ctx, aim: AimId): ScanResult {
  const { data } = ctx;
  const bad = firstNonDigit(data);
  if (bad >= 0) {
    return fail(ctx, {
      code: 'NOT_NUMERIC',
      message: `${aim.name} data must be digits only; found ${describeControlOrChar(data[bad])} at position ${ctx.offset + bad}`,
      position: ctx.offset + bad,
    });
  }
  if (aim.modifier === '0' || aim.modifier === '4') {
    const member = matchMemberCard(data, ctx.rules.memberCards);
    if (member) return memberResult(ctx, member.cardType, member.memberId);
  }
  const lengths = EAN_AIM_LENGTHS[aim.modifier];
  if (lengths && !lengths.includes(data.length)) return lengthError(ctx, aim, data.length);
  switch (aim.modifier) {
    case '1':
    case '2':
      return {
        ok: true,
        kind: 'other',
        raw: ctx.raw,
        data,
        symbology: sym(ctx, aim.name),
        warnings: ctx.warnings,
        note: `${aim.name} "${data}" received on its own; items are identified by the main EAN/UPC symbol (configure the scanner to transmit add-ons with it as ]E3, or to ignore them)`,
      };
    case '0':
    case '4':
      return eanMain(ctx, data, aim.modifier);
    case '3':
      return eanMain(ctx, data.slice(0, 13), '3', data.slice(13));
    default:
      return fail(ctx, { code: 'UNSUPPORTED', message: `EAN/UPC AIM modifier "${aim.modifier}" (${aim.aim}) is not defined`, position: ctx.offset - 1 });
  }
}
