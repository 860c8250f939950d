import { hasValidCheckDigit, isDigits } from '../../kernel/gs1-check-digit';
import { GS, parseGs1 } from './gs1';
import { readGtin } from './gtin';
import { maskCredential, matchMemberCard, matchPaymentCode } from './patterns';
import type { ScanResult } from './result';
import { describeControl, fail, firstControl, memberResult, sym, type Ctx } from './scan-context';
import { gs1Result } from './scan-gs1';
import { digitalLinkResult, mayCarryDigitalLink } from './scan-digital-link';
import { FORMAT_BY_LENGTH, gtinResult, readEightDigits } from './scan-gtin';

/** Kind 'other' with a note on why nothing matched, or UNSUPPORTED for a control character in a 1D read. */
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

/** Everything that is neither GS1 nor AIM EAN/UPC: payment codes, member cards, bare GTINs, GS1 without AIM, other. */
export function nonGs1Path(ctx: Ctx): ScanResult {
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
  if (mayCarryDigitalLink(aim)) {
    const dl = digitalLinkResult(ctx);
    if (dl) return dl;
  }

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
