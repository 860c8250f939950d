import type { ScreenCommand } from '../../protocol/screen';
import { isStorageFailure } from '../../kernel/sqlite/storage-failure';
import { SHOPPER_MESSAGES } from '../lane/messages';
import { need, openOrder } from './screen-command-error';
import { SCREEN_MESSAGES } from './screen-messages';
import type { ScreenContext } from './screen-state';

/** The commands a shopper's tap sends (everything but attendant mode). */
export type ShopperCommand = Exclude<ScreenCommand, { kind: `attendant_${string}` }>;

export function isShopperCommand(c: ScreenCommand): c is ShopperCommand {
  return !c.kind.startsWith('attendant_');
}

/**
 * Runs one shopper command. Throws ScreenCommandError when it does not fit the current state; engine refusals
 * propagate as KioskError. Returns whether the view must be sent now (commands that commit to the order engine
 * are shown when the commit arrives).
 */
export async function runShopperCommand(ctx: ScreenContext, c: ShopperCommand): Promise<boolean> {
  const { deps, state } = ctx;
  const { engine, checkout } = deps;
  switch (c.kind) {
    case 'language':
      need(deps.languages.includes(c.lang), `language ${c.lang} is not offered`);
      state.lang = c.lang;
      return true;
    case 'start':
      need(state.receipt === null, 'finish the receipt step first');
      state.started = true;
      return true;
    case 'checkout': {
      const o = await openOrder(engine);
      await engine.dispatch(o.id, { type: 'checkout_started' });
      return false;
    }
    case 'back_to_shopping': {
      const o = await openOrder(engine);
      await engine.dispatch(o.id, { type: 'shopping_resumed' });
      return false;
    }
    case 'pay': {
      const o = await openOrder(engine);
      need(o.state === 'awaiting_payment', `cannot pay in state ${o.state}`);
      need(checkout.methods().includes(c.method), `payment method ${c.method} is not available`);
      // runs in the background: the screen follows the order's commits and the providers' prompts
      void checkout.pay(o.id, c.method).catch((e: unknown) => {
        // the run failed on our side (not a decline by the terminal): say so neutrally — but a payment started
        // whose outcome could not be recorded (storage failed) may have been charged: checked when storage is back
        state.message = isStorageFailure(e) && state.order?.id === o.id && state.order.state !== 'awaiting_payment'
          ? { code: 'PAYMENT_UNRESOLVED', text: SHOPPER_MESSAGES.PAYMENT_UNRESOLVED }
          : { code: 'NOT_CHARGED', text: SCREEN_MESSAGES.NOT_CHARGED };
        deps.onError?.(e);
        ctx.changed();
      });
      return false;
    }
    case 'cancel_payment': {
      // the provider aborts the running attempt; the order follows (declined → payment method, or paid if too late)
      const o = await openOrder(engine);
      need(o.state === 'payment_pending', `no payment is running (state ${o.state})`);
      need(checkout.abort(o.id), 'this payment can no longer be cancelled');
      state.cancelled = o.id;
      return false;
    }
    case 'help': {
      const o = await engine.openOrder();
      // without an order the call opens one waiting for the attendant: the lane light turns yellow either way
      await engine.dispatch(o ? o.id : null, { type: 'help_requested' });
      return false;
    }
    case 'still_here': {
      const o = await openOrder(engine);
      await engine.dispatch(o.id, { type: 'shopper_active' });
      return false;
    }
    case 'use_points': {
      const o = await openOrder(engine);
      need(o.memberId !== null && deps.members !== undefined, 'no member is attached');
      // the engine caps the points again at the member's balance (read in its transaction) and at the total
      const points = c.use ? (await deps.members!.standing(o.memberId!)).redeemable : 0;
      await engine.dispatch(o.id, { type: 'points_redeemed', points });
      return false;
    }
    case 'request_void': {
      const o = await openOrder(engine);
      need(
        o.lines.some((l) => l.lineId === c.lineId),
        `no line ${c.lineId}`,
      );
      await engine.dispatch(o.id, { type: 'void_requested', lineId: c.lineId });
      return false;
    }
    case 'receipt':
      await receiptChoice(ctx, c.choice);
      return true;
    case 'done':
      need(state.receipt !== null, 'nothing to finish');
      ctx.finishReceipt();
      return false;
  }
}

/** The shopper's receipt choice: print it, show the e-receipt QR (also when printing failed), or none; then thank-you. */
async function receiptChoice(ctx: ScreenContext, choice: 'print' | 'e_receipt' | 'none'): Promise<void> {
  const { deps, state } = ctx;
  const r = state.receipt;
  need(r !== null && r.choice === null, 'no receipt choice is open');
  state.receipt = { ...r, choice };
  ctx.changed();
  if (choice === 'print' && deps.printReceipt) {
    const printed = await deps.printReceipt(r.orderId).then(
      (p) => (p.state === 'printed' ? 'ok' : 'failed'),
      (e: unknown) => {
        deps.onError?.(e);
        return 'failed' as const;
      },
    );
    if (state.receipt?.orderId === r.orderId) state.receipt = { ...state.receipt, printed };
    if (printed === 'failed') state.message = { code: 'PRINT_FAILED', text: SCREEN_MESSAGES.PRINT_FAILED };
  }
  // the e-receipt QR: chosen, or offered because the paper one could not print (it stays pending and prints later)
  const offerQr = choice === 'e_receipt' || (choice === 'print' && state.receipt?.orderId === r.orderId && state.receipt.printed === 'failed');
  if (offerQr && deps.receiptQr && deps.qrSvg) {
    const order = await deps.engine.get(r.orderId);
    const svg = await deps.qrSvg(deps.receiptQr(order));
    if (state.receipt?.orderId === r.orderId) state.receipt = { ...state.receipt, qrSvg: svg };
  }
  if (state.thankYouTimer) deps.clock.clearTimeout(state.thankYouTimer);
  state.thankYouTimer = deps.clock.setTimeout(() => {
    state.thankYouTimer = null;
    if (state.receipt?.orderId === r.orderId) ctx.finishReceipt();
  }, deps.thankYouMs ?? (offerQr ? 30_000 : 8_000));
}
