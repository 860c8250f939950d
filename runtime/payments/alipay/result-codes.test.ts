import type { GatewayResponse } from '../gateway/gateway-client';
import { classifyCancelAnswer, classifyPayAnswer, classifyRefundAnswer } from './result-codes';

const answer = (code: string, extra: Partial<GatewayResponse> = {}): GatewayResponse => ({ code, msg: 'm', ...extra });

describe('alipay.trade.pay: each documented result code', () => {
  it.each<[string, GatewayResponse, string]>([
    ['10000 success', answer('10000', { trade_no: '2026', total_amount: '12.34' }), 'approved'],
    ['10000 TRADE_SUCCESS', answer('10000', { trade_status: 'TRADE_SUCCESS' }), 'approved'],
    ['10000 TRADE_FINISHED', answer('10000', { trade_status: 'TRADE_FINISHED' }), 'approved'],
    ['10000 WAIT_BUYER_PAY', answer('10000', { trade_status: 'WAIT_BUYER_PAY' }), 'wait'],
    ['10000 TRADE_CLOSED', answer('10000', { trade_status: 'TRADE_CLOSED' }), 'declined'],
    ['10000 unknown status', answer('10000', { trade_status: 'SOMETHING' }), 'query'],
    ['10003 waiting for the buyer', answer('10003'), 'wait'],
    ['20000 isp.unknow-error', answer('20000', { sub_code: 'isp.unknow-error' }), 'query'],
    ['20000 aop.unknow-error', answer('20000', { sub_code: 'aop.unknow-error' }), 'query'],
    ['40004 ACQ.SYSTEM_ERROR', answer('40004', { sub_code: 'ACQ.SYSTEM_ERROR' }), 'query'],
    ['40004 ACQ.TRADE_HAS_SUCCESS', answer('40004', { sub_code: 'ACQ.TRADE_HAS_SUCCESS' }), 'query'],
    ['40004 ACQ.CONTEXT_INCONSISTENT', answer('40004', { sub_code: 'ACQ.CONTEXT_INCONSISTENT' }), 'query'],
    ['40004 ACQ.TRADE_BUYER_NOT_MATCH', answer('40004', { sub_code: 'ACQ.TRADE_BUYER_NOT_MATCH' }), 'query'],
    ['40004 ACQ.BUYER_BALANCE_NOT_ENOUGH', answer('40004', { sub_code: 'ACQ.BUYER_BALANCE_NOT_ENOUGH', sub_msg: '买家余额不足' }), 'declined'],
    ['40004 ACQ.PAYMENT_AUTH_CODE_INVALID', answer('40004', { sub_code: 'ACQ.PAYMENT_AUTH_CODE_INVALID', sub_msg: '支付失败，获取顾客账户信息失败' }), 'declined'],
    ['40004 ACQ.TRADE_HAS_CLOSE', answer('40004', { sub_code: 'ACQ.TRADE_HAS_CLOSE' }), 'declined'],
    ['40004 ACQ.TOTAL_FEE_EXCEED', answer('40004', { sub_code: 'ACQ.TOTAL_FEE_EXCEED' }), 'declined'],
    ['40004 ACQ.BUYER_ENABLE_STATUS_FORBID', answer('40004', { sub_code: 'ACQ.BUYER_ENABLE_STATUS_FORBID' }), 'declined'],
    ['40001 missing arguments', answer('40001', { sub_code: 'isv.missing-signature' }), 'declined'],
    ['40002 invalid signature', answer('40002', { sub_code: 'isv.invalid-signature' }), 'declined'],
    ['40006 insufficient permissions', answer('40006', { sub_code: 'isv.insufficient-isv-permissions' }), 'declined'],
    ['20001 insufficient token permissions', answer('20001', { sub_code: 'aop.invalid-auth-token' }), 'declined'],
    ['an undocumented code', answer('50000'), 'query'],
    ['no code at all', answer(''), 'query'],
  ])('%s → %s', (_name, r, kind) => {
    expect(classifyPayAnswer(r).kind).toBe(kind);
  });

  it('a business decline carries sub_msg and sub_code', () => {
    expect(classifyPayAnswer(answer('40004', { sub_code: 'ACQ.BUYER_BALANCE_NOT_ENOUGH', sub_msg: '买家余额不足' }))).toEqual({
      kind: 'declined',
      reason: '买家余额不足 (ACQ.BUYER_BALANCE_NOT_ENOUGH)',
    });
  });
});

describe('alipay.trade.refund and alipay.trade.cancel', () => {
  it.each<[GatewayResponse, string]>([
    [answer('10000', { refund_fee: '1.00', fund_change: 'Y' }), 'refunded'],
    [answer('10000', { refund_fee: '1.00', fund_change: 'N' }), 'refunded'],
    [answer('40004', { sub_code: 'ACQ.SYSTEM_ERROR' }), 'query'],
    [answer('20000', { sub_code: 'isp.unknow-error' }), 'query'],
    [answer('50000'), 'query'],
    [answer('40004', { sub_code: 'ACQ.TRADE_NOT_EXIST' }), 'declined'],
    [answer('40004', { sub_code: 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL' }), 'declined'],
    [answer('40004', { sub_code: 'ACQ.SELLER_BALANCE_NOT_ENOUGH' }), 'declined'],
    [answer('40002', { sub_code: 'isv.invalid-signature' }), 'declined'],
  ])('refund %j → %s', (r, kind) => {
    expect(classifyRefundAnswer(r).kind).toBe(kind);
  });

  it.each<[GatewayResponse, string]>([
    [answer('10000', { action: 'close', retry_flag: 'N' }), 'closed'],
    [answer('10000', { action: 'refund', retry_flag: 'N' }), 'closed'],
    [answer('40004', { sub_code: 'ACQ.SYSTEM_ERROR', retry_flag: 'Y' }), 'retry'],
    [answer('40004', { sub_code: 'ACQ.SYSTEM_ERROR', retry_flag: 'N' }), 'failed'],
    [answer('40004', { sub_code: 'ACQ.TRADE_STATUS_ERROR', retry_flag: 'N' }), 'failed'],
    [answer('20000', { sub_code: 'isp.unknow-error' }), 'retry'],
    [answer('40002', { sub_code: 'isv.invalid-signature' }), 'failed'],
  ])('cancel %j → %s', (r, kind) => {
    expect(classifyCancelAnswer(r).kind).toBe(kind);
  });

  it('a cancel that refunded a paid trade says so', () => {
    expect(classifyCancelAnswer(answer('10000', { action: 'refund' }))).toEqual({ kind: 'closed', refunded: true });
    expect(classifyCancelAnswer(answer('10000', { action: 'close' }))).toEqual({ kind: 'closed', refunded: false });
  });
});
