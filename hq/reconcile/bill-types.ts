/**
 * What HQ reads out of a channel's bill file (对账单; formats: docs/bill-formats.md, summarised in each
 * parser). Money in integer fen, times epoch ms (the bill's Beijing time converted), never a card number.
 */
export type BillChannel = 'alipay' | 'wechat' | 'unionpay';
export const BILL_CHANNELS: readonly BillChannel[] = ['alipay', 'wechat', 'unionpay'];

/** One payment the channel completed. */
export interface ChannelTrade {
  /** The merchant order number as the bill writes it (compare with orderNoKey). */
  orderNo: string;
  /** The channel's transaction id (微信订单号, 支付宝交易号, UnionPay queryId). */
  transactionId: string;
  amount: number;
  /** The fee the channel charged (fen, ≥ 0). */
  fee: number;
  time: number;
  /** 1-based line of the file. */
  line: number;
}

/** One refund the channel made. */
export interface ChannelRefund {
  /** The merchant refund number (out_refund_no / out_request_no / the refund's UnionPay orderId). */
  refundNo: string;
  /** The ORIGINAL payment's merchant order number; null when the bill does not say (a UnionPay refund of a payment on another day's bill). */
  orderNo: string | null;
  /** The original payment's channel transaction id. */
  paymentTransactionId: string;
  amount: number;
  /** The fee the channel gave back (fen, ≥ 0). */
  feeReturned: number;
  time: number;
  line: number;
}

export interface BillTotals {
  trades: number;
  refunds: number;
  tradeAmount: number;
  refundAmount: number;
  /** Fees charged minus fees returned. */
  netFees: number;
}

export interface ParsedBill {
  channel: BillChannel;
  trades: ChannelTrade[];
  refunds: ChannelRefund[];
  totals: BillTotals;
}

/** Bounds on a bill file: anything larger is refused as BAD_DATA before it is parsed. */
export const BILL_LIMITS = {
  maxBytes: 64 * 1024 * 1024,
  maxLines: 500_000,
  maxLineBytes: 4096,
  maxFieldChars: 256,
} as const;

export function totalsOf(trades: readonly ChannelTrade[], refunds: readonly ChannelRefund[]): BillTotals {
  return {
    trades: trades.length,
    refunds: refunds.length,
    tradeAmount: trades.reduce((s, t) => s + t.amount, 0),
    refundAmount: refunds.reduce((s, r) => s + r.amount, 0),
    netFees: trades.reduce((s, t) => s + t.fee, 0) - refunds.reduce((s, r) => s + r.feeReturned, 0),
  };
}
