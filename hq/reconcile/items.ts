/** What reconciliation finds: each difference between a channel (bill, terminal totals) and our journal, once. */
export const DISCREPANCY_KINDS = ['channel_only', 'journal_only', 'amount_mismatch', 'refund_mismatch', 'fee_mismatch'] as const;
export type DiscrepancyKind = (typeof DISCREPANCY_KINDS)[number];
export type ReconcileChannel = 'alipay' | 'wechat' | 'unionpay' | 'card';

/**
 * One discrepancy. `channel_only`: paid at the channel, no sale in our journal (money taken: raises an alert);
 * `journal_only`: in our journal, not at the channel; `amount_mismatch`: both, amounts differ (cards: a scheme's
 * count or amount); `refund_mismatch`: a refund at the channel only, in our journal only (`detail` says which), or
 * of another amount; `fee_mismatch`: the channel's fee is not round-half-up(amount × rate).
 */
export interface ReconcileItem {
  kind: DiscrepancyKind;
  storeId?: string;
  deviceId?: string;
  orderId?: string;
  attemptId?: string;
  orderNo?: string;
  refundNo?: string;
  transactionId?: string;
  scheme?: string;
  expectedAmount?: number;
  actualAmount?: number;
  expectedFee?: number;
  actualFee?: number;
  expectedCount?: number;
  actualCount?: number;
  /** When it happened (the bill's time, else the journal's), epoch ms. */
  at?: number;
  billLine?: number;
  detail?: string;
}

export interface ReconcileTotals {
  /** Rows of the channel that agree with the journal in every respect, fee included (payments and refunds; cards: schemes). */
  matched: number;
  channel: { payments: number; refunds: number; paymentAmount: number; refundAmount: number };
  journal: { payments: number; refunds: number; paymentAmount: number; refundAmount: number };
  /** Fees: expected = round-half-up(amount × rate) per channel row (refunds give theirs back); actual = the channel's. Cards: actual null (the terminal reports none). */
  fees: { expected: number; actual: number | null };
  /** Net settlement: payments − refunds − fees, as the channel reports it and as our journal expects it. */
  settlement: { channel: number | null; journal: number };
  /** The rates used (bps): the channel's, or per card scheme. */
  rates: Record<string, number>;
  /** Cards: per scheme. */
  schemes?: Record<string, { count: number; amount: number; expectedFee: number; terminalCount: number | null; terminalAmount: number | null }>;
}

export interface ReconcileResult {
  channel: ReconcileChannel;
  day: string;
  /** '' for a wallet bill (every store); the store of a card run. */
  storeId: string;
  sha256: string;
  items: ReconcileItem[];
  totals: ReconcileTotals;
}
