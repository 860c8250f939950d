/**
 * What the simulated Alipay gateway does with a verified request: the trade methods over the ledger, with the
 * shopper's scripted behaviour, written from Alipay's open-API pages (alipay.trade.pay 02ekfp, query 02ekfh,
 * cancel 02ekfi, refund 02ekfk, fastpay.refund.query 02ekfl, precreate 02ekfg, bill download 02e7gr on
 * opendocs.alipay.com/open/). Idempotent on `out_trade_no` (pay, precreate) and `out_request_no` (refund). Amounts
 * on the wire are yuan strings; the ledger keeps integer fen.
 */
import type { Clock } from '../../kernel/clock';
import type { SimTrade, TradeLedger } from './trade-ledger';
import { formatYuan, parseYuan } from './yuan';

export type GatewayAnswer = Record<string, string | number | undefined>;

/** What the shopper does with the next trade.pay. */
export type Shopper = { kind: 'pays'; afterPolls: number } | { kind: 'cancels' } | { kind: 'no-funds' };

/** An answer that replaces the real one; `process: false` leaves the request unprocessed (nothing recorded). */
export interface ScriptedAnswer {
  code: string;
  msg?: string;
  sub_code?: string;
  sub_msg?: string;
  retry_flag?: 'Y' | 'N';
  process?: boolean;
}

const MSG: Record<string, string> = {
  '10000': 'Success',
  '10003': 'WAIT_BUYER_PAY',
  '20000': 'Service Currently Unavailable',
  '20001': 'Insufficient Token Permissions',
  '40001': 'Missing Required Arguments',
  '40002': 'Invalid Arguments',
  '40004': 'Business Failed',
  '40006': 'Insufficient Permissions',
};

export class TradeDesk {
  shopper: Shopper = { kind: 'pays', afterPolls: 0 };
  /** Answers that replace the next real ones, per method (first in, first out). */
  readonly scripted = new Map<string, ScriptedAnswer[]>();
  /** trade.pay is processed (the trade recorded and paid as the shopper does) but answered 20000. */
  unavailableWhilePaid = false;
  /** Answers bill download URLs for a bill date: the URL of the served bill. */
  billUrl: (billDate: string) => string | null = () => null;

  constructor(
    private readonly ledger: TradeLedger,
    private readonly clock: Clock,
  ) {}

  /** Runs `method` for the parsed `biz_content`. */
  handle(method: string | undefined, biz: Record<string, unknown>, notifyUrl: string | undefined): GatewayAnswer {
    const script = method ? this.scripted.get(method)?.shift() : undefined;
    if (script && script.process === false) return scriptedAnswer(script);
    let answer = this.run(method, biz, notifyUrl);
    if (method === 'alipay.trade.pay' && this.unavailableWhilePaid) {
      answer = fail('20000', 'isp.unknow-error', '系统繁忙');
    }
    if (script) answer = { ...answer, ...scriptedAnswer(script) };
    return answer;
  }

