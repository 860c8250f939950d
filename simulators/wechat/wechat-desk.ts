/**
 * What the simulated WeChat Pay does with a verified request: micropay, orderquery, reverse, unifiedorder,
 * closeorder, refund, refundquery over the ledger, with the shopper's scripted behaviour. Field names and error
 * codes from WeChat Pay's v2 API documents (付款码支付, 查询订单, 撤销订单, 统一下单, 关闭订单, 申请退款, 查询退款).
 * Idempotent on out_trade_no (same amount → the existing order's state) and out_refund_no.
 */
import type { Clock } from '../../kernel/clock';
import type { WechatLedger, WechatTrade } from './wechat-ledger';

export type Answer = Record<string, string>;

/** What the shopper (or WeChat) does with the next micropay. */
export type ShopperScript =
  | { kind: 'pays' }
  | { kind: 'userpaying'; paysAfterQueries: number }
  | { kind: 'userpaying-never' }
  /**
   * USERPAYING, then at the n-th order query the order ends unpaid: PAYERROR (支付失败, e.g. the bank refused or the
   * password failed) or CLOSED (已关闭) — the documented trade_state values of 查询订单 other than SUCCESS.
   */
  | { kind: 'userpaying-fails'; failsAfterQueries: number; endsAs: 'PAYERROR' | 'CLOSED' }
  | { kind: 'declines'; errCode: string; errCodeDes?: string }
  | { kind: 'paid-but-error'; errCode: 'SYSTEMERROR' | 'BANKERROR' };

const ERR_DES: Record<string, string> = {
  SYSTEMERROR: '系统超时',
  BANKERROR: '银行系统异常',
  USERPAYING: '需要用户输入支付密码',
  NOTENOUGH: '余额不足',
  AUTHCODEEXPIRE: '二维码已过期，请用户在微信上刷新后再试',
  AUTH_CODE_INVALID: '请扫描微信支付授权码(以10/11/12/13/14/15为前缀的18位数字)',
  ORDERPAID: '该订单已支付',
  ORDERCLOSED: '该订单已关',
  ORDERREVERSED: '订单已撤销',
  ORDERNOTEXIST: '订单不存在',
  OUT_TRADE_NO_USED: '商户订单号重复',
  PARAM_ERROR: '参数错误',
  REFUNDNOTEXIST: '退款订单查询失败',
  TRADE_ERROR: '交易错误',
};

export function fail(errCode: string, errCodeDes = ERR_DES[errCode] ?? errCode): Answer {
  return { result_code: 'FAIL', err_code: errCode, err_code_des: errCodeDes };
}

const FEN = /^[1-9]\d{0,11}$/;
const AUTH_CODE = /^1[0-5]\d{16}$/; // 18 digits, 10–15 first (付款码 rules)

/** `yyyyMMddHHmmss` Beijing time. */
function timeEnd(ms: number): string {
  return new Date(ms + 8 * 3600_000).toISOString().slice(0, 19).replace(/[-T:]/g, '');
}

export class WechatDesk {
  /** Scripts for the next micropays, first in first out; empty = the shopper pays at once. */
  readonly script: ShopperScript[] = [];
  /** Refund refusal: an err_code, and whether the refund was in fact made (SYSTEMERROR after processing). */
  refundFault: { errCode: string; processed: boolean } | null = null;
  /** The next n reverses answer SYSTEMERROR with recall=Y, unprocessed. */
  reverseRecalls = 0;

  constructor(
    private readonly ledger: WechatLedger,
    private readonly clock: Clock,
  ) {}

  handle(path: string, req: Answer): Answer {
    const outTradeNo = req.out_trade_no ?? '';
    if (path === '/pay/refundquery') return this.refundQuery(req);
    if (!/^[0-9A-Za-z_\-|*@]{1,32}$/.test(outTradeNo)) return fail('PARAM_ERROR', 'out_trade_no 不正确');
    switch (path) {
      case '/pay/micropay':
        return this.micropay(outTradeNo, req);
      case '/pay/orderquery':
        return this.orderQuery(outTradeNo);
      case '/secapi/pay/reverse':
        return this.reverse(outTradeNo);
      case '/pay/unifiedorder':
        return this.unifiedOrder(outTradeNo, req);
      case '/pay/closeorder':
        return this.closeOrder(outTradeNo);
      case '/secapi/pay/refund':
        return this.refund(outTradeNo, req);
      default:
        return fail('PARAM_ERROR', `unknown API ${path}`);
    }
  }

  markPaid(t: WechatTrade): void {
    t.state = 'SUCCESS';
    t.paidAt = this.clock.now();
    t.queriesUntilPaid = 0;
    this.ledger.save();
  }

  private newTrade(outTradeNo: string, tradeType: WechatTrade['tradeType'], req: Answer): WechatTrade {
    return {
      outTradeNo,
      transactionId: this.ledger.nextId('4200'),
      tradeType,
      totalFee: Number(req.total_fee),
      body: req.body ?? '',
      state: 'NOTPAY',
      queriesUntilPaid: -1,
      createdAt: this.clock.now(),
      openid: `oSim${outTradeNo.slice(0, 8)}`,
      refunds: [],
      refundedFee: 0,
    };
  }

