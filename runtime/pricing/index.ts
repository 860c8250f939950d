export { priceCart } from './price-cart';
export { lineGross, lineKind, type LineKind } from './line-amounts';
export { lineTax, taxBreakdown, taxRateFor } from './tax';
export { isPromotionApplicable, MAX_EXHAUSTIVE } from './promotion-search';
export type * from './types';
