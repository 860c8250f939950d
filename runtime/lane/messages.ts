import type { LocalizedText } from '../pricing/types';

/** What the shopper is told, per outcome code. Technicians get the `detail` text alongside. */
export const SHOPPER_MESSAGES = {
  BAD_BARCODE: { 'zh-CN': '无法识别此条码，请重新扫描或寻求帮助', en: "We couldn't read that barcode. Please scan again or ask for help." },
  ITEM_NOT_FOUND: { 'zh-CN': '未找到该商品，请联系工作人员', en: 'Item not found. Please see an attendant.' },
  ITEM_UNPRICEABLE: { 'zh-CN': '此商品需要工作人员协助，已呼叫工作人员', en: 'This item needs an attendant. One is on the way.' },
  WEIGHT_REQUIRED: { 'zh-CN': '称重商品请先在秤上称重并贴上标签', en: 'Please weigh this item and scan its label.' },
  LANE_BUSY: { 'zh-CN': '请先完成当前步骤', en: 'Please finish the current step first.' },
  PAYMENT_UNRESOLVED: { 'zh-CN': '正在确认您的付款，请稍候', en: "We're checking your payment. Please wait." },
  NEEDS_ATTENDANT: { 'zh-CN': '请等待工作人员确认', en: 'Please wait for an attendant.' },
  LANE_CLOSED: { 'zh-CN': '本通道暂停服务，请使用其他收银台', en: 'This lane is closed. Please use another checkout.' },
  OUT_OF_SERVICE: { 'zh-CN': '本收银台暂停服务，请使用其他收银台或联系工作人员', en: 'This lane is out of service. Please use another lane or ask a member of staff.' },
  ITEM_RECALLED: { 'zh-CN': '此商品不能销售，工作人员马上就到', en: 'This item cannot be sold. An attendant is on the way.' },
  ITEM_EXPIRED: { 'zh-CN': '此商品已过期，不能销售，工作人员马上就到', en: 'This item is past its date and cannot be sold. An attendant is on the way.' },
  ITEM_LOT_CHECK: { 'zh-CN': '工作人员将在付款前核对此商品的批次，请稍候', en: "An attendant will check this item's batch before you pay. Please wait." },
  PAYMENT_CODE_NOT_NOW: { 'zh-CN': '请在付款时出示付款码', en: 'Please show your payment code when paying.' },
} satisfies Record<string, LocalizedText>;

export type ShopperMessageCode = keyof typeof SHOPPER_MESSAGES;
