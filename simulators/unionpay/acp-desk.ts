/**
 * What the simulated UnionPay acquirer does with a verified request: consume (被扫, 01/06), applyQrCode (主扫, 01/07),
 * query (00/00), reversal 冲正 (99/01) and refund 退货 (04/00), over the ledger, with the scripted shopper.
 * Idempotent on orderId: a second request with a used orderId changes nothing and answers 12 (重复交易).
 */
import type { Clock } from '../../kernel/clock';
import type { AcpLedger, AcpOrder } from './acp-ledger';

export type AcpAnswer = Record<string, string>;

/** What happens to the next consume orders (sticky until changed). */
export type ShopperScript =
  /** pays at once (afterQueries 0) or is asked to confirm and pays at the n-th query. */
  | { kind: 'pays'; afterQueries: number }
  /** in progress, never pays (until reversed). */
  | { kind: 'never' }
  /** refused with this respCode (e.g. 61 invalid code, 66 insufficient balance). */
  | { kind: 'decline'; respCode: string; respMsg: string }
  /** paid at once, but the answer says 03 (timeout) — the merchant has to query. */
  | { kind: 'paid-answer-03' };

const ORDER_ID = /^[0-9A-Za-z]{8,40}$/;
const TXN_TIME = /^[0-9]{14}$/;
const AMOUNT = /^[1-9][0-9]{0,11}$/;

