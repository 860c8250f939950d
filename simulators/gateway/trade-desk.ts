/**
 * What the simulated gateway does with a verified request: the five trade methods over the ledger, with the
 * shopper's scripted behaviour. Idempotent on `out_trade_no` (pay, precreate) and `out_request_no` (refund).
 */
import type { Clock } from '../../kernel/clock';
import type { SimTrade, TradeLedger } from './trade-ledger';

export type GatewayAnswer = Record<string, string | number | undefined>;

/** What the shopper does with the next trade.pay. */
export type Shopper = { kind: 'pays'; afterPolls: number } | { kind: 'cancels' } | { kind: 'no-funds' };

export class TradeDesk {
  shopper: Shopper = { kind: 'pays', afterPolls: 0 };

  constructor(
    private readonly ledger: TradeLedger,
    private readonly clock: Clock,
  ) {}

  /** Runs `method` for the parsed `biz_content`. */
  handle(method: string | undefined, biz: Record<string, unknown>, notifyUrl: string | undefined): GatewayAnswer {
    const outTradeNo = biz.out_trade_no;
    if (typeof outTradeNo !== 'string' || outTradeNo === '' || outTradeNo.length > 64) {
      return fail('40002', 'isv.missing-out-trade-no', 'out_trade_no is required');
    }
    switch (method) {
      case 'trade.pay':
        return this.pay(outTradeNo, biz);
      case 'trade.precreate':
        return this.precreate(outTradeNo, biz, notifyUrl);
      case 'trade.query':
        return this.query(outTradeNo);
      case 'trade.cancel':
        return this.cancel(outTradeNo);
      case 'trade.refund':
        return this.refund(outTradeNo, biz);
      default:
        return fail('40002', 'isv.invalid-method', `unknown method ${method}`);
    }
  }

  markPaid(t: SimTrade): void {
    t.status = 'TRADE_SUCCESS';
    t.paidAt = this.clock.now();
    t.pollsUntilPaid = 0;
    this.ledger.save();
  }

