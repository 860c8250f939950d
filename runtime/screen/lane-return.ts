import type { ScreenCommand, Text, ViewReturnsPolicy } from '../../protocol/screen';
import { isKioskError } from '../../kernel/errors';
import { formatMoney } from '../../kernel/money';
import type { ReturnsPolicy } from '../../config/returns-policy';
import { methodLabel } from '../../protocol/receipts/receipt-model';
import type { ReturnResult } from '../payments/returns';
import { need, ScreenCommandError } from './screen-command-error';
import type { ScreenContext } from './screen-state';

export type ReturnCommand = Extract<ScreenCommand, { kind: 'attendant_return' }>;

/**
 * The returns policy as the attendant of this session sees it: the reasons, the window, and whether they may
 * approve here (HQ-only stores and supervisor stores with a non-supervisor say why not before anything is tapped).
 */
export function returnsPolicyView(policy: ReturnsPolicy, attendantId: string): ViewReturnsPolicy {
  const why: Text | null =
    policy.approval === 'hq'
      ? { 'zh-CN': '本店退货须由总部批准：请在总部后台的订单页面办理', en: "Returns are approved by HQ only in this store: start it from the order's page in the HQ console" }
      : policy.approval === 'supervisor' && !policy.supervisors.includes(attendantId)
        ? { 'zh-CN': `退货须由主管批准：请主管在下方输入自己的密码（${attendantId} 不是主管）`, en: `A supervisor approves returns here: a supervisor types their own PIN below (${attendantId} is not a supervisor)` }
        : null;
  return { days: policy.days, reasons: policy.reasons.map((r) => ({ id: r.id, label: { ...r.label } })), approval: policy.approval, canApprove: why === null, why };
}

/** What the attendant reads after a return: refunded (how much, where to), done before, or why it was refused. */
export const RETURN_NOTICES = {
  returned: (amount: string, where: { 'zh-CN': string; en: string }, reason: { 'zh-CN': string; en: string }): Text => ({
    'zh-CN': `已退货：退款 ${amount} 已退回 ${where['zh-CN']}（原因：${reason['zh-CN']}）`,
    en: `Returned: ${amount} refunded to ${where.en} (reason: ${reason.en})`,
  }),
  replayed: (amount: string): Text => ({ 'zh-CN': `此退货已办理过（${amount}），没有重复退款`, en: `This return was done already (${amount}): nothing was refunded again` }),
  refused: (text: { 'zh-CN': string; en: string }): Text => ({ 'zh-CN': `不能退货：${text['zh-CN']}`, en: `Return refused: ${text.en}` }),
  notReturnable: (state: string): Text => ({
    'zh-CN': `此订单不能退货（状态 ${state}，例如已全部退款）：没有退款`,
    en: `This order cannot be returned (state ${state}, e.g. refunded already): nothing was refunded`,
  }),
  rejected: (why: string): Text => ({ 'zh-CN': `不能退货：${why}。没有退款`, en: `Return refused: ${why}. Nothing was refunded` }),
  partial: (refunded: string, left: string, why: string): Text => ({
    'zh-CN': `退款未完成：已退 ${refunded}，其余 ${left} 未退回（${why}）。请查看该订单的退款记录后再处理其余部分`,
    en: `Refund not completed: ${refunded} refunded, ${left} not paid back (${why}). Check the order's refunds before handling the rest`,
  }),
  /** The payment method did not answer the refund (timeout, link down): whether it paid back is not known. */
  inDoubt: (refunded: string, open: string, why: string): Text => ({
    'zh-CN': `退款结果未知：已确认退回 ${refunded}，${open} 未确认（${why}）。请先在终端或支付渠道核实，不要用其他方式退款`,
    en: `Refund outcome unknown: ${refunded} confirmed, ${open} not confirmed (${why}). Check the terminal or the payment channel first; do not pay it back another way`,
  }),
  failed: (why: string): Text => ({ 'zh-CN': `退货未完成：${why}`, en: `Return not completed: ${why}` }),
  supervisorPinWrong: { 'zh-CN': '主管密码错误：没有退款', en: 'Wrong supervisor PIN: nothing was refunded' },
  supervisorPinLocked: { 'zh-CN': '密码输入次数过多，键盘已锁定：没有退款', en: 'Too many wrong PINs, the keypad is locked: nothing was refunded' },
  slipFailed: { 'zh-CN': '退货单未能打印：请检查打印机（可重印）', en: 'The return slip did not print: check the printer' },
};

/** The result of a return, for the attendant, in every language. */
export function returnNotice(r: ReturnResult, policy: ReturnsPolicy, currency: { code: string; minorUnits: number }): Text {
  const money = (m: number) => formatMoney(m, currency.code, currency.minorUnits);
  if (r.replayed) return RETURN_NOTICES.replayed(money(r.refund.amount));
  const allocations = r.refund.allocations ?? [];
  const where = (locale: 'zh-CN' | 'en') => allocations.map((a) => methodLabel(a.method, locale, a.reference?.channel)).join(' + ') || '-';
  const reason = policy.reasons.find((x) => x.id === r.refund.reason)?.label ?? { 'zh-CN': r.refund.reason ?? '-', en: r.refund.reason ?? '-' };
  return RETURN_NOTICES.returned(money(r.refund.amount), { 'zh-CN': where('zh-CN'), en: where('en') }, reason);
}

