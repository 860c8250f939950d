import type { Minor } from '../../kernel/money';
import type { CustomerType } from '../../protocol/members/customer-type';
import type { CartLine, LocalizedText, PricedCart } from '../pricing/types';
import type { AttemptContext, PaymentReference, RefundAllocation } from './events';
import type { OrderState } from './states';

export interface OrderLine extends CartLine {
  names: LocalizedText;
  barcode: string;
  ageLimit: number | null;
  /** false while an age-restricted line waits for the attendant. */
  approved: boolean;
}

export type PendingRequest =
  | { kind: 'age_check'; lineId: string; ageLimit: number }
  | { kind: 'void'; lineId: string }
  | { kind: 'help' };

export interface PaymentRecord {
  attemptId: string;
  method: string;
  amount: Minor;
  status: 'pending' | 'approved' | 'declined' | 'unknown';
  /**
   * false until the request is (about to be) sent to the provider: before that nothing can have been charged.
   * (Undefined in orders written before this field existed: treated as sent.)
   */
  sent?: boolean;
  context?: AttemptContext;
  approvedAmount: Minor;
  reason?: string;
  reference?: PaymentReference;
}

export interface RefundRecord {
  amount: Minor;
  attendantId: string;
  lineIds?: string[];
  reference?: PaymentReference;
  allocations?: RefundAllocation[];
  /** Set when the refund was a return (`refund_issued.reason` / `.returnId`). */
  reason?: string;
  returnId?: string;
  /**
   * Member points this refund took back of the order's `pointsEarned` (protocol/members/points-taken-back.ts). Present
   * when the order earned points (absent in refunds journaled before the rule, and on orders without points).
   */
  pointsTakenBack?: number;
  /** A refund HQ made at the channel (`hq_refund_recorded`): HQ's refund id. Absent on the kiosk's own refunds. */
  hqRefundId?: string;
  at: number;
}

/** The whole of an order as persisted (orders.snapshot). */
export interface Order {
  id: string;
  state: OrderState;
  version: number;
  createdAt: number;
  updatedAt: number;
  lines: OrderLine[];
  pending: PendingRequest[];
  /** Highest age limit an attendant has verified for this shopper. */
  ageVerified: number;
  memberId: string | null;
  /**
   * The buyer's customer type, from HQ's member snapshot when the member was attached (personal without a member, or
   * for a member the snapshot does not list). Absent in orders written before customer types: personal.
   */
  customerType?: CustomerType;
  /** Member points used on this order (absent in older orders: 0). */
  pointsRedeemed?: number;
  /** Minor units those points take off the total (absent: 0). */
  pointsDiscount?: Minor;
  priced: PricedCart;
  payments: PaymentRecord[];
  paid: Minor;
  refunded: Minor;
  refunds: RefundRecord[];
  receiptNo: number | null;
  /**
   * A training-mode order (`kiosk demo --training`): never a sale. Absent in orders written before training mode
   * existed and in every real order (absent = false). Set when the order starts, never changed.
   */
  training?: true;
  /** A training order's number in its own series (counter `training_receipt`); it never takes a fiscal receipt number. */
  trainingNo?: number;
  /** The state an idle prompt returns to. */
  promptedFrom: OrderState | null;
  cancelReason: string | null;
  pointsEarned: number;
  /** Line ids are `L1`, `L2`, … within an order. */
  nextLineNo: number;
}

export const EMPTY_CART: PricedCart = {
  lines: [],
  discounts: [],
  taxes: [],
  subtotal: 0,
  discountTotal: 0,
  taxTotal: 0,
  total: 0,
};

export function newOrder(id: string, now: number, training = false): Order {
  return {
    ...(training ? { training: true as const } : {}),
    id,
    state: 'idle',
    version: 0,
    createdAt: now,
    updatedAt: now,
    lines: [],
    pending: [],
    ageVerified: 0,
    memberId: null,
    customerType: 'personal',
    pointsRedeemed: 0,
    pointsDiscount: 0,
    priced: EMPTY_CART,
    payments: [],
    paid: 0,
    refunded: 0,
    refunds: [],
    receiptNo: null,
    promptedFrom: null,
    cancelReason: null,
    pointsEarned: 0,
    nextLineNo: 1,
  };
}

/** What is still to pay. */
export const amountDue = (o: Order): Minor => o.priced.total - o.paid;