  private newTrade(outTradeNo: string, kind: SimTrade['kind'], biz: Record<string, unknown>): SimTrade | GatewayAnswer {
    const amount = biz.total_amount;
    if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0) {
      return fail('40002', 'isv.invalid-total-amount', 'total_amount must be a positive integer (fen)');
    }
    return this.blankTrade(outTradeNo, kind, amount, typeof biz.subject === 'string' ? biz.subject : '');
  }

  private blankTrade(outTradeNo: string, kind: SimTrade['kind'], totalAmount: number, subject: string): SimTrade {
    return {
      outTradeNo,
      tradeNo: this.ledger.nextTradeNo(),
      kind,
      totalAmount,
      subject,
      status: 'WAIT_BUYER_PAY',
      pollsUntilPaid: -1,
      cancelAtNextQuery: false,
      refunds: {},
      refundedAmount: 0,
      createdAt: this.clock.now(),
    };
  }

  private pay(outTradeNo: string, biz: Record<string, unknown>): GatewayAnswer {
    const existing = this.ledger.get(outTradeNo);
    if (existing) {
      if (existing.kind !== 'pay' || existing.totalAmount !== biz.total_amount) {
        return fail('40004', 'ACQ.CONTEXT_INCONSISTENT', 'out_trade_no already used with other details');
      }
      return payAnswer(existing);
    }
    if (typeof biz.auth_code !== 'string' || biz.auth_code === '') {
      return fail('40002', 'isv.missing-auth-code', 'auth_code is required');
    }
    const t = this.newTrade(outTradeNo, 'pay', biz);
    if (!isTrade(t)) return t;
    const shopper = this.shopper;
    if (shopper.kind === 'no-funds') {
      t.status = 'TRADE_CLOSED';
    } else if (shopper.kind === 'cancels') {
      t.cancelAtNextQuery = true;
    } else if (shopper.afterPolls <= 0) {
      t.status = 'TRADE_SUCCESS';
      t.paidAt = this.clock.now();
    } else {
      t.pollsUntilPaid = Number.isFinite(shopper.afterPolls) ? shopper.afterPolls : -1;
    }
    this.ledger.put(t);
    if (shopper.kind === 'no-funds') return fail('40004', 'ACQ.BUYER_BALANCE_NOT_ENOUGH', 'insufficient balance');
    return payAnswer(t);
  }

  private precreate(outTradeNo: string, biz: Record<string, unknown>, notifyUrl: string | undefined): GatewayAnswer {
    let t = this.ledger.get(outTradeNo);
    if (t) {
      if (t.kind !== 'precreate' || t.totalAmount !== biz.total_amount) {
        return fail('40004', 'ACQ.CONTEXT_INCONSISTENT', 'out_trade_no already used with other details');
      }
      if (t.status !== 'WAIT_BUYER_PAY') return { ...fail('40004', 'ACQ.TRADE_STATUS_ERROR', 'trade is not open'), ...tradeFields(t) };
    } else {
      const n = this.newTrade(outTradeNo, 'precreate', biz);
      if (!isTrade(n)) return n;
      t = n;
      t.qrCode = `https://qr.gateway-sim.local/${t.tradeNo}`;
      if (notifyUrl) t.notifyUrl = notifyUrl;
      this.ledger.put(t);
    }
    return { code: '10000', msg: 'Success', out_trade_no: t.outTradeNo, qr_code: t.qrCode };
  }

  private query(outTradeNo: string): GatewayAnswer {
    const t = this.ledger.get(outTradeNo);
    if (!t) return fail('40004', 'ACQ.TRADE_NOT_EXIST', 'trade does not exist');
    if (t.status === 'WAIT_BUYER_PAY') {
      if (t.cancelAtNextQuery) {
        t.status = 'TRADE_CLOSED';
        this.ledger.save();
      } else if (t.pollsUntilPaid > 0) {
        t.pollsUntilPaid--;
        if (t.pollsUntilPaid === 0) this.markPaid(t);
        else this.ledger.save();
      }
    }
    return { code: '10000', msg: 'Success', ...tradeFields(t) };
  }

  private cancel(outTradeNo: string): GatewayAnswer {
    let t = this.ledger.get(outTradeNo);
    let action = 'close';
    if (!t) {
      // a tombstone, so a late trade.pay with this out_trade_no cannot charge
      t = { ...this.blankTrade(outTradeNo, 'pay', 0, ''), status: 'TRADE_CLOSED' };
      this.ledger.put(t);
    } else {
      if (t.status === 'TRADE_SUCCESS') {
        action = 'refund';
        t.refundedAmount = t.totalAmount;
        t.status = 'TRADE_CLOSED';
      } else if (t.status === 'WAIT_BUYER_PAY') {
        t.status = 'TRADE_CLOSED';
      }
      this.ledger.save();
    }
    return { code: '10000', msg: 'Success', out_trade_no: outTradeNo, trade_no: t.tradeNo, action, retry_flag: 'N' };
  }

  private refund(outTradeNo: string, biz: Record<string, unknown>): GatewayAnswer {
    const t = this.ledger.get(outTradeNo);
    if (!t) return fail('40004', 'ACQ.TRADE_NOT_EXIST', 'trade does not exist');
    const requestNo = typeof biz.out_request_no === 'string' && biz.out_request_no ? biz.out_request_no : outTradeNo;
    const amount = biz.refund_amount;
    const done = t.refunds[requestNo];
    if (done !== undefined) {
      if (done !== amount) return fail('40004', 'ACQ.CONTEXT_INCONSISTENT', 'out_request_no already used with another amount');
      return { code: '10000', msg: 'Success', ...tradeFields(t), refund_fee: t.refundedAmount, fund_change: 'N' };
    }
    if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0) {
      return fail('40002', 'isv.invalid-refund-amount', 'refund_amount must be a positive integer (fen)');
    }
    if (t.status !== 'TRADE_SUCCESS') return fail('40004', 'ACQ.TRADE_STATUS_ERROR', 'trade is not paid');
    if (t.refundedAmount + amount > t.totalAmount) {
      return fail('40004', 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', 'refund exceeds the amount paid');
    }
    t.refunds[requestNo] = amount;
    t.refundedAmount += amount;
    this.ledger.save();
    return { code: '10000', msg: 'Success', ...tradeFields(t), refund_fee: t.refundedAmount, fund_change: 'Y' };
  }
}

export function fail(code: string, subCode: string, subMsg: string): GatewayAnswer {
  return { code, msg: code === '40004' ? 'Business Failed' : 'Invalid Arguments', sub_code: subCode, sub_msg: subMsg };
}

function payAnswer(t: SimTrade): GatewayAnswer {
  const base = tradeFields(t);
  if (t.status === 'TRADE_SUCCESS') return { code: '10000', msg: 'Success', ...base };
  if (t.status === 'WAIT_BUYER_PAY') return { code: '10003', msg: 'WAIT_BUYER_PAY', ...base };
  return { ...fail('40004', 'ACQ.TRADE_HAS_CLOSE', 'trade is closed'), ...base };
}

function isTrade(x: SimTrade | GatewayAnswer): x is SimTrade {
  return typeof (x as SimTrade).outTradeNo === 'string' && typeof (x as SimTrade).tradeNo === 'string';
}

function tradeFields(t: SimTrade): GatewayAnswer {
  return { out_trade_no: t.outTradeNo, trade_no: t.tradeNo, trade_status: t.status, total_amount: t.totalAmount };
}