/** Why a return did not go through, in every language: the policy's own words when it refused. */
export function returnFailure(e: unknown, currency: { code: string; minorUnits: number }): Text {
  const money = (m: number) => formatMoney(m, currency.code, currency.minorUnits);
  if (isKioskError(e)) {
    const d = e.details as { text?: { 'zh-CN': string; en: string }; state?: string; refunded?: number; left?: number; outcome?: string };
    if (e.code === 'RETURN_REFUSED' && d.text) return RETURN_NOTICES.refused(d.text);
    // runtime/payments/refunds.ts refundInDoubtError: the provider did not answer (timeout, link down), so whether that
    // part went back is not known; it is recorded in doubt and settled by asking the terminal / channel
    if (d.outcome === 'unknown' && typeof d.refunded === 'number' && typeof d.left === 'number') return RETURN_NOTICES.inDoubt(money(d.refunded), money(d.left), e.message);
    if (e.code === 'EVENT_NOT_ALLOWED') return RETURN_NOTICES.notReturnable(d.state ?? '?');
    if (e.code === 'GUARD_REJECTED') return RETURN_NOTICES.rejected(e.message);
    // declined, or refused before anything was sent: what is left was not paid back
    if (e.code === 'PAYMENT_DECLINED' && typeof d.refunded === 'number' && typeof d.left === 'number') return RETURN_NOTICES.partial(money(d.refunded), money(d.left), e.message);
  }
  return RETURN_NOTICES.failed(e instanceof Error ? e.message : String(e));
}

/**
 * Runs a return from the attendant's Return form through the store's returns (runtime/payments/returns.ts, as
 * `kiosk orders return`), approved by the attendant of this session. A second command with the same return id
 * while the first runs joins it (the double tap), one after it is answered from the journal (`replayed`): either
 * way the money goes back once. A return that paid something prints its slip when the lane has a printer. The
 * outcome is the attendant's notice; a refusal also propagates (the page's command result).
 */
export async function runLaneReturn(ctx: ScreenContext, c: ReturnCommand, attendantId: string): Promise<void> {
  const { deps, state } = ctx;
  const returns = deps.returns;
  need(returns !== undefined, 'returns are not available on this lane');
  const policy = returns.policy();
  const joined = ctx.returnsInFlight.get(c.returnId);
  if (joined) {
    // the second tap of the same form while the first runs: the same return, answered by the first's notice
    await joined;
    return;
  }
  // in flight from here (the supervisor's PIN check included): a second tap joins, it never checks the PIN again
  const running = (async () => {
    const approver = c.supervisorPin !== undefined && policy.approval === 'supervisor' ? await supervisor(ctx, c, attendantId) : attendantId;
    return returns.run(c.orderId, { returnId: c.returnId, reason: c.reason, attendantId: approver, by: 'lane', ...(c.lineIds ? { lineIds: c.lineIds } : {}) });
  })();
  ctx.returnsInFlight.set(c.returnId, running);
  let r: ReturnResult;
  try {
    r = await running;
  } catch (e) {
    if (!(e instanceof ScreenCommandError)) state.attendant = { ...state.attendant, notice: { action: 'return', ok: false, text: returnFailure(e, deps.currency), returnId: c.returnId } };
    ctx.changed();
    throw e;
  } finally {
    // answered: a later command with this id is answered from the journal (`replayed`)
    ctx.returnsInFlight.delete(c.returnId);
  }
  let text = returnNotice(r, policy, deps.currency);
  // the slip of a return that paid something back now (a replay prints nothing again)
  if (!r.replayed && deps.printReturn) {
    // a printer fault is the notice's, not an error of the lane: the return itself is done and journaled
    const printed = await deps.printReturn(c.orderId, c.returnId).catch(() => ({ state: 'failed' }));
    if (printed.state !== 'printed') text = { 'zh-CN': `${text['zh-CN']}。${RETURN_NOTICES.slipFailed['zh-CN']}`, en: `${text.en}. ${RETURN_NOTICES.slipFailed.en}` };
  }
  state.attendant = { ...state.attendant, notice: { action: 'return', ok: true, text, returnId: c.returnId } };
}

/**
 * The approver when a supervisor typed their own PIN on the Return form (policy `supervisor`, the attendant of the
 * session is not one): the gate's PIN check (same lockout as the keypad; a wrong PIN is reported as a refusal, never
 * the PIN). The returns policy then checks that the PIN's holder is a listed supervisor.
 */
async function supervisor(ctx: ScreenContext, c: ReturnCommand, attendantId: string): Promise<string> {
  const r = await ctx.deps.gate.checkPin(c.supervisorPin);
  if (r.ok) return r.attendantId;
  ctx.deps.onAttendantRefused?.({ cause: r.reason === 'locked' ? 'pin_locked' : 'wrong_pin', attendantId, command: 'attendant_return', suppressed: 0 });
  const text = r.reason === 'locked' ? RETURN_NOTICES.supervisorPinLocked : RETURN_NOTICES.supervisorPinWrong;
  ctx.state.attendant = { ...ctx.state.attendant, notice: { action: 'return', ok: false, text, returnId: c.returnId } };
  ctx.changed();
  throw new ScreenCommandError(`not_approved: ${text.en}`);
}
