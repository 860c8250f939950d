import type { KioskConfig } from '../../config/schema';
import type { CustomerType } from '../../protocol/members/customer-type';
import type { RedeemRate } from './redemption';

type Loyalty = KioskConfig['loyalty'];

/** Points a member of `type` earns for `paid` minor units: `loyalty.byType[type]` if set, else `points` per `per`. */
export function earnedPoints(l: Loyalty, paid: number, type: CustomerType): number {
  if (!l.enabled) return 0;
  const rule = (type === 'business' || type === 'group' ? l.byType?.[type] : undefined) ?? { points: l.points, per: l.per };
  return Math.floor(Math.max(0, paid) / rule.per) * rule.points;
}

/** `loyalty.redeem` when loyalty is on, else null (redemption off). */
export const redeemRate = (l: Loyalty): RedeemRate | null => (l.enabled && l.redeem ? l.redeem : null);