  private micropay(outTradeNo: string, req: Answer): Answer {
    if (!FEN.test(req.total_fee ?? '')) return fail('PARAM_ERROR', 'total_fee 必须为正整数(分)');
    const existing = this.ledger.get(outTradeNo);
    if (existing) {
      if (existing.state === 'REVOKED') return fail('ORDERREVERSED');
      if (existing.totalFee !== Number(req.total_fee) || existing.tradeType !== 'MICROPAY') return fail('OUT_TRADE_NO_USED');
      return this.micropayAnswer(existing);
    }
    if (!AUTH_CODE.test(req.auth_code ?? '')) return fail('AUTH_CODE_INVALID');
    const t = this.newTrade(outTradeNo, 'MICROPAY', req);
    const s = this.script.shift() ?? { kind: 'pays' };
    switch (s.kind) {
      case 'pays':
        t.state = 'SUCCESS';
        t.paidAt = this.clock.now();
        break;
      case 'userpaying':
        t.state = 'USERPAYING';
        t.queriesUntilPaid = Math.max(1, s.paysAfterQueries);
        break;
      case 'userpaying-never':
        t.state = 'USERPAYING';
        break;
      case 'userpaying-fails':
        t.state = 'USERPAYING';
        t.queriesUntilPaid = Math.max(1, s.failsAfterQueries);
        t.userPayingEndsAs = s.endsAs;
        break;
      case 'declines':
        t.state = 'PAYERROR';
        this.ledger.add(t);
        return fail(s.errCode, s.errCodeDes);
      case 'paid-but-error':
        t.state = 'SUCCESS';
        t.paidAt = this.clock.now();
        this.ledger.add(t);
        return fail(s.errCode);
    }
    this.ledger.add(t);
    return this.micropayAnswer(t);
  }

  private micropayAnswer(t: WechatTrade): Answer {
    switch (t.state) {
      case 'SUCCESS':
      case 'REFUND':
        return { result_code: 'SUCCESS', ...paidFields(t) };
      case 'USERPAYING':
      case 'NOTPAY':
        return fail('USERPAYING');
      case 'REVOKED':
        return fail('ORDERREVERSED');
      case 'CLOSED':
        return fail('ORDERCLOSED');
      default:
        return fail('TRADE_ERROR');
    }
  }

  private orderQuery(outTradeNo: string): Answer {
    const t = this.ledger.get(outTradeNo);
    if (!t) return fail('ORDERNOTEXIST');
    if (t.state === 'USERPAYING' && t.queriesUntilPaid > 0) {
      t.queriesUntilPaid--;
      if (t.queriesUntilPaid > 0) this.ledger.save();
      else if (t.userPayingEndsAs) {
        t.state = t.userPayingEndsAs; // no money taken
        this.ledger.save();
      } else this.markPaid(t);
    }
    const base: Answer = { result_code: 'SUCCESS', out_trade_no: t.outTradeNo, trade_type: t.tradeType, trade_state: t.state, trade_state_desc: STATE_DESC[t.state] };
    return t.state === 'SUCCESS' || t.state === 'REFUND' ? { ...base, ...paidFields(t) } : base;
  }

  private reverse(outTradeNo: string): Answer {
    if (this.reverseRecalls > 0) {
      this.reverseRecalls--;
      return { ...fail('SYSTEMERROR'), recall: 'Y' };
    }
    let t = this.ledger.get(outTradeNo);
    if (!t) {
      // a tombstone: a micropay still in flight with this out_trade_no can no longer charge
      t = { ...this.newTrade(outTradeNo, 'MICROPAY', { total_fee: '0' }), state: 'REVOKED' };
      this.ledger.add(t);
      return { result_code: 'SUCCESS', recall: 'N' };
    }
    if (t.state === 'REFUND') return { ...fail('TRADE_STATE_ERROR', '订单已退款，不能撤销'), recall: 'N' };
    if (t.state === 'SUCCESS') t.reversedAt = this.clock.now(); // the money goes back to the shopper
    t.state = 'REVOKED';
    this.ledger.save();
    return { result_code: 'SUCCESS', recall: 'N' };
  }

  private unifiedOrder(outTradeNo: string, req: Answer): Answer {
    if (req.trade_type !== 'NATIVE') return fail('PARAM_ERROR', 'only trade_type NATIVE is simulated');
    if (!FEN.test(req.total_fee ?? '')) return fail('PARAM_ERROR', 'total_fee 必须为正整数(分)');
    let t = this.ledger.get(outTradeNo);
    if (t) {
      if (t.totalFee !== Number(req.total_fee) || t.tradeType !== 'NATIVE') return fail('OUT_TRADE_NO_USED');
      if (t.state === 'SUCCESS' || t.state === 'REFUND') return fail('ORDERPAID');
      if (t.state !== 'NOTPAY') return fail('ORDERCLOSED');
    } else {
      t = this.newTrade(outTradeNo, 'NATIVE', req);
      t.codeUrl = `weixin://wxpay/bizpayurl?pr=${t.transactionId.slice(-12)}`;
      if (req.notify_url) t.notifyUrl = req.notify_url;
      this.ledger.add(t);
    }
    return { result_code: 'SUCCESS', trade_type: 'NATIVE', prepay_id: `wx${t.transactionId}`, code_url: t.codeUrl ?? '' };
  }

