import type { KioskConfig } from './schema';

export type ExpiryPolicy = NonNullable<KioskConfig['expiry']>;

/**
 * The out-of-the-box date policy of 2D codes at the lane: an item whose best-before (AI 15), sell-by (AI 16) or
 * use-by / expiry (AI 17) date is before the store's today is refused and the attendant called. A store that sells
 * past-best-before goods (legal in most markets) drops "15".
 */
export function defaultExpiryPolicy(): ExpiryPolicy {
  return { refuse: ['15', '16', '17'] };
}

/** The store's date policy (a config without `expiry` gets the default). */
export function expiryPolicyOf(config: Pick<KioskConfig, 'expiry'>): ExpiryPolicy {
  return config.expiry ?? defaultExpiryPolicy();
}
