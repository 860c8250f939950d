import { assert, KioskError } from '../../kernel/errors';
import type { Minor } from '../../kernel/money';
import { lineGross, lineKind } from './line-amounts';
import type { PromoLine } from './promotion-effects';
import { planPromotions } from './promotion-search';
import { lineTax, taxBreakdown, taxRateFor } from './tax';
import type { AppliedDiscount, CartLine, PricedCart, PricedLine, PricingContext } from './types';
import { compareIds, validateContext, validateLines, validatePromotions } from './validate';

function safeSum(values: readonly Minor[], what: string): Minor {
  const sum = values.reduce((a, b) => a + b, 0);
  if (!Number.isSafeInteger(sum)) throw new KioskError('PRICEBOOK_INVALID', `${what} overflows the safe integer range`, {});
  return sum;
}

/**
 * Prices a cart. Pure and deterministic: integer minor units throughout, rates as exact ppm fractions, every
 * rounding half-even and done once per line. The result does not depend on the order of `lines` (output lines
 * keep input order) or of `ctx.promotions`.
 *
 * 1. gross per line (see {@link lineGross});
 * 2. promotions: each unit takes part in at most one promotion, the combination is chosen by
 *    {@link planPromotions}; discounts are listed by promotion id, each with per-line allocations (input line
 *    order, zero allocations omitted) that sum to its amount. Per kind:
 *    - percent_off: round(value of the line's free units × percent / 100) per line;
 *    - amount_off: min(amount, unitPrice) per free unit; weighed: round(amount × grams / 1000) capped at gross;
 *      price label: amount × quantity (or per kg when it carries a weight) capped at the label price;
 *    - member_price: (unitPrice − price) per free unit when positive; weighed: price is per kg;
 *    - buy_x_pay_y / x_for_price: counted lines only (no weighed lines, no price labels), pooled over the
 *      promotion's SKUs, sorted by price descending, full groups only; the discount is spread over the lines in
 *      the groups in proportion to their value there (`allocate`);
 *    price-embedded labels take percent_off and amount_off only;
 * 3. tax per line on net = gross − discount, inclusive or exclusive per `ctx.taxMode`, plus a per-class breakdown;
 * 4. totals: total = subtotal − discountTotal (+ taxTotal when exclusive).
 *
 * @throws KioskError('PRICEBOOK_INVALID') for invalid lines, promotions, context or an unknown tax class.
 */
export function priceCart(lines: readonly CartLine[], ctx: PricingContext): PricedCart {
  validateContext(ctx);
  validateLines(lines);
  validatePromotions(ctx.promotions);

  const gross = lines.map(lineGross);
  const subtotal = safeSum(gross, 'subtotal');
  const rates = lines.map((l) => taxRateFor(ctx.taxRates, l.taxClass));

  // canonical order (by lineId) for the promotion engine, so ties never depend on input order
  const order = lines.map((_, i) => i).sort((a, b) => compareIds(lines[a].lineId, lines[b].lineId));
  const promoLines: PromoLine[] = order.map((i) => {
    const l = lines[i];
    const kind = lineKind(l);
    return {
      lineId: l.lineId,
      sku: l.sku,
      kind,
      units: kind === 'counted' ? l.quantity : 1,
      unitPrice: l.unitPrice,
      grams: l.weightGrams,
      quantity: l.quantity,
      gross: gross[i],
    };
  });
  const plan = planPromotions(promoLines, ctx);

  const discountOf = new Array<Minor>(lines.length).fill(0);
  const discounts: AppliedDiscount[] = plan.applied.map(({ promotion, effect }) => {
    const allocations = effect.lines
      .filter((e) => e.discount > 0)
      .map((e) => ({ input: order[e.line], amount: e.discount }))
      .sort((a, b) => a.input - b.input);
    for (const a of allocations) discountOf[a.input] += a.amount;
    return {
      promotionId: promotion.id,
      kind: promotion.kind,
      label: promotion.label,
      amount: effect.amount,
      allocations: allocations.map((a) => ({ lineId: lines[a.input].lineId, amount: a.amount })),
    };
  });

  const priced: PricedLine[] = lines.map((l, i) => {
    const net = gross[i] - discountOf[i];
    assert(net >= 0 && net <= gross[i], `line ${l.lineId}: discount ${discountOf[i]} exceeds gross ${gross[i]}`);
    return { ...l, gross: gross[i], discount: discountOf[i], net, taxRate: rates[i], tax: lineTax(net, rates[i], ctx.taxMode) };
  });

  const discountTotal = safeSum(discountOf, 'discount total');
  assert(discountTotal === plan.amount, 'allocated discounts add up to the plan');
  const taxTotal = safeSum(
    priced.map((l) => l.tax),
    'tax total',
  );
  const total = subtotal - discountTotal + (ctx.taxMode === 'exclusive' ? taxTotal : 0);
  if (!Number.isSafeInteger(total)) throw new KioskError('PRICEBOOK_INVALID', 'total overflows the safe integer range', {});
  return { lines: priced, discounts, taxes: taxBreakdown(priced), subtotal, discountTotal, taxTotal, total };
}
