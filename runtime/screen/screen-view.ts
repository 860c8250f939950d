import type { ScreenName, ScreenView, ViewAttendant, ViewOrder } from '../../protocol/screen';
import type { Order } from '../orders/order';
import { lineGross } from '../pricing/line-amounts';
import type { ScreenDeps } from './screen-deps';
import type { ScreenState } from './screen-state';

/** The screen's own colours when the config names none (config/defaults.ts `screen.branding`). */
const DEFAULT_BRANDING: ScreenView['branding'] = { primaryColor: '#0a7d32', accentColor: '#ffd400', logoUrl: null };

/** Which screen the shopper sees, from the receipt step, the lane's condition and the open order's state. */
export function screenName(deps: ScreenDeps, state: ScreenState): ScreenName {
  const o = state.order;
  const cond = deps.condition?.() ?? null;
  const inPayment = o && (o.state === 'payment_pending' || o.state === 'payment_unknown' || o.state === 'paid');
  if (state.receipt) return state.receipt.choice === null ? 'receipt_choice' : 'thank_you';
  if (cond && !cond.inService && !inPayment) return 'out_of_service';
  if (!o) return deps.lane.closed ? 'lane_closed' : state.started ? 'scanning' : 'welcome';
  switch (o.state) {
    case 'needs_attendant':
      return 'attendant_wait';
    case 'idle_prompt':
      return 'idle_prompt';
    case 'awaiting_payment':
      return 'payment_method';
    case 'payment_pending':
      return 'paying';
    case 'payment_unknown':
      return 'checking_payment';
    default:
      return 'scanning';
  }
}

/** The order as the shopper sees it: lines with their prices (a line awaiting its age check shows what it will cost). */
function viewOrder(o: Order, lastLineId: string | null, member: ScreenState['member'], redeemOn: boolean): ViewOrder {
  const unknown = o.payments.find((p) => p.status === 'unknown');
  return {
    id: o.id,
    state: o.state,
    lines: o.lines.map((l) => {
      const priced = o.priced.lines.find((p) => p.lineId === l.lineId);
      // a line waiting for its age check is not billed yet, but the shopper sees what it will cost
      const gross = priced?.gross ?? lineGross(l);
      return {
        lineId: l.lineId,
        name: l.names,
        quantity: l.quantity,
        weightGrams: l.weightGrams,
        unitPrice: l.embeddedPrice ?? l.unitPrice,
        gross,
        discount: priced?.discount ?? 0,
        net: priced?.net ?? gross,
        ageLimit: l.ageLimit,
        approved: l.approved,
        voidRequested: o.pending.some((p) => p.kind === 'void' && p.lineId === l.lineId),
      };
    }),
    discounts: o.priced.discounts.map((d) => ({ label: d.label, amount: d.amount })),
    subtotal: o.priced.subtotal,
    discountTotal: o.priced.discountTotal,
    total: o.priced.total,
    paid: o.paid,
    due: o.priced.total - o.paid,
    memberId: o.memberId,
    pointsEarned: o.pointsEarned,
    member:
      o.memberId !== null && member?.memberId === o.memberId
        ? { customerType: member.customerType, available: member.redeemable, canRedeem: redeemOn && (o.state === 'shopping' || o.state === 'awaiting_payment') && o.paid === 0 }
        : null,
    pointsRedeemed: o.pointsRedeemed ?? 0,
    pointsDiscount: o.pointsDiscount ?? 0,
    receiptNo: o.receiptNo,
    pending: o.pending.map((p) => ({ ...p })),
    unknownPayment: unknown ? { method: unknown.method, amount: unknown.amount } : null,
    lastLineId: lastLineId !== null && o.lines.some((l) => l.lineId === lastLineId) ? lastLineId : null,
  };
}

/**
 * The complete view: everything a page needs to draw the shopper's screen, projected from the screen's state, the
 * lane's condition and the open order. `attendant` is the attendant panel as this page's connection sees it.
 */
export function projectView(deps: ScreenDeps, state: ScreenState, seq: number, attendant: ViewAttendant): ScreenView {
  const o = state.order;
  const cond = deps.condition?.() ?? null;
  const pendingPay = o?.payments.find((p) => p.status === 'pending');
  return {
    seq,
    lang: state.lang,
    languages: deps.languages,
    screen: screenName(deps, state),
    storeName: deps.storeName,
    currency: deps.currency,
    order: o ? viewOrder(o, state.lastLineId, state.member ?? null, deps.members?.redeemOn() ?? false) : null,
    methods: deps.checkout.methods(),
    paying:
      o?.state === 'payment_pending' && pendingPay
        ? {
            method: pendingPay.method,
            prompt: state.prompt,
            qrSvg: state.payQr?.attemptId === pendingPay.attemptId ? state.payQr.svg : null,
          }
        : null,
    message: state.message,
    receipt: state.receipt,
    outOfService: cond && !cond.inService ? { reasons: cond.reasons, message: cond.message } : null,
    attendant,
    laneClosed: deps.lane.closed,
    branding: deps.branding ?? DEFAULT_BRANDING,
  };
}