/** yyyyMMddHHmmss, Beijing (UTC+8). */
export function beijing14(ms: number): string {
  const d = new Date(ms + 8 * 3600 * 1000);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

export class AcpDesk {
  shopper: ShopperScript = { kind: 'pays', afterQueries: 0 };
  refuseRefunds = false;
  /** Called when an order becomes paid (for the backUrl notification). */
  onPaid: (o: AcpOrder) => void = () => undefined;

  constructor(
    private readonly ledger: AcpLedger,
    private readonly clock: Clock,
  ) {}

  handle(api: 'backTransReq' | 'queryTrans', m: Record<string, string>): AcpAnswer {
    const kind = `${m.txnType}/${m.txnSubType}`;
    if (api === 'queryTrans') return kind === '00/00' ? this.query(m) : fail('10', 'queryTrans only answers txnType 00');
    switch (kind) {
      case '01/06':
        return this.consume(m);
      case '01/07':
        return this.applyQrCode(m);
      case '99/01':
        return this.reverse(m);
      case '04/00':
        return this.refund(m);
      default:
        return fail('10', `unsupported txnType/txnSubType ${kind}`);
    }
  }

  markPaid(o: AcpOrder): void {
    o.status = 'PAID';
    o.pollsUntilPaid = 0;
    o.completedAt = this.clock.now();
    this.ledger.save();
    this.onPaid(o);
  }

  private newOrder(m: Record<string, string>, kind: AcpOrder['kind']): AcpOrder {
    const n = this.ledger.next();
    const now = this.clock.now();
    const stamp = beijing14(now);
    return {
      orderId: m.orderId,
      txnTime: m.txnTime,
      kind,
      txnSubType: m.txnSubType,
      txnAmt: Number(m.txnAmt ?? '0'),
      queryId: `${stamp}${String(n % 10_000_000).padStart(7, '0')}`,
      traceNo: String(n % 1_000_000).padStart(6, '0'),
      traceTime: stamp.slice(4),
      status: 'PAYING',
      pollsUntilPaid: -1,
      refundedAmount: 0,
      createdAt: now,
      ...(m.backUrl ? { backUrl: m.backUrl } : {}),
      ...(m.termId ? { termId: m.termId } : {}),
    };
  }

  private checkNew(m: Record<string, string>, needQrNo: boolean): AcpAnswer | null {
    if (!ORDER_ID.test(m.orderId ?? '') || !TXN_TIME.test(m.txnTime ?? '')) return fail('10', 'orderId or txnTime malformed');
    if (!AMOUNT.test(m.txnAmt ?? '') || m.currencyCode !== '156') return fail('10', 'txnAmt or currencyCode malformed');
    if (needQrNo && !m.qrNo) return fail('13', 'qrNo missing');
    if (this.ledger.get(m.orderId)) return { ...fail('12', '重复交易'), orderId: m.orderId };
    return null;
  }

  private consume(m: Record<string, string>): AcpAnswer {
    const bad = this.checkNew(m, true);
    if (bad) return bad;
    const o = this.newOrder(m, 'consume');
    const s = this.shopper;
    let respCode = '00';
    let respMsg = '成功[0000000]';
    if (s.kind === 'decline') {
      o.status = 'FAILED';
      o.failCode = s.respCode;
      o.failMsg = s.respMsg;
      respCode = s.respCode;
      respMsg = s.respMsg;
    } else if (s.kind === 'never' || (s.kind === 'pays' && s.afterQueries > 0)) {
      o.pollsUntilPaid = s.kind === 'never' || !Number.isFinite(s.afterQueries) ? -1 : s.afterQueries;
      respCode = '05';
      respMsg = '交易已受理，请稍后查询交易结果';
    } else {
      o.status = 'PAID';
      o.completedAt = this.clock.now();
      if (s.kind === 'paid-answer-03') {
        respCode = '03';
        respMsg = '交易通讯超时，请发起查询交易';
      }
    }
    this.ledger.put(o);
    if (o.status === 'PAID') this.onPaid(o);
    return { ...orderFields(o), respCode, respMsg };
  }

  private applyQrCode(m: Record<string, string>): AcpAnswer {
    const bad = this.checkNew(m, false);
    if (bad) return bad;
    const o = this.newOrder(m, 'qr');
    o.qrCode = `https://qr.95516.com/00010000/sim${o.queryId}`;
    this.ledger.put(o);
    return { ...orderFields(o), qrCode: o.qrCode, respCode: '00', respMsg: '成功[0000000]' };
  }

  private find(m: Record<string, string>): AcpOrder | undefined {
    const o = this.ledger.get(m.orderId ?? '');
    return o && o.txnTime === m.txnTime ? o : undefined;
  }

  private query(m: Record<string, string>): AcpAnswer {
    const o = this.find(m);
    if (!o) return { ...fail('34', '查无此交易'), orderId: m.orderId ?? '', txnTime: m.txnTime ?? '' };
    if (o.status === 'PAYING' && o.pollsUntilPaid > 0) {
      o.pollsUntilPaid--;
      if (o.pollsUntilPaid === 0) this.markPaid(o);
      else this.ledger.save();
    }
    const [origRespCode, origRespMsg] =
      o.status === 'PAID'
        ? ['00', '成功[0000000]']
        : o.status === 'PAYING'
          ? ['05', '交易已受理，请稍后查询交易结果']
          : o.status === 'FAILED'
            ? [o.failCode ?? '01', o.failMsg ?? '交易失败']
            : ['01', '交易失败，已冲正'];
    return {
      ...orderFields(o),
      respCode: '00',
      respMsg: '成功[0000000]',
      origRespCode,
      origRespMsg,
      ...(o.status === 'PAID' ? { settleAmt: String(o.txnAmt), settleCurrencyCode: '156', settleDate: o.traceTime.slice(0, 4) } : {}),
    };
  }

  private reverse(m: Record<string, string>): AcpAnswer {
    if (!ORDER_ID.test(m.orderId ?? '') || !TXN_TIME.test(m.txnTime ?? '')) return fail('10', 'orderId or txnTime malformed');
    let o = this.find(m);
    if (!o) {
      if (this.ledger.get(m.orderId)) return fail('36', '与原交易信息不符');
      // a tombstone, so that a late consume with this orderId cannot charge
      o = { ...this.newOrder({ ...m, txnAmt: '0', txnSubType: '06' }, 'consume'), status: 'CLOSED' };
      this.ledger.put(o);
    } else if (o.kind === 'refund') {
      return fail('35', '原交易不存在或状态不正确');
    } else if (o.status === 'PAYING') {
      o.status = 'CLOSED';
      this.ledger.save();
    } else if (o.status === 'PAID') {
      o.status = 'REVERSED';
      o.refundedAmount = o.txnAmt;
      this.ledger.save();
    }
    return { orderId: o.orderId, txnTime: o.txnTime, respCode: '00', respMsg: '成功[0000000]' };
  }

  private refund(m: Record<string, string>): AcpAnswer {
    if (!ORDER_ID.test(m.orderId ?? '') || !TXN_TIME.test(m.txnTime ?? '') || !AMOUNT.test(m.txnAmt ?? '')) {
      return fail('10', 'orderId, txnTime or txnAmt malformed');
    }
    const amount = Number(m.txnAmt);
    const done = this.ledger.get(m.orderId);
    if (done) {
      if (done.kind !== 'refund' || done.origQryId !== m.origQryId || done.txnAmt !== amount) return fail('12', '重复交易');
      return { ...orderFields(done), origQryId: done.origQryId ?? '', respCode: '00', respMsg: '成功[0000000]' };
    }
    if (this.refuseRefunds) return fail('01', '交易失败[simulator refuses refunds]');
    const pay = this.ledger.find((o) => o.kind !== 'refund' && o.queryId === m.origQryId);
    if (!pay || pay.status !== 'PAID') return fail('35', '原交易不存在或状态不正确');
    if (pay.refundedAmount + amount > pay.txnAmt) return fail('33', '交易金额超限');
    const r = this.newOrder(m, 'refund');
    r.status = 'PAID';
    r.origQryId = pay.queryId;
    r.completedAt = this.clock.now();
    pay.refundedAmount += amount;
    this.ledger.put(r);
    return { ...orderFields(r), origQryId: pay.queryId, respCode: '00', respMsg: '成功[0000000]' };
  }
}

export function fail(respCode: string, respMsg: string): AcpAnswer {
  return { respCode, respMsg };
}

function orderFields(o: AcpOrder): AcpAnswer {
  return {
    orderId: o.orderId,
    txnTime: o.txnTime,
    txnAmt: String(o.txnAmt),
    currencyCode: '156',
    queryId: o.queryId,
    traceNo: o.traceNo,
    traceTime: o.traceTime,
  };
}
