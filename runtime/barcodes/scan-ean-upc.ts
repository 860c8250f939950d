import type { AimId } from './aim';
import { firstNonDigit } from '../../kernel/gs1-check-digit';
import { expandUpcE, readGtin, type GtinRead } from './gtin';
import { matchMemberCard } from './patterns';
import type { ScanResult } from './result';
import { describeControlOrChar, fail, memberResult, sym, type Ctx } from './scan-context';
import { gtinResult, readEightDigits } from './scan-gtin';

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
