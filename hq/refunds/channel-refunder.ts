import type { Minor } from '../../kernel/money';

/**
 * What HQ asks of a wallet channel for a refund it makes itself (hq/refunds/hq-refund.ts): the refund, and the
 * refund query by the refund number.
 */
export type ChannelRefundOutcome =
  /** The channel accepted the refund (it may still be paying it out: WeChat PROCESSING). */
  | { state: 'refunded'; refundId: string | null }
  /** The channel refused it: nothing was paid back. */
  | { state: 'declined'; reason: string }
  /** The query: the channel has no refund of that number (it never arrived). */
  | { state: 'not_found' }
  /** No answer that tells (timeout, a cut connection, a system error, an answer that does not verify). */
  | { state: 'pending'; reason: string };

export interface ChannelRefundRequest {
  /** The merchant order number the payment had at the channel. */
  outTradeNo: string;
  /** HQ's refund number (hq/refunds/refund-no.ts). */
  refundNo: string;
  /** What the payment took (WeChat `total_fee`). */
  paidAmount: Minor;
  amount: Minor;
}

export interface ChannelRefunder {
  /**
   * Asks for the refund; resolves with what the channel said (`pending` when that is not known). Rejects with a
   * KioskError whose `details.unknownOutcome === false` only when the request never reached the channel.
   */
  refund(req: ChannelRefundRequest): Promise<ChannelRefundOutcome>;
  /** The refund of that number at the channel (`pending` when the query has no answer either). */
  query(req: Pick<ChannelRefundRequest, 'outTradeNo' | 'refundNo'>): Promise<ChannelRefundOutcome>;
}
