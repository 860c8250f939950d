import { EventEmitter } from 'node:events';
import type { Lang, PromptCode, ScreenCommand, ScreenName, ScreenView, ViewAttendant, ViewHealthRow, ViewOrder, ViewPastOrder } from '../../protocol/screen';
import type { Clock, TimerHandle } from '../../kernel/clock';
import type { LaneCondition } from '../supervision/lane-condition';
import type { Lane, ScanOutcome } from '../lane/lane';
import type { Committed, OrderEngine } from '../orders/engine';
import type { Order } from '../orders/order';
import { allowedEvents } from '../orders/machine';
import { isOpen } from '../orders/states';
import { lineGross } from '../pricing/line-amounts';
import type { Checkout } from '../payments/checkout';
import { isKioskError } from '../../kernel/errors';
import { isStorageFailure } from '../../kernel/sqlite/storage-failure';
import { SHOPPER_MESSAGES } from '../lane/messages';
import type { AttendantGate } from './attendant-gate';
import { AttendantSession, BADGE_MESSAGES, LOCAL_CONNECTION, MONEY_COMMANDS, type AttendantRefusal } from './attendant-session';

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
  /** Receipts not printed yet (the job ledger): `pending` (nothing sent) or `in_doubt` (sent, not confirmed). */
  unprintedReceipts?: () => Promise<{ orderId: string; state: 'pending' | 'in_doubt' }[]>;
  /** Renders a QR code as SVG text. */
  qrSvg?: (data: string) => Promise<string>;
  /** How long the thank-you screen stays before the welcome screen (default 8 s). */
  thankYouMs?: number;
  /** How long a started screen without an order waits before going back to welcome (default 90 s). */
  idleMs?: number;
  /** Opens or closes the lane (journaled with the attendant id). */
  setLane?: (open: boolean, attendantId: string) => Promise<void>;
  /** The device health check (`kiosk doctor`). */
  doctor?: () => Promise<{ ok: boolean; rows: ViewHealthRow[] }>;
  /** Reprints a completed order's receipt (journaled with the attendant id). */
  reprint?: (orderId: string, attendantId: string) => Promise<{ reprint: number; state: string }>;
  /** Refunds a completed order, whole or some lines (journaled with the attendant id). */
  refund?: (orderId: string, input: { attendantId: string; lineIds?: string[] }) => Promise<Order>;
  /** Errors from background work (a payment run, a print) that must not crash the lane. */
  onError?: (e: unknown) => void;
  /** Attendant mode closes after this long without an attendant command (`attendant.idleTimeoutMs`, default 60 s). */
  attendantIdleMs?: number;
  /** A refused badge, PIN or attendant command, with its cause (journaled by the composition root). */
  onAttendantRefused?: (r: AttendantRefusal) => void;
  /** The store's colours and logo (config `screen.branding`); defaults when absent. */
  branding?: ScreenView['branding'];
}

/** The screen's own colours when the config names none (config/defaults.ts `screen.branding`). */
const DEFAULT_BRANDING: ScreenView['branding'] = { primaryColor: '#0a7d32', accentColor: '#ffd400', logoUrl: null };

export interface ScreenSessionEvents {
  view: [ScreenView];
}

