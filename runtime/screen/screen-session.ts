import { EventEmitter } from 'node:events';
import type { PromptCode, ScreenCommand, ScreenView, ViewAttendant } from '../../protocol/screen';
import type { TimerHandle } from '../../kernel/clock';
import type { ScanOutcome } from '../lane/lane';
import type { Committed } from '../orders/engine';
import type { Order } from '../orders/order';
import { allowedEvents } from '../orders/machine';
import { isOpen } from '../orders/states';
import { isKioskError } from '../../kernel/errors';
import { AttendantSession, BADGE_MESSAGES, LOCAL_CONNECTION } from './attendant-session';
import { runAttendantCommand } from './attendant-commands';
import type { ScreenDeps } from './screen-deps';
import { SCREEN_MESSAGES } from './screen-messages';
import { clearReceipt, closedAttendant, initialScreenState, type ScreenContext, type ScreenState } from './screen-state';
import { projectView } from './screen-view';
import { isShopperCommand, runShopperCommand } from './shopper-commands';

export type { ScreenDeps } from './screen-deps';
export { ScreenCommandError } from './screen-command-error';

export interface ScreenSessionEvents {
  view: [ScreenView];
}

/** The line an `item_added` commit created, or whose quantity it raised (a repeat scan merges into its line). */
function addedLine(before: Order | null, after: Order): string | null {
  const old = new Map((before?.lines ?? []).map((l) => [l.lineId, l.quantity]));
  const changed = after.lines.find((l) => !old.has(l.lineId) || old.get(l.lineId)! < l.quantity);
  return changed?.lineId ?? null;
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
 *
 * This class is the facade: it follows the order engine, the payment providers and the scanner, and dispatches
 * commands; the view is projected in screen-view.ts, the commands run in shopper-commands.ts and
 * attendant-commands.ts, the texts are in screen-messages.ts.
 */
export class ScreenSession extends EventEmitter<ScreenSessionEvents> {
  private readonly state: ScreenState;
  private idleTimer: TimerHandle | null = null;
  private seq = 0;
  private completing = new Set<string>();
  private readonly onCommitted = (c: Committed) => this.committed(c);
  /** Who is the attendant, on which screen connection (bound, idle-timed, second factor for money). */
  private readonly staff: AttendantSession;
  /** What the command handlers see of this session. */
  private readonly ctx: ScreenContext;

  constructor(private readonly deps: ScreenDeps) {
    super();
    this.state = initialScreenState(deps.defaultLang);
    this.staff = new AttendantSession({
      gate: deps.gate,
      clock: deps.clock,
      idleMs: deps.attendantIdleMs ?? 60_000,
      onRefused: (r) => deps.onAttendantRefused?.(r),
      onEnded: () => {
        this.state.attendant = closedAttendant();
        if (this.state.message?.code === 'STILL_IN_DOUBT') this.state.message = null;
        this.changed();
      },
    });
    this.ctx = {
      deps,
      state: this.state,
      staff: this.staff,
      changed: () => this.changed(),
      finishReceipt: () => this.finishReceipt(),
      command: (c, conn) => this.command(c, conn),
      returnsInFlight: new Map(),
    };
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
    return this.staff.view(conn, this.state.attendant, closedAttendant());
  }

  /** Loads the open order and follows the engine. A paid order left by a crash is completed now. */
  async start(): Promise<void> {
    this.deps.engine.on('committed', this.onCommitted);
    this.state.order = await this.deps.engine.openOrder();
    this.refreshMember(this.state.order);
    if (this.state.order?.state === 'paid') await this.complete(this.state.order.id);
    this.changed();
  }

  stop(): void {
    this.deps.engine.off('committed', this.onCommitted);
    this.staff.end('done');
    if (this.state.thankYouTimer) this.deps.clock.clearTimeout(this.state.thankYouTimer);
    this.state.thankYouTimer = null;
    if (this.idleTimer) this.deps.clock.clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  private committed(c: Committed): void {
    const s = this.state;
    const o = c.order;
    // a refund of an earlier order (by the attendant) changes nothing the shopper sees
    if (!isOpen(c.from) && !isOpen(o.state)) {
      this.changed();
      return;
    }
    if (s.receipt && o.id !== s.receipt.orderId) clearReceipt(this.deps, s);
    const previous = s.order && s.order.id === o.id ? s.order : null;
    if (!previous) s.lastLineId = null;
    s.order = o;
    const ev = c.event;
    if (ev.type === 'payment_started') {
      s.message = null;
      s.payQr = null;
      s.prompt = ev.method === 'qr' ? 'scan_payment_code' : ev.method === 'qr_merchant' ? 'scan_merchant_qr' : null;
    }
    if (o.state !== 'payment_pending') s.payQr = null;
    if (ev.type === 'payment_declined' || (ev.type === 'payment_resolved' && ev.outcome === 'declined')) {
      s.prompt = null;
      // a payment the shopper cancelled is not "declined"; "declined" only when the terminal or gateway said so —
      // an attempt resolved after a disconnect, never sent, or marked unpaid by the attendant charged nothing
      const refused = ev.type === 'payment_declined' && ev.notSent !== true;
      s.message = s.cancelled === o.id ? null : refused ? { code: 'DECLINED', text: SCREEN_MESSAGES.DECLINED } : { code: 'NOT_CHARGED', text: SCREEN_MESSAGES.NOT_CHARGED };
    }
    if (o.state !== 'payment_pending') s.cancelled = null;
    if (ev.type === 'payment_approved' || ev.type === 'payment_resolved') s.prompt = null;
    if (ev.type === 'item_added' || ev.type === 'member_attached') s.started = true;
    if (ev.type === 'item_added') s.lastLineId = addedLine(previous, o);
    if (o.state === 'paid') void this.complete(o.id);
    if (ev.type === 'order_completed') {
      s.receipt = { orderId: o.id, receiptNo: o.receiptNo, total: o.priced.total, choice: null, printed: null, qrSvg: null };
      s.message = null;
    }
    if (ev.type === 'order_cancelled' || ev.type === 'idle_prompt_expired') {
      s.started = false;
      s.message = null;
      s.prompt = null;
      s.lang = this.deps.defaultLang; // the next shopper starts in the store's language
    }
    if (!isOpen(o.state)) s.order = null;
    this.refreshMember(s.order);
    this.changed();
  }

  /** Reads the attached member's standing (type, points it may use) when the member changes; shown when read. */
  private refreshMember(o: Order | null): void {
    const s = this.state;
    const members = this.deps.members;
    if (!o || !o.memberId || !members) {
      s.member = null;
      return;
    }
    if (s.member?.memberId === o.memberId) return;
    const memberId = o.memberId;
    members.standing(memberId).then(
      (st) => {
        if (s.order?.memberId !== memberId) return; // another member (or order) since
        s.member = { memberId, customerType: st.customerType, redeemable: st.redeemable };
        this.changed();
      },
      (e: unknown) => this.deps.onError?.(e),
    );
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

  /**
   * What a payment provider asks of the shopper now (the card terminal's "insert card", "enter PIN"; the QR
   * gateway's "confirm in your app"), as a prompt code: the providers map their own protocol to it, this layer only
   * shows it while a payment runs.
   */
  paymentPrompt(p: { method: string; code: PromptCode }): void {
    if (this.state.order?.state !== 'payment_pending') return;
    this.state.prompt = p.code;
    this.changed();
  }

  /** The merchant-presented QR for the running attempt: shown on the paying screen for the shopper's app to scan. */
  async merchantQr(q: { orderId: string; attemptId: string; qrCode: string }): Promise<void> {
    if (this.state.order?.id !== q.orderId || !this.deps.qrSvg) return;
    const svg = await this.deps.qrSvg(q.qrCode);
    const pending = this.state.order?.payments.find((p) => p.status === 'pending');
    if (this.state.order?.id !== q.orderId || pending?.attemptId !== q.attemptId) return; // that attempt already ended
    this.state.payQr = { attemptId: q.attemptId, svg };
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
        this.state.message = { code: o.code, text: o.message };
        // "please see an attendant" calls one: the lane waits for the attendant and the light blinks yellow
        if (o.code === 'ITEM_NOT_FOUND') void this.callAttendant();
      }
    } else if (o.action === 'payment_code') {
      if (this.state.order?.state === 'payment_pending') this.state.prompt = 'confirm_in_app';
    } else {
      // an item added with a notice (a recall's lot to check on the pack): the shopper is told why the attendant comes
      this.state.message = o.action === 'item_added' && o.notice ? { code: o.notice.code, text: o.notice.message } : null;
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
        this.state.attendant = closedAttendant();
        this.state.message = null;
      } else {
        const code = r.cause === 'badge_ambiguous' ? 'BADGE_AMBIGUOUS' : 'BADGE_REFUSED';
        this.state.message = { code, text: BADGE_MESSAGES[code] };
      }
    } catch (e) {
      this.deps.onError?.(e);
    }
    this.changed();
  }

  /** The lane's condition changed (device up/down, a storage or data fault set or cleared). */
  conditionChanged(): void {
    // a paid order whose completion could not be recorded (storage failed) completes when storage is back
    if (this.state.order?.state === 'paid') void this.complete(this.state.order.id);
    this.changed();
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
      const s = this.state;
      if (s.order === null && (s.started || s.lang !== this.deps.defaultLang)) {
        s.started = false;
        s.message = null;
        s.lang = this.deps.defaultLang;
        this.changed();
      }
    }, this.deps.idleMs ?? 90_000);
  }

  /** The complete view now, as screen connection `conn` sees it (attendant controls only on its own session's). */
  view(conn: string = LOCAL_CONNECTION): ScreenView {
    return projectView(this.deps, this.state, ++this.seq, this.attendantView(conn));
  }

  /**
   * Runs one command from a screen (already validated for shape). Throws ScreenCommandError when the command does
   * not fit the current state; engine refusals propagate as KioskError. The view follows by itself. `conn` is the
   * screen connection it came from: attendant commands are refused (`not_authorised`) on any connection but the
   * one whose attendant session is open.
   */
  async command(c: ScreenCommand, conn: string = LOCAL_CONNECTION): Promise<void> {
    const show = isShopperCommand(c) ? await runShopperCommand(this.ctx, c) : await runAttendantCommand(this.ctx, c, conn);
    if (show) this.changed();
  }

  private finishReceipt(): void {
    clearReceipt(this.deps, this.state);
    this.state.started = false;
    this.state.message = null;
    this.state.lang = this.deps.defaultLang; // the next shopper starts in the store's language
    this.changed();
  }
}