  private run(method: string | undefined, biz: Record<string, unknown>, notifyUrl: string | undefined): GatewayAnswer {
    if (method === 'alipay.data.dataservice.bill.downloadurl.query') return this.billDownload(biz);
    const outTradeNo = biz.out_trade_no;
    if (typeof outTradeNo !== 'string' || outTradeNo === '' || outTradeNo.length > 64) {
      return fail('40002', 'isv.missing-out-trade-no', 'out_trade_no is required');
    }
    switch (method) {
      case 'alipay.trade.pay':
        return this.pay(outTradeNo, biz);
      case 'alipay.trade.precreate':
        return this.precreate(outTradeNo, biz, notifyUrl);
      case 'alipay.trade.query':
        return this.query(outTradeNo);
      case 'alipay.trade.cancel':
        return this.cancel(outTradeNo);
      case 'alipay.trade.refund':
        return this.refund(outTradeNo, biz);
      case 'alipay.trade.fastpay.refund.query':
        return this.refundQuery(outTradeNo, biz);
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
    const amount = parseYuan(biz.total_amount);
    if (amount === null || amount <= 0) {
      return fail('40002', 'isv.invalid-parameter', 'total_amount must be yuan with at most two decimals, at least 0.01');
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
      refundLog: [],
      refundedAmount: 0,
      createdAt: this.clock.now(),
    };
  }

  private pay(outTradeNo: string, biz: Record<string, unknown>): GatewayAnswer {
    const existing = this.ledger.get(outTradeNo);
    if (existing) {
      if (existing.kind !== 'pay' || existing.totalAmount !== parseYuan(biz.total_amount)) {
        return fail('40004', 'ACQ.CONTEXT_INCONSISTENT', '交易信息被篡改');
      }
      if (existing.status === 'TRADE_SUCCESS') return { ...fail('40004', 'ACQ.TRADE_HAS_SUCCESS', '交易已被支付'), ...tradeFields(existing) };
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
    if (shopper.kind === 'no-funds') return fail('40004', 'ACQ.BUYER_BALANCE_NOT_ENOUGH', '买家余额不足');
    return payAnswer(t);
  }

  private precreate(outTradeNo: string, biz: Record<string, unknown>, notifyUrl: string | undefined): GatewayAnswer {
    let t = this.ledger.get(outTradeNo);
    if (t) {
      if (t.kind !== 'precreate' || t.totalAmount !== parseYuan(biz.total_amount)) {
        return fail('40004', 'ACQ.CONTEXT_INCONSISTENT', '交易信息被篡改');
      }
      if (t.status !== 'WAIT_BUYER_PAY') return { ...fail('40004', 'ACQ.TRADE_STATUS_ERROR', '交易状态不合法'), ...tradeFields(t) };
    } else {
      const n = this.newTrade(outTradeNo, 'precreate', biz);
      if (!isTrade(n)) return n;
      t = n;
      t.qrCode = `https://qr.alipay.com/${t.tradeNo}`;
      if (notifyUrl) t.notifyUrl = notifyUrl;
      this.ledger.put(t);
    }
    return { code: '10000', msg: 'Success', out_trade_no: t.outTradeNo, qr_code: t.qrCode };
  }

  private query(outTradeNo: string): GatewayAnswer {
    const t = this.ledger.get(outTradeNo);
    if (!t) return fail('40004', 'ACQ.TRADE_NOT_EXIST', '交易不存在');
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

  /** Closes a waiting trade (action close), refunds a paid one (action refund); retry_flag N when done. */
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
        const amount = t.totalAmount - t.refundedAmount;
        t.refundedAmount = t.totalAmount;
        t.status = 'TRADE_CLOSED';
        if (amount > 0) (t.refundLog ??= []).push({ requestNo: '', amount, at: this.clock.now() });
      } else if (t.status === 'WAIT_BUYER_PAY') {
        t.status = 'TRADE_CLOSED';
      }
      this.ledger.save();
    }
    return { code: '10000', msg: 'Success', out_trade_no: outTradeNo, trade_no: t.tradeNo, action, retry_flag: 'N' };
  }

