/** The texts the screen session itself writes, in every language (the lane's scan refusals are in runtime/lane/messages.ts). */

/** Extra shopper messages the screen shows beyond the lane's scan refusals. */
export const SCREEN_MESSAGES = {
  DECLINED: { 'zh-CN': '付款未成功，请重试或选择其他付款方式', en: 'Payment declined. Please try again or choose another method.' },
  /** The payment did not go through and nothing was charged (terminal unplugged, never sent, marked unpaid). */
  NOT_CHARGED: { 'zh-CN': '付款未完成，未扣款。请重试或选择其他付款方式', en: 'Payment not completed, nothing was charged. Please try again or choose another method.' },
  PRINT_FAILED: {
    'zh-CN': '小票暂时无法打印，打印机恢复后会自动打印。您也可以扫码获取电子小票，或联系工作人员。',
    en: "The receipt couldn't be printed yet: it prints when the printer is back. Scan the QR for your e-receipt, or see an attendant.",
  },
  STILL_IN_DOUBT: {
    'zh-CN': '终端仍无法确认这笔付款。请查看终端后选择“已付款”或“未付款”。',
    en: 'The terminal cannot confirm this payment yet. Check the terminal, then mark it paid or not paid.',
  },
} as const;

/** What the attendant is told after an action. */
export const NOTICES = {
  reprinted: (n: number) => ({ 'zh-CN': `已重印小票（第 ${n} 次）`, en: `Receipt reprinted (reprint ${n})` }),
  reprintFailed: { 'zh-CN': '重印失败：请检查打印机', en: 'Reprint failed: check the printer' },
  refunded: (amount: string) => ({ 'zh-CN': `已退款 ${amount}`, en: `Refunded ${amount}` }),
  failed: (why: string) => ({ 'zh-CN': `未完成：${why}`, en: `Not done: ${why}` }),
  refundStillInDoubt: (n: number) => ({ 'zh-CN': `终端无法确认 ${n} 笔退款的结果：请确认顾客是否已收到退款`, en: `The terminal cannot tell what became of ${n} refund(s): decide whether the shopper got the money` }),
  refundDoubtSettled: { 'zh-CN': '终端已确认退款结果', en: 'The terminal settled the refunds in doubt' },
  refundDecided: (amount: string, refunded: boolean) =>
    refunded
      ? { 'zh-CN': `已记录：顾客已收到退款 ${amount}`, en: `Recorded: the shopper got ${amount} back` }
      : { 'zh-CN': `已记录：退款 ${amount} 未完成，可重新退款`, en: `Recorded: ${amount} was not refunded; the refund may be retried` },
  refundTerminalAnswered: (amount: string, refunded: boolean) =>
    refunded
      ? { 'zh-CN': `终端已确认：退款 ${amount} 已完成`, en: `The terminal answered: ${amount} was refunded` }
      : { 'zh-CN': `终端已确认：退款 ${amount} 未完成，可重新退款`, en: `The terminal answered: ${amount} was not refunded; the refund may be retried` },
};
