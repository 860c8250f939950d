import { KioskError } from '../../kernel/errors';
import { isCustomerType } from '../../protocol/members/customer-type';
import { TYPE_PRICE_KEYS } from '../../protocol/pricebook/price-item';
import { type CartLine, POINTS_DISCOUNT_ID, type PricingContext, type Promotion } from './types';

/**
 * Input validation for the pricing engine. Everything that arrives from the price book, the order or the
 * configuration is checked here once, so the arithmetic modules can rely on safe, non-negative integers.
 * Bad data is a `KioskError('PRICEBOOK_INVALID')` carrying the offending field in `details`.
 */

function invalid(message: string, details: Record<string, unknown>): never {
  throw new KioskError('PRICEBOOK_INVALID', message, details);
}

function isNonNegativeSafeInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Plain UTF-16 code-unit order: locale-independent, so sorting is identical on every kiosk. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function validateLines(lines: readonly CartLine[]): void {
  if (!Array.isArray(lines)) invalid('cart lines must be an array', {});
  const seen = new Set<string>();
  for (const line of lines) {
    const id = line?.lineId;
    if (typeof id !== 'string' || id === '') invalid('cart line has no lineId', { lineId: id });
    if (seen.has(id)) invalid(`duplicate lineId "${id}"`, { lineId: id });
    seen.add(id);
    const bad = (field: string, value: unknown, rule: string): never =>
      invalid(`line "${id}": ${field} ${rule}, got ${String(value)}`, { lineId: id, field, value });
    if (typeof line.sku !== 'string' || line.sku === '') bad('sku', line.sku, 'must be a non-empty string');
    if (typeof line.taxClass !== 'string' || line.taxClass === '') bad('taxClass', line.taxClass, 'must be a non-empty string');
    if (!isNonNegativeSafeInteger(line.unitPrice)) bad('unitPrice', line.unitPrice, 'must be a non-negative integer of minor units');
    if (!isNonNegativeSafeInteger(line.quantity)) bad('quantity', line.quantity, 'must be a non-negative integer');
    if (line.weightGrams !== null) {
      if (!isNonNegativeSafeInteger(line.weightGrams)) bad('weightGrams', line.weightGrams, 'must be null or a non-negative integer');
      if (line.quantity !== 1) bad('quantity', line.quantity, 'must be 1 for a weighed line');
    }
    if (line.embeddedPrice !== undefined && line.embeddedPrice !== null && !isNonNegativeSafeInteger(line.embeddedPrice)) {
      bad('embeddedPrice', line.embeddedPrice, 'must be null or a non-negative integer of minor units');
    }
    if (line.typePrices !== undefined) {
      const tp: unknown = line.typePrices;
      if (tp === null || typeof tp !== 'object' || Array.isArray(tp)) bad('typePrices', tp, 'must be an object of customer-type prices');
      for (const [type, price] of Object.entries(tp as Record<string, unknown>)) {
        if (!(TYPE_PRICE_KEYS as readonly string[]).includes(type)) bad(`typePrices.${type}`, price, 'is not a customer type with its own price (business, group)');
        if (price !== undefined && !isNonNegativeSafeInteger(price)) bad(`typePrices.${type}`, price, 'must be a non-negative integer of minor units');
      }
    }
  }
}

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

/**
 * Parses a promotion window bound. Date-times must carry `Z` or an offset so the result does not depend on the
 * host's time zone; a bare date (`2025-01-31`) is UTC midnight, as ECMAScript defines it.
 */
export function parseTimestamp(value: string, promotionId: string, field: string): number {
  const ms = typeof value === 'string' && ISO_TIMESTAMP.test(value) ? Date.parse(value) : NaN;
  if (!Number.isFinite(ms)) {
    invalid(`promotion "${promotionId}": ${field} must be an ISO timestamp with Z or an offset, got ${String(value)}`, {
      promotionId,
      field,
      value,
    });
  }
  return ms;
}

/** Percent with up to two decimals as an exact integer number of hundredths of a percent (12.5 → 1250). */
export function percentToHundredths(percent: number): number {
  const h = Math.round(percent * 100);
  if (!Number.isFinite(percent) || Math.abs(percent * 100 - h) > 1e-6) return NaN;
  return h;
}

