import type { ConsoleSettings } from '../console/types';

/**
 * The currency the console shows amounts in: `settings.currency` when the console's settings carry one (an ISO 4217
 * code), else CNY. The order projections hold minor units without a currency (a chain sells in one currency).
 */
export function consoleCurrency(settings: ConsoleSettings): string {
  const c = (settings as ConsoleSettings & { currency?: unknown }).currency;
  return typeof c === 'string' && /^[A-Z]{3}$/.test(c) ? c : 'CNY';
}
