import { EventEmitter } from 'node:events';
import type { Lang, PromptCode, ScreenCommand, ScreenName, ScreenView, ViewOrder } from '../../screen-ui/protocol';
import type { Clock, TimerHandle } from '../clock';
import type { LaneCondition } from '../devices/lane-condition';
import type { Lane, ScanOutcome } from '../lane/lane';
import type { Committed, OrderEngine } from '../orders/engine';
import type { Order } from '../orders/order';
import type { Checkout } from '../payments/checkout';
import type { AttendantGate } from './attendant-gate';

/** What the screen needs from the kiosk; the composition root (device/screen.ts) adapts a Kiosk to it. */
export interface ScreenDeps {
  clock: Clock;
  engine: OrderEngine;
  lane: Lane;
  checkout: Checkout;
  gate: AttendantGate;
  storeName: string;
  currency: { code: string; minorUnits: number };
  languages: Lang[];
  defaultLang: Lang;
  /** The lane's condition now (device supervisor), or null without devices. */
  condition?: () => LaneCondition | null;
  /** Prints the receipt of a completed order. */
  printReceipt?: (orderId: string) => Promise<{ state: string }>;
  /** The payload the e-receipt QR encodes (the same as the printed receipt's QR). */
  receiptQr?: (order: Order) => string;
  /** Renders a QR code as SVG text. */
  qrSvg?: (data: string) => Promise<string>;
  /** How long the thank-you screen stays before the welcome screen (default 8 s). */
  thankYouMs?: number;
  /** Errors from background work (a payment run, a print) that must not crash the lane. */
  onError?: (e: unknown) => void;
}

export interface ScreenSessionEvents {
  view: [ScreenView];
}

/** Extra shopper messages the screen shows beyond the lane's scan refusals. */
const SCREEN_MESSAGES = {
  DECLINED: { 'zh-CN': '付款未成功，请重试或选择其他付款方式', en: 'Payment declined. Please try again or choose another method.' },
  PRINT_FAILED: { 'zh-CN': '小票打印失败，请联系工作人员', en: "The receipt couldn't be printed. Please see an attendant." },
  STILL_IN_DOUBT: {
    'zh-CN': '终端仍无法确认这笔付款。请查看终端后选择“已付款”或“未付款”。',
    en: 'The terminal cannot confirm this payment yet. Check the terminal, then mark it paid or not paid.',
  },
  NOT_NOW: { 'zh-CN': '请先完成当前步骤', en: 'Please finish the current step first.' },
} as const;

/** ZVT intermediate status codes the terminal sends during a payment (04 FF). */
function terminalPrompt(code: number): PromptCode {
  if (code === 0x0a || code === 0x0b || code === 0x0e) return 'insert_card';
  if (code === 0x01 || code === 0x02 || code === 0x03 || code === 0x11) return 'enter_pin';
  if (code === 0x04 || code === 0x05 || code === 0x06) return 'processing';
  return 'other';
}

/**
 * The state of the shopper's screen, one per lane, shared by every connected page: the open order (as committed),
 * the language, the payment prompt, the receipt step, attendant mode. Every change emits `view` with a complete
 * ScreenView, so a page that (re)connects needs nothing but the latest view. Commands are checked against the
 * order's state here; the order engine's guards remain the authority.
 *
 * Rules: the order shown is the engine's open order (restored from the database on `start`, so a reload or a
 * kiosk restart shows the same screen); an order that reaches `paid` is completed at once (it takes its receipt
 * number) and the receipt choice follows; attendant actions need a PIN (or badge) first and carry the attendant id
 * into the journal.
 */
export class ScreenSession extends EventEmitter<ScreenSessionEvents> {
  private lang: Lang;
  private order: Order | null = null;
  private started = false;
  private prompt: { code: PromptCode; text: string | null } | null = null;
  private message: { code: string; text: Record<string, string> } | null = null;
  private receipt: ScreenView['receipt'] = null;
  private attendant: ScreenView['attendant'] = { active: false, attendantId: null, pinPad: false, error: null, lockedUntil: null };
  private thankYouTimer: TimerHandle | null = null;
  private seq = 0;
  private completing = new Set<string>();
  private readonly onCommitted = (c: Committed) => this.committed(c);

