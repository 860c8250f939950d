import { assert, KioskError } from '../../kernel/errors';
import { allocate, type Minor } from '../../kernel/money';
import type { CustomerType } from '../../protocol/members/customer-type';
import { lineGross, lineKind } from './line-amounts';
import type { PromoLine } from './promotion-effects';
import { planPromotions } from './promotion-search';
import { lineTax, taxBreakdown, taxRateFor } from './tax';
import { type AppliedDiscount, type CartLine, type LocalizedText, POINTS_DISCOUNT_ID, type PricedCart, type PricedLine, type PricingContext } from './types';
import { compareIds, validateContext, validateLines, validatePromotions } from './validate';

function safeSum(values: readonly Minor[], what: string): Minor {
  const sum = values.reduce((a, b) => a + b, 0);
  if (!Number.isSafeInteger(sum)) throw new KioskError('PRICEBOOK_INVALID', `${what} overflows the safe integer range`, {});
  return sum;
}

/** The label of the redeemed-points discount. */
export const POINTS_DISCOUNT_LABEL: LocalizedText = { en: 'Points redeemed', 'zh-CN': '积分抵扣' };

/**
 * The line as priced for `type`: its type price (per unit, or per kg) replaces unitPrice when it has one for that
 * type. A price-embedded label keeps its label price; personal buyers always pay unitPrice.
 */
export function lineForCustomerType(line: CartLine, type: CustomerType): CartLine {
  if (type === 'personal' || line.typePrices === undefined || lineKind(line) === 'labelled') return line;
  const price = line.typePrices[type];
  return price === undefined ? line : { ...line, unitPrice: price };
}

/**
 * Prices a cart. Pure and deterministic: integer minor units throughout, rates as exact ppm fractions, every
 * rounding half-even and done once per line. The result does not depend on the order of `lines` (output lines
 * keep input order) or of `ctx.promotions`.
 *
 * 1. gross per line (see {@link lineGross}) at the price for `ctx.customerType` ({@link lineForCustomerType});
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
 *    promotions with `customerTypes` apply only to buyers of those types; `points` promotions change no amount
 *    (validated, then ignored: runtime/members/loyalty.ts reads them for the points a member earns);
 * 3. redeemed points (`ctx.pointsDiscount`) after promotions: capped at the lines' net left after promotions, spread
 *    over the lines in proportion to that net (largest remainder, lines by lineId, so never more than a line's net),
 *    listed last as the discount {@link POINTS_DISCOUNT_ID} (label {@link POINTS_DISCOUNT_LABEL});
 * 4. tax per line on net = gross − discount, inclusive or exclusive per `ctx.taxMode`, plus a per-class breakdown;
 * 5. totals: total = subtotal − discountTotal (+ taxTotal when exclusive).
 *
 * @throws KioskError('PRICEBOOK_INVALID') for invalid lines, promotions, context or an unknown tax class.
 */
export function priceCart(scanned: readonly CartLine[], ctx: PricingContext): PricedCart {
  validateContext(ctx);
  validateLines(scanned);
  validatePromotions(ctx.promotions);
  const customerType = ctx.customerType ?? 'personal';
  const lines = scanned.map((l) => lineForCustomerType(l, customerType));

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

  const points = pointsDiscount(ctx.pointsDiscount ?? 0, gross, discountOf, order);
  if (points.amount > 0) {
    points.shares.forEach((share, i) => (discountOf[i] += share));
    discounts.push({
      promotionId: POINTS_DISCOUNT_ID,
      kind: POINTS_DISCOUNT_ID,
      label: POINTS_DISCOUNT_LABEL,
      amount: points.amount,
      allocations: lines.flatMap((l, i) => (points.shares[i] > 0 ? [{ lineId: l.lineId, amount: points.shares[i] }] : [])),
    });
  }

  const priced: PricedLine[] = lines.map((l, i) => {
    const net = gross[i] - discountOf[i];
    assert(net >= 0 && net <= gross[i], `line ${l.lineId}: discount ${discountOf[i]} exceeds gross ${gross[i]}`);
    return { ...l, gross: gross[i], discount: discountOf[i], net, taxRate: rates[i], tax: lineTax(net, rates[i], ctx.taxMode) };
  });

  const discountTotal = safeSum(discountOf, 'discount total');
  assert(discountTotal === plan.amount + points.amount, 'allocated discounts add up to the plan and the points');
  const taxTotal = safeSum(
    priced.map((l) => l.tax),
    'tax total',
  );
  const total = subtotal - discountTotal + (ctx.taxMode === 'exclusive' ? taxTotal : 0);
  if (!Number.isSafeInteger(total)) throw new KioskError('PRICEBOOK_INVALID', 'total overflows the safe integer range', {});
  return { lines: priced, discounts, taxes: taxBreakdown(priced), subtotal, discountTotal, taxTotal, total };
}

/**
 * The redeemed-points discount: `requested` capped at the net left after promotions, split over the lines in
 * proportion to their net (largest remainder over the lines in canonical `order`, so the split does not depend on
 * input order). Shares are indexed like the input lines and never exceed a line's net.
 */
function pointsDiscount(requested: Minor, gross: readonly Minor[], discountOf: readonly Minor[], order: readonly number[]): { amount: Minor; shares: Minor[] } {
  const shares = new Array<Minor>(gross.length).fill(0);
  const net = gross.map((g, i) => g - discountOf[i]);
  const amount = Math.min(requested, safeSum(net, 'net after promotions'));
  if (amount <= 0) return { amount: 0, shares };
  const split = allocate(
    amount,
    order.map((i) => net[i]),
  );
  order.forEach((i, k) => (shares[i] = split[k]));
  return { amount, shares };
}
