import { KioskError } from '../../kernel/errors';
import { defaultReturnsPolicy } from '../../config/returns-policy';
import { refundInDoubtError } from '../payments/refunds';
import { returnFailure, returnNotice, returnsPolicyView } from './lane-return';

const CNY = { code: 'CNY', minorUnits: 2 };

describe('lane return texts (what the attendant reads)', () => {
  it('a refusal by the policy is shown in its own words, in both languages', () => {
    const e = new KioskError('RETURN_REFUSED', 'x', { rule: 'window', text: { 'zh-CN': '已超过 7 天退货期限', en: 'the 7-day return window has passed' } });
    expect(returnFailure(e, CNY)).toEqual({ 'zh-CN': '不能退货：已超过 7 天退货期限', en: 'Return refused: the 7-day return window has passed' });
  });

  it('a provider that declined part way says what went back and what did not', () => {
    const e = new KioskError('PAYMENT_DECLINED', 'card refund declined: limit; refunded 250 of 550', { refunded: 250, left: 300 });
    expect(returnFailure(e, CNY).en).toBe('Refund not completed: ¥2.50 refunded, ¥3.00 not paid back (card refund declined: limit; refunded 250 of 550). Check the order\'s refunds before handling the rest');
  });

  it('a provider that did not answer leaves the refund in doubt: never "not paid back", never "try again"', () => {
    const e = refundInDoubtError('card refund: timeout', { refunded: 0, left: 550, inDoubt: 550, refundAttemptIds: ['ra-1'] });
    const t = returnFailure(e, CNY);
    expect(t.en).toBe(`Refund outcome unknown: ¥0.00 confirmed, ¥5.50 not confirmed (${e.message}). Check the terminal or the payment channel first; do not pay it back another way`);
    expect(e.message).toMatch(/^refund outcome unknown: card refund: timeout; refunded 0, 550 in doubt/);
    expect(t['zh-CN']).toContain('退款结果未知');
    for (const text of Object.values(t)) expect(text).not.toMatch(/try again|重试/i);
  });

  it('the notice follows the structured outcome, not the wording: a declined refund whose text says "failed" is no doubt', () => {
    const e = new KioskError('PAYMENT_DECLINED', 'card refund failed: whatever; refunded 0 of 550', { refunded: 0, left: 550 });
    expect(returnFailure(e, CNY).en).toMatch(/^Refund not completed: /);
  });

  it('an order that cannot be returned, a guard refusal, anything else', () => {
    expect(returnFailure(new KioskError('EVENT_NOT_ALLOWED', 'x', { state: 'refunded' }), CNY).en).toBe('This order cannot be returned (state refunded, e.g. refunded already): nothing was refunded');
    expect(returnFailure(new KioskError('GUARD_REJECTED', 'line L1 was refunded before'), CNY).en).toBe('Return refused: line L1 was refunded before. Nothing was refunded');
    expect(returnFailure(new Error('disk full'), CNY).en).toBe('Return not completed: disk full');
  });

  it('a replayed return says it was done before and names no new money', () => {
    const r = { orderId: 'o', returnId: 'r', replayed: true, state: 'refunded' as const, refund: { amount: 550, attendantId: 'a', at: 0, reason: 'defective', returnId: 'r' } };
    expect(returnNotice(r, defaultReturnsPolicy(), CNY)).toEqual({ 'zh-CN': '此退货已办理过（¥5.50），没有重复退款', en: 'This return was done already (¥5.50): nothing was refunded again' });
  });

  it('who may approve: any attendant, only listed supervisors, never the lane when HQ approves', () => {
    const p = defaultReturnsPolicy();
    expect(returnsPolicyView(p, 'att-1')).toMatchObject({ canApprove: true, why: null });
    expect(returnsPolicyView({ ...p, approval: 'supervisor', supervisors: ['sup'] }, 'sup')).toMatchObject({ canApprove: true, why: null });
    expect(returnsPolicyView({ ...p, approval: 'supervisor', supervisors: ['sup'] }, 'att-1')).toMatchObject({ canApprove: false, why: { en: expect.stringContaining('att-1 is not a supervisor') } });
    expect(returnsPolicyView({ ...p, approval: 'hq', supervisors: ['sup'] }, 'sup')).toMatchObject({ canApprove: false, why: { en: expect.stringContaining('HQ only') } });
  });
});