/** Extra shopper messages the screen shows beyond the lane's scan refusals. */
const SCREEN_MESSAGES = {
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
const NOTICES = {
  reprinted: (n: number) => ({ 'zh-CN': `已重印小票（第 ${n} 次）`, en: `Receipt reprinted (reprint ${n})` }),
  reprintFailed: { 'zh-CN': '重印失败：请检查打印机', en: 'Reprint failed: check the printer' },
  refunded: (amount: string) => ({ 'zh-CN': `已退款 ${amount}`, en: `Refunded ${amount}` }),
  failed: (why: string) => ({ 'zh-CN': `未完成：${why}`, en: `Not done: ${why}` }),
};

const closedAttendant = (): ViewAttendant => ({
  active: false,
  attendantId: null,
  pinPad: false,
  error: null,
  lockedUntil: null,
  tab: 'order',
  orders: null,
  health: null,
  notice: null,
});

/** The line an `item_added` commit created, or whose quantity it raised (a repeat scan merges into its line). */
function addedLine(before: Order | null, after: Order): string | null {
  const old = new Map((before?.lines ?? []).map((l) => [l.lineId, l.quantity]));
  const changed = after.lines.find((l) => !old.has(l.lineId) || old.get(l.lineId)! < l.quantity);
  return changed?.lineId ?? null;
}

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
  private attendant: ViewAttendant = closedAttendant();
  private thankYouTimer: TimerHandle | null = null;
  private idleTimer: TimerHandle | null = null;
  private payQr: { attemptId: string; svg: string } | null = null;
  /** The order whose running payment the shopper cancelled (until that attempt ends). */
  private cancelled: string | null = null;
  private seq = 0;
  /** The line the last scan added to or created (highlighted on the screen). */
  private lastLineId: string | null = null;
  private completing = new Set<string>();
  private readonly onCommitted = (c: Committed) => this.committed(c);
  /** Who is the attendant, on which screen connection (bound, idle-timed, second factor for money). */
  private readonly staff: AttendantSession;

  constructor(private readonly deps: ScreenDeps) {
    super();
    this.lang = deps.defaultLang;
    this.staff = new AttendantSession({
      gate: deps.gate,
      clock: deps.clock,
      idleMs: deps.attendantIdleMs ?? 60_000,
      onRefused: (r) => deps.onAttendantRefused?.(r),
      onEnded: () => {
        this.attendant = closedAttendant();
        if (this.message?.code === 'STILL_IN_DOUBT') this.message = null;
        this.changed();
      },
    });
  }

  /** A screen connected (its attendant view is its own). */
  connect(conn: string): void {
    this.staff.connect(conn);
  }

  /** A screen went away: an attendant session on it ends. */
  disconnect(conn: string): void {
    this.staff.disconnect(conn);
  }

  /** Whether attendant mode is open on any connection. */
  attendantActive(): boolean {
    return this.staff.active();
  }

  /** What one screen connection sees of attendant mode (controls only on the connection that authenticated). */
  attendantView(conn: string): ViewAttendant {
    return this.staff.view(conn, this.attendant, closedAttendant());
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
    this.staff.end('done');
    if (this.thankYouTimer) this.deps.clock.clearTimeout(this.thankYouTimer);
    this.thankYouTimer = null;
    if (this.idleTimer) this.deps.clock.clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  private committed(c: Committed): void {
    const o = c.order;
    // a refund of an earlier order (by the attendant) changes nothing the shopper sees
    if (!isOpen(c.from) && !isOpen(o.state)) {
      this.changed();
      return;
    }
    if (this.receipt && o.id !== this.receipt.orderId) this.clearReceipt();
    const previous = this.order && this.order.id === o.id ? this.order : null;
    if (!previous) this.lastLineId = null;
    this.order = o;
    const ev = c.event;
    if (ev.type === 'payment_started') {
      this.message = null;
      this.payQr = null;
      this.prompt = ev.method === 'qr' ? { code: 'scan_payment_code', text: null } : ev.method === 'qr_merchant' ? { code: 'scan_merchant_qr', text: null } : null;
    }
    if (o.state !== 'payment_pending') this.payQr = null;
    if (ev.type === 'payment_declined' || (ev.type === 'payment_resolved' && ev.outcome === 'declined')) {
      this.prompt = null;
      // a payment the shopper cancelled is not "declined"; "declined" only when the terminal or gateway said so —
      // an attempt resolved after a disconnect, never sent, or marked unpaid by the attendant charged nothing
      const refused = ev.type === 'payment_declined' && ev.notSent !== true;
      this.message = this.cancelled === o.id ? null : refused ? { code: 'DECLINED', text: SCREEN_MESSAGES.DECLINED } : { code: 'NOT_CHARGED', text: SCREEN_MESSAGES.NOT_CHARGED };
    }
    if (o.state !== 'payment_pending') this.cancelled = null;
    if (ev.type === 'payment_approved' || ev.type === 'payment_resolved') this.prompt = null;
    if (ev.type === 'item_added' || ev.type === 'member_attached') this.started = true;
    if (ev.type === 'item_added') this.lastLineId = addedLine(previous, o);
    if (o.state === 'paid') void this.complete(o.id);
    if (ev.type === 'order_completed') {
      this.receipt = { orderId: o.id, receiptNo: o.receiptNo, total: o.priced.total, choice: null, printed: null, qrSvg: null };
      this.message = null;
    }
    if (ev.type === 'order_cancelled' || ev.type === 'idle_prompt_expired') {
      this.started = false;
      this.message = null;
      this.prompt = null;
      this.lang = this.deps.defaultLang; // the next shopper starts in the store's language
    }
    if (!isOpen(o.state)) this.order = null;
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

  /**
   * A prompt from a payment provider other than the card terminal (whose prompts come as ZVT codes): the QR gateway's
   * "scan the code with your payment app" / "waiting for confirmation in your app".
   */
  paymentPrompt(p: { method: string; text: string }): void {
    if (this.order?.state !== 'payment_pending' || p.method === 'card') return;
    const code: PromptCode = /confirm/i.test(p.text) ? 'confirm_in_app' : /scan the code/i.test(p.text) ? 'scan_merchant_qr' : 'other';
    this.prompt = { code, text: p.text };
    this.changed();
  }

  /** The merchant-presented QR for the running attempt: shown on the paying screen for the shopper's app to scan. */
  async merchantQr(q: { orderId: string; attemptId: string; qrCode: string }): Promise<void> {
    if (this.order?.id !== q.orderId || !this.deps.qrSvg) return;
    const svg = await this.deps.qrSvg(q.qrCode);
    const pending = this.order?.payments.find((p) => p.status === 'pending');
    if (this.order?.id !== q.orderId || pending?.attemptId !== q.attemptId) return; // that attempt already ended
    this.payQr = { attemptId: q.attemptId, svg };
    this.changed();
  }

  /** A scanner read and what the lane made of it: refusals become the shopper's message; a badge opens attendant mode. */
  scanned(o: ScanOutcome, raw: string): void {
    if (!o.ok) {
      if (this.deps.gate.isBadge(raw)) {
        // tried as a badge (checked against the enrolled hashes; the view follows the outcome); never a help call
        void this.badge(raw);
        return;
      } else {
        this.message = { code: o.code, text: o.message };
        // "please see an attendant" calls one: the lane waits for the attendant and the light blinks yellow
        if (o.code === 'ITEM_NOT_FOUND') void this.callAttendant();
      }
    } else if (o.action === 'payment_code') {
      if (this.order?.state === 'payment_pending') this.prompt = { code: 'confirm_in_app', text: null };
    } else {
      this.message = null;
    }
    this.changed();
  }

  /** Raises a help call for the shopper (as the Help button does); refused quietly when the order cannot take one now. */
  private async callAttendant(): Promise<void> {
    try {
      const o = await this.deps.engine.openOrder();
      // a payment running or in doubt cannot be interrupted by a help call: the message stays, nobody is paged twice
      if (o && (o.pending.some((p) => p.kind === 'help') || !allowedEvents(o.state).includes('help_requested'))) return;
      if (!o && this.deps.lane.closed) return;
      await this.deps.engine.dispatch(o ? o.id : null, { type: 'help_requested' });
    } catch (e) {
      // refused (the order moved on meanwhile, the lane is out of service): the message stays; only a fault is reported
      if (!isKioskError(e)) this.deps.onError?.(e);
    }
  }

  /** A badge-shaped scan: an enrolled badge opens attendant mode on one screen; anything else is refused on screen. */
  private async badge(raw: string): Promise<void> {
    try {
      const r = await this.staff.badge(raw);
      if (r.ok) {
        this.attendant = closedAttendant();
        this.message = null;
      } else {
        const code = r.cause === 'badge_ambiguous' ? 'BADGE_AMBIGUOUS' : 'BADGE_REFUSED';
        this.message = { code, text: BADGE_MESSAGES[code] };
      }
    } catch (e) {
      this.deps.onError?.(e);
    }
    this.changed();
  }

  /** The lane's condition changed (device up/down, a storage or data fault set or cleared). */
  conditionChanged(): void {
    // a paid order whose completion could not be recorded (storage failed) completes when storage is back
    if (this.order?.state === 'paid') void this.complete(this.order.id);
    this.changed();
  }

  private clearReceipt(): void {
    this.receipt = null;
    if (this.thankYouTimer) this.deps.clock.clearTimeout(this.thankYouTimer);
    this.thankYouTimer = null;
  }

  private changed(): void {
    const v = this.view();
    this.idle(v);
    this.emit('view', v);
  }

  /** A started screen with nothing scanned goes back to welcome after `idleMs` (an open order has its own timeouts). */
  private idle(v: ScreenView): void {
    // a welcome screen left in another language than the store's also goes back (the next shopper's language)
    const foreignWelcome = v.screen === 'welcome' && v.lang !== this.deps.defaultLang;
    const waiting = (v.screen === 'scanning' || foreignWelcome) && v.order === null && !this.staff.active();
    if (!waiting) {
      if (this.idleTimer) this.deps.clock.clearTimeout(this.idleTimer);
      this.idleTimer = null;
      return;
    }
    if (this.idleTimer) return;
    this.idleTimer = this.deps.clock.setTimeout(() => {
      this.idleTimer = null;
      if (this.order === null && (this.started || this.lang !== this.deps.defaultLang)) {
        this.started = false;
        this.message = null;
        this.lang = this.deps.defaultLang;
        this.changed();
      }
    }, this.deps.idleMs ?? 90_000);
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

  /** The complete view now, as screen connection `conn` sees it (attendant controls only on its own session's). */
  view(conn: string = LOCAL_CONNECTION): ScreenView {
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
          receiptNo: o.receiptNo,
          pending: o.pending.map((p) => ({ ...p })),
          unknownPayment: unknown ? { method: unknown.method, amount: unknown.amount } : null,
          lastLineId: this.lastLineId !== null && o.lines.some((l) => l.lineId === this.lastLineId) ? this.lastLineId : null,
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
      paying:
        o?.state === 'payment_pending' && pendingPay
          ? {
              method: pendingPay.method,
              prompt: this.prompt?.code ?? null,
              promptText: this.prompt?.text ?? null,
              qrSvg: this.payQr?.attemptId === pendingPay.attemptId ? this.payQr.svg : null,
            }
          : null,
      message: this.message,
      receipt: this.receipt,
      outOfService: cond && !cond.inService ? { reasons: cond.reasons, message: cond.message } : null,
      attendant: this.attendantView(conn),
      laneClosed: this.deps.lane.closed,
      branding: this.deps.branding ?? DEFAULT_BRANDING,
    };
  }

  private need(ok: boolean, why: string): void {
    if (!ok) throw new ScreenCommandError(why);
  }

  /** The attendant acting on `conn` (command() has authorised it already). */
  private attendantId(conn: string): string {
    const id = this.staff.attendantOn(conn);
    this.need(id !== null, 'not_authorised: attendant mode is not open on this screen');
    return id!;
  }

  /** A money action on a badge-only session waits for the badge holder's PIN (shown as the keypad). */
  private secondFactor(conn: string, c: ScreenCommand): void {
    if (!this.staff.requirePin(conn, c)) return;
    this.changed();
    throw new ScreenCommandError('pin_required: enter your PIN for this action');
  }

  private async open(): Promise<Order> {
    const o = await this.deps.engine.openOrder();
    this.need(o !== null, 'no open order');
    return o!;
  }

  /**
   * Runs one command from a screen (already validated for shape). Throws ScreenCommandError when the command does
   * not fit the current state; engine refusals propagate as KioskError. The view follows by itself. `conn` is the
   * screen connection it came from: attendant commands are refused (`not_authorised`) on any connection but the
   * one whose attendant session is open.
   */
  async command(c: ScreenCommand, conn: string = LOCAL_CONNECTION): Promise<void> {
    const { engine, lane, checkout } = this.deps;
    if (c.kind.startsWith('attendant_') && c.kind !== 'attendant_open' && c.kind !== 'attendant_close' && c.kind !== 'attendant_pin') {
      this.need(this.staff.authorise(conn, c.kind), 'not_authorised: attendant mode is not open on this screen');
      if (MONEY_COMMANDS.has(c.kind)) this.secondFactor(conn, c);
    }
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
          // the run failed on our side (not a decline by the terminal): say so neutrally — but a payment started
          // whose outcome could not be recorded (storage failed) may have been charged: checked when storage is back
          this.message = isStorageFailure(e) && this.order?.id === o.id && this.order.state !== 'awaiting_payment'
            ? { code: 'PAYMENT_UNRESOLVED', text: SHOPPER_MESSAGES.PAYMENT_UNRESOLVED }
            : { code: 'NOT_CHARGED', text: SCREEN_MESSAGES.NOT_CHARGED };
          this.deps.onError?.(e);
          this.changed();
        });
        return;
      }
      case 'cancel_payment': {
        // the provider aborts the running attempt; the order follows (declined → payment method, or paid if too late)
        const o = await this.open();
        this.need(o.state === 'payment_pending', `no payment is running (state ${o.state})`);
        this.need(checkout.abort(o.id), 'this payment can no longer be cancelled');
        this.cancelled = o.id;
        return;
      }
      case 'help': {
        const o = await engine.openOrder();
        // without an order the call opens one waiting for the attendant: the lane light turns yellow either way
        await engine.dispatch(o ? o.id : null, { type: 'help_requested' });
        return;
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
        // the e-receipt QR: chosen, or offered because the paper one could not print (it stays pending and prints later)
        const offerQr = c.choice === 'e_receipt' || (c.choice === 'print' && this.receipt?.orderId === r!.orderId && this.receipt.printed === 'failed');
        if (offerQr && this.deps.receiptQr && this.deps.qrSvg) {
          const order = await engine.get(r!.orderId);
          const svg = await this.deps.qrSvg(this.deps.receiptQr(order));
          if (this.receipt?.orderId === r!.orderId) this.receipt = { ...this.receipt, qrSvg: svg };
        }
        if (this.thankYouTimer) this.deps.clock.clearTimeout(this.thankYouTimer);
        this.thankYouTimer = this.deps.clock.setTimeout(() => {
          this.thankYouTimer = null;
          if (this.receipt?.orderId === r!.orderId) this.finishReceipt();
        }, this.deps.thankYouMs ?? (offerQr ? 30_000 : 8_000));
        break;
      }
      case 'done':
        this.need(this.receipt !== null, 'nothing to finish');
        this.finishReceipt();
        return;
      case 'attendant_open':
        this.staff.openPad(conn);
        break;
      case 'attendant_close':
        // ends the session (an open second-factor keypad only closes itself) — ending resets the panel
        this.staff.close(conn);
        break;
      case 'attendant_pin': {
        const r = await this.staff.pin(conn, c.pin);
        if (r.ok && r.opened) this.attendant = closedAttendant();
        this.changed();
        if (!r.ok) throw new ScreenCommandError(r.reason.reason === 'locked' ? 'keypad locked' : 'wrong PIN');
        // the money action that asked for this PIN runs now
        if (r.pending) await this.command(r.pending, conn);
        return;
      }
      // approving, rejecting, cancelling or settling ends the attendant's task: back to the shopper's screen
      case 'attendant_approve':
      case 'attendant_reject':
        await lane.attendant(c.kind === 'attendant_approve' ? 'approve' : 'reject', this.attendantId(conn));
        this.staff.end('done');
        return;
      case 'attendant_cancel_order': {
        const id = this.attendantId(conn);
        const o = await this.open();
        if (o.paid > 0) this.secondFactor(conn, c); // money was taken: the badge holder's PIN first
        await engine.dispatch(o.id, { type: 'order_cancelled', reason: 'cancelled by the attendant', attendantId: id });
        this.staff.end('done');
        return;
      }
      case 'attendant_resolve': {
        const id = this.attendantId(conn);
        const o = await this.open();
        await checkout.decide(o.id, c.outcome, id);
        this.staff.end('done');
        return;
      }
      case 'attendant_tab':
        this.attendantId(conn);
        this.attendant = { ...this.attendant, tab: c.tab, notice: null };
        if (c.tab === 'orders') this.attendant.orders = await this.pastOrders();
        if (c.tab === 'lane' && this.attendant.health === null) await this.runHealth();
        break;
      case 'attendant_void_line': {
        const id = this.attendantId(conn);
        const o = await this.open();
        this.need(o.lines.some((l) => l.lineId === c.lineId), `no line ${c.lineId}`);
        this.need(o.state === 'shopping' || o.state === 'needs_attendant', `cannot remove a line in state ${o.state}`);
        // removing a line approves what is pending: an age check on another line needs its own decision first
        this.need(!o.pending.some((p) => p.kind === 'age_check' && p.lineId !== c.lineId), 'approve or reject the age check first');
        // the attendant's removal is the shopper's request approved at once: both journaled, the approval with the id
        if (!o.pending.some((p) => p.kind === 'void' && p.lineId === c.lineId)) await engine.dispatch(o.id, { type: 'void_requested', lineId: c.lineId });
        await engine.dispatch(o.id, { type: 'attendant_approved', attendantId: id });
        return;
      }
      case 'attendant_lane': {
        const id = this.attendantId(conn);
        this.need(this.deps.setLane !== undefined, 'the lane cannot be opened or closed here');
        await this.deps.setLane!(c.open, id);
        break;
      }
      case 'attendant_health':
        this.attendantId(conn);
        await this.runHealth();
        break;
      case 'attendant_reprint': {
        const id = this.attendantId(conn);
        this.attendant = { ...this.attendant, notice: null };
        this.need(this.deps.reprint !== undefined, 'no receipt printer on this lane');
        const r = await this.deps.reprint!(c.orderId, id).catch((e: unknown) => {
          this.attendant = { ...this.attendant, notice: { action: 'reprint', ok: false, text: NOTICES.failed(e instanceof Error ? e.message : String(e)) } };
          this.changed();
          throw e;
        });
        this.attendant = { ...this.attendant, notice: { action: 'reprint', ...(r.state === 'printed' ? { ok: true, text: NOTICES.reprinted(r.reprint) } : { ok: false, text: NOTICES.reprintFailed }) } };
        break;
      }
      case 'attendant_refund': {
        const id = this.attendantId(conn);
        this.attendant = { ...this.attendant, notice: null };
        this.need(this.deps.refund !== undefined, 'refunds are not available here');
        const before = await engine.get(c.orderId);
        try {
          const after = await this.deps.refund!(c.orderId, { attendantId: id, ...(c.lineIds ? { lineIds: c.lineIds } : {}) });
          this.attendant = { ...this.attendant, notice: { action: 'refund', ok: true, text: NOTICES.refunded(this.money(after.refunded - before.refunded)) } };
        } catch (e) {
          this.attendant = { ...this.attendant, notice: { action: 'refund', ok: false, text: NOTICES.failed(e instanceof Error ? e.message : String(e)) } };
          this.attendant.orders = await this.pastOrders();
          this.changed();
          throw e;
        }
        this.attendant.orders = await this.pastOrders();
        break;
      }
      case 'attendant_recheck': {
        this.attendantId(conn);
        const o = await this.open();
        const after = await checkout.recover(o.id);
        if (after.state !== 'payment_unknown') return;
        this.message = { code: 'STILL_IN_DOUBT', text: SCREEN_MESSAGES.STILL_IN_DOUBT };
        break;
      }
    }
    this.changed();
  }

  private money(amount: number): string {
    const { code, minorUnits } = this.deps.currency;
    return `${code} ${(amount / 10 ** minorUnits).toFixed(minorUnits)}`;
  }

  private async runHealth(): Promise<void> {
    this.need(this.deps.doctor !== undefined, 'no devices to check on this lane');
    const r = await this.deps.doctor!();
    this.attendant = { ...this.attendant, health: { at: this.deps.clock.now(), ok: r.ok, rows: r.rows } };
  }

  /** The last completed (or refunded) orders, newest first, for reprints and refunds. */
  private async pastOrders(): Promise<ViewPastOrder[]> {
    const done = (await this.deps.engine.list(30)).filter((o) => o.receiptNo !== null).slice(0, 10);
    const unprinted = new Map((await (this.deps.unprintedReceipts?.() ?? Promise.resolve([]))).map((u) => [u.orderId, u.state]));
    return done.map((o) => {
      const refundedLines = new Set(o.refunds.flatMap((r) => r.lineIds ?? []));
      return {
        id: o.id,
        receiptNo: o.receiptNo,
        state: o.state,
        completedAt: o.updatedAt,
        total: o.priced.total,
        refunded: o.refunded,
        methods: [...new Set(o.payments.filter((p) => p.status === 'approved').map((p) => p.method))],
        receiptPrint: unprinted.get(o.id) ?? null,
        lines: o.lines.map((l) => ({
          lineId: l.lineId,
          name: l.names,
          quantity: l.quantity,
          weightGrams: l.weightGrams,
          net: o.priced.lines.find((p) => p.lineId === l.lineId)?.net ?? 0,
          refunded: refundedLines.has(l.lineId),
        })),
      };
    });
  }

  private finishReceipt(): void {
    this.clearReceipt();
    this.started = false;
    this.message = null;
    this.lang = this.deps.defaultLang; // the next shopper starts in the store's language
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

