import type { Minor } from '../../kernel/money';
import type { CartLine, LocalizedText } from '../pricing/types';

/** What a scan adds: the item as priced at scan time, so the journal alone tells what was sold at what price. */
export interface NewLine {
  sku: string;
  names: LocalizedText;
  barcode: string;
  quantity: number;
  weightGrams: number | null;
  unitPrice: Minor;
  embeddedPrice: Minor | null;
  taxClass: string;
  ageLimit: number | null;
  /** The item's customer-type prices (price book), so the price follows a member attached later. */
  typePrices?: CartLine['typePrices'];
}

export type PaymentOutcome = 'approved' | 'declined';

/** Provider references kept for receipts and reconciliation. Never a full card number. */
export type PaymentReference = Record<string, string | number>;

/**
 * What a provider records about an attempt just before sending it, so that after a crash it can tell its own
 * transaction apart from others (e.g. the terminal's last trace number before this payment). Never a card number.
 */
export type AttemptContext = Record<string, string | number | null>;

export type OrderEvent =
  | { type: 'item_added'; line: NewLine }
  | { type: 'member_attached'; memberId: string }
  /**
   * The shopper uses `points` of the attached member's points (0 takes a redemption back). The engine caps them at
   * the member's redeemable balance estimate (read inside the transition) and at the order's total.
   */
  | { type: 'points_redeemed'; points: number }
  /** `reason`: why the lane called (a refused item: recall, date passed), kept in the order's journal for staff and HQ. */
  | { type: 'help_requested'; reason?: string }
  | { type: 'void_requested'; lineId: string }
  | { type: 'attendant_approved'; attendantId: string }
  | { type: 'attendant_rejected'; attendantId: string }
  | { type: 'checkout_started' }
  | { type: 'shopping_resumed' }
  | { type: 'payment_started'; attemptId: string; method: string; amount: Minor }
  /** The attempt is about to reach its provider; `context` is what recovery needs to recognise it there later. */
  | { type: 'payment_sent'; attemptId: string; context?: AttemptContext }
  | { type: 'payment_approved'; attemptId: string; amount: Minor; reference?: PaymentReference }
  /** `notSent`: refused before anything reached the terminal or gateway (nothing charged; no decline by them). */
  | { type: 'payment_declined'; attemptId: string; reason: string; notSent?: true }
  | { type: 'payment_timed_out'; attemptId: string }
  | {
      type: 'payment_resolved';
      attemptId: string;
      outcome: PaymentOutcome;
      amount?: Minor;
      by: 'system' | 'attendant';
      attendantId?: string;
      reference?: PaymentReference;
    }
  | { type: 'order_completed' }
  | { type: 'order_cancelled'; reason: string; attendantId?: string }
  | { type: 'idle_timeout' }
  | { type: 'idle_prompt_expired' }
  | { type: 'shopper_active' }
  | {
      type: 'refund_issued';
      amount: Minor;
      attendantId: string;
      lineIds?: string[];
      reference?: PaymentReference;
      allocations?: RefundAllocation[];
      /** A return (after-sales): the policy's reason id and the return's idempotency id. Absent on plain refunds. */
      reason?: string;
      returnId?: string;
      /** A refund in doubt the attendant decided was paid back (Refunds.decide): who decided. Absent otherwise. */
      decidedBy?: string;
    }
  /**
   * A refund HQ made itself at the wallet channel (HQ's signed `hq_refund` command: hq/refunds/hq-refund.ts): the money
   * already went back, so nothing is sent to a provider; the kiosk records it so that what remains refundable, and
   * the lines refunded, count it (runtime/payments/hq-refund-record.ts). At most once per HQ refund id. Member points
   * are not taken back here: HQ's ledger did it when the refund was made.
   */
  | {
      type: 'hq_refund_recorded';
      /** HQ's refund id (the idempotency key of the refund at HQ and here). */
      refundId: string;
      amount: Minor;
      /** One allocation: the wallet payment attempt HQ refunded (`via: 'refund'`, reference: channel, numbers). */
      allocations: RefundAllocation[];
      lineIds?: string[];
      reason: string;
      /** The HQ user (or `cli`) who made it. */
      requestedBy: string;
    };

/** The part of a refund paid back through one payment attempt, and how (a reversal cancels the whole payment). */
export interface RefundAllocation {
  attemptId: string;
  method: string;
  amount: Minor;
  via: 'reversal' | 'refund' | 'cash';
  reference?: PaymentReference;
}

export type OrderEventType = OrderEvent['type'];
export type EventOf<T extends OrderEventType> = Extract<OrderEvent, { type: T }>;

export const ORDER_EVENT_TYPES: readonly OrderEventType[] = [
  'item_added',
  'member_attached',
  'points_redeemed',
  'help_requested',
  'void_requested',
  'attendant_approved',
  'attendant_rejected',
  'checkout_started',
  'shopping_resumed',
  'payment_started',
  'payment_sent',
  'payment_approved',
  'payment_declined',
  'payment_timed_out',
  'payment_resolved',
  'order_completed',
  'order_cancelled',
  'idle_timeout',
  'idle_prompt_expired',
  'shopper_active',
  'refund_issued',
  'hq_refund_recorded',
];
