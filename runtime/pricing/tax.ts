import { KioskError } from '../../kernel/errors';
import { divRoundHalfEven, type Minor, rateToPpm } from '../../kernel/money';
import type { TaxBreakdown, TaxMode } from './types';
import { compareIds } from './validate';

const MILLION = 1_000_000n;

/**
 * Looks up a tax class rate; an unknown class, or a rate that is negative, not finite or has more than 6 decimals,
 * is bad price-book/configuration data.
 */
export function taxRateFor(taxRates: Readonly<Record<string, number>>, taxClass: string): number {
  if (!Object.prototype.hasOwnProperty.call(taxRates, taxClass)) {
    throw new KioskError('PRICEBOOK_INVALID', `unknown tax class "${taxClass}"`, { taxClass });
  }
  const rate = taxRates[taxClass];
  if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0 || !isPpmExact(rate)) {
    throw new KioskError('PRICEBOOK_INVALID', `tax class "${taxClass}" has an invalid rate ${String(rate)}`, { taxClass, rate });
  }
  return rate;
}

function isPpmExact(rate: number): boolean {
  try {
    rateToPpm(rate);
    return true;
  } catch {
    return false;
  }
}

/**
 * Tax on one line's net amount, rounded half-even once, computed exactly with the rate as ppm:
 * inclusive (tax contained in net): net × ppm / (10^6 + ppm); exclusive (tax added to net): net × ppm / 10^6.
 */
export function lineTax(net: Minor, rate: number, mode: TaxMode): Minor {
  const ppm = rateToPpm(rate);
  const denominator = mode === 'inclusive' ? MILLION + ppm : MILLION;
  return Number(divRoundHalfEven(BigInt(net) * ppm, denominator));
}

/** Per-class sums of line bases (net) and taxes, sorted by class id. */
export function taxBreakdown(lines: readonly { taxClass: string; taxRate: number; net: Minor; tax: Minor }[]): TaxBreakdown[] {
  const byClass = new Map<string, TaxBreakdown>();
  for (const l of lines) {
    const entry = byClass.get(l.taxClass);
    if (entry) {
      entry.base += l.net;
      entry.tax += l.tax;
    } else {
      byClass.set(l.taxClass, { taxClass: l.taxClass, rate: l.taxRate, base: l.net, tax: l.tax });
    }
  }
  return [...byClass.values()].sort((a, b) => compareIds(a.taxClass, b.taxClass));
}
