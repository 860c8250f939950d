import type { Lang, PromptCode, ScreenCommand, ScreenView, ViewAttendant } from '../../protocol/screen';
import type { TimerHandle } from '../../kernel/clock';
import type { Order } from '../orders/order';
import type { ReturnResult } from '../payments/returns';
import type { AttendantSession } from './attendant-session';
import type { ScreenDeps } from './screen-deps';

/**
 * What one lane's screen holds beyond the order engine: the facade (ScreenSession) owns it, the command handlers
 * (shopper-commands.ts, attendant-commands.ts) change it, and the view projection (screen-view.ts) reads it.
 */
export interface ScreenState {
  lang: Lang;
  /** The engine's open order as last committed (null between shoppers). */
  order: Order | null;
  /** The shopper tapped Start (or scanned) without an order yet. */
  started: boolean;
  /** The running payment's prompt, as a code (screen-ui/i18n.ts has the shopper's text). */
  prompt: PromptCode | null;
  message: { code: string; text: Record<string, string> } | null;
  receipt: ScreenView['receipt'];
  attendant: ViewAttendant;
  thankYouTimer: TimerHandle | null;
  payQr: { attemptId: string; svg: string } | null;
  /** The order whose running payment the shopper cancelled (until that attempt ends). */
  cancelled: string | null;
  /** The line the last scan added to or created (highlighted on the screen). */
  lastLineId: string | null;
  /** The attached member's standing, read when the member was attached or the order changed (deps.members). */
  member?: { memberId: string; customerType: 'personal' | 'business' | 'group'; redeemable: number } | null;
}

/** What a command handler may use: the deps, the state, the attendant session and the facade's own steps. */
export interface ScreenContext {
  readonly deps: ScreenDeps;
  readonly state: ScreenState;
  /** Who is the attendant, on which screen connection. */
  readonly staff: AttendantSession;
  /** Emits the complete view (after a change). */
  changed(): void;
  /** Ends the receipt step: back to welcome, in the store's language. */
  finishReceipt(): void;
  /** Runs another command as if it came from `conn` (the money action a PIN was asked for). */
  command(c: ScreenCommand, conn: string): Promise<void>;
  /** Returns running now, by return id: a second tap of the same form joins the first instead of paying twice. */
  readonly returnsInFlight: Map<string, Promise<ReturnResult>>;
}

/** The attendant panel as it is when attendant mode is closed. */
export const closedAttendant = (): ViewAttendant => ({
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

export function initialScreenState(lang: Lang): ScreenState {
  return {
    lang,
    order: null,
    started: false,
    prompt: null,
    message: null,
    receipt: null,
    attendant: closedAttendant(),
    thankYouTimer: null,
    payQr: null,
    cancelled: null,
    lastLineId: null,
  };
}

/** Drops the receipt step and its thank-you timer. */
export function clearReceipt(deps: ScreenDeps, state: ScreenState): void {
  state.receipt = null;
  if (state.thankYouTimer) deps.clock.clearTimeout(state.thankYouTimer);
  state.thankYouTimer = null;
}