  constructor(private readonly deps: ScreenDeps) {
    super();
    this.lang = deps.defaultLang;
  }

  /** Loads the open order and follows the engine. A paid order left by a crash is completed now. */
  async start(): Promise<void> {
    this.deps.engine.on('committed', this.onCommitted);
    this.order = await this.deps.engine.openOrder();
    if (this.order?.state === 'paid') await this.complete(this.order.id);
    this.changed();
  }

  stop(): void {
    this.deps.engine.off('committed', this.onCommitted);
    if (this.thankYouTimer) this.deps.clock.clearTimeout(this.thankYouTimer);
    this.thankYouTimer = null;
  }

  private committed(c: Committed): void {
    const o = c.order;
    if (this.receipt && o.id !== this.receipt.orderId) this.clearReceipt();
    this.order = o;
    const ev = c.event;
    if (ev.type === 'payment_started') {
      this.message = null;
      this.prompt = ev.method === 'qr' ? { code: 'scan_payment_code', text: null } : null;
    }
    if (ev.type === 'payment_declined' || (ev.type === 'payment_resolved' && ev.outcome === 'declined')) {
      this.prompt = null;
      this.message = { code: 'DECLINED', text: SCREEN_MESSAGES.DECLINED };
    }
    if (ev.type === 'payment_approved' || ev.type === 'payment_resolved') this.prompt = null;
    if (ev.type === 'item_added' || ev.type === 'member_attached') this.started = true;
    if (o.state === 'paid') void this.complete(o.id);
    if (ev.type === 'order_completed') {
      this.receipt = { orderId: o.id, receiptNo: o.receiptNo, total: o.priced.total, choice: null, printed: null, qrSvg: null };
      this.message = null;
    }
    if (ev.type === 'order_cancelled' || ev.type === 'idle_prompt_expired') {
      this.started = false;
      this.message = null;
      this.prompt = null;
    }
    if (o.state === 'completed' || o.state === 'cancelled') this.order = null;
    this.changed();
  }

  private async complete(orderId: string): Promise<void> {
    if (this.completing.has(orderId)) return;
    this.completing.add(orderId);
    try {
      const o = await this.deps.engine.get(orderId);
      if (o.state === 'paid') await this.deps.engine.dispatch(orderId, { type: 'order_completed' });
    } catch (e) {
      this.deps.onError?.(e);
    } finally {
      this.completing.delete(orderId);
    }
  }

  /** A terminal prompt during a card payment ("insert card", "enter PIN"). */
  terminalPrompt(p: { code: number; text: string }): void {
    if (this.order?.state !== 'payment_pending') return;
    this.prompt = { code: terminalPrompt(p.code), text: p.text };
    this.changed();
  }

  /** A scanner read and what the lane made of it: refusals become the shopper's message; a badge opens attendant mode. */
  scanned(o: ScanOutcome, raw: string): void {
    if (!o.ok) {
      const badge = this.deps.gate.badgeId(raw);
      if (badge) {
        this.attendant = { active: true, attendantId: badge, pinPad: false, error: null, lockedUntil: null };
      } else {
        this.message = { code: o.code, text: o.message };
      }
    } else if (o.action === 'payment_code') {
      if (this.order?.state === 'payment_pending') this.prompt = { code: 'confirm_in_app', text: null };
    } else {
      this.message = null;
    }
    this.changed();
  }

  /** The lane's condition changed (device up/down). */
  conditionChanged(): void {
    this.changed();
  }

  private clearReceipt(): void {
    this.receipt = null;
    if (this.thankYouTimer) this.deps.clock.clearTimeout(this.thankYouTimer);
    this.thankYouTimer = null;
  }

  private changed(): void {
    this.emit('view', this.view());
  }