  private refund(outTradeNo: string, biz: Record<string, unknown>): GatewayAnswer {
    const t = this.ledger.get(outTradeNo);
    if (!t) return fail('40004', 'ACQ.TRADE_NOT_EXIST', '交易不存在');
    const requestNo = typeof biz.out_request_no === 'string' && biz.out_request_no ? biz.out_request_no : outTradeNo;
    const amount = parseYuan(biz.refund_amount);
    const done = t.refunds[requestNo];
    if (done !== undefined) {
      if (done !== amount) return fail('40004', 'ACQ.CONTEXT_INCONSISTENT', 'out_request_no already used with another amount');
      return { code: '10000', msg: 'Success', ...tradeFields(t), refund_fee: formatYuan(t.refundedAmount), fund_change: 'N' };
    }
    if (amount === null || amount <= 0) {
      return fail('40002', 'isv.invalid-parameter', 'refund_amount must be yuan with at most two decimals, at least 0.01');
    }
    if (t.status !== 'TRADE_SUCCESS') return fail('40004', 'ACQ.TRADE_STATUS_ERROR', '交易状态不合法');
    if (t.refundedAmount + amount > t.totalAmount) {
      return fail('40004', 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', '退款金额超限');
    }
    t.refunds[requestNo] = amount;
    (t.refundLog ??= []).push({ requestNo, amount, at: this.clock.now() });
    t.refundedAmount += amount;
    this.ledger.save();
    return { code: '10000', msg: 'Success', ...tradeFields(t), refund_fee: formatYuan(t.refundedAmount), fund_change: 'Y' };
  }

  /** The refund of out_request_no: its fields when it exists, a bare 10000 when it does not (as Alipay answers). */
  private refundQuery(outTradeNo: string, biz: Record<string, unknown>): GatewayAnswer {
    const t = this.ledger.get(outTradeNo);
    if (!t) return fail('40004', 'ACQ.TRADE_NOT_EXIST', '交易不存在');
    const requestNo = typeof biz.out_request_no === 'string' ? biz.out_request_no : '';
    const amount = t.refunds[requestNo];
    if (amount === undefined) return { code: '10000', msg: 'Success', out_trade_no: t.outTradeNo, trade_no: t.tradeNo };
    return {
      code: '10000',
      msg: 'Success',
      out_trade_no: t.outTradeNo,
      trade_no: t.tradeNo,
      out_request_no: requestNo,
      total_amount: formatYuan(t.totalAmount),
      refund_amount: formatYuan(amount),
      refund_status: 'REFUND_SUCCESS',
    };
  }

  private billDownload(biz: Record<string, unknown>): GatewayAnswer {
    if (biz.bill_type !== 'trade') return fail('40004', 'isp.bill_type_not_support', 'only bill_type trade is simulated');
    const date = biz.bill_date;
    if (typeof date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(date)) return fail('40002', 'isv.invalid-parameter', 'bill_date must be yyyy-MM-dd');
    const url = this.billUrl(date);
    if (!url) return fail('40004', 'isp.bill_not_exist', '账单不存在');
    return { code: '10000', msg: 'Success', bill_download_url: url };
  }
}

export function fail(code: string, subCode: string, subMsg: string): GatewayAnswer {
  return { code, msg: MSG[code] ?? 'Unknown', sub_code: subCode, sub_msg: subMsg };
}

function scriptedAnswer(s: ScriptedAnswer): GatewayAnswer {
  const a: GatewayAnswer = { code: s.code, msg: s.msg ?? MSG[s.code] ?? 'Unknown' };
  if (s.sub_code !== undefined) a.sub_code = s.sub_code;
  if (s.sub_msg !== undefined) a.sub_msg = s.sub_msg;
  if (s.retry_flag !== undefined) a.retry_flag = s.retry_flag;
  return a;
}

function payAnswer(t: SimTrade): GatewayAnswer {
  const base = tradeFields(t);
  delete base.trade_status; // alipay.trade.pay answers no trade_status: its code says it
  if (t.status === 'TRADE_SUCCESS') return { code: '10000', msg: 'Success', ...base };
  if (t.status === 'WAIT_BUYER_PAY') return { code: '10003', msg: 'WAIT_BUYER_PAY', ...base };
  return { ...fail('40004', 'ACQ.TRADE_HAS_CLOSE', '交易已经关闭'), ...base };
}

function isTrade(x: SimTrade | GatewayAnswer): x is SimTrade {
  return typeof (x as SimTrade).outTradeNo === 'string' && typeof (x as SimTrade).tradeNo === 'string';
}

function tradeFields(t: SimTrade): GatewayAnswer {
  return { out_trade_no: t.outTradeNo, trade_no: t.tradeNo, trade_status: t.status, total_amount: formatYuan(t.totalAmount) };
}