  private closeOrder(outTradeNo: string): Answer {
    const t = this.ledger.get(outTradeNo);
    if (!t) return fail('ORDERNOTEXIST');
    if (t.state === 'SUCCESS' || t.state === 'REFUND') return fail('ORDERPAID');
    if (t.state === 'NOTPAY' || t.state === 'USERPAYING') {
      t.state = 'CLOSED';
      this.ledger.save();
    }
    return { result_code: 'SUCCESS' };
  }

  private refund(outTradeNo: string, req: Answer): Answer {
    const t = this.ledger.get(outTradeNo);
    if (!t) return fail('ORDERNOTEXIST');
    const outRefundNo = req.out_refund_no ?? '';
    if (!/^[0-9A-Za-z_\-|*@]{1,64}$/.test(outRefundNo)) return fail('PARAM_ERROR', 'out_refund_no 不正确');
    if (!FEN.test(req.refund_fee ?? '') || !FEN.test(req.total_fee ?? '')) return fail('PARAM_ERROR', 'refund_fee / total_fee 必须为正整数(分)');
    const fee = Number(req.refund_fee);
    if (Number(req.total_fee) !== t.totalFee) return fail('PARAM_ERROR', '订单金额与原订单不一致');
    const done = t.refunds.find((r) => r.outRefundNo === outRefundNo);
    if (done) return done.fee === fee ? refundAnswer(t, done) : fail('PARAM_ERROR', '同一退款单号的退款金额不一致');
    const fault = this.refundFault;
    if (fault && !fault.processed) return fail(fault.errCode);
    if (t.state !== 'SUCCESS' && t.state !== 'REFUND') return fail('TRADE_STATE_ERROR', '订单状态错误');
    if (t.refundedFee + fee > t.totalFee) return fail('ERROR', '申请退款金额超过订单可退金额');
    const r = { outRefundNo, refundId: this.ledger.nextId('5030'), fee, at: this.clock.now() };
    t.refunds.push(r);
    t.refundedFee += fee;
    t.state = 'REFUND';
    this.ledger.save();
    if (fault) return fail(fault.errCode);
    return refundAnswer(t, r);
  }

  private refundQuery(req: Answer): Answer {
    const all = this.ledger.all();
    const t = req.out_refund_no
      ? all.find((x) => x.refunds.some((r) => r.outRefundNo === req.out_refund_no))
      : all.find((x) => x.outTradeNo === req.out_trade_no);
    const refunds = t?.refunds.filter((r) => !req.out_refund_no || r.outRefundNo === req.out_refund_no) ?? [];
    if (!t || refunds.length === 0) return fail('REFUNDNOTEXIST');
    const a: Answer = { result_code: 'SUCCESS', transaction_id: t.transactionId, out_trade_no: t.outTradeNo, total_fee: String(t.totalFee), refund_count: String(refunds.length) };
    refunds.forEach((r, n) => {
      a[`out_refund_no_${n}`] = r.outRefundNo;
      a[`refund_id_${n}`] = r.refundId;
      a[`refund_fee_${n}`] = String(r.fee);
      a[`refund_status_${n}`] = 'SUCCESS';
      a[`refund_success_time_${n}`] = new Date(r.at + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
    });
    return a;
  }
}

const STATE_DESC: Record<WechatTrade['state'], string> = {
  NOTPAY: '未支付',
  USERPAYING: '需要用户输入支付密码',
  SUCCESS: '支付成功',
  PAYERROR: '支付失败',
  CLOSED: '已关闭',
  REVOKED: '已撤销',
  REFUND: '转入退款',
};

function paidFields(t: WechatTrade): Answer {
  return {
    out_trade_no: t.outTradeNo,
    transaction_id: t.transactionId,
    trade_type: t.tradeType,
    total_fee: String(t.totalFee),
    cash_fee: String(t.totalFee),
    fee_type: 'CNY',
    bank_type: 'CFT',
    openid: t.openid,
    is_subscribe: 'N',
    time_end: timeEnd(t.paidAt ?? t.createdAt),
  };
}

function refundAnswer(t: WechatTrade, r: { outRefundNo: string; refundId: string; fee: number }): Answer {
  return {
    result_code: 'SUCCESS',
    transaction_id: t.transactionId,
    out_trade_no: t.outTradeNo,
    out_refund_no: r.outRefundNo,
    refund_id: r.refundId,
    refund_fee: String(r.fee),
    total_fee: String(t.totalFee),
    cash_fee: String(t.totalFee),
  };
}