  private screen(): ScreenName {
    const o = this.order;
    const cond = this.deps.condition?.() ?? null;
    const inPayment = o && (o.state === 'payment_pending' || o.state === 'payment_unknown' || o.state === 'paid');
    if (this.receipt) return this.receipt.choice === null ? 'receipt_choice' : 'thank_you';
    if (cond && !cond.inService && !inPayment) return 'out_of_service';
    if (!o) return this.deps.lane.closed ? 'lane_closed' : this.started ? 'scanning' : 'welcome';
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

  /** The complete view now. */
  view(): ScreenView {
    const o = this.order;
    const cond = this.deps.condition?.() ?? null;
    const pendingPay = o?.payments.find((p) => p.status === 'pending');
    const unknown = o?.payments.find((p) => p.status === 'unknown');
    const order: ViewOrder | null = o
      ? {
          id: o.id,
          state: o.state,
          lines: o.lines.map((l) => {
            const priced = o.priced.lines.find((p) => p.lineId === l.lineId);
            return {
              lineId: l.lineId,
              name: l.names,
              quantity: l.quantity,
              weightGrams: l.weightGrams,
              unitPrice: l.embeddedPrice ?? l.unitPrice,
              gross: priced?.gross ?? 0,
              discount: priced?.discount ?? 0,
              net: priced?.net ?? 0,
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
          receiptNo: o.receiptNo,
          pending: o.pending.map((p) => ({ ...p })),
          unknownPayment: unknown ? { method: unknown.method, amount: unknown.amount } : null,
        }
      : null;
    return {
      seq: ++this.seq,
      lang: this.lang,
      languages: this.deps.languages,
      screen: this.screen(),
      storeName: this.deps.storeName,
      currency: this.deps.currency,
      order,
      methods: this.deps.checkout.methods(),
      paying: o?.state === 'payment_pending' && pendingPay ? { method: pendingPay.method, prompt: this.prompt?.code ?? null, promptText: this.prompt?.text ?? null } : null,
      message: this.message,
      receipt: this.receipt,
      outOfService: cond && !cond.inService ? { reasons: cond.reasons, message: cond.message } : null,
      attendant: { ...this.attendant, lockedUntil: this.deps.gate.locked() },
    };
  }

  private need(ok: boolean, why: string): void {
    if (!ok) throw new ScreenCommandError(why);
  }

  private attendantId(): string {
    this.need(this.attendant.active && this.attendant.attendantId !== null, 'attendant mode is not open');
    return this.attendant.attendantId!;
  }

  private async open(): Promise<Order> {
    const o = await this.deps.engine.openOrder();
    this.need(o !== null, 'no open order');
    return o!;
  }

  /**
   * Runs one command from a screen (already validated for shape). Throws ScreenCommandError when the command does
   * not fit the current state; engine refusals propagate as KioskError. The view follows by itself.
   */
  async command(c: ScreenCommand): Promise<void> {
    const { engine, lane, checkout } = this.deps;
    switch (c.kind) {
      case 'language':
        this.need(this.deps.languages.includes(c.lang), `language ${c.lang} is not offered`);
        this.lang = c.lang;
        break;
      case 'start':
        this.need(this.receipt === null, 'finish the receipt step first');
        this.started = true;
        break;
      case 'checkout': {
        const o = await this.open();
        await engine.dispatch(o.id, { type: 'checkout_started' });
        return;
      }
      case 'back_to_shopping': {
        const o = await this.open();
        await engine.dispatch(o.id, { type: 'shopping_resumed' });
        return;
      }
      case 'pay': {
        const o = await this.open();
        this.need(o.state === 'awaiting_payment', `cannot pay in state ${o.state}`);
        this.need(checkout.methods().includes(c.method), `payment method ${c.method} is not available`);
        // runs in the background: the screen follows the order's commits and the terminal's prompts
        void checkout.pay(o.id, c.method).catch((e: unknown) => {
          this.message = { code: 'DECLINED', text: SCREEN_MESSAGES.DECLINED };
          this.deps.onError?.(e);
          this.changed();
        });
        return;
      }
      case 'help': {
        const o = await engine.openOrder();
        if (o) await engine.dispatch(o.id, { type: 'help_requested' });
        else this.attendant = { ...this.attendant, active: false, pinPad: true, error: null };
        break;
      }
      case 'still_here': {
        const o = await this.open();
        await engine.dispatch(o.id, { type: 'shopper_active' });
        return;
      }
      case 'request_void': {
        const o = await this.open();
        this.need(
          o.lines.some((l) => l.lineId === c.lineId),
          `no line ${c.lineId}`,
        );
        await engine.dispatch(o.id, { type: 'void_requested', lineId: c.lineId });
        return;
      }
      case 'receipt': {
        const r = this.receipt;
        this.need(r !== null && r.choice === null, 'no receipt choice is open');
        this.receipt = { ...r!, choice: c.choice };
        this.changed();
        if (c.choice === 'print' && this.deps.printReceipt) {
          const printed = await this.deps.printReceipt(r!.orderId).then(
            (p) => (p.state === 'printed' ? 'ok' : 'failed'),
            (e: unknown) => {
              this.deps.onError?.(e);
              return 'failed' as const;
            },
          );
          if (this.receipt?.orderId === r!.orderId) this.receipt = { ...this.receipt, printed };
          if (printed === 'failed') this.message = { code: 'PRINT_FAILED', text: SCREEN_MESSAGES.PRINT_FAILED };
        }
        if (c.choice === 'e_receipt' && this.deps.receiptQr && this.deps.qrSvg) {
          const order = await engine.get(r!.orderId);
          const svg = await this.deps.qrSvg(this.deps.receiptQr(order));
          if (this.receipt?.orderId === r!.orderId) this.receipt = { ...this.receipt, qrSvg: svg };
        }
        if (this.thankYouTimer) this.deps.clock.clearTimeout(this.thankYouTimer);
        this.thankYouTimer = this.deps.clock.setTimeout(() => {
          this.thankYouTimer = null;
          if (this.receipt?.orderId === r!.orderId) this.finishReceipt();
        }, this.deps.thankYouMs ?? (c.choice === 'e_receipt' ? 30_000 : 8_000));
        break;
      }
      case 'done':
        this.need(this.receipt !== null, 'nothing to finish');
        this.finishReceipt();
        return;
      case 'attendant_open':
        this.attendant = { ...this.attendant, pinPad: true, error: null };
        break;
      case 'attendant_close':
        this.attendant = { active: false, attendantId: null, pinPad: false, error: null, lockedUntil: null };
        if (this.message?.code === 'STILL_IN_DOUBT') this.message = null;
        break;
      case 'attendant_pin': {
        const r = await this.deps.gate.checkPin(c.pin);
        this.attendant = r.ok
          ? { active: true, attendantId: r.attendantId, pinPad: false, error: null, lockedUntil: null }
          : { ...this.attendant, active: false, attendantId: null, pinPad: true, error: r.reason, lockedUntil: r.lockedUntil };
        this.changed();
        if (!r.ok) throw new ScreenCommandError(r.reason === 'locked' ? 'keypad locked' : 'wrong PIN');
        return;
      }
      case 'attendant_approve':
      case 'attendant_reject':
        await lane.attendant(c.kind === 'attendant_approve' ? 'approve' : 'reject', this.attendantId());
        return;
      case 'attendant_cancel_order': {
        const id = this.attendantId();
        const o = await this.open();
        await engine.dispatch(o.id, { type: 'order_cancelled', reason: 'cancelled by the attendant', attendantId: id });
        return;
      }
      case 'attendant_resolve': {
        const id = this.attendantId();
        const o = await this.open();
        await checkout.decide(o.id, c.outcome, id);
        return;
      }
      case 'attendant_recheck': {
        this.attendantId();
        const o = await this.open();
        const after = await checkout.recover(o.id);
        if (after.state !== 'payment_unknown') return;
        this.message = { code: 'STILL_IN_DOUBT', text: SCREEN_MESSAGES.STILL_IN_DOUBT };
        break;
      }
    }
    this.changed();
  }

  private finishReceipt(): void {
    this.clearReceipt();
    this.started = false;
    this.message = null;
    this.changed();
  }
}

/** A screen command that does not fit the current state (nothing changed). */
export class ScreenCommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScreenCommandError';
  }
}

