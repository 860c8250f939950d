/**
 * Customer types of the chain's members. A shopper without a member card is `personal` for pricing; a member's type
 * comes from HQ's member records (protocol/members/member-snapshot.ts).
 */
export const CUSTOMER_TYPES = ['personal', 'business', 'group'] as const;
export type CustomerType = (typeof CUSTOMER_TYPES)[number];

export const isCustomerType = (v: unknown): v is CustomerType => typeof v === 'string' && (CUSTOMER_TYPES as readonly string[]).includes(v);