export function validatePromotions(promotions: readonly Promotion[]): void {
  if (!Array.isArray(promotions)) invalid('promotions must be an array', {});
  const seen = new Set<string>();
  for (const p of promotions) {
    const id = p?.id;
    if (typeof id !== 'string' || id === '') invalid('promotion has no id', { promotionId: id });
    if (seen.has(id)) invalid(`duplicate promotion id "${id}"`, { promotionId: id });
    if (id === POINTS_DISCOUNT_ID) invalid(`promotion id "${id}" is reserved for redeemed points`, { promotionId: id });
    seen.add(id);
    const bad = (field: string, value: unknown, rule: string): never =>
      invalid(`promotion "${id}": ${field} ${rule}, got ${String(value)}`, { promotionId: id, field, value });
    if (!Array.isArray(p.skus) || p.skus.some((s: unknown) => typeof s !== 'string' || s === '')) {
      bad('skus', p.skus, 'must be an array of non-empty strings');
    }
    if (p.customerTypes !== undefined) {
      const types: unknown = p.customerTypes;
      if (!Array.isArray(types) || types.length === 0 || !types.every(isCustomerType)) {
        bad('customerTypes', JSON.stringify(types), 'must be a non-empty list of "personal", "business", "group"');
      }
    }
    if (p.validFrom !== undefined) parseTimestamp(p.validFrom, id, 'validFrom');
    if (p.validTo !== undefined) parseTimestamp(p.validTo, id, 'validTo');
    switch (p.kind) {
      case 'percent_off': {
        const h = percentToHundredths(p.percent);
        if (!(h > 0 && h <= 10_000)) bad('percent', p.percent, 'must be in (0, 100] with at most 2 decimals');
        break;
      }
      case 'amount_off':
        if (!isNonNegativeSafeInteger(p.amount)) bad('amount', p.amount, 'must be a non-negative integer of minor units');
        break;
      case 'buy_x_pay_y':
        if (!(Number.isSafeInteger(p.buy) && p.buy >= 2)) bad('buy', p.buy, 'must be an integer ≥ 2');
        if (!(Number.isSafeInteger(p.pay) && p.pay >= 1 && p.pay < p.buy)) bad('pay', p.pay, 'must be an integer in [1, buy)');
        break;
      case 'x_for_price':
        if (!(Number.isSafeInteger(p.quantity) && p.quantity >= 1)) bad('quantity', p.quantity, 'must be an integer ≥ 1');
        if (!isNonNegativeSafeInteger(p.price)) bad('price', p.price, 'must be a non-negative integer of minor units');
        break;
      case 'member_price':
        if (!isNonNegativeSafeInteger(p.price)) bad('price', p.price, 'must be a non-negative integer of minor units');
        break;
      case 'points':
        // never changes a price: only checked here, so one bad multiplier is refused like any bad promotion
        if (!(Number.isSafeInteger(p.multiplier) && p.multiplier >= 0 && p.multiplier <= 10)) bad('multiplier', p.multiplier, 'must be an integer in [0, 10]');
        break;
      default:
        bad('kind', (p as { kind: unknown }).kind, 'is not a known promotion kind');
    }
  }
}

export function validateContext(ctx: PricingContext): void {
  if (ctx === null || typeof ctx !== 'object') invalid('pricing context is missing', {});
  if (ctx.taxMode !== 'inclusive' && ctx.taxMode !== 'exclusive') {
    invalid(`taxMode must be "inclusive" or "exclusive", got ${String(ctx.taxMode)}`, { field: 'taxMode', value: ctx.taxMode });
  }
  if (typeof ctx.now !== 'number' || !Number.isFinite(ctx.now)) {
    invalid(`now must be a finite number of milliseconds, got ${String(ctx.now)}`, { field: 'now', value: ctx.now });
  }
  if (typeof ctx.memberAttached !== 'boolean') {
    invalid('memberAttached must be a boolean', { field: 'memberAttached', value: ctx.memberAttached });
  }
  if (ctx.taxRates === null || typeof ctx.taxRates !== 'object') invalid('taxRates must be an object', { field: 'taxRates' });
  if (ctx.customerType !== undefined && !isCustomerType(ctx.customerType)) {
    invalid(`customerType must be "personal", "business" or "group", got ${String(ctx.customerType)}`, { field: 'customerType', value: ctx.customerType });
  }
  if (ctx.pointsDiscount !== undefined && !isNonNegativeSafeInteger(ctx.pointsDiscount)) {
    invalid(`pointsDiscount must be a non-negative integer of minor units, got ${String(ctx.pointsDiscount)}`, { field: 'pointsDiscount', value: ctx.pointsDiscount });
  }
}
